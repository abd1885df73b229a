from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class OutboxMessage(Base):
    """A message to a member that must go out later, written with the change that causes it.

    ``dedup_key`` makes enqueueing idempotent (one reminder per sign-up, one late
    reply per callback); the dispatcher claims due rows with a lease so a process
    that dies mid-send leaves its rows to be claimed again.

    ``status``: pending → sending (claimed, ``lease_until``) → sent | pending again
    (transient failure; ``due_at`` stays, ``lease_until`` holds the row back for the
    backoff) | failed (a permanent error, or still undelivered a day after ``due_at``;
    reason in ``last_error``) | unsendable (no channel reaches the member) | withdrawn.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_due_at", "status", "due_at"),
        # The customer-service budget counts a member's recent sends per channel.
        Index("ix_outbox_member_id_channel_sent_at", "member_id", "channel", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None]
    channel: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    # The platform's errcode of the last failure, for `hongxin outbox` and retries.
    last_errcode: Mapped[int | None]
    # Which dispatcher holds the lease: marks are conditional on it, so a process
    # whose lease ran out cannot overwrite the outcome of the one that took over.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
