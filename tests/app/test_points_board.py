"""Ranks and leaderboards read from the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from app.db import Database
from app.main import create_app
from app.models import RosterEntry
from app.orgs.service import create_org
from app.points.rules import Activity
from app.points.service import award, rank, reverse
from tests.app.conftest import make_settings
from tests.support.factories import create_member

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
ADMIN = "points-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN}"}


@pytest.fixture
def ledger(database: Database) -> dict[str, int]:
    """Five members: 甲 9 and 乙 6 bound in 第一党支部, 丙 6 bound in 第二党支部's 党小组,
    丁 bound in 第二党支部 without points, 戊 12 unbound (typed 支部 第一党支部 in chat)."""
    ids: dict[str, int] = {}
    with database.unit_of_work() as session:
        root = create_org(session, "机关党委", NOW)
        first = create_org(session, "第一党支部", NOW, parent_id=root.id)
        second = create_org(session, "第二党支部", NOW, parent_id=root.id)
        group = create_org(session, "第一党小组", NOW, parent_id=second.id)
        ids.update(root=root.id, first=first.id, second=second.id)
        for number, (name, org, checkins) in enumerate((
                ("甲", first, 3), ("乙", first, 2), ("丙", group, 2), ("丁", second, 0),
                ("戊", None, 4))):
            member = create_member(session, name=name, branch="第一党支部")
            ids[name] = member.id
            if org is not None:
                session.add(RosterEntry(name=name, phone=f"1380000000{number}", org_id=org.id,
                                        status="正式党员", member_id=member.id, created_at=NOW,
                                        updated_at=NOW))
            for n in range(checkins):
                award(session, member.id, Activity.EVENT_CHECKIN, f"event:{n}", NOW, ZONE)
    return ids


@pytest.fixture
def admin(database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(database_url, admin_token=ADMIN))) as client:
        yield client


def test_rank_shares_ties_and_counts_ranked_members(
    database: Database, ledger: dict[str, int]
) -> None:
    with database.unit_of_work() as session:
        assert rank(session, ledger["戊"]) == (12, 1, 4)
        assert rank(session, ledger["甲"]) == (9, 2, 4)
        assert rank(session, ledger["乙"]) == (6, 3, 4)
        assert rank(session, ledger["丙"]) == (6, 3, 4)
        assert rank(session, ledger["丁"]) == (0, 0, 4)


def test_member_leaderboards_overall_and_within_an_org_subtree(
    admin: TestClient, ledger: dict[str, int]
) -> None:
    overall = admin.get("/api/admin/points/leaderboard", headers=AUTH).json()
    assert [(row["rank"], row["name"], row["org"], row["total"]) for row in overall] == [
        (1, "戊", None, 12), (2, "甲", "机关党委/第一党支部", 9),
        (3, "乙", "机关党委/第一党支部", 6), (3, "丙", "机关党委/第二党支部/第一党小组", 6)]
    second = admin.get("/api/admin/points/leaderboard", headers=AUTH,
                       params={"org_id": ledger["second"]}).json()
    assert [(row["rank"], row["name"]) for row in second] == [(1, "丙")]
    first = admin.get("/api/admin/points/leaderboard", headers=AUTH,
                      params={"org_id": ledger["first"]}).json()
    assert [row["name"] for row in first] == ["甲", "乙"]
    assert "openid" not in str(overall)
    assert admin.get("/api/admin/points/leaderboard").status_code == 401
    assert admin.get("/api/admin/points/leaderboard", headers=AUTH,
                     params={"org_id": 999999}).status_code == 404


def test_branches_count_bound_members_by_roster_org_never_the_typed_branch(
    admin: TestClient, ledger: dict[str, int]
) -> None:
    branches = admin.get("/api/admin/points/branches", headers=AUTH).json()
    assert [(b["rank"], b["org"], b["members"], b["total"], b["average"]) for b in branches] == [
        (1, "机关党委/第一党支部", 2, 15, 7.5), (2, "机关党委/第二党支部", 2, 6, 3.0)]
    children = admin.get("/api/admin/points/branches", headers=AUTH,
                         params={"parent_id": ledger["second"]}).json()
    assert [(b["name"], b["members"], b["total"]) for b in children] == [("第一党小组", 1, 6)]
    roots = admin.get("/api/admin/points/branches", headers=AUTH,
                      params={"parent_id": ledger["root"]}).json()
    assert {b["name"] for b in roots} == {"第一党支部", "第二党支部"}


def test_a_reversal_moves_the_member_down(database: Database, ledger: dict[str, int]) -> None:
    from sqlalchemy import select

    from app.models import PointsEntry

    with database.unit_of_work() as session:
        first = session.scalars(select(PointsEntry).where(
            PointsEntry.member_id == ledger["甲"])).first()
        assert first is not None
        reverse(session, first.id, "重复签到", NOW, ZONE)
        reverse(session, session.scalars(select(PointsEntry).where(
            PointsEntry.member_id == ledger["甲"], PointsEntry.reference == "event:1")).one().id,
            "重复签到", NOW, ZONE)
        assert rank(session, ledger["甲"]) == (3, 4, 4)


def test_reversing_twice_adds_one_correction(database: Database, ledger: dict[str, int]) -> None:
    from sqlalchemy import func, select

    from app.models import PointsEntry

    with database.unit_of_work() as session:
        entry = session.scalars(select(PointsEntry).where(
            PointsEntry.member_id == ledger["乙"])).first()
        assert entry is not None
        one = reverse(session, entry.id, "更正", NOW, ZONE)
        two = reverse(session, entry.id, "更正", NOW, ZONE)
        assert one.id == two.id
        assert session.scalar(select(func.count()).select_from(PointsEntry).where(
            PointsEntry.reverses_id == entry.id)) == 1
        assert rank(session, ledger["乙"])[0] == 3
        assert rank(session, ledger["乙"])[1] == 4
