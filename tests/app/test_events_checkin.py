"""Sign-up and check-in through the real /wechat callback, and the QR code command."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import cli
from app.db import Database
from app.fakewechat import FakeWeChatServer
from app.models import PointsEntry, Signup
from tests.support.factories import create_event, create_member
from tests.support.units import run_unit
from tests.support.wechat import Platform, message_xml


def say(client: TestClient, platform: Platform, xml: str) -> str:
    response = client.post("/wechat", params=platform.params(), content=xml.encode())
    assert response.status_code == 200
    found = re.search(r"<Content><!\[CDATA\[(.*)\]\]></Content>", response.text, re.DOTALL)
    assert found, response.text[:200]
    return found.group(1)


def event_at(database: Database, starts_in: timedelta, **overrides: object) -> int:
    return run_unit(database, lambda session: create_event(
        session, starts_at=datetime.now(UTC) + starts_in, **overrides).id)


def points(database: Database) -> int:
    def work(session: Session) -> int:
        return int(session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0))) or 0)

    return run_unit(database, work)


def test_list_sign_up_mine_cancel_in_the_chat(client: TestClient, platform: Platform,
                                              database: Database) -> None:
    event_id = event_at(database, timedelta(days=3), capacity=1, title="学习二十大精神")
    listed = say(client, platform, message_xml("text", content="活动"))
    assert f"【{event_id}】学习二十大精神" in listed and "余位 1/1" in listed

    first = say(client, platform, message_xml("text", "o_first", content=f"报名 {event_id}"))
    assert "报名成功" in first and "姓名 张三" in first
    assert "已报名" in say(client, platform,
                        message_xml("text", "o_first", content=f"报名 {event_id}"))
    second = say(client, platform, message_xml("text", "o_second", content=f"报名 {event_id}"))
    assert "候补" in second
    assert "候补第 1 位" in say(client, platform,
                            message_xml("text", "o_second", content="我的报名"))
    assert "已取消" in say(client, platform,
                        message_xml("text", "o_first", content=f"取消报名 {event_id}"))
    assert "已报名" in say(client, platform, message_xml("text", "o_second", content="我的报名"))
    assert "没有找到" in say(client, platform, message_xml("text", content="报名 99999"))


def test_past_and_closed_events_are_refused(client: TestClient, platform: Platform,
                                            database: Database) -> None:
    past = event_at(database, timedelta(hours=-1))
    closed = event_at(database, timedelta(days=2),
                      signup_deadline=datetime.now(UTC) - timedelta(minutes=1))
    assert "已开始或已结束" in say(client, platform, message_xml("text", content=f"报名 {past}"))
    assert "截止" in say(client, platform, message_xml("text", content=f"报名 {closed}"))


def test_scan_checks_in_once_and_awards_points(client: TestClient, platform: Platform,
                                               database: Database) -> None:
    event_id = event_at(database, timedelta(minutes=30))
    say(client, platform, message_xml("text", "o_scan", content=f"报名 {event_id}"))
    scene = f"checkin_{event_id}"
    assert "签到成功" in say(client, platform, message_xml("scan", "o_scan", scene=scene))
    # Another scan (a later CreateTime: the same one would be a platform retry).
    later = int(datetime.now(UTC).timestamp()) + 1
    assert "已签到" in say(client, platform,
                        message_xml("scan", "o_scan", scene=scene, create_time=later))
    assert points(database) == 3

    # A newcomer who follows by scanning is welcomed and told to see the organizer.
    reply = say(client, platform, message_xml("subscribe_scene", "o_new", scene=scene))
    assert "没有报名" in reply and "欢迎关注" in reply
    assert points(database) == 3


def test_subscribe_with_scene_checks_in(client: TestClient, platform: Platform,
                                        database: Database) -> None:
    event_id = event_at(database, timedelta(minutes=10))
    say(client, platform, message_xml("text", "o_sub", content=f"报名 {event_id}"))
    reply = say(client, platform,
                message_xml("subscribe_scene", "o_sub", scene=f"checkin_{event_id}"))
    assert "签到成功" in reply

    def checked(session: Session) -> int:
        return int(session.scalar(select(func.count()).select_from(Signup)
                                  .where(Signup.checked_in_at.is_not(None))) or 0)

    assert run_unit(database, checked) == 1


def test_scan_too_early_is_refused(client: TestClient, platform: Platform,
                                   database: Database) -> None:
    event_id = event_at(database, timedelta(days=2))
    say(client, platform, message_xml("text", "o_early", content=f"报名 {event_id}"))
    assert "尚未开始签到" in say(client, platform,
                              message_xml("scan", "o_early", scene=f"checkin_{event_id}"))


def signed_up_member(database: Database, event_id: int, openid: str) -> None:
    def work(session: Session) -> None:
        now = datetime.now(UTC)
        member = create_member(session, openid=openid)
        session.add(Signup(event_id=event_id, member_id=member.id, status="confirmed",
                           created_at=now, confirmed_at=now))

    run_unit(database, work)


def test_scan_opens_an_hour_before_and_says_when(client: TestClient, platform: Platform,
                                                 database: Database) -> None:
    soon = event_at(database, timedelta(minutes=65), title="支部党员大会")
    say(client, platform, message_xml("text", "o_door", content=f"报名 {soon}"))
    reply = say(client, platform, message_xml("scan", "o_door", scene=f"checkin_{soon}"))
    opens = (datetime.now(UTC) + timedelta(minutes=5)).astimezone(ZoneInfo("Asia/Shanghai"))
    assert "尚未开始签到" in reply and f"{opens.day}日" in reply and "开始" in reply
    assert points(database) == 0

    nearer = event_at(database, timedelta(minutes=55))
    say(client, platform, message_xml("text", "o_door", content=f"报名 {nearer}"))
    # A later CreateTime: the same one would be the platform retrying the first scan.
    later = int(datetime.now(UTC).timestamp()) + 1
    assert "签到成功" in say(client, platform, message_xml(
        "scan", "o_door", scene=f"checkin_{nearer}", create_time=later))


def test_scan_after_the_end_is_refused_saying_it_ended(
        client: TestClient, platform: Platform, database: Database) -> None:
    still_on = event_at(database, timedelta(hours=-3, minutes=-50))
    ended = event_at(database, timedelta(hours=-4, minutes=-5), title="志愿服务")
    for event_id in (still_on, ended):
        signed_up_member(database, event_id, f"o_late_{event_id}")
    assert "签到成功" in say(client, platform, message_xml(
        "scan", f"o_late_{still_on}", scene=f"checkin_{still_on}"))
    reply = say(client, platform, message_xml(
        "scan", f"o_late_{ended}", scene=f"checkin_{ended}"))
    assert "志愿服务" in reply and "已结束" in reply and "签到已关闭" in reply
    assert points(database) == 3


def test_qrcode_command_prints_the_url_for_the_checkin_scene(
        database_url: str, database: Database, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    event_id = event_at(database, timedelta(days=2))
    with FakeWeChatServer() as fake:
        monkeypatch.setenv("HONGXIN_DATABASE_URL", database_url)
        monkeypatch.setenv("HONGXIN_WECHAT_API_BASE", fake.url)
        assert cli.main(["event", "qrcode", str(event_id)]) == 0
        url = capsys.readouterr().out.strip()
        assert url.startswith("http")
        [code] = fake.state.qrcodes.values()
        assert code["scene"] == f"checkin_{event_id}"
        assert code["url"] == url
        assert cli.main(["event", "qrcode", "999999"]) == 1
        assert "no event 999999" in capsys.readouterr().err
