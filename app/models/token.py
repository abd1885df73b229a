from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class ApiToken(Base):
    """A bearer token for the admin API and console; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    # A token with an org sees and acts on that org's subtree only; None: everything.
    # An org is deleted only when no live token names it (app.orgs.service.delete_org),
    # so SET NULL reaches revoked tokens alone.
    org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="SET NULL"),
                                               index=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # Updated at most once a minute (see app.auth.tokens.LAST_USED_RESOLUTION).
    last_used_at: Mapped[datetime | None]


class ConsoleSession(Base):
    """A signed-in console: the cookie holds a random secret, this row its SHA-256.

    Kept on the server so that signing out ends it for good (a copied cookie is
    worth nothing afterwards) and so that each request checks the token it was
    opened with, which a revocation ends at once.
    """

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The SHA-256 of the API token signed in with (the bootstrap admin token has no row).
    token_hash: Mapped[str] = mapped_column(String(64), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
