"""Events, sign-up and cancel from the mini-program, logged in through the fake platform."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import Database
from app.fakewechat import FakeWeChatServer
from app.main import create_app
from app.models import OutboxMessage
from tests.app.conftest import make_settings
from tests.support.factories import create_event
from tests.support.units import run_unit


@pytest.fixture(scope="module")
def wechat_server() -> Iterator[FakeWeChatServer]:
    with FakeWeChatServer() as running:
        yield running


def login(client: TestClient, code: str) -> dict[str, str]:
    response = client.post("/api/mp/login", json={"code": code})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
def mp(database_url: str, wechat_server: FakeWeChatServer) -> Iterator[TestClient]:
    httpx.post(f"{wechat_server.url}/_fake/reset").raise_for_status()
    app = create_app(make_settings(database_url, wechat_api_base=wechat_server.url))
    with TestClient(app) as client:
        yield client


def event(database: Database, **overrides: object) -> int:
    return run_unit(database, lambda session: create_event(session, **overrides).id)


def test_list_sign_up_waitlist_cancel_and_promotion(mp: TestClient, database: Database) -> None:
    first, second = login(mp, "code-first"), login(mp, "code-second")
    event_id = event(database, capacity=1, title="志愿服务")

    listed = mp.get("/api/mp/events", headers=first).json()
    assert [(e["id"], e["seats_left"], e["my_status"]) for e in listed] == [(event_id, 1, None)]

    taken = mp.post(f"/api/mp/events/{event_id}/signup", headers=first)
    assert taken.status_code == 201
    assert taken.json()["outcome"] == "confirmed" and "报名成功" in taken.json()["message"]
    again = mp.post(f"/api/mp/events/{event_id}/signup", headers=first)
    assert again.status_code == 200 and again.json()["outcome"] == "already_confirmed"
    waiting = mp.post(f"/api/mp/events/{event_id}/signup", headers=second).json()
    assert (waiting["outcome"], waiting["waitlist_position"]) == ("waitlisted", 1)
    assert mp.get("/api/mp/signups", headers=second).json()[0]["my_status"] == "waitlisted"

    cancelled = mp.delete(f"/api/mp/events/{event_id}/signup", headers=first)
    assert cancelled.status_code == 200 and cancelled.json()["outcome"] == "cancelled"
    assert mp.get("/api/mp/events", headers=second).json()[0]["my_status"] == "confirmed"
    assert mp.delete(f"/api/mp/events/{event_id}/signup", headers=first).status_code == 404

    def kinds(session: Session) -> list[str]:
        return list(session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))

    assert "waitlist_promotion" in run_unit(database, kinds)


def test_refusals(mp: TestClient, database: Database) -> None:
    member = login(mp, "code-refusals")
    past = event(database, starts_at=datetime.now(UTC) - timedelta(hours=1))
    assert mp.post("/api/mp/events/999999/signup", headers=member).status_code == 404
    refused = mp.post(f"/api/mp/events/{past}/signup", headers=member)
    assert refused.status_code == 409 and "已开始或已结束" in refused.json()["message"]
    assert mp.get("/api/mp/events").status_code == 401
