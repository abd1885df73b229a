from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, true
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Member(Base):
    """A follower of the official account, known by the openid WeChat gives us.

    ``last_interaction_at`` opens the platform's 48-hour customer-service window;
    ``conversation`` holds the member's dialog state so any worker can continue it.
    """

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    first_seen_at: Mapped[datetime]
    last_interaction_at: Mapped[datetime]
    subscribed: Mapped[bool] = mapped_column(default=True)
    # Opt-out (``退订``): see the 20261205 migration for why.
    daily_push: Mapped[bool] = mapped_column(default=True, server_default=true())
    name: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(20))
    branch: Mapped[str | None] = mapped_column(String(64))
    conversation: Mapped[dict[str, object] | None] = mapped_column(JSON)
