"""Bearer tokens for admins and organizers; only their SHA-256 digests are stored.

Tokens are 256-bit random strings, so a plain SHA-256 (no salt, no slow KDF)
is enough: nothing about them can be guessed, and lookups stay one indexed query.

A token is its id, not its name: names are labels for people, and two tokens
may share one. What a token may see hangs on its id (the events assigned to
it) and on its org (the subtree it is scoped to, :mod:`app.orgs.scope`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidInput, NotFound
from app.models import ApiToken
from app.orgs.scope import EVERYTHING, OrgScope, scope_of_org

TOKEN_PREFIX = "hx_"  # noqa: S105 - a label that makes leaked tokens easy to spot
# "Last used" is for spotting forgotten tokens, not an audit trail: writing it on every
# request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class Role(StrEnum):
    ADMIN = "admin"
    ORGANIZER = "organizer"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a stored token (by id) or the bootstrap admin (``token_id`` None),
    and the part of the org tree it may see."""

    role: Role
    name: str
    token_id: int | None = None
    scope: OrgScope = EVERYTHING

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


BOOTSTRAP_ADMIN = Principal(Role.ADMIN, "admin")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, role: Role, name: str, org_id: int | None = None) -> str:
    """Store a new token for ``name`` (scoped to ``org_id``'s subtree when given) and
    return it; it cannot be shown again."""
    scope_of_org(session, org_id)  # a missing org is a NotFound before anything is stored
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(token_hash=hash_token(token), role=role.value, name=name,
                         org_id=org_id, created_at=datetime.now(UTC)))
    session.flush()
    return token


def find_token(session: Session, token: str) -> ApiToken | None:
    return find_live_hash(session, hash_token(token))


def find_live_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    )


def principal_for_hash(session: Session, token_hash: str, bootstrap_token: str | None,
                       now: datetime) -> Principal | None:
    """Who holds the token with this digest, if it is live; records its use."""
    if bootstrap_token and hmac.compare_digest(hash_token(bootstrap_token), token_hash):
        return BOOTSTRAP_ADMIN
    stored = find_live_hash(session, token_hash)
    if stored is None:
        return None
    if stored.last_used_at is None or stored.last_used_at < now - LAST_USED_RESOLUTION:
        stored.last_used_at = now
    return Principal(Role(stored.role), stored.name, stored.id,
                     scope_of_org(session, stored.org_id))


def list_tokens(session: Session) -> Sequence[ApiToken]:
    return session.scalars(select(ApiToken).order_by(ApiToken.id)).all()


def revoke_token(session: Session, token_id: int, now: datetime) -> ApiToken:
    """Revoke a token at once: its next request, API or console, is refused."""
    stored = session.get(ApiToken, token_id)
    if stored is None:
        raise NotFound(f"no token {token_id}")
    if stored.revoked_at is None:
        stored.revoked_at = now
        session.flush()
    return stored


def assignable_organizer(session: Session, given: int | str) -> ApiToken:
    """The live organizer token an event is assigned to: by id, or by a name that
    exactly one live organizer token has. Anything else is a 422 on ``organizer``."""
    live = select(ApiToken).where(ApiToken.role == Role.ORGANIZER.value,
                                  ApiToken.revoked_at.is_(None))
    if isinstance(given, int):
        found = session.scalar(live.where(ApiToken.id == given))
        if found is None:
            raise _bad_organizer(f"no live organizer token has id {given}")
        return found
    named = session.scalars(live.where(ApiToken.name == given).limit(2)).all()
    if not named:
        raise _bad_organizer(f"no live organizer token is named {given!r}")
    if len(named) > 1:
        raise _bad_organizer(f"several organizer tokens are named {given!r}; give the "
                             "token's id instead (hongxin token list)")
    return named[0]


def _bad_organizer(message: str) -> InvalidInput:
    return InvalidInput("invalid input: organizer",
                        errors=[{"field": "organizer", "message": message}])
