from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class PointsEntry(Base):
    """One line of a member's points ledger (红色积分: 一人一册、一事一记).

    Lines are never edited or deleted: a correction is a new line with the
    opposite ``delta`` that names the line it reverses. ``(member_id, activity,
    reference)`` is unique, so awarding the same thing twice is a no-op.
    """

    __tablename__ = "points_entries"
    __table_args__ = (
        UniqueConstraint("member_id", "activity", "reference"),
        Index("ix_points_entries_member_id_created_at", "member_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    activity: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(128))
    delta: Mapped[int]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("points_entries.id"))


class PointsTotal(Base):
    """A member's ledger summed, kept by every ledger insert, so ranks and boards read
    one row per member instead of summing the whole ledger per request."""

    __tablename__ = "points_totals"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           primary_key=True)
    total: Mapped[int] = mapped_column(index=True)
