from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Meeting(Base):
    """What a meeting (an event of a meeting kind) holds beyond the event: its minutes and
    whether its attendance is final.

    ``attendance_closed_at`` is set once, by a conditional UPDATE, when the meeting
    has ended: whoever sets it marks the expected attendees still unaccounted for
    as absent and hands attendance to the points, so that happens exactly once.
    """

    __tablename__ = "meetings"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"),
                                          primary_key=True)
    attendance_closed_at: Mapped[datetime | None]
    minutes: Mapped[str | None] = mapped_column(Text)
    minutes_by: Mapped[str | None] = mapped_column(String(80))
    minutes_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Attendance(Base):
    """One expected attendee of a meeting and what became of them.

    ``status``: ``expected`` (nothing yet) → ``present`` (checked in) | ``leave``
    (请假 before the start, ``reason``) | ``absent`` (still expected when the meeting
    ended). One row per meeting and member (unique), and every change is a
    conditional UPDATE from the state it expects, so two requests racing each
    other cannot both win: the database orders them.
    """

    __tablename__ = "meeting_attendance"
    __table_args__ = (
        UniqueConstraint("event_id", "member_id"),
        Index("ix_meeting_attendance_event_id_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    status: Mapped[str] = mapped_column(String(16), default="expected")
    reason: Mapped[str | None] = mapped_column(String(200))
    leave_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    # "chat" (the QR code) or "console:<token name>".
    checked_in_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime]


class MeetingPhoto(Base):
    """A photo of a meeting's minutes: its bytes in ``data``, or a file under
    ``HONGXIN_MEDIA_DIR`` named by ``path`` (relative to it)."""

    __tablename__ = "meeting_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"),
                                          index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int]
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    path: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
