"""Awarding points: idempotent by reference, capped per day, corrected by reversal lines."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models.points import PointsEntry
from app.points.rules import RULES, Activity



def award(
    session: Session,
    member_id: int,
    activity: Activity,
    reference: str,
    now: datetime,
    zone: ZoneInfo,
) -> int:
    """Record ``activity`` for the member once per ``reference``; return the points given.

    0 when the same reference was already recorded or the day's cap is reached.
    The unique key decides idempotency, so concurrent awards cannot double up.
    """
    rule = RULES[activity]
    delta = rule.points
    if rule.daily_cap is not None:
        day_start = datetime.combine(now.astimezone(zone).date(), time(), zone)
        earned_today = session.scalar(
            select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
                PointsEntry.member_id == member_id,
                PointsEntry.activity == activity.value,
                PointsEntry.created_at >= day_start,
                PointsEntry.created_at < day_start + timedelta(days=1),
            )
        ) or 0
        delta = max(0, min(delta, rule.daily_cap - earned_today))
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
              else sqlite.insert)
    inserted = session.execute(
        insert(PointsEntry)
        .values(member_id=member_id, activity=activity.value, reference=reference,
                delta=delta, note="", created_at=now)
        .on_conflict_do_nothing()
        .returning(PointsEntry.id)
    ).first()
    return delta if inserted is not None else 0


def reverse(session: Session, entry_id: int, reason: str, now: datetime) -> PointsEntry:
    """Cancel a ledger line by adding its opposite; the original stays as it was."""
    original = session.get(PointsEntry, entry_id)
    if original is None:
        raise NotFound(f"no points entry {entry_id}")
    correction = PointsEntry(
        member_id=original.member_id, activity=Activity.CORRECTION.value,
        reference=f"reverse:{entry_id}", delta=-original.delta, note=reason[:200],
        created_at=now, reverses_id=entry_id,
    )
    session.add(correction)
    session.flush()
    return correction


def total(session: Session, member_id: int) -> int:
    return int(session.scalar(
        select(func.coalesce(func.sum(PointsEntry.delta), 0))
        .where(PointsEntry.member_id == member_id)
    ) or 0)
