"""``GET /api/admin/members/{id}/reachability``: how a member can be reached now, and why not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.db import Database
from app.models import OutboxMessage
from app.outbox.planner import CUSTOM_BUDGET
from app.outbox.service import enqueue
from app.settings import Settings
from tests.app.conftest import make_settings
from tests.support.factories import create_member
from tests.support.units import run_unit

ADMIN = "test-admin-token"
HEADERS = {"Authorization": f"Bearer {ADMIN}"}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, admin_token=ADMIN, reminder_template_id="tmpl-1")


def member_with(database: Database, *, hours_ago: float, sent: int = 0,
                subscribed: bool = True) -> int:
    now = datetime.now(UTC)
    last = now - timedelta(hours=hours_ago)

    def work(session: Session) -> int:
        member = create_member(session, last_interaction_at=last, subscribed=subscribed)
        for n in range(sent):
            enqueue(session, dedup_key=f"reach:{member.id}:{n}", kind="event_reminder",
                    member_id=member.id, payload={"text": "x"}, due_at=now, now=now)
        if sent:
            session.execute(update(OutboxMessage).where(OutboxMessage.member_id == member.id)
                            .values(status="sent", channel="custom", sent_at=now))
        return member.id

    return run_unit(database, work)


def test_open_window_with_budget_left(client: TestClient, database: Database) -> None:
    member_id = member_with(database, hours_ago=2, sent=2)
    answer = client.get(f"/api/admin/members/{member_id}/reachability", headers=HEADERS)
    assert answer.status_code == 200
    body = answer.json()
    assert body["reachable"] is True and body["channel"] == "custom"
    assert (body["customer_service_used"], body["customer_service_left"]) == (2, CUSTOM_BUDGET - 2)
    assert body["window_open"] is True


def test_budget_spent_uses_the_template(client: TestClient, database: Database) -> None:
    member_id = member_with(database, hours_ago=1, sent=CUSTOM_BUDGET)
    body = client.get(f"/api/admin/members/{member_id}/reachability", headers=HEADERS).json()
    assert body["channel"] == "template" and "budget" in body["reason"]


def test_closed_window_and_unfollowed(client: TestClient, database: Database) -> None:
    closed = member_with(database, hours_ago=50)
    body = client.get(f"/api/admin/members/{closed}/reachability", headers=HEADERS).json()
    assert (body["window_open"], body["channel"]) == (False, "template")
    gone = member_with(database, hours_ago=1, subscribed=False)
    body = client.get(f"/api/admin/members/{gone}/reachability", headers=HEADERS).json()
    assert body["reachable"] is False and body["channel"] is None and "follow" in body["reason"]


def test_needs_an_admin_and_an_existing_member(client: TestClient, database: Database) -> None:
    member_id = member_with(database, hours_ago=1)
    assert client.get(f"/api/admin/members/{member_id}/reachability").status_code == 401
    missing = client.get("/api/admin/members/999999/reachability", headers=HEADERS)
    assert missing.status_code == 404
