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


class PointsBalance(Base):
    """A member's running total: the sum of their ledger lines, kept by the ledger's writer.

    It exists so that a total and a rank cost an index lookup rather than an
    aggregate over the whole ledger. A row appears with a member's first ledger
    line, so "members with points" counts the same members as the ledger does.
    """

    __tablename__ = "points_balances"
    __table_args__ = (Index("ix_points_balances_total", "total"),)

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    total: Mapped[int]


class PointsTotalCount(Base):
    """How many members have each total: the rank's count of members ahead adds these up.

    Counting the balances above a total walks one index entry per member ahead;
    there are far fewer distinct totals than members. Kept by the ledger's
    writer together with the balances (which are never deleted: members are
    erased, not removed). A total nobody has any more stays, with 0 members.
    """

    __tablename__ = "points_total_counts"

    total: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    members: Mapped[int]
