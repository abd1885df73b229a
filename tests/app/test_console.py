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

    return database.run_sync(work)


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

    database.run_sync(revoke)
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
