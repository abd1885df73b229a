"""The organizer console over the ASGI app: sign-in, scoping, lists, search, downloads, CSRF."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth.tokens import Role, create_token
from app.console.session import COOKIE
from app.db import Database
from app.events.signups import sign_up
from app.settings import Settings
from tests.app.conftest import make_settings
from tests.support.factories import create_event, create_member
from tests.support.units import run_unit

ADMIN = "console-admin-token-0123456789"
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, admin_token=ADMIN)


@pytest.fixture
def world(database: Database) -> dict[str, object]:
    """Two organizers, one event each; alice's has 2 seats, 3 sign-ups."""

    def work(session: Session) -> dict[str, object]:
        now = datetime.now(UTC)
        tokens = {"alice": create_token(session, Role.ORGANIZER, "alice"),
                  "bob": create_token(session, Role.ORGANIZER, "bob")}
        mine = create_event(session, title="重温入党誓词", organizer="alice", capacity=2,
                            starts_at=now + timedelta(hours=1))
        theirs = create_event(session, title="社区志愿服务", organizer="bob")
        for name in ("张三", "李四", "王五"):
            member = create_member(session, name=name, phone="13800138000")
            sign_up(session, member.id, mine.id, now, ZONE)
        stranger = create_member(session, name="赵六")
        sign_up(session, stranger.id, theirs.id, now, ZONE)
        return {"mine": mine.id, "theirs": theirs.id, **tokens}

    return run_unit(database, work)


