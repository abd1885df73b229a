"""The dashboard: each figure for the signed-in scope and period, and its XLSX export.

The world is tests/support/activity.py: a 党委 with two branches, worked-out numbers.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.tokens import Role, create_token
from app.db import Database
from app.models import PointsEntry
from app.points.rules import Activity
from app.points.service import award_by_rule, reverse
from app.settings import Settings
from tests.app.conftest import make_settings
from tests.app.test_console import sign_in
from tests.support.activity import EXPECTED, ZONE, World, populate
from tests.support.units import run_unit

ADMIN = "dashboard-admin-token-0123456789"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, admin_token=ADMIN)


@pytest.fixture
def world(database: Database) -> World:
    return run_unit(database, lambda session: populate(session, datetime.now(UTC)))


def period() -> dict[str, str]:
    today = datetime.now(UTC).astimezone(ZONE).date()
    return {"start": (today - timedelta(days=13)).isoformat(), "end": today.isoformat()}


def kpis(page: str) -> dict[str, float]:
    block = re.search(r'<div class="counts" id="kpis">(.*?)</div>', page, re.S)
    assert block, page[:1000]
    return {name: float(value) for name, value in
            re.findall(r'<span class="count">(.*?) <b>([\d.]+)</b></span>', block.group(1))}


def workbook_rows(content: bytes) -> list[tuple[object, ...]]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_the_whole_organisation_in_figures(client: TestClient, world: World) -> None:
    sign_in(client, ADMIN)
    page = client.get("/console/dashboard", params=period())
    assert page.status_code == 200, page.text[:500]
    assert kpis(page.text) == EXPECTED["everything"]
    # Each chart's data travels beside it as JSON, never as inline script.
    assert page.text.count('type="application/json" id="chart-') == 4
    assert "echarts.common.min.js?v=" in page.text

    branches = workbook_rows(client.get("/console/dashboard/branches.xlsx",
                                        params=period()).content)
    assert branches[0][0].startswith("支部排名（全部组织，")  # type: ignore[union-attr]
    assert branches[1] == ("支部", "绑定党员", "学习人次", "答题人数", "签到人次", "积分",
                           "人均积分", "名次")
    # 第二党支部: 1 bound member with 4 points; 第一党支部: 2 with 6 (3 each).
    assert branches[2:] == [("机关党委/第二党支部", 1, 1, 1, 1, 4, 4, 1),
                            ("机关党委/第一党支部", 2, 3, 1, 1, 6, 3, 2)]


def test_every_export_holds_the_figures_the_page_shows(client: TestClient, world: World) -> None:
    sign_in(client, ADMIN)
    overview = workbook_rows(client.get("/console/dashboard/overview.xlsx",
                                        params=period()).content)
    assert {name: float(value) for name, value in overview[2:]} == EXPECTED["everything"]  # type: ignore[arg-type]

    weekly = workbook_rows(client.get("/console/dashboard/weekly.xlsx", params=period()).content)
    assert weekly[1][:4] == ("周（周一）", "学习人次", "答题人数", "答题数")
    weeks = weekly[2:]
    assert len(weeks) in (2, 3)  # fourteen days touch two or three Monday-weeks
    assert sum(int(week[1]) for week in weeks) == 5  # type: ignore[call-overload]
    assert int(weeks[-1][1]) == 4 and int(weeks[-1][3]) == 6  # type: ignore[call-overload]
    assert sum(int(week[6]) for week in weeks) == 11  # type: ignore[call-overload]

    events = workbook_rows(client.get("/console/dashboard/events.xlsx", params=period()).content)
    assert events[2:] == [("活动", 1, 2, 1, 50), ("支部党员大会", 1, 1, 1, 100)]
    points = workbook_rows(client.get("/console/dashboard/points.xlsx", params=period()).content)
    # By 先锋指数 category: the check-ins are 组织生活, the reads 学习.
    assert points[1:] == [("类别", "积分", "人数"), ("组织生活", 6, 2), ("学习", 5, 4)]
    response = client.get("/console/dashboard/points.xlsx", params=period())
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"


def test_a_branch_sees_its_own_figures_only(client: TestClient, database: Database,
                                            world: World) -> None:
    token = run_unit(database, lambda session: create_token(
        session, Role.ORGANIZER, "一支部书记", world.first))
    sign_in(client, token)
    page = client.get("/console/dashboard", params=period()).text
    assert kpis(page) == EXPECTED["first"]
    assert "第二党支部" not in page
    branches = workbook_rows(client.get("/console/dashboard/branches.xlsx",
                                        params=period()).content)
    assert branches[0][0].startswith("支部排名（机关党委/第一党支部，")  # type: ignore[union-attr]
    assert [row[0] for row in branches[2:]] == ["机关党委/第一党支部"]


def test_a_period_without_activity_is_empty_not_an_error(client: TestClient,
                                                         world: World) -> None:
    sign_in(client, ADMIN)
    page = client.get("/console/dashboard", params={"start": "2020-01-01", "end": "2020-03-31"})
    assert page.status_code == 200
    assert kpis(page.text)["学习人次"] == 0
    assert "这个时段没有数据" in page.text
    weekly = workbook_rows(client.get("/console/dashboard/weekly.xlsx",
                                      params={"start": "2020-01-01", "end": "2020-03-31"}).content)
    assert len(weekly[2:]) == 14 and all(row[1] == 0 for row in weekly[2:])


def test_bad_periods_are_chinese_sentences(client: TestClient, world: World) -> None:
    sign_in(client, ADMIN)
    backwards = client.get("/console/dashboard", params={"start": "2026-05-01",
                                                         "end": "2026-04-01"})
    assert backwards.status_code == 409 and "结束日期不能早于开始日期" in backwards.text
    too_long = client.get("/console/dashboard", params={"start": "2024-01-01",
                                                        "end": "2026-04-01"})
    assert too_long.status_code == 409 and "最长一年" in too_long.text
    garbled = client.get("/console/dashboard", params={"start": "昨天"})
    assert garbled.status_code == 422 and "开始日期" in garbled.text
    unknown = client.get("/console/dashboard/nothing.xlsx")
    assert unknown.status_code == 409 and "没有这项统计" in unknown.text


def test_the_default_period_is_this_quarter(client: TestClient, world: World) -> None:
    sign_in(client, ADMIN)
    page = client.get("/console/dashboard").text
    today = datetime.now(UTC).astimezone(ZONE).date()
    quarter = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
    assert f'name="start" value="{quarter.isoformat()}"' in page
    assert f'name="end" value="{today.isoformat()}"' in page


def _deed(session: Session, member_id: int, reference: str, occurred: datetime,
          recorded: datetime | None = None) -> int:
    """A 先锋作用 deed (10 points) that occurred at ``occurred``; the ledger line's id."""
    award_by_rule(session, member_id=member_id, activity=Activity.DEED_PIONEER,
                  reference=reference, recorded_by="test", note="", occurred_at=occurred,
                  zone=ZONE, recorded_at=recorded)
    return session.scalars(select(PointsEntry.id).where(PointsEntry.reference == reference)).one()


