from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class ConsoleRole(Base):
    """A console role held by a person on the roster (a 书记 who runs the branch's console).

    The role and its org are those of ``token_id``, an API token created for the
    grant whose plaintext nobody ever sees: the person signs in through one-time
    links from WeChat (``后台``), and everything that checks tokens (scope,
    revocation, event assignment) applies to them unchanged. One role per entry.
    """

    __tablename__ = "console_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    roster_entry_id: Mapped[int] = mapped_column(
        ForeignKey("roster_entries.id", ondelete="CASCADE"), unique=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"),
                                          unique=True)
    granted_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class ConsoleSignInLink(Base):
    """A one-time console sign-in link sent in chat; only the SHA-256 of its code is kept."""

    __tablename__ = "console_sign_in_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"),
                                          index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
