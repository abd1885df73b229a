"""Bearer tokens for admins and organizers; only their SHA-256 digests are stored.

Tokens are 256-bit random strings, so a plain SHA-256 (no salt, no slow KDF)
is enough: nothing about them can be guessed, and lookups stay one indexed query.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ApiToken

TOKEN_PREFIX = "hx_"  # noqa: S105 - a label that makes leaked tokens easy to spot


class Role(StrEnum):
    ADMIN = "admin"
    ORGANIZER = "organizer"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, role: Role, name: str) -> str:
    """Store a new token for ``name`` and return it; it cannot be shown again."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(token_hash=hash_token(token), role=role.value, name=name,
                         created_at=datetime.now(UTC)))
    session.flush()
    return token


def find_token(session: Session, token: str) -> ApiToken | None:
    return session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token),
                               ApiToken.revoked_at.is_(None))
    )