def _spring_deeds(session: Session, world: World) -> None:
    """Deeds around the second quarter of 2025, in Shanghai time: the quarter holds
    A1's first three (30), minus the reversed third (20), and B1's (10)."""
    a1, b1 = world.members["A1"], world.members["B1"]
    _deed(session, a1, "march", datetime(2025, 3, 30, 12, 0, tzinfo=ZONE))
    # Still 31 March in UTC, already April in Shanghai.
    _deed(session, a1, "april", datetime(2025, 4, 1, 0, 10, tzinfo=ZONE))
    # Done in May, entered in July: counts in May.
    _deed(session, a1, "may", datetime(2025, 5, 15, 9, 0, tzinfo=ZONE),
          recorded=datetime(2025, 7, 5, 9, 0, tzinfo=ZONE))
    reverse(session, _deed(session, a1, "june", datetime(2025, 6, 30, 23, 50, tzinfo=ZONE)),
            "重复录入", datetime(2025, 7, 2, tzinfo=ZONE), ZONE)
    _deed(session, b1, "june-b", datetime(2025, 6, 10, 9, 0, tzinfo=ZONE))
    _deed(session, b1, "july", datetime(2025, 7, 1, 0, 5, tzinfo=ZONE))


def _points_figures(client: TestClient, start: str, end: str) -> tuple[object, ...]:
    """The points figure's rows, each branch's points and the overview's total."""
    dates = {"start": start, "end": end}
    points = workbook_rows(client.get("/console/dashboard/points.xlsx", params=dates).content)
    ranking = workbook_rows(client.get("/console/dashboard/branches.xlsx", params=dates).content)
    page = client.get("/console/dashboard", params=dates).text
    return (points[2:], [(row[0], row[5]) for row in ranking[2:]], kpis(page)["发放积分"])


