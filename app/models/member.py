from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base

ACCOUNT, MINI_PROGRAM = "account", "miniprogram"


class Member(Base):
    """A person, known by the openid WeChat gives us.

    ``last_interaction_at`` opens the platform's 48-hour customer-service window;
    ``conversation`` holds the member's dialog state so any worker can continue it.

    ``origin`` says whose openid ``openid`` is: the official account's
    (``account``) or the mini-program's (``miniprogram``, first seen at a
    mini-program login). ``mp_openid`` is the member's mini-program openid,
    wherever they were first seen. ``unionid`` is the same for one person in
    every app of the owner's open-platform account; when an official-account
    member and a mini-program member turn out to share one, they are merged
    into the official-account member (app/members/merge.py), and the other
    row stays as a tombstone whose ``merged_into_id`` names the survivor.
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
    origin: Mapped[str] = mapped_column(String(16), default=ACCOUNT, server_default=ACCOUNT)
    mp_openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64), unique=True)
    # When the platform was last asked for the unionid and had none to give.
    unionid_checked_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    merged_at: Mapped[datetime | None]
