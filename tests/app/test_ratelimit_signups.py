"""Sign-ups and cancels per member: ten a minute over the chat and the mini-program together."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Database
from app.errors import TooManyRequests
from app.events import miniprogram
from app.events.signups import SIGNUP_ACTIONS
from app.fakewechat import FakeWeChatServer, fake_openid
from app.main import create_app
from app.models import Event, Member, OutboxMessage, Signup
from bots import texts
from tests.app.conftest import make_settings
from tests.support.factories import create_event, create_member
from tests.support.units import run_unit
from tests.support.wechat import Platform, message_xml

ZONE = ZoneInfo("Asia/Shanghai")
LIMIT = SIGNUP_ACTIONS.max_hits


@pytest.fixture(scope="module")
def wechat_server() -> Iterator[FakeWeChatServer]:
    with FakeWeChatServer() as running:
        yield running


@pytest.fixture
def both(database_url: str, wechat_server: FakeWeChatServer) -> Iterator[TestClient]:
    """One app answering the mini-program API and the /wechat callback."""
    httpx.post(f"{wechat_server.url}/_fake/reset").raise_for_status()
    with TestClient(create_app(make_settings(database_url,
                                             wechat_api_base=wechat_server.url))) as client:
        yield client


def login(client: TestClient, code: str) -> dict[str, str]:
    response = client.post("/api/mp/login", json={"code": code})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def say(client: TestClient, openid: str, text: str) -> str:
    response = client.post("/wechat", params=Platform().params(),
                           content=message_xml("text", openid, content=text).encode())
    assert response.status_code == 200
    found = re.search(r"<Content><!\[CDATA\[(.*)\]\]></Content>", response.text, re.DOTALL)
    assert found, response.text[:200]
    return found.group(1)


def new_event(database: Database) -> int:
    return run_unit(database, lambda session: create_event(session, capacity=1).id)


def state(database: Database, event_id: int) -> tuple[int, int, int]:
    """Seats taken, live sign-ups and outbox rows: what a refused action must not touch."""

    def read(session: Session) -> tuple[int, int, int]:
        event = session.get(Event, event_id)
        assert event is not None
        live = session.scalar(select(func.count()).select_from(Signup).where(
            Signup.event_id == event_id, Signup.status != "cancelled")) or 0
        queued = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
        return event.seats_taken, int(live), int(queued)

    return run_unit(database, read)


def test_the_eleventh_action_in_a_minute_is_refused_and_changes_nothing(
        both: TestClient, database: Database) -> None:
    member, other = login(both, "code-busy"), login(both, "code-calm")
    event_id = new_event(database)
    url = f"/api/mp/events/{event_id}/signup"
    for n in range(LIMIT):
        method = "POST" if n % 2 == 0 else "DELETE"
        response = both.request(method, url, headers=member)
        assert response.status_code in (200, 201), response.text
    before = state(database, event_id)
    assert before[:2] == (0, 0)

    refused = both.post(url, headers=member)
    assert refused.status_code == 429
    assert refused.json() == {"code": "rate_limited", "message": texts.SIGNUP_TOO_FAST}
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert both.delete(url, headers=member).status_code == 429
    assert state(database, event_id) == before

    # Another member is not held back, and reading is not limited.
    assert both.post(url, headers=other).status_code == 201
    assert both.get("/api/mp/events", headers=member).status_code == 200


def test_chat_and_mini_program_share_the_count(both: TestClient, database: Database) -> None:
    headers, openid = login(both, "code-both"), fake_openid("code-both")
    event_id = new_event(database)
    url = f"/api/mp/events/{event_id}/signup"
    for n in range(LIMIT):
        if n % 2 == 0:
            assert "报名成功" in say(both, openid, f"报名 {event_id}")
        else:
            assert both.delete(url, headers=headers).status_code == 200
    before = state(database, event_id)

    assert say(both, openid, f"报名 {event_id}") == texts.SIGNUP_TOO_FAST
    assert say(both, openid, f"取消报名 {event_id}") == texts.SIGNUP_TOO_FAST
    assert both.post(url, headers=headers).status_code == 429
    assert state(database, event_id) == before
    assert "报名成功" in say(both, "o_someone_else", f"报名 {event_id}")


def test_chat_refuses_politely_and_keeps_the_seat(both: TestClient, database: Database) -> None:
    event_id = new_event(database)
    commands = [f"报名 {event_id}", f"取消报名 {event_id}"]
    replies = [say(both, "o_chat_busy", commands[n % 2]) for n in range(LIMIT - 1)]
    assert "报名成功" in replies[-1]
    # Asking again counts too: the tenth action.
    assert "无需重复报名" in say(both, "o_chat_busy", f"报名 {event_id}")
    before = state(database, event_id)
    assert before[:2] == (1, 1)

    assert say(both, "o_chat_busy", f"取消报名 {event_id}") == texts.SIGNUP_TOO_FAST
    assert state(database, event_id) == before
    assert "已报名" in say(both, "o_chat_busy", "我的报名")


def test_actions_are_accepted_again_once_the_window_has_passed(database: Database) -> None:
    now = datetime.now(UTC)
    member_id, event_id = run_unit(database,
        lambda s: (create_member(s).id, create_event(s, capacity=3).id))

    def act(n: int, at: datetime) -> str:
        def work(session: Session) -> str:
            member = session.get(Member, member_id)
            assert member is not None
            if n % 2 == 0:
                return miniprogram.sign_up(session, member, event_id, at, ZONE).outcome
            return miniprogram.cancel(session, member_id, event_id, at, ZONE).outcome
        return run_unit(database, work)

    assert [act(n, now + timedelta(seconds=n)) for n in range(LIMIT)] \
        == ["confirmed", "cancelled"] * (LIMIT // 2)
    with pytest.raises(TooManyRequests) as refused:
        act(0, now + timedelta(seconds=59))
    assert refused.value.headers == {"Retry-After": "1"}
    assert act(0, now + SIGNUP_ACTIONS.window) == "confirmed"