def test_points_of_whole_months_and_of_any_days_agree(client: TestClient, database: Database,
                                                      world: World) -> None:
    run_unit(database, lambda session: _spring_deeds(session, world))
    sign_in(client, ADMIN)

    def figures(start: str, end: str) -> tuple[object, ...]:
        return _points_figures(client, start, end)

    # A quarter reads the period totals; a day more, with no deed on it, the ledger too.
    quarter = figures("2025-04-01", "2025-06-30")
    assert quarter == ([("先锋作用", 30, 2)],
                       [("机关党委/第一党支部", 20), ("机关党委/第二党支部", 10)], 30)
    assert figures("2025-03-31", "2025-06-30") == quarter
    # Ending mid-June, before a deed later in June: the ledger, without that deed.
    assert figures("2025-04-01", "2025-06-20") == quarter
    assert figures("2025-04-01", "2025-06-05") == ([("先锋作用", 20, 1)],
                                                  [("机关党委/第一党支部", 20),
                                                   ("机关党委/第二党支部", 0)], 20)
    # A month, and the same from the day before (a deed and its reversal, adding up to 0).
    july = figures("2025-07-01", "2025-07-31")
    assert july == ([("先锋作用", 10, 1)],
                    [("机关党委/第二党支部", 10), ("机关党委/第一党支部", 0)], 10)
    assert figures("2025-06-30", "2025-07-31") == july
    # Half of May from the ledger (the deed entered in July), June from the totals.
    assert figures("2025-05-15", "2025-06-30") == ([("先锋作用", 20, 2)],
                                                  [("机关党委/第二党支部", 10),
                                                   ("机关党委/第一党支部", 10)], 20)
    # Inside one month, not from its first day: the ledger alone.
    assert figures("2025-06-10", "2025-06-30") == ([("先锋作用", 10, 1)],
                                                  [("机关党委/第二党支部", 10),
                                                   ("机关党委/第一党支部", 0)], 10)


def _spring_deeds_seen_by(client: TestClient, database: Database, world: World,
                          branch: int) -> None:
    """The spring deeds, and ``client`` signed in as an organizer of ``branch``."""
    run_unit(database, lambda session: _spring_deeds(session, world))
    token = run_unit(database, lambda session: create_token(
        session, Role.ORGANIZER, f"支部{branch}书记", branch))
    sign_in(client, token)


def test_a_branch_reads_its_own_members_points_from_either_source(
        client: TestClient, database: Database, world: World) -> None:
    _spring_deeds_seen_by(client, database, world, world.first)
    quarter = _points_figures(client, "2025-04-01", "2025-06-30")
    assert quarter == ([("先锋作用", 20, 1)], [("机关党委/第一党支部", 20)], 20)
    assert _points_figures(client, "2025-03-31", "2025-06-30") == quarter


def _weekly_points(client: TestClient, start: str, end: str) -> list[tuple[object, object]]:
    """(week, points) of the weekly figure's rows."""
    weekly = workbook_rows(client.get("/console/dashboard/weekly.xlsx",
                                      params={"start": start, "end": end}).content)
    return [(row[0], row[6]) for row in weekly[2:]]


def test_weekly_points_of_whole_weeks_and_of_any_days_agree(
        client: TestClient, database: Database, world: World) -> None:
    run_unit(database, lambda session: _spring_deeds(session, world))
    sign_in(client, ADMIN)
    # Whole weeks read the week totals, a week the period cuts the ledger.
    assert _weekly_points(client, "2025-03-24", "2025-04-06") == [("03-24", 10), ("03-31", 10)]
    assert _weekly_points(client, "2025-03-30", "2025-04-01") == [("03-24", 10), ("03-31", 10)]
    assert _weekly_points(client, "2025-03-25", "2025-03-29") == [("03-24", 0)]
    assert _weekly_points(client, "2025-04-02", "2025-04-06") == [("03-31", 0)]
    # The week of 30 June: A1's deed and its reversal, and B1's deed on 1 July. Ending on
    # the Tuesday, with nothing later in the week: the week's total; ending on the
    # Monday, before B1's deed: the ledger, without it.
    assert _weekly_points(client, "2025-06-30", "2025-07-06") == [("06-30", 10)]
    assert _weekly_points(client, "2025-06-30", "2025-07-01") == [("06-30", 10)]
    assert _weekly_points(client, "2025-06-30", "2025-06-30") == [("06-30", 0)]
    # Done in May, entered in July: in May's week.
    assert _weekly_points(client, "2025-05-12", "2025-05-18") == [("05-12", 10)]


