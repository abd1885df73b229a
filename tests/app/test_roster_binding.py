"""Binding over signed callbacks: 绑定, 姓名 + 电话, 我的信息, 注销, and the admin's undo."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import Database
from app.main import create_app
from app.models import Member, MiniProgramSession, OutboxMessage, PointsEntry, RosterEntry
from bots import texts
from tests.app.conftest import make_settings
from tests.support.factories import create_event
from tests.support.roster import roster_csv
from tests.support.wechat import Platform, message_xml

ADMIN = "binding-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
PEOPLE = [("张三丰", "13800000001", "机关党委/第一党支部", "正式党员", "", "书记"),
          ("李四", "13800000002", "机关党委/第二党支部", "预备党员", "", "")]


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(database_url, admin_token=ADMIN))) as test_client:
        answer = test_client.post("/api/admin/roster", headers=AUTH,
                                  files={"file": ("r.csv", roster_csv(PEOPLE))})
        assert answer.status_code == 201
        yield test_client


def say(client: TestClient, text: str, openid: str = "o_binder") -> str:
    params, body = Platform().plain(message_xml("text", openid, content=text))
    response = client.post("/wechat", params=params, content=body)
    assert response.status_code == 200
    match = re.search(r"<Content><!\[CDATA\[(.*)\]\]></Content>", response.text, re.DOTALL)
    assert match, response.text
    return match.group(1)


def entries(client: TestClient) -> dict[str, dict[str, object]]:
    items = client.get("/api/admin/roster", headers=AUTH).json()["items"]
    return {item["name"]: item for item in items}


def test_binding_in_chat_shows_in_the_roster_and_the_tree(client: TestClient) -> None:
    reply = say(client, "绑定 张三丰，138 0000 0001")
    assert "绑定成功" in reply and "机关党委/第一党支部" in reply
    assert texts.PRIVACY_NOTICE in reply
    assert entries(client)["张三丰"]["bound"] is True
    tree = client.get("/api/admin/orgs", headers=AUTH).json()
    assert (tree[0]["roster_count"], tree[0]["bound_count"]) == (2, 1)
    assert client.get("/api/admin/roster", headers=AUTH,
                      params={"bound": "true"}).json()["total"] == 1


def test_the_reported_full_width_colon_then_phone_binds(client: TestClient) -> None:
    assert say(client, "姓名：张三丰") == "已登记姓名：张三丰"
    assert say(client, "电话：138 0000 0001").startswith("绑定成功")
    assert entries(client)["张三丰"]["bound"] is True


def test_wrong_guesses_are_refused_alike_then_rate_limited(client: TestClient) -> None:
    assert say(client, "绑定 张三 13800000001") == texts.BIND_NO_MATCH
    assert say(client, "绑定 张三丰 13800000009") == texts.BIND_NO_MATCH
    for _ in range(3):
        say(client, "绑定 王五 13800000005")
    assert say(client, "绑定 张三丰 13800000001") == texts.BIND_TOO_FAST
    assert entries(client)["张三丰"]["bound"] is False


def test_an_entry_bound_elsewhere_is_refused_until_the_admin_undoes_it(
    client: TestClient,
) -> None:
    assert say(client, "绑定 李四 13800000002", "o_first").startswith("绑定成功")
    refused = say(client, "绑定 李四 13800000002", "o_second")
    assert "已绑定其他微信号" in refused
    entry_id = entries(client)["李四"]["id"]
    undone = client.delete(f"/api/admin/roster/{entry_id}/binding", headers=AUTH)
    assert undone.status_code == 200 and undone.json()["bound"] is False
    assert client.delete(f"/api/admin/roster/{entry_id}/binding",
                         headers=AUTH).status_code == 409
    assert say(client, "绑定 李四 13800000002", "o_second").startswith("绑定成功")


def test_my_info_and_the_branch_of_a_bound_member(client: TestClient) -> None:
    say(client, "绑定 李四 13800000002")
    info = say(client, "我的信息")
    assert "138****0002" in info and "机关党委/第二党支部" in info and "预备党员" in info
    assert "以花名册为准" in say(client, "支部 第一党支部")


def test_erasing_keeps_anonymous_totals_only(client: TestClient, database_url: str) -> None:
    say(client, "绑定 张三丰 13800000001")
    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            member = session.scalars(select(Member).where(Member.openid == "o_binder")).one()
            member_id = member.id
            event = create_event(session)
            session.add(PointsEntry(member_id=member_id, activity="event_checkin",
                                    reference="event:1", delta=3, note="",
                                    created_at=member.first_seen_at,
                                    occurred_at=member.first_seen_at, occurred_month=202612))
            session.add(OutboxMessage(dedup_key="reminder:x", kind="event_reminder",
                                      member_id=member_id, payload={"text": "x"},
                                      due_at=event.starts_at, status="pending",
                                      created_at=event.created_at))
            session.add(MiniProgramSession(token_hash="0" * 64, member_id=member_id,
                                           created_at=event.created_at,
                                           expires_at=event.starts_at))
        assert say(client, "注销") == texts.ERASE_ASK
        assert say(client, "确认注销") == texts.ERASE_DONE
        with database.unit_of_work() as session:
            erased = session.get(Member, member_id)
            assert erased is not None
            assert (erased.name, erased.phone, erased.branch, erased.conversation) == (
                None, None, None, None)
            assert erased.openid.startswith("erased:")
            assert session.scalars(select(RosterEntry.member_id)).all() == [None, None]
            assert session.scalars(select(PointsEntry.delta)
                                   .where(PointsEntry.member_id == member_id)).all() == [3]
            assert session.scalars(select(OutboxMessage.status)).all() == ["withdrawn"]
            assert session.scalars(select(MiniProgramSession)).all() == []
    finally:
        database.close()
    # The same WeChat user starts afresh as a new, unbound member.
    assert texts.UNBOUND_INFO_HINT in say(client, "我的信息")
    assert say(client, "绑定 张三丰 13800000001").startswith("绑定成功")
