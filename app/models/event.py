from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Event(Base):
    """An activity with open sign-up and a fixed number of seats, or a meeting of an org.

    ``kind`` is ``activity`` (theme days, volunteer work: anyone may sign up) or one
    of the meeting kinds in :mod:`app.events.kinds`. ``org_id`` places the event in
    the organisation tree: tokens scoped to an org see the events of its subtree.

    ``seats_taken`` counts confirmed sign-ups. It is changed only by conditional
    UPDATEs while the event row is locked, and the CHECK constraint makes the
    database itself refuse an overbooking, whatever code runs against it.
    """

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity",
                        name="seats_within_capacity"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        Index("ix_events_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), default="activity", server_default="activity")
    org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"),
                                               index=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime]
    capacity: Mapped[int]
    seats_taken: Mapped[int] = mapped_column(default=0)
    signup_deadline: Mapped[datetime | None]
    remind_before_minutes: Mapped[int] = mapped_column(default=60)
    # The organizer token the event is assigned to: it alone (and admins) may see it.
    organizer_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"),
                                                           index=True)
    # That token's name when it was assigned, for display.
    organizer: Mapped[str | None] = mapped_column(String(64), index=True)
    # scheduled | cancelled
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]


class Signup(Base):
    """A member's sign-up for an event: confirmed, waitlisted or cancelled.

    A member has at most one live (not cancelled) sign-up per event, enforced by
    a partial unique index, so a repeated ``报名 N`` cannot create a second one;
    cancelled rows stay as history and a new sign-up gets a new row (and so a
    fresh reminder dedup key). The waitlist is ordered by ``id``.
    """

    __tablename__ = "event_signups"
    __table_args__ = (
        Index("uq_event_signups_live", "event_id", "member_id", unique=True,
              sqlite_where=text("status != 'cancelled'"),
              postgresql_where=text("status != 'cancelled'")),
        Index("ix_event_signups_event_id_status", "event_id", "status"),
        # The dashboard's check-ins: a week's or a period's range, from the index alone.
        Index("ix_event_signups_checked_in_at", "checked_in_at", "event_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    # confirmed | waitlisted | cancelled
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    # "chat", "miniprogram" or "console:<organizer>" — who checked the member in.
    checked_in_by: Mapped[str | None] = mapped_column(String(80))
