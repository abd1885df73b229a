from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class MiniProgramSession(Base):
    """A mini-program login; only the SHA-256 of the bearer token is stored."""

    __tablename__ = "mp_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