def sign_in(client: TestClient, token: str) -> None:
    form = client.get("/console/login").text
    response = client.post("/console/login", data={"token": token, "csrf": csrf_of(form)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert token not in cookie


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_pages_need_a_session(client: TestClient) -> None:
    response = client.get("/console", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login"
    assert "访问令牌" in client.get("/console/login").text


def test_bad_token_is_refused(client: TestClient) -> None:
    form = client.get("/console/login").text
    response = client.post("/console/login", data={"token": "hx_wrong", "csrf": csrf_of(form)})
    assert response.status_code == 401 and "令牌无效" in response.text
    assert COOKIE not in client.cookies


def test_sign_in_form_needs_its_csrf_token(client: TestClient) -> None:
    # A page elsewhere cannot sign a victim's browser into the attacker's session.
    response = client.post("/console/login", data={"token": ADMIN}, follow_redirects=False)
    assert response.status_code == 403 and COOKIE not in client.cookies
    client.get("/console/login")
    forged = client.post("/console/login", data={"token": ADMIN, "csrf": "guess"},
                         follow_redirects=False)
    assert forged.status_code == 403 and COOKIE not in client.cookies


def test_forged_cookie_is_refused(client: TestClient, world: dict[str, object]) -> None:
    client.cookies.set(COOKIE, "eyJoIjoiYWJjIn0.forged.signature", path="/console")
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_organizer_sees_own_events_with_counts_and_never_others(
        client: TestClient, world: dict[str, object]) -> None:
    sign_in(client, str(world["alice"]))
    page = client.get("/console").text
    assert "重温入党誓词" in page and "社区志愿服务" not in page
    assert "已报名 <b>2</b>/2" in page and "候补 <b>1</b>" in page

    event = client.get(f"/console/events/{world['mine']}").text
    assert all(name in event for name in ("张三", "李四", "王五"))
    assert "候补第 1 位" in event
    for path in ("", "/signups.csv", "/signups.xlsx"):
        response = client.get(f"/console/events/{world['theirs']}{path}")
        assert response.status_code == 403
        assert "赵六" not in response.text


def test_admin_sees_everything(client: TestClient, world: dict[str, object]) -> None:
    sign_in(client, ADMIN)
    page = client.get("/console").text
    assert "重温入党誓词" in page and "社区志愿服务" in page
    assert "赵六" in client.get(f"/console/events/{world['theirs']}").text


def test_views_search_and_downloads(client: TestClient, world: dict[str, object]) -> None:
    sign_in(client, str(world["alice"]))
    base = f"/console/events/{world['mine']}"
    waiting = client.get(f"{base}?view=waitlisted").text
    assert "王五" in waiting and "张三" not in waiting
    found = client.get(base, params={"q": "李"}).text
    assert "李四" in found and "张三" not in found
    assert "没有符合条件的报名" in client.get(base, params={"q": "不存在"}).text

    response = client.get(f"{base}/signups.csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["张三", "李四", "王五"]
    only = client.get(f"{base}/signups.csv", params={"view": "waitlisted"})
    assert len(list(csv.reader(io.StringIO(only.content.decode("utf-8-sig"))))) == 2
    assert client.get(f"{base}/signups.xlsx").content.startswith(b"PK")


def test_check_in_needs_the_csrf_token(client: TestClient, world: dict[str, object]) -> None:
    sign_in(client, str(world["alice"]))
    base = f"/console/events/{world['mine']}"
    page = client.get(base).text
    action = re.search(r'action="(/console/events/\d+/signups/\d+/checkin)"', page)
    assert action
    refused = client.post(action.group(1), data={"csrf": "forged"}, follow_redirects=False)
    assert refused.status_code == 403
    done = client.post(action.group(1), data={"csrf": csrf_of(page), "back": "view=all"},
                       follow_redirects=False)
    assert done.status_code == 303
    after = client.get(f"{base}?view=checked_in").text
    assert "已签到" in after and "已签到 <b>1</b>" in after


def test_logout_ends_the_session(client: TestClient, world: dict[str, object]) -> None:
    sign_in(client, str(world["alice"]))
    page = client.get("/console").text
    response = client.post("/console/logout", data={"csrf": csrf_of(page)},
                           follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_pages_carry_protective_headers(client: TestClient, world: dict[str, object]) -> None:
    sign_in(client, str(world["alice"]))
    response = client.get("/console")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert 'name="viewport"' in response.text


def test_revoking_the_token_ends_its_console_sessions(
        client: TestClient, database: Database, world: dict[str, object]) -> None:
    from sqlalchemy import update

    from app.auth.tokens import hash_token
    from app.models import ApiToken

    sign_in(client, str(world["alice"]))
    assert client.get("/console", follow_redirects=False).status_code == 200

    def revoke(session: Session) -> None:
        session.execute(update(ApiToken)
                        .where(ApiToken.token_hash == hash_token(str(world["alice"])))
                        .values(revoked_at=datetime.now(UTC)))

    run_unit(database, revoke)
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_names_and_phones_never_reach_the_log(client: TestClient, world: dict[str, object],
                                              caplog: pytest.LogCaptureFixture) -> None:
    import logging

    with caplog.at_level(logging.DEBUG):
        sign_in(client, str(world["alice"]))
        base = f"/console/events/{world['mine']}"
        page = client.get(base, params={"q": "张"}).text
        client.get(f"{base}/signups.csv")
        client.get(f"{base}/signups.xlsx")
        action = re.search(r'action="(/console/events/\d+/signups/\d+/checkin)"', page)
        assert action
        client.post(action.group(1), data={"csrf": csrf_of(page)})
    logged = caplog.text
    for secret in ("张三", "李四", "13800138000", str(world["alice"])):
        assert secret not in logged


# ---------------------------------------------------------------- the organizer at the door


@pytest.fixture
def door(database: Database) -> dict[str, int | str]:
    """alice's events around now: one on the day with sign-ups, and others before and after."""

    def work(session: Session) -> dict[str, int | str]:
        now = datetime.now(UTC)
        alice = create_token(session, Role.ORGANIZER, "alice")
        today = create_event(session, title="今天的主题党日", organizer="alice", capacity=5,
                             starts_at=now + timedelta(minutes=30))
        ids: dict[str, int | str] = {"today": today.id}
        for key, starts_in, status in (
                ("cancelled_today", timedelta(minutes=10), "cancelled"),
                ("running", timedelta(hours=-1), "scheduled"),
                ("next_week", timedelta(days=7), "scheduled"),
                ("tomorrow", timedelta(days=1), "scheduled"),
                ("last_month", timedelta(days=-30), "scheduled"),
                ("yesterday", timedelta(days=-1), "scheduled"),
                ("cancelled_past", timedelta(days=-2), "cancelled")):
            ids[key] = create_event(session, title=key, organizer="alice", status=status,
                                    starts_at=now + starts_in).id
        for number, name in enumerate(("张三", "李四", "王五"), start=1):
            member = create_member(session, name=name, phone=f"1380013800{number}")
            sign_up(session, member.id, today.id, now, ZONE)
        ids["alice"] = alice
        return ids

    return run_unit(database, work)


def signup_ids(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr id="row-(\d+)"', page)]


def test_events_are_listed_upcoming_soonest_first_then_past_latest_first(
        client: TestClient, door: dict[str, int | str]) -> None:
    sign_in(client, str(door["alice"]))
    page = client.get("/console").text
    upcoming, past = page.split('<section id="past">')
    order = [[int(n) for n in re.findall(r'data-event="(\d+)"', part)]
             for part in (upcoming, past)]
    assert order == [
        [door[k] for k in ("running", "today", "tomorrow", "next_week", "cancelled_today")],
        [door[k] for k in ("yesterday", "last_month", "cancelled_past")],
    ]
    assert "进行中与即将开始" in upcoming and "已结束" in past
    assert page.count("（已取消）") == 2


def test_check_in_and_undo_return_to_the_members_row(
        client: TestClient, door: dict[str, int | str], database: Database) -> None:
    sign_in(client, str(door["alice"]))
    base = f"/console/events/{door['today']}"
    page = client.get(base, params={"q": "李"}).text
    [li] = signup_ids(page)
    done = client.post(f"{base}/signups/{li}/checkin",
                       data={"csrf": csrf_of(page), "view": "all", "q": "李"},
                       follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == f"{base}?view=all&q=%E6%9D%8E#row-{li}"

    page = client.get(base).text
    assert "已签到 <b>1</b>" in page and "撤销签到" in page and "10 分钟内可撤销" in page
    undone = client.post(f"{base}/signups/{li}/undo-checkin",
                         data={"csrf": csrf_of(page), "view": "bogus"}, follow_redirects=False)
    assert undone.status_code == 303
    assert undone.headers["location"] == f"{base}?view=all#row-{li}"
    page = client.get(base).text
    assert "已签到 <b>0</b>" in page and "撤销签到" not in page

    def net_points(session: Session) -> list[int]:
        from sqlalchemy import select

        from app.models import PointsEntry
        return list(session.scalars(select(PointsEntry.delta).order_by(PointsEntry.id)))

    assert run_unit(database, net_points) == [3, -3]


def test_undo_is_gone_after_ten_minutes(client: TestClient, door: dict[str, int | str],
                                        database: Database) -> None:
    from sqlalchemy import update

    from app.models import Signup

    sign_in(client, str(door["alice"]))
    base = f"/console/events/{door['today']}"
    page = client.get(base).text
    first = signup_ids(page)[0]
    client.post(f"{base}/signups/{first}/checkin", data={"csrf": csrf_of(page)})
    run_unit(database, lambda session: session.execute(
        update(Signup).where(Signup.id == first)
        .values(checked_in_at=datetime.now(UTC) - timedelta(minutes=11))))
    page = client.get(base).text
    assert "已签到 <b>1</b>" in page and "撤销签到" not in page
    refused = client.post(f"{base}/signups/{first}/undo-checkin", data={"csrf": csrf_of(page)})
    assert refused.status_code == 409
    assert "不能撤销" in refused.text and f'href="{base}?view=all#row-{first}"' in refused.text
    assert "已签到 <b>1</b>" in client.get(base).text


def test_check_in_is_offered_only_while_it_is_open(
        client: TestClient, door: dict[str, int | str], database: Database) -> None:
    def sign_up_to_others(session: Session) -> dict[str, int]:
        member = create_member(session, name="赵六")
        now = datetime.now(UTC)
        for key in ("tomorrow", "last_month"):
            event_id = int(door[key])
            # Sign-ups close at the start, so the past one is seeded as it was.
            from app.models import Signup
            session.add(Signup(event_id=event_id, member_id=member.id, status="confirmed",
                               created_at=now, confirmed_at=now))
        session.flush()
        return {}

    run_unit(database, sign_up_to_others)
    sign_in(client, str(door["alice"]))
    for key, shown, refusal in (("tomorrow", "起可签到", "签到尚未开放"),
                                ("last_month", "未签到", "活动已结束，签到已关闭")):
        base = f"/console/events/{door[key]}"
        page = client.get(base).text
        assert shown in page and '<button type="submit">签到</button>' not in page
        [row] = signup_ids(page)
        refused = client.post(f"{base}/signups/{row}/checkin", data={"csrf": csrf_of(page)})
        assert refused.status_code == 409 and refusal in refused.text
        assert refused.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("typed", ["13800138002", "138 0013 8002", "138-0013-8002",
                                   "+86 138 0013 8002", "１３８００１３８００２", "8002"])
def test_search_finds_a_phone_however_it_is_typed(
        client: TestClient, door: dict[str, int | str], typed: str) -> None:
    sign_in(client, str(door["alice"]))
    page = client.get(f"/console/events/{door['today']}", params={"q": typed}).text
    assert "李四" in page and "张三" not in page and "王五" not in page
    by_name = client.get(f"/console/events/{door['today']}", params={"q": "王"}).text
    assert "王五" in by_name and "李四" not in by_name


def test_phones_are_tap_to_call(client: TestClient, door: dict[str, int | str]) -> None:
    sign_in(client, str(door["alice"]))
    page = client.get(f"/console/events/{door['today']}").text
    for number in (1, 2, 3):
        assert f'href="tel:1380013800{number}">1380013800{number}</a>' in page


# ---------------------------------------------------------------- errors are Chinese pages


def assert_console_page(response: object, status: int, *words: str) -> None:
    from httpx import Response

    assert isinstance(response, Response)
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert "红心 · 管理后台" in response.text and "错误代码" in response.text
    for word in words:
        assert word in response.text
    assert '"code"' not in response.text


def test_console_errors_are_chinese_pages_and_the_api_stays_json(
        client: TestClient, world: dict[str, object]) -> None:
    sign_in(client, str(world["alice"]))
    assert_console_page(client.get("/console/events/999999"), 404, "页面不存在")
    assert_console_page(client.get("/console/no-such-page"), 404, "页面不存在")
    assert_console_page(client.get(f"/console/events/{world['theirs']}"), 403, "不归您管理")
    assert_console_page(client.get(f"/console/events/{world['theirs']}/signups.csv"), 403)
    assert_console_page(client.get("/console/events/abc"), 422, "活动编号")
    assert_console_page(client.get(f"/console/events/{world['mine']}",
                                   params={"view": "bogus"}), 422, "名单类别")
    assert_console_page(client.get(f"/console/events/{world['mine']}",
                                   params={"q": "x" * 40}), 422, "搜索词")
    assert_console_page(client.get("/console/logout"), 405, "按钮")
    page = client.get(f"/console/events/{world['mine']}").text
    action = re.search(r'action="(/console/events/\d+/signups/\d+/checkin)"', page)
    assert action
    assert_console_page(client.post(action.group(1), data={"csrf": "forged"}), 403, "页面已过期")

    headers = {"Authorization": f"Bearer {ADMIN}"}
    for path, status in (("/api/admin/events/999999", 404), ("/api/admin/events/abc", 422)):
        response = client.get(path, headers=headers)
        assert response.status_code == status
        assert response.headers["content-type"] == "application/json"
        assert response.json()["code"] in ("not_found", "invalid_input")
    # Not signed in is still a redirect to the sign-in page, not an error page.
    client.cookies.clear()
    assert client.get("/console", follow_redirects=False).headers["location"] == "/console/login"


def test_a_server_error_in_the_console_is_a_chinese_page(tmp_path: object) -> None:
    from app.main import create_app

    # A database that cannot be opened: the sign-in's rate-limit count fails.
    settings = make_settings("sqlite:////nonexistent/hongxin/none.db", admin_token=ADMIN)
    with TestClient(create_app(settings), raise_server_exceptions=False) as broken:
        form = broken.get("/console/login").text
        answer = broken.post("/console/login", data={"token": ADMIN, "csrf": csrf_of(form)})
        assert_console_page(answer, 500, "服务器暂时出了问题")
        api = broken.get("/api/admin/events", headers={"Authorization": f"Bearer {ADMIN}"})
        assert api.status_code == 500 and "服务器" not in api.text
