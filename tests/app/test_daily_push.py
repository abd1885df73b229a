"""``订阅`` / ``退订`` through /wechat, and what they do to the daily lesson push."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from app import migrations
from app.db import Database
from app.lessons.links import ReadingLinks
from app.lessons.service import create_lesson
from app.models import Member, OutboxMessage
from app.scheduler import jobs
from app.settings import Settings
from app.wechat import codec
from tests.app.conftest import make_settings
from tests.support.units import run_unit
from tests.support.wechat import Platform, message_xml

ADMIN = "test-admin-token"
LINKS = ReadingLinks("https://hx.example", "test-link-key")
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, admin_token=ADMIN, reminder_template_id="tmpl-1")


def say(client: TestClient, platform: Platform, openid: str, words: str) -> str:
    params, body = platform.plain(message_xml("text", openid, content=words))
    response = client.post("/wechat", params=params, content=body)
    assert response.status_code == 200, response.text
    content = codec.parse_fields(response.text)["Content"]
    assert isinstance(content, str)
    return content


def member(database: Database, openid: str) -> Member:
    return run_unit(database,
        lambda s: s.scalars(select(Member).where(Member.openid == openid)).one())


def reachability(client: TestClient, member_id: int) -> dict[str, object]:
    answer = client.get(f"/api/admin/members/{member_id}/reachability",
                        headers={"Authorization": f"Bearer {ADMIN}"})
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def queue_today(database: Database) -> int:
    now = datetime.now(UTC)
    return run_unit(database, partial(jobs.queue_daily_lesson, today=now.astimezone(SHANGHAI)
                                     .date(), now=now, links=LINKS))


def test_new_followers_get_the_push_and_can_opt_out_and_in(
    client: TestClient, platform: Platform, database: Database
) -> None:
    run_unit(database, lambda s: create_lesson(
        s, title="今日一课", summary="摘要", body="", now=datetime.now(UTC),
        publish_date=datetime.now(SHANGHAI).date()))
    params, body = platform.plain(message_xml("subscribe", "o_push"))
    assert client.post("/wechat", params=params, content=body).status_code == 200
    joined = member(database, "o_push")
    assert joined.daily_push is True
    assert reachability(client, joined.id)["daily_push_reachable"] is True

    reply = say(client, platform, "o_push", "退订")
    assert reply.startswith("已退订每日微党课推送") and "没有看懂" not in reply
    assert member(database, "o_push").daily_push is False
    state = reachability(client, joined.id)
    assert state["daily_push"] is False and "退订" in str(state["daily_push_reason"])
    assert queue_today(database) == 0

    reply = say(client, platform, "o_push", "订阅")
    assert reply.startswith("订阅成功") and "可送达至" in reply
    assert member(database, "o_push").daily_push is True
    assert say(client, platform, "o_push", "取消订阅").startswith("已退订")
    say(client, platform, "o_push", "订阅")
    assert queue_today(database) == 1


def test_push_outside_the_window_is_unreachable_and_not_queued(
    client: TestClient, platform: Platform, database: Database
) -> None:
    run_unit(database, lambda s: create_lesson(
        s, title="今日一课", summary="", body="", now=datetime.now(UTC),
        publish_date=datetime.now(SHANGHAI).date()))
    say(client, platform, "o_quiet", "帮助")
    quiet = member(database, "o_quiet")
    run_unit(database, lambda s: s.execute(
        update(Member).where(Member.id == quiet.id)
        .values(last_interaction_at=datetime.now(UTC) - timedelta(hours=49))))
    state = reachability(client, quiet.id)
    # A reminder may still go as a template message; the daily lesson may not.
    assert state["channel"] == "template"
    assert state["daily_push"] is True and state["daily_push_reachable"] is False
    assert "48-hour window closed" in str(state["daily_push_reason"])
    assert queue_today(database) == 0
    assert run_unit(database, lambda s: s.scalars(select(OutboxMessage)).first()) is None


def test_migration_turns_the_push_on_for_existing_members(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrations.upgrade(url, "76b72059c6a4")
    old = Database(url)
    try:
        run_unit(old, lambda s: s.execute(text(
            "INSERT INTO members (openid, first_seen_at, last_interaction_at, subscribed, "
            "daily_push) VALUES ('o_old', :now, :now, true, false)"),
            {"now": datetime.now(UTC).isoformat()}))
    finally:
        old.close()
    migrations.upgrade(url)
    database = Database(url)
    try:
        assert member(database, "o_old").daily_push is True
    finally:
        database.close()
