"""Claims from the mini-program, logged in through the fake platform."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.fakewechat import FakeWeChatServer
from tests.support.miniprogram import logged_in_client
from tests.support.red_points import ADMIN, PEOPLE


@pytest.fixture(scope="module")
def wechat_server() -> Iterator[FakeWeChatServer]:
    with FakeWeChatServer() as running:
        yield running


@pytest.fixture
def mp(database_url: str, wechat_server: FakeWeChatServer) -> Iterator[TestClient]:
    with logged_in_client(database_url, wechat_server, ADMIN, PEOPLE) as client:
        yield client


def test_a_bound_member_claims_and_follows_the_outcome(mp: TestClient) -> None:
    unbound = mp.post("/api/mp/points/claims", json={"text": "参加义务献血"})
    assert unbound.status_code == 422 and unbound.json()["errors"][0]["field"] == "member"
    assert "绑定" in unbound.json()["message"]
    assert mp.post("/api/mp/binding", json={"name": "张甲", "phone": "13800000001"}).json()[
        "bound"] is True

    empty = mp.post("/api/mp/points/claims", json={"text": "   "})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "text"
    assert "不能为空" in empty.json()["message"]
    odd = mp.post("/api/mp/points/claims", json={"text": "参加义务献血", "category": "旅游"})
    assert odd.status_code == 422 and odd.json()["errors"][0]["field"] == "category"
    assert mp.get("/api/mp/points/claims").json() == []

    created = mp.post("/api/mp/points/claims",
                      json={"text": "参加义务献血", "category": "志愿服务"})
    assert created.status_code == 201, created.text
    assert (created.json()["status"], created.json()["source"]) == ("pending", "miniprogram")
    claim_id = created.json()["id"]
    decided = mp.post(f"/api/admin/points/claims/{claim_id}/approve",
                      headers={"Authorization": f"Bearer {ADMIN}"}, json={})
    assert decided.status_code == 200, decided.text
    mine = mp.get("/api/mp/points/claims").json()
    assert [(c["id"], c["status"], c["category"], c["points"]) for c in mine] == [
        (claim_id, "approved", "志愿服务", 5)]
