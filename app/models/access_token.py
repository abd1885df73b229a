from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class AccessTokenRow(Base):
    """The WeChat access token of one app, shared by every Hongxin process.

    The platform keeps one valid token per app and a fetch may invalidate the
    previous one, so processes must not each fetch. ``lease_until`` /
    ``lease_owner`` is a refresh lease: only the process holding it fetches;
    the others wait for the row to change. ``refresh_after`` is when the token
    should be replaced ahead of ``expires_at``.
    """

    __tablename__ = "access_tokens"

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    refresh_after: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]
