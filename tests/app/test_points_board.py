"""Ranks and leaderboards read from the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from app.db import Database
from app.main import create_app
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
    """Four members: 甲 9 (branch 一), 乙 6 (一), 丙 6 (二), 丁 no points (二)."""
    ids: dict[str, int] = {}
    with database.unit_of_work() as session:
        for name, branch, checkins in (("甲", "第一党支部", 3), ("乙", "第一党支部", 2),
                                       ("丙", "第二党支部", 2), ("丁", "第二党支部", 0)):
            member = create_member(session, name=name, branch=branch)
            ids[name] = member.id
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
        assert rank(session, ledger["甲"]) == (9, 1, 3)
        assert rank(session, ledger["乙"]) == (6, 2, 3)
        assert rank(session, ledger["丙"]) == (6, 2, 3)
        assert rank(session, ledger["丁"]) == (0, 0, 3)


def test_leaderboards_overall_per_branch_and_between_branches(
    admin: TestClient, ledger: dict[str, int]
) -> None:
    overall = admin.get("/api/admin/points/leaderboard", headers=AUTH).json()
    assert [(row["rank"], row["name"], row["total"]) for row in overall] == [
        (1, "甲", 9), (2, "乙", 6), (2, "丙", 6)]
    second = admin.get("/api/admin/points/leaderboard", headers=AUTH,
                       params={"branch": "第二党支部"}).json()
    assert [(row["rank"], row["name"]) for row in second] == [(1, "丙")]
    branches = admin.get("/api/admin/points/branches", headers=AUTH).json()
    assert [(b["rank"], b["branch"], b["members"], b["total"]) for b in branches] == [
        (1, "第一党支部", 2, 15), (2, "第二党支部", 1, 6)]
    assert "openid" not in str(overall)
    assert admin.get("/api/admin/points/leaderboard").status_code == 401


def test_a_reversal_moves_the_member_down(database: Database, ledger: dict[str, int]) -> None:
    from sqlalchemy import select

    from app.models import PointsEntry

    with database.unit_of_work() as session:
        first = session.scalars(select(PointsEntry).where(
            PointsEntry.member_id == ledger["甲"])).first()
        assert first is not None
        reverse(session, first.id, "重复签到", NOW)
        reverse(session, session.scalars(select(PointsEntry).where(
            PointsEntry.member_id == ledger["甲"], PointsEntry.reference == "event:1")).one().id,
            "重复签到", NOW)
        assert rank(session, ledger["甲"]) == (3, 3, 3)


def test_reversing_twice_adds_one_correction(database: Database, ledger: dict[str, int]) -> None:
    from sqlalchemy import func, select

    from app.models import PointsEntry

    with database.unit_of_work() as session:
        entry = session.scalars(select(PointsEntry).where(
            PointsEntry.member_id == ledger["乙"])).first()
        assert entry is not None
        one = reverse(session, entry.id, "更正", NOW)
        two = reverse(session, entry.id, "更正", NOW)
        assert one.id == two.id
        assert session.scalar(select(func.count()).select_from(PointsEntry).where(
            PointsEntry.reverses_id == entry.id)) == 1
        assert rank(session, ledger["乙"])[0] == 3


def test_upgrading_fills_the_balances_from_an_existing_ledger(
    database: Database, database_url: str, ledger: dict[str, int]
) -> None:
    """Ledgers written before the running totals existed rank the same after the upgrade."""
    from app import migrations

    migrations.downgrade(database_url, "76b72059c6a4")
    migrations.upgrade(database_url)
    with database.unit_of_work() as session:
        assert [rank(session, ledger[name]) for name in "甲乙丙丁"] == [
            (9, 1, 3), (6, 2, 3), (6, 2, 3), (0, 0, 3)]


def test_totals_follow_awards_and_corrections_in_the_same_transaction(
    database: Database, ledger: dict[str, int]
) -> None:
    from sqlalchemy import select

    from app.models import PointsEntry

    with database.unit_of_work() as session:
        award(session, ledger["丁"], Activity.EVENT_CHECKIN, "event:7", NOW, ZONE)
        award(session, ledger["丁"], Activity.EVENT_CHECKIN, "event:7", NOW, ZONE)  # a repeat
        assert rank(session, ledger["丁"]) == (3, 4, 4)
        line = session.scalars(select(PointsEntry).where(
            PointsEntry.member_id == ledger["甲"])).first()
        assert line is not None
        reverse(session, line.id, "误记", NOW)
        reverse(session, line.id, "误记", NOW)  # a repeat
        assert rank(session, ledger["甲"]) == (6, 1, 4)
