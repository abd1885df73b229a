from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class PointsEntry(Base):
    """One line of a member's points ledger (红色积分: 一人一册、一事一记).

    Lines are never edited or deleted: a correction is a new line with the
    opposite ``delta`` that names the line it reverses. ``(member_id, activity,
    reference)`` is unique, so awarding the same thing twice is a no-op.

    ``rule_version`` is the catalogue version the line was earned under (see
    :class:`PointsRuleSet`); ``category`` is the 先锋指数 category the rule gave
    it then, and ``occurred_month`` (``yyyymm`` in the service's time zone) the
    month ``occurred_at`` falls in, both copied onto a reversal so that it
    cancels the same month's and category's total.
    """

    __tablename__ = "points_entries"
    __table_args__ = (
        UniqueConstraint("member_id", "activity", "reference"),
        # A member's latest lines, newest first with ties broken by id, read from the
        # index alone (activity and delta are what 积分 shows): it stops after a few,
        # however long the member's ledger.
        Index("ix_points_entries_member_id_created_at_id_delta_activity", "member_id",
              "created_at", "id", "delta", "activity"),
        # Caps read a member's lines by time; the dashboard's weekly points read them
        # from these two indexes alone, by member for a scoped caller, by time for all.
        Index("ix_points_entries_member_id_occurred_at_points", "member_id", "occurred_at",
              "category", "delta"),
        Index("ix_points_entries_dashboard", "occurred_at", "member_id", "category", "delta"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    activity: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(128))
    delta: Mapped[int]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("points_entries.id"))
    rule_version: Mapped[int | None]
    category: Mapped[str | None] = mapped_column(String(16))
    recorded_by: Mapped[str] = mapped_column(String(80), default="system", server_default="system")
    occurred_at: Mapped[datetime]
    occurred_month: Mapped[int]


class PointsBalance(Base):
    """A member's running total: the sum of their ledger lines, kept by the ledger's writer.

    It exists so that a total and a rank cost an index lookup rather than an
    aggregate over the whole ledger. A row appears with a member's first ledger
    line, so "members with points" counts the same members as the ledger does.
    """

    __tablename__ = "points_balances"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    total: Mapped[int]


# Boards read the balances highest first, ties by member: this index is that order, so a
# board is its first rows, however many members tie (no sort of every tied row).
Index("ix_points_balances_board", PointsBalance.total.desc(), PointsBalance.member_id)


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


class PointsPeriodTotal(Base):
    """A member's points in one period by 先锋指数 category, kept by the ledger's writer.

    ``period`` is a year (``2026``), a quarter (``2026Q4``) or a month
    (``2026-11``): every line adds to the three its month belongs to, so the
    index of any period reads one row per member, never the ledger. Lines in
    no category count in none of the columns.
    """

    __tablename__ = "points_period_totals"

    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True, index=True)
    study: Mapped[int] = mapped_column(default=0)
    org_life: Mapped[int] = mapped_column(default=0)
    volunteering: Mapped[int] = mapped_column(default=0)
    pioneering: Mapped[int] = mapped_column(default=0)


class PointsWeekTotal(Base):
    """A member's points in one week, kept by the ledger's writer.

    ``week`` is the Monday the week starts on in the service's time zone (as
    the dashboard's weeks are). ``points`` adds up the member's lines in any
    先锋指数 category that occurred in the week, as the dashboard's weekly trend
    counts them, so that a week's points read one row per member rather than
    every line of the week. Lines in no category count in no week.
    """

    __tablename__ = "points_week_totals"
    # A scoped caller's weeks are its members' rows (the primary key); everyone's are
    # the weeks' whole ranges, read from this index alone.
    __table_args__ = (Index("ix_points_week_totals_dashboard", "week", "member_id", "points"),)

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    week: Mapped[date] = mapped_column(primary_key=True)
    points: Mapped[int] = mapped_column(default=0)


class PointsRuleSet(Base):
    """One version of the whole rules catalogue, as admins saved it; never edited afterwards.

    The newest version is in force. Ledger lines name the version they were
    earned under, so a later edit changes what new lines earn and nothing else.
    """

    __tablename__ = "points_rule_sets"

    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # Any: the catalogue as JSON ({"rules": {...}, "weights": {...}}), read by app.points.catalogue.
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]


class PointsClaim(Base):
    """A deed a member claimed (``申报``), waiting for an organizer's decision.

    ``status`` moves once, from ``pending`` to ``approved`` or ``rejected``, by a
    conditional UPDATE: of two concurrent decisions only one finds it pending.
    ``photos`` are the pictures the member sent right after (WeChat's PicUrl and
    MediaId, or a mini-program upload's URL).
    """

    __tablename__ = "points_claims"
    __table_args__ = (Index("ix_points_claims_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    text: Mapped[str] = mapped_column(String(500))
    category: Mapped[str | None] = mapped_column(String(16))
    # Any: a list of {"url": ..., "media_id": ...} objects.
    photos: Mapped[list[Any]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    occurred_on: Mapped[date]
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(String(200))
    points: Mapped[int | None]
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("points_entries.id"))