def test_a_branch_reads_its_own_members_weekly_points(
        client: TestClient, database: Database, world: World) -> None:
    _spring_deeds_seen_by(client, database, world, world.second)
    assert _weekly_points(client, "2025-06-09", "2025-07-06") == [
        ("06-09", 10), ("06-16", 0), ("06-23", 0), ("06-30", 10)]
    assert _weekly_points(client, "2025-03-24", "2025-04-06") == [("03-24", 0), ("03-31", 0)]


def _deeds_just_outside(session: Session, world: World) -> None:
    """The spring deeds, and B1's deeds on days just outside the periods below: the first
    of March, the Monday of 24 March, the last of June and the Sunday of 6 July."""
    _spring_deeds(session, world)
    b1 = world.members["B1"]
    for reference, day in (("march-first", datetime(2025, 3, 1, 9, 0, tzinfo=ZONE)),
                           ("monday", datetime(2025, 3, 24, 9, 0, tzinfo=ZONE)),
                           ("june-last", datetime(2025, 6, 30, 9, 0, tzinfo=ZONE)),
                           ("sunday", datetime(2025, 7, 6, 9, 0, tzinfo=ZONE))):
        _deed(session, b1, reference, day)


def test_a_cut_month_or_week_read_as_its_total_less_the_days_outside_agrees(
        client: TestClient, database: Database, world: World) -> None:
    run_unit(database, lambda session: _deeds_just_outside(session, world))
    sign_in(client, ADMIN)
    first, second = "机关党委/第一党支部", "机关党委/第二党支部"
    # From 2 March: March's total less 1 March; to 29 June: June's less 30 June.
    assert _points_figures(client, "2025-03-02", "2025-06-29") == (
        [("先锋作用", 50, 2)], [(second, 20), (first, 30)], 50)
    assert _points_figures(client, "2025-03-01", "2025-06-30") == (
        [("先锋作用", 70, 2)], [(second, 40), (first, 30)], 70)
    # The Tuesday to the Saturday: each week's total less its day outside.
    assert _weekly_points(client, "2025-03-25", "2025-04-05") == [("03-24", 10), ("03-31", 10)]
    assert _weekly_points(client, "2025-03-24", "2025-04-06") == [("03-24", 20), ("03-31", 10)]
    assert _weekly_points(client, "2025-06-24", "2025-07-05") == [("06-23", 0), ("06-30", 20)]
    assert _weekly_points(client, "2025-06-23", "2025-07-06") == [("06-23", 0), ("06-30", 30)]


def test_a_branch_reads_a_cut_week_as_its_own_members_total_less_the_days_outside(
        client: TestClient, database: Database, world: World) -> None:
    run_unit(database, lambda session: _deeds_just_outside(session, world))
    token = run_unit(database, lambda session: create_token(
        session, Role.ORGANIZER, "支部书记", world.second))
    sign_in(client, token)
    assert _weekly_points(client, "2025-03-25", "2025-04-05") == [("03-24", 0), ("03-31", 0)]
    assert _weekly_points(client, "2025-03-24", "2025-04-06") == [("03-24", 10), ("03-31", 0)]
    assert _points_figures(client, "2025-03-02", "2025-06-29") == (
        [("先锋作用", 20, 1)], [("机关党委/第二党支部", 20)], 20)


def _weekly_quiz(client: TestClient, start: str, end: str) -> list[tuple[object, ...]]:
    """(week, takers, answers, accuracy) of the weekly figure's rows."""
    weekly = workbook_rows(client.get("/console/dashboard/weekly.xlsx",
                                      params={"start": start, "end": end}).content)
    return [(row[0], row[2], row[3], row[4]) for row in weekly[2:]]


def test_weekly_quiz_figures_of_whole_weeks_and_of_cut_weeks_agree(
        client: TestClient, world: World) -> None:
    sign_in(client, ADMIN)
    today = datetime.now(UTC).astimezone(ZONE).date()
    monday = today - timedelta(days=today.weekday())
    # The answers were given this week, minutes ago: 3 takers, 6 answers, 3 right.
    this_week = [(f"{monday:%m-%d}", 3, 6, 50.0)]
    # Up to today with nothing later: the week's totals; from today, when it is not
    # the Monday: the answers themselves.
    assert _weekly_quiz(client, monday.isoformat(), today.isoformat()) == this_week
    assert _weekly_quiz(client, today.isoformat(), today.isoformat()) == this_week
    if today > monday:
        # Ending yesterday, before the answers given later in the week: none of them.
        yesterday = (today - timedelta(days=1)).isoformat()
        assert _weekly_quiz(client, monday.isoformat(), yesterday) == [
            (f"{monday:%m-%d}", 0, 0, 0.0)]
