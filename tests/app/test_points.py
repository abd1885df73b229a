from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.db import Database
from app.models import PointsEntry
from app.points.rules import DEFAULT_RULES, Activity
from app.points.service import award, reverse, total
from tests.support.factories import create_member

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 2026-11-22 10:00 in Shanghai.
MORNING = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def test_award_is_idempotent_by_reference(database: Database) -> None:
    with database.unit_of_work() as session:
        member = create_member(session)
        first = award(session, member.id, Activity.EVENT_CHECKIN, "event:1", MORNING, SHANGHAI)
        again = award(session, member.id, Activity.EVENT_CHECKIN, "event:1", MORNING, SHANGHAI)
        other = award(session, member.id, Activity.EVENT_CHECKIN, "event:2", MORNING, SHANGHAI)
        assert (first, again, other) == (3, 0, 3)
        assert total(session, member.id) == 6
        assert session.scalar(select(func.count()).select_from(PointsEntry)) == 2


def test_daily_cap_resets_at_local_midnight(database: Database) -> None:
    cap = DEFAULT_RULES[Activity.LESSON_READ].daily_cap
    assert cap is not None
    with database.unit_of_work() as session:
        member = create_member(session)
        given = [award(session, member.id, Activity.LESSON_READ, f"lesson:{n}", MORNING, SHANGHAI)
                 for n in range(cap + 2)]
        assert given == [1] * cap + [0, 0]
        # 23:59 local is still the same day; 00:01 the next is not.
        late = MORNING + timedelta(hours=13, minutes=59)
        assert award(session, member.id, Activity.LESSON_READ, "lesson:late", late, SHANGHAI) == 0
        next_day = MORNING + timedelta(hours=14, minutes=1)
        assert award(session, member.id, Activity.LESSON_READ, "lesson:n", next_day, SHANGHAI) == 1


def test_reversal_adds_a_line_and_keeps_the_original(database: Database) -> None:
    with database.unit_of_work() as session:
        member = create_member(session)
        award(session, member.id, Activity.EVENT_CHECKIN, "event:9", MORNING, SHANGHAI)
        entry = session.scalars(select(PointsEntry)).one()
        correction = reverse(session, entry.id, "签到有误", MORNING, SHANGHAI)
        assert correction.delta == -3 and correction.reverses_id == entry.id
        assert total(session, member.id) == 0
        assert session.scalar(select(func.count()).select_from(PointsEntry)) == 2
