"""Subscribe-message credits: accepted in the mini-program, spent one per reminder.

A member who uses only the mini-program does not follow the account, so
neither a customer-service nor a template message reaches them; the
reminders they accepted with ``wx.requestSubscribeMessage`` go out as
mini-program subscribe messages, one credit each, and what the fake platform
logged is what was sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Database
from app.fakewechat import DEV_APPS, FakeWeChatServer, fake_openid
from app.main import create_app
from app.models import Member, OutboxMessage, SubscribeCredit
from app.models.member import MINI_PROGRAM
from app.outbox import credits
from app.outbox.dispatcher import DispatchConfig, Dispatcher
from app.outbox.planner import Channel, Reach, plan
from app.outbox.service import enqueue
from app.wechat.api import RetryPolicy, WeChatAPI
from app.wechat.token_store import DatabaseTokenStore
from tests.app.conftest import make_settings
from tests.support.factories import create_event, create_member
from tests.support.fake_platform import SUBSCRIBE, FakeControl
from tests.support.units import run_unit

ADMIN = "test-admin-token"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN}"}
MP_TEMPLATE = "mp-reminder-tmpl_1"
OA_APPID, MP_APPID = "wxdev00000000000000", "wxdevmp000000000000"
OA_SECRET, MP_SECRET = DEV_APPS[OA_APPID], DEV_APPS[MP_APPID]
FAST_RETRY = RetryPolicy(attempts=2, wait_initial=0.01, wait_max=0.02)
REMINDER = {"text": "提醒", "template_data": {"thing1": "主题党日", "time2": "12月6日 09:00",
                                              "thing3": "党员活动室"}}


@pytest.fixture
def mp(database_url: str, fake_server: FakeWeChatServer, fake: FakeControl
       ) -> Iterator[TestClient]:
    app = create_app(make_settings(database_url, wechat_api_base=fake_server.url,
                                   admin_token=ADMIN, mp_reminder_template_id=MP_TEMPLATE))
    with TestClient(app) as client:
        yield client


def login(client: TestClient, code: str) -> dict[str, str]:
    answer = client.post("/api/mp/login", json={"code": code})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def reachability(client: TestClient, member_id: int) -> dict[str, Any]:
    answer = client.get(f"/api/admin/members/{member_id}/reachability", headers=ADMIN_HEADERS)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def whoami(database: Database, openid: str) -> int:
    return run_unit(database, lambda session: session.scalars(
        select(Member.id).where(Member.mp_openid == openid)).one())


# --------------------------------------------------------------------------- recording


def test_accepted_templates_become_credits(mp: TestClient) -> None:
    me = login(mp, "sub-code-1")
    first = mp.post("/api/mp/subscriptions", headers=me,
                    json={"template_ids": [MP_TEMPLATE, MP_TEMPLATE, "other-tmpl"]})
    assert first.status_code == 200, first.text
    assert first.json() == {"credits": {MP_TEMPLATE: 2, "other-tmpl": 1}}
    again = mp.post("/api/mp/subscriptions", headers=me, json={"template_ids": [MP_TEMPLATE]})
    assert again.json() == {"credits": {MP_TEMPLATE: 3, "other-tmpl": 1}}


@pytest.mark.parametrize(("body", "field"), [
    ({}, "template_ids"),
    ({"template_ids": []}, "template_ids"),
    ({"template_ids": "tmpl"}, "template_ids"),
    ({"template_ids": ["ok", "not an id!"]}, "template_ids.1"),
    ({"template_ids": ["x" * 65]}, "template_ids.0"),
    ({"template_ids": ["t"] * 21}, "template_ids"),
])
def test_bad_input_is_refused_naming_the_field(mp: TestClient, body: dict[str, Any],
                                               field: str) -> None:
    me = login(mp, f"sub-bad-{field}-{len(str(body))}")
    answer = mp.post("/api/mp/subscriptions", headers=me, json=body)
    assert answer.status_code == 422
    assert field in [error["field"] for error in answer.json()["errors"]]
    assert mp.post("/api/mp/subscriptions", json={"template_ids": ["t"]}).status_code == 401


# --------------------------------------------------------------------------- sending


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def dispatcher(database: Database, http: httpx.AsyncClient, fake: FakeControl,
               batch_size: int = 100) -> Dispatcher:
    def client(app_id: str, secret: str) -> WeChatAPI:
        return WeChatAPI(http, app_id=app_id, app_secret=secret, base_url=fake.url,
                         token_store=DatabaseTokenStore(database, app_id, poll_seconds=0.01),
                         retry=FAST_RETRY)

    config = DispatchConfig(subscribe_template_id=MP_TEMPLATE, rate_per_second=None,
                            backoff_seconds=0.0, backoff_max_seconds=0.0,
                            batch_size=batch_size)
    return Dispatcher(database, client(OA_APPID, OA_SECRET), config,
                      mp_api=client(MP_APPID, MP_SECRET))


def test_a_mini_program_member_is_reminded_by_subscribe_message(
        mp: TestClient, database: Database, fake: FakeControl) -> None:
    me = login(mp, "sub-remind-1")
    mp_openid = fake_openid("sub-remind-1")
    member_id = whoami(database, mp_openid)
    before = reachability(mp, member_id)
    assert before["channel"] is None
    assert "does not follow" in before["reason"] and "no subscribe-message credits left" \
        in before["reason"]

    mp.post("/api/mp/subscriptions", headers=me, json={"template_ids": [MP_TEMPLATE]})
    ready = reachability(mp, member_id)
    assert (ready["channel"], ready["subscribe_credits"], ready["mini_program"]) == (
        "subscribe", 1, True)

    soon = run_unit(database, lambda session: [
        create_event(session, starts_at=datetime.now(UTC) + timedelta(minutes=30)).id
        for _ in range(2)])
    for event_id in soon:
        assert mp.post(f"/api/mp/events/{event_id}/signup", headers=me).status_code == 201

    async def send() -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            await dispatcher(database, client, fake).drain()

    asyncio.run(send())
    sent = fake.delivered(SUBSCRIBE)
    assert len(sent) == 1
    assert sent[0]["body"]["touser"] == mp_openid
    assert sent[0]["body"]["template_id"] == MP_TEMPLATE
    assert set(sent[0]["body"]["data"]) == {"thing1", "time2", "thing3"}
    outcomes = run_unit(database, lambda session: sorted(session.execute(
        select(OutboxMessage.status, OutboxMessage.channel, OutboxMessage.last_error)
        .where(OutboxMessage.member_id == member_id)).all()))
    assert outcomes == [("sent", "subscribe", None),
                        ("unsendable", "subscribe", "no subscribe-message credits left")]
    after = reachability(mp, member_id)
    assert after["channel"] is None and "no subscribe-message credits left" in after["reason"]


def mini_program_member(database: Database, credit: int, reminders: int) -> tuple[int, str]:
    now = datetime.now(UTC)

    def work(session: Session) -> tuple[int, str]:
        member = create_member(session, subscribed=False, origin=MINI_PROGRAM,
                               last_interaction_at=datetime(2000, 1, 1, tzinfo=UTC))
        member.mp_openid = member.openid
        credits.grant(session, member.id, [MP_TEMPLATE] * credit, now)
        for n in range(reminders):
            enqueue(session, dedup_key=f"sub-race:{member.id}:{n}", kind="event_reminder",
                    member_id=member.id, payload=REMINDER, due_at=now, now=now)
        return member.id, member.openid

    result: tuple[int, str] = run_unit(database, work)
    return result


def tally(database: Database, member_id: int) -> dict[str, int]:
    def work(session: Session) -> dict[str, int]:
        rows = session.execute(select(OutboxMessage.status, func.count())
                               .where(OutboxMessage.member_id == member_id)
                               .group_by(OutboxMessage.status)).all()
        counts = {str(status): int(count) for status, count in rows}
        counts["credits"] = int(session.scalar(select(SubscribeCredit.remaining).where(
            SubscribeCredit.member_id == member_id)) or 0)
        return counts

    return run_unit(database, work)


async def test_two_dispatchers_never_spend_one_credit_twice(
        database_url: str, http: httpx.AsyncClient, fake: FakeControl) -> None:
    databases = [Database(database_url) for _ in range(2)]
    try:
        member_id, openid = mini_program_member(databases[0], credit=5, reminders=12)
        fake.fault(SUBSCRIBE, times=12, delay=0.05)  # keep the sends in flight together
        dispatchers = [dispatcher(database, http, fake, batch_size=6) for database in databases]
        await asyncio.gather(*(each.drain() for each in dispatchers))
        assert len(fake.delivered(SUBSCRIBE)) == 5
        assert {call["body"]["touser"] for call in fake.delivered(SUBSCRIBE)} == {openid}
        assert tally(databases[0], member_id) == {"sent": 5, "unsendable": 7, "credits": 0}
    finally:
        for database in databases:
            database.close()


async def test_a_send_that_fails_on_the_way_keeps_its_credit(
        database: Database, http: httpx.AsyncClient, fake: FakeControl) -> None:
    member_id, _openid = mini_program_member(database, credit=1, reminders=1)
    fake.fault(SUBSCRIBE, times=FAST_RETRY.attempts, status=503)
    sender = dispatcher(database, http, fake)
    await sender.drain()
    assert tally(database, member_id) == {"pending": 1, "credits": 1}
    sender._paused_until = None
    await database.run(lambda session: session.execute(
        OutboxMessage.__table__.update().values(lease_until=None)))
    await sender.drain()
    assert tally(database, member_id) == {"sent": 1, "credits": 0}
    assert len(fake.delivered(SUBSCRIBE)) == 1


# --------------------------------------------------------------------------- the rules

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("follows", "hours_ago", "template", "app", "credit", "configured",
                          "channel", "reason"), [
    (True, 1, None, True, 3, True, Channel.CUSTOM, "window open"),
    (True, 72, "oa-tmpl", True, 3, True, Channel.TEMPLATE, "template message"),
    (True, 72, None, True, 3, True, Channel.SUBSCRIBE, "3 credits left"),
    (False, 1, "oa-tmpl", True, 1, True, Channel.SUBSCRIBE, "does not follow"),
    (False, 1, "oa-tmpl", True, 0, True, None, "no subscribe-message credits left"),
    (False, 1, "oa-tmpl", False, 0, True, None, "has not used the mini-program"),
    (False, 1, "oa-tmpl", True, 2, False, None, "HONGXIN_MP_REMINDER_TEMPLATE_ID is not set"),
])
def test_the_planner_explains_each_case(follows: bool, hours_ago: float, template: str | None,
                                        app: bool, credit: int, configured: bool,
                                        channel: Channel | None, reason: str) -> None:
    reach = Reach(follows, NOW - timedelta(hours=hours_ago), 0, mini_program=app,
                  subscribe_credits=credit)
    chosen = plan(reach, NOW, template_id=template,
                  subscribe_template_id=MP_TEMPLATE if configured else None)
    assert chosen.channel is channel
    assert reason in chosen.reason


def test_content_without_template_fields_never_takes_a_credit() -> None:
    reach = Reach(False, NOW, 0, mini_program=True, subscribe_credits=5)
    chosen = plan(reach, NOW, template_id=None, subscribe_template_id=MP_TEMPLATE,
                  has_template_data=False)
    assert chosen.channel is None and "no template fields" in chosen.reason
