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

from app.auth.tokens import Role, create_token
from app.db import Database
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
    assert points[2:] == [("活动签到", 6, 2, 2), ("学习微党课", 5, 5, 4)]
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
