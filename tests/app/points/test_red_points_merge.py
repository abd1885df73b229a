"""One person's two members merged: the 先锋指数 and the claims follow the survivor."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.db import Database
from app.members.merge import merge
from app.models import Member, PointsClaim, RosterEntry
from app.orgs.service import create_org
from app.points import claims
from app.points.pioneer import pioneer_index
from app.points.rules import Activity
from app.points.service import award_by_rule
from tests.support.factories import create_member

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 4, tzinfo=UTC)


def test_a_merge_adds_period_totals_without_counting_a_line_twice(database: Database) -> None:
    with database.unit_of_work() as session:
        org = create_org(session, "第一党支部", NOW)
        account, mini = create_member(session), create_member(session)
        session.add(RosterEntry(name="张甲", phone="13800000001", org_id=org.id,
                                status="正式党员", member_id=account.id, created_at=NOW,
                                updated_at=NOW))
        for member, reference in ((account, "deed:a"), (mini, "deed:b"), (mini, "deed:a")):
            award_by_rule(session, member_id=member.id, activity=Activity.DEED_PIONEER,
                          reference=reference, recorded_by="admin", note="事迹",
                          occurred_at=NOW, zone=ZONE, points=4)
        session.flush()
        session.add(PointsClaim(member_id=mini.id, text="带头值守", photos=[], source="miniprogram",
                                status=claims.PENDING, occurred_on=NOW.date(), created_at=NOW))
        ids = account.id, mini.id
    with database.unit_of_work() as session:
        survivor, loser = (session.get_one(Member, member_id) for member_id in ids)
        merge(session, survivor, loser, NOW, ZONE)
    with database.unit_of_work() as session:
        rows = pioneer_index(session, org_id=None, period="2026Q4", now=NOW).rows
        # deed:a twice is one deed: 4 (account) + 4 (mini's deed:b); its copy is reversed.
        assert [(row.member_id, row.points["先锋作用"]) for row in rows] == [(ids[0], 8)]
        assert pioneer_index(session, org_id=None, period="2026-11",
                             now=NOW).rows[0].points["先锋作用"] == 8
        assert session.scalars(select(PointsClaim.member_id)).all() == [ids[0]]
