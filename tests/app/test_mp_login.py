"""Mini-program login against the fake WeChat platform over real HTTP."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import Database
from app.fakewechat import FakeWeChatServer, fake_openid
from app.main import create_app
from app.miniprogram.deps import CurrentMember
from app.models import Member, MiniProgramSession
from tests.app.conftest import make_settings
from tests.support.factories import create_member


@pytest.fixture(scope="module")
def wechat_server() -> Iterator[FakeWeChatServer]:
    with FakeWeChatServer() as running:
        yield running


@pytest.fixture
def mp_client(database_url: str, wechat_server: FakeWeChatServer) -> Iterator[TestClient]:
    httpx.post(f"{wechat_server.url}/_fake/reset").raise_for_status()
    app = create_app(make_settings(database_url, wechat_api_base=wechat_server.url))

    @app.get("/api/mp/_whoami")
    def whoami(member: CurrentMember) -> dict[str, object]:
        return {"id": member.id, "openid": member.openid}

    with TestClient(app) as client:
        yield client


def login(client: TestClient, code: str) -> str:
    answer = client.post("/api/mp/login", json={"code": code})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["token"]
    return token


def test_login_creates_the_member_and_stores_only_a_hash(
    mp_client: TestClient, database_url: str
) -> None:
    token = login(mp_client, "code-one")
    me = mp_client.get("/api/mp/_whoami", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["openid"] == fake_openid("code-one")
    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            stored = session.scalars(select(MiniProgramSession)).one()
            assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
            assert token not in stored.token_hash
            member = session.get(Member, stored.member_id)
            assert member is not None and member.openid == fake_openid("code-one")
    finally:
        database.close()


def test_login_links_an_existing_member_by_openid(
    mp_client: TestClient, database_url: str
) -> None:
    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            existing = create_member(session, openid=fake_openid("code-b"))
            existing_id = existing.id
        token = login(mp_client, "code-b")
        me = mp_client.get("/api/mp/_whoami", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["id"] == existing_id
        with database.unit_of_work() as session:
            assert len(session.scalars(select(Member)).all()) == 1
    finally:
        database.close()


def test_used_code_and_missing_token_are_refused(mp_client: TestClient) -> None:
    login(mp_client, "code-once")
    again = mp_client.post("/api/mp/login", json={"code": "code-once"})
    assert again.status_code == 401
    assert again.json()["code"] == "unauthorized"
    assert mp_client.get("/api/mp/_whoami").status_code == 401
    wrong = {"Authorization": "Bearer not-a-token"}
    assert mp_client.get("/api/mp/_whoami", headers=wrong).status_code == 401
    assert mp_client.post("/api/mp/login", json={}).status_code == 422
