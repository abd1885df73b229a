"""The console's sensitive-word list applies at once to 请假 reasons and claims (申报), in the
chat and in the mini-program: the member is told in Chinese what is wrong, nothing is
stored, and the organizer's lists never show the text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db import Database
from app.fakewechat import FakeWeChatServer
from app.main import create_app
from app.models import PointsClaim
from tests.app.conftest import make_settings
from tests.app.test_console import csrf_of, sign_in
from tests.support.meetings import ADMIN, AUTH, Party, build_party, say
from tests.support.units import run_unit

WORD = "违禁测试词"


@pytest.fixture(scope="module")
def wechat_server() -> Iterator[FakeWeChatServer]:
    with FakeWeChatServer() as running:
        yield running


@pytest.fixture
def party(database_url: str, database: Database,
          wechat_server: FakeWeChatServer) -> Iterator[Party]:
    """The branch, the mini-program's logins over the fake platform, and a listed word."""
    httpx.post(f"{wechat_server.url}/_fake/reset").raise_for_status()
    settings = make_settings(database_url, admin_token=ADMIN,
                             wechat_api_base=wechat_server.url)
    with TestClient(create_app(settings)) as client:
        found = build_party(client, database)
        console = TestClient(client.app)
        sign_in(console, ADMIN)
        csrf = csrf_of(console.get("/console/sensitive-words").text)
        added = console.post("/console/sensitive-words", data={"csrf": csrf, "words": WORD})
        assert added.status_code == 200 and WORD in added.text
        yield found


def _claims(party: Party) -> int:
    return int(run_unit(party.database,
        lambda session: session.scalar(select(func.count()).select_from(PointsClaim))))


def _status(party: Party, event_id: int, name: str) -> tuple[str, str | None]:
    items = party.client.get(f"/api/admin/events/{event_id}/attendance",
                             headers=AUTH).json()["items"]
    row = next(item for item in items if item["name"] == name)
    return row["status"], row["reason"]


def test_leave_with_a_listed_word_is_refused_in_the_chat(party: Party) -> None:
    meeting = party.meeting(starts_in=timedelta(days=1))
    reply = say(party.client, f"请假 {meeting['id']} 家里有{WORD}", "o_member")
    assert "请假原因包含不宜使用的词语" in reply and "发送" in reply
    assert _status(party, meeting["id"], "王党员") == ("expected", None)
    assert "已请假" in say(party.client, f"请假 {meeting['id']} 出差", "o_member")
    assert _status(party, meeting["id"], "王党员") == ("leave", "出差")


def test_leave_with_a_listed_word_is_refused_in_the_mini_program(party: Party) -> None:
    meeting = party.meeting(starts_in=timedelta(days=1))
    login = party.client.post("/api/mp/login", json={"code": "code-late-binder"})
    member = {"Authorization": f"Bearer {login.json()['token']}"}
    bound = party.client.post("/api/mp/binding", headers=member,
                              json={"name": "赵后绑", "phone": "13900000003"})
    assert bound.status_code == 200, bound.text
    refused = party.client.post(f"/api/mp/events/{meeting['id']}/leave", headers=member,
                                json={"reason": f"{WORD}原因"})
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "reason" and "不宜使用的词语" in error["message"]
    [mine] = party.client.get("/api/mp/meetings", headers=member).json()
    assert (mine["my_status"], mine["leave_reason"]) == ("expected", None)


def test_claims_with_a_listed_word_are_refused_in_the_chat_and_the_mini_program(
        party: Party) -> None:
    reply = say(party.client, f"申报 参加{WORD}活动", "o_member")
    assert "不宜使用的词语" in reply
    assert _claims(party) == 0

    login = party.client.post("/api/mp/login", json={"code": "code-late-binder"})
    member = {"Authorization": f"Bearer {login.json()['token']}"}
    assert party.client.post("/api/mp/binding", headers=member, json={
        "name": "赵后绑", "phone": "13900000003"}).status_code == 200
    refused = party.client.post("/api/mp/points/claims", headers=member,
                                json={"text": f"周末{WORD}"})
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "text" and "申报内容包含不宜使用的词语" in error["message"]
    assert _claims(party) == 0
    accepted = party.client.post("/api/mp/points/claims", headers=member,
                                 json={"text": "周末社区义务清扫"})
    assert accepted.status_code == 201, accepted.text
    assert _claims(party) == 1
