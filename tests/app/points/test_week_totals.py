"""The week totals the ledger's writer keeps equal the ledger recounted, whatever wrote it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import Database
from app.events.attendance import award_attendance_points
from app.members.merge import merge
from app.models import Attendance, Member, PointsClaim, PointsEntry, PointsWeekTotal, RosterEntry
from app.orgs.service import create_org
from app.points import claims
from app.points.rules import CATEGORIES, Activity
from app.points.service import award_by_rule, award_once, reverse, withdraw
from tests.support.factories import create_event, create_member
from tests.support.units import run_unit

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 4, tzinfo=UTC)
# Sunday 29 November 23:50 and Monday 30 November 00:10 in Shanghai: two weeks, and
# both still Sunday in UTC.
SUNDAY_NIGHT = datetime(2026, 11, 29, 23, 50, tzinfo=ZONE)
MONDAY_MORNING = datetime(2026, 11, 30, 0, 10, tzinfo=ZONE)
LATER = datetime(2026, 12, 7, tzinfo=UTC)


def kept(session: Session) -> dict[tuple[int, date], int]:
    return {(row.member_id, row.week): row.points
            for row in session.scalars(select(PointsWeekTotal)) if row.points}


def recounted(session: Session) -> dict[tuple[int, date], int]:
    """Each member's lines in a 先锋指数 category, by the Monday of the week they occurred in."""
    weeks: Counter[tuple[int, date]] = Counter()
    for member_id, occurred_at, delta in session.execute(
            select(PointsEntry.member_id, PointsEntry.occurred_at, PointsEntry.delta)
            .where(PointsEntry.category.in_(CATEGORIES))):
        local = occurred_at.astimezone(ZONE).date()
        weeks[member_id, date.fromordinal(local.toordinal() - local.weekday())] += delta
    return {key: points for key, points in weeks.items() if points}


def _members(session: Session) -> dict[str, int]:
    org = create_org(session, "第一党支部", NOW)
    ids = {}
    for number, name in enumerate(("甲", "乙", "丙", "丁")):
        member = create_member(session)
        session.add(RosterEntry(name=name, phone=f"1380000000{number}", org_id=org.id,
                                status="正式党员", member_id=member.id, created_at=NOW,
                                updated_at=NOW))
        ids[name] = member.id
    session.flush()
    return ids


def _awards_and_reversals(session: Session, ids: dict[str, int]) -> None:
    for reference, moment in (("deed:sunday", SUNDAY_NIGHT), ("deed:monday", MONDAY_MORNING)):
        award_by_rule(session, member_id=ids["甲"], activity=Activity.DEED_PIONEER,
                      reference=reference, recorded_by="admin", note="事迹", occurred_at=moment,
                      zone=ZONE, points=6)
    award_by_rule(session, member_id=ids["乙"], activity=Activity.VOLUNTEER_HOURS,
                  reference="hours", recorded_by="admin", note="义务劳动", occurred_at=NOW,
                  zone=ZONE, quantity=3)
    monday = session.scalars(select(PointsEntry.id).where(
        PointsEntry.reference == "deed:monday")).one()
    # Reversed a week later: the reversal counts in the week of the line it cancels.
    reverse(session, monday, "误录", LATER, ZONE)
    # A check-in taken back and given again (its lines are 组织生活).
    award_once(session, ids["丙"], Activity.EVENT_CHECKIN, "event:9", NOW, ZONE)
    withdraw(session, ids["丙"], Activity.EVENT_CHECKIN, "event:9", "撤销签到", NOW, ZONE)
    award_once(session, ids["丙"], Activity.EVENT_CHECKIN, "event:9", MONDAY_MORNING, ZONE)


def _claim_and_meeting(session: Session, ids: dict[str, int]) -> None:
    claim = PointsClaim(member_id=ids["乙"], text="带头值守", photos=[], source="chat",
                        status=claims.PENDING, occurred_on=date(2026, 11, 29), created_at=NOW)
    session.add(claim)
    session.flush()
    claims.approve(session, claim.id, category="先锋作用", points=None, hours=None,
                   reason="属实", by="admin", now=LATER, zone=ZONE)
    meeting = create_event(session, kind="branch_assembly", starts_at=SUNDAY_NIGHT)
    for name, status in (("甲", "present"), ("丁", "absent")):
        session.add(Attendance(event_id=meeting.id, member_id=ids[name], status=status,
                               created_at=NOW))
    session.flush()
    award_attendance_points(session, meeting, ZONE)


def test_week_totals_equal_the_ledger_recounted(database: Database) -> None:
    ids = run_unit(database, _members)
    run_unit(database, lambda session: _awards_and_reversals(session, ids))
    run_unit(database, lambda session: _claim_and_meeting(session, ids))

    totals, ledger = run_unit(database, lambda session: (kept(session), recounted(session)))
    assert totals == ledger
    # Not trivially equal: four members, both weeks, the absence's deduction.
    assert {member for member, _week in ledger} == set(ids.values())
    assert {week for _member, week in ledger} == {date(2026, 11, 16), date(2026, 11, 23),
                                                 date(2026, 11, 30)}
    assert ledger[ids["丁"], date(2026, 11, 23)] < 0
    assert (ids["甲"], date(2026, 11, 30)) not in ledger  # awarded and reversed

    # One person's two members merged: the survivor's weeks hold both.
    def merge_first_two(session: Session) -> None:
        survivor, loser = (session.get_one(Member, ids[name]) for name in ("甲", "丙"))
        merge(session, survivor, loser, NOW, ZONE)

    run_unit(database, merge_first_two)
    totals, ledger = run_unit(database, lambda session: (kept(session), recounted(session)))
    assert totals == ledger
    assert ids["丙"] not in {member for member, _week in totals}
