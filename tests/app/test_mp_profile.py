"""The mini-program's binding and profile, logged in through the fake platform."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.fakewechat import FakeWeChatServer
from tests.support.miniprogram import logged_in_client

ADMIN = "mp-profile-admin"
PEOPLE = [("张三丰", "13800000001", "机关党委/第一党支部", "正式党员", "", "书记")]


@pytest.fixture(scope="module")
def wechat_server() -> Iterator[FakeWeChatServer]:
    with FakeWeChatServer() as running:
        yield running


@pytest.fixture
def mp(database_url: str, wechat_server: FakeWeChatServer) -> Iterator[TestClient]:
    with logged_in_client(database_url, wechat_server, ADMIN, PEOPLE) as client:
        yield client


def test_binding_then_the_profile_comes_from_the_roster(mp: TestClient) -> None:
    before = mp.get("/api/mp/profile").json()
    assert before["bound"] is False and before["org"] is None
    bound = mp.post("/api/mp/binding", json={"name": "张三丰", "phone": "138 0000 0001"})
    assert bound.status_code == 200, bound.text
    body = bound.json()
    assert (body["bound"], body["org"], body["status"], body["duty"], body["phone"]) == (
        True, "机关党委/第一党支部", "正式党员", "书记", "138****0001")
    assert body.pop("message") is None
    assert mp.get("/api/mp/profile").json() == body
    refused = mp.put("/api/mp/profile", json={"branch": "第二党支部"})
    assert refused.status_code == 409 and "以花名册为准" in refused.json()["message"]
    again = mp.post("/api/mp/binding", json={"name": "张三丰", "phone": "13800000001"})
    assert again.status_code == 200 and "您已绑定花名册" in again.json()["message"]


def test_no_match_is_app_text_without_chat_instructions(mp: TestClient) -> None:
    wrong_name = mp.post("/api/mp/binding", json={"name": "张三", "phone": "13800000001"})
    wrong_phone = mp.post("/api/mp/binding", json={"name": "张三丰", "phone": "13800000009"})
    assert wrong_name.status_code == wrong_phone.status_code == 200
    assert wrong_name.json() == wrong_phone.json()
    assert wrong_name.json()["bound"] is False
    message = wrong_name.json()["message"]
    assert "书记或组织委员" in message and "发送" not in message and "“绑定" not in message
    bad = mp.post("/api/mp/binding", json={"name": "张三3", "phone": "123"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"name", "phone"}
    for _ in range(3):
        mp.post("/api/mp/binding", json={"name": "李四", "phone": "13800000002"})
    limited = mp.post("/api/mp/binding", json={"name": "张三丰", "phone": "13800000001"})
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert mp.get("/api/mp/profile").json()["bound"] is False


def test_unbound_members_edit_their_own_details(mp: TestClient) -> None:
    saved = mp.put("/api/mp/profile", json={"name": "李雷", "phone": "１３９００００００01",
                                            "branch": "第三党支部"})
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert (body["name"], body["phone"], body["branch"], body["bound"]) == (
        "李雷", "139****0001", "第三党支部", False)
    bad = mp.put("/api/mp/profile", json={"phone": "123"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "phone"
    assert mp.get("/api/mp/profile", headers={"Authorization": ""}).status_code == 401
