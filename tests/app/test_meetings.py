"""Meetings of 组织生活 through the public surfaces: the admin API, the chat, the
mini-program and the fake WeChat platform's log of what was sent."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from app.auth.tokens import Role, create_token
from app.db import Database
from app.fakewechat import DEV_APPS, FakeWeChatServer
from app.main import create_app
from app.models import PointsEntry
from app.outbox.dispatcher import DispatchConfig, Dispatcher
from app.scheduler import jobs
from app.wechat.api import WeChatAPI
from app.wechat.token_store import DatabaseTokenStore
from tests.app.conftest import make_settings
from tests.support.fake_platform import CUSTOM, FakeControl
from tests.support.meetings import (
    AUTH,
    BRANCH,
    GROUP,
    SECOND,
    Party,
    build_party,
    say,
    scan,
)
from tests.support.units import run_unit

APPID, SECRET = next(iter(DEV_APPS.items()))
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def wechat_server() -> Iterator[FakeWeChatServer]:
    with FakeWeChatServer() as running:
        yield running


@pytest.fixture
def party(database_url: str, database: Database,
          wechat_server: FakeWeChatServer) -> Iterator[Party]:
    httpx.post(f"{wechat_server.url}/_fake/reset").raise_for_status()
    settings = make_settings(database_url, admin_token=AUTH["Authorization"].split()[1],
                             wechat_api_base=wechat_server.url)
    with TestClient(create_app(settings)) as client:
        yield build_party(client, database)


def dispatch(database: Database, url: str) -> None:
    async def run() -> None:
        async with httpx.AsyncClient(timeout=5) as http:
            api = WeChatAPI(http, app_id=APPID, app_secret=SECRET, base_url=url,
                            token_store=DatabaseTokenStore(database, APPID))
            await Dispatcher(database, api, DispatchConfig(rate_per_second=None)).drain()

    asyncio.run(run())


def test_a_meeting_needs_an_org(party: Party) -> None:
    answer = party.client.post("/api/admin/events", headers=AUTH, json={
        "title": "支委会", "location": "会议室", "capacity": 1, "kind": "committee",
        "starts_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "org_id"
    assert "组织" in answer.json()["errors"][0]["message"]


def test_expected_attendees_get_one_notice_and_one_reminder_each(
        party: Party, wechat_server: FakeWeChatServer) -> None:
    meeting = party.meeting()
    committee = party.meeting(kind="committee", title="十二月支委会")
    notices = party.outbox("meeting_notice")
    expected = {party.members["张书记"], party.members["王党员"], party.members["孙组长"]}
    assert sorted(r.member_id for r in notices if f":{meeting['id']}:" in r.dedup_key) == \
        sorted(expected)
    # A 支委会 expects only those with a 党内职务 (书记, 党小组长), not 王党员.
    assert {r.member_id for r in notices if f":{committee['id']}:" in r.dedup_key} == \
        {party.members["张书记"], party.members["孙组长"]}
    reminders = party.outbox("meeting_reminder")
    assert len(reminders) == len(notices) == 5
    starts = datetime.fromisoformat(meeting["starts_at"])
    assert {r.due_at for r in reminders if f":{meeting['id']}:" in r.dedup_key} == \
        {starts - timedelta(minutes=60)}

    # Editing or moving the meeting adds nobody twice; the reminders move with it.
    moved = party.client.patch(f"/api/admin/events/{meeting['id']}", headers=AUTH, json={
        "starts_at": (starts + timedelta(hours=3)).isoformat(), "title": "改期的支部党员大会"})
    assert moved.status_code == 200, moved.text
    assert len(party.outbox("meeting_notice")) == 5
    assert {r.due_at for r in party.outbox("meeting_reminder")
            if f":{meeting['id']}:" in r.dedup_key} == {starts + timedelta(hours=2)}

    dispatch(party.database, wechat_server.url)
    fake = FakeControl(wechat_server.url)
    sent = [(call["body"]["touser"], call["body"]["text"]["content"])
            for call in fake.delivered(CUSTOM)]
    fake.close()
    told = [openid for openid, text in sent if "会议通知" in text and "支部党员大会" in text]
    assert sorted(told) == ["o_leader", "o_member", "o_secretary"]
    assert not any(openid == "o_other" for openid, _ in sent)
    assert all(f"请假 {meeting['id']} 原因" in text for openid, text in sent
               if "第四季度" in text)


def test_leave_in_the_chat_until_the_start(party: Party) -> None:
    meeting = party.meeting()
    number = meeting["id"]
    granted = say(party.client, f"请假 {number} 出差在外", "o_member")
    assert "已请假" in granted
    withdrawn = [r for r in party.outbox("meeting_reminder")
                 if r.member_id == party.members["王党员"]]
    assert [r.status for r in withdrawn] == ["withdrawn"]

    assert "写明原因" in say(party.client, f"请假 {number}", "o_secretary")
    assert "不在" in say(party.client, f"请假 {number} 有事", "o_other")
    assert "没有找到" in say(party.client, "请假 99999 有事", "o_secretary")
    assert "请假 会议编号 原因" in say(party.client, "请假", "o_secretary")

    party.move_start(number, timedelta(minutes=-5))
    assert "已开始" in say(party.client, f"请假 {number} 堵车", "o_secretary")

    listed = party.client.get(f"/api/admin/events/{number}/attendance", headers=AUTH).json()
    by_name = {item["name"]: item for item in listed["items"]}
    assert by_name["王党员"]["status"] == "leave"
    assert by_name["王党员"]["reason"] == "出差在外"
    assert by_name["张书记"]["status"] == "expected"
    assert "钱二支" not in by_name


def test_leave_in_the_mini_program(party: Party) -> None:
    meeting = party.meeting()
    login = party.client.post("/api/mp/login", json={"code": "code-late-binder"})
    assert login.status_code == 200, login.text
    member = {"Authorization": f"Bearer {login.json()['token']}"}
    url = f"/api/mp/events/{meeting['id']}/leave"

    # Not bound yet: not expected at the branch's meeting.
    refused = party.client.post(url, headers=member, json={"reason": "出差"})
    assert refused.status_code == 409 and "不在" in refused.json()["message"]
    assert party.client.get("/api/mp/meetings", headers=member).json() == []
    bound = party.client.post("/api/mp/binding", headers=member,
                              json={"name": "赵后绑", "phone": "13900000003"})
    assert bound.status_code == 200, bound.text
    # Bound after the meeting was created: expected now, and may ask for leave.
    [mine] = party.client.get("/api/mp/meetings", headers=member).json()
    assert (mine["id"], mine["my_status"], mine["may_ask_for_leave"]) == (
        meeting["id"], "expected", True)
    empty = party.client.post(url, headers=member, json={"reason": "  "})
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["field"] == "reason"
    assert "原因" in empty.json()["errors"][0]["message"]
    granted = party.client.post(url, headers=member, json={"reason": "出差"})
    assert granted.status_code == 200, granted.text
    assert granted.json()["outcome"] == "granted" and "请发送" not in granted.json()["message"]
    [mine] = party.client.get("/api/mp/meetings", headers=member).json()
    assert (mine["id"], mine["kind_label"], mine["my_status"], mine["leave_reason"]) == (
        meeting["id"], "支部党员大会", "leave", "出差")
    assert mine["may_ask_for_leave"] is True
    assert party.client.post("/api/mp/events/99999/leave", headers=member,
                             json={"reason": "x"}).status_code == 404

    party.move_start(meeting["id"], timedelta(minutes=-1))
    late = party.client.post(url, headers=member, json={"reason": "又有事"})
    assert late.status_code == 409 and "已开始" in late.json()["message"]


def test_check_in_by_qr_code_or_organizer_and_attendance_after_the_end(
        party: Party) -> None:
    meeting = party.meeting(starts_in=timedelta(minutes=30))
    number = meeting["id"]
    clock = int(datetime.now(UTC).timestamp())
    assert "签到成功" in scan(party.client, "o_member", f"checkin_{number}", clock)
    assert "已签到" in scan(party.client, "o_member", f"checkin_{number}", clock + 1)
    assert "不在" in scan(party.client, "o_other", f"checkin_{number}", clock + 2)
    assert "已请假" in say(party.client, f"请假 {number} 家中有事", "o_leader")
    # Meetings take no sign-ups and stay out of the activity list.
    assert "无需报名" in say(party.client, f"报名 {number}", "o_secretary")
    assert f"【{number}】" not in say(party.client, "活动", "o_secretary")

    organizer = f"/api/admin/events/{number}/attendance"
    other = party.client.post(f"{organizer}/{party.members['钱二支']}/checkin", headers=AUTH)
    assert other.status_code == 409 and "不在" in other.json()["message"]
    secretary = party.client.post(f"{organizer}/{party.members['张书记']}/checkin",
                                  headers=AUTH)
    assert secretary.status_code == 200, secretary.text
    assert secretary.json()["outcome"] == "checked_in"

    # The meeting ends; the scheduler's job makes attendance final once.
    party.move_start(number, timedelta(hours=-5))
    now = datetime.now(UTC)
    assert run_unit(party.database, lambda s: jobs.meetings(s, now, ZONE))[
        "meetings_closed"] == 1
    assert run_unit(party.database, lambda s: jobs.meetings(s, now, ZONE))[
        "meetings_closed"] == 0
    page = party.client.get(organizer, headers=AUTH).json()
    assert page["final"] is True
    assert page["counts"] == {"expected": 3, "present": 2, "leave": 1, "absent": 0,
                              "pending": 0}
    labels = {item["name"]: item["status_label"] for item in page["items"]}
    assert labels == {"王党员": "出席", "张书记": "出席", "孙组长": "请假"}
    # Those present earn the meeting kind's points once; 请假 earns and loses nothing.
    lines = run_unit(party.database, lambda s: s.execute(
        select(PointsEntry.member_id, PointsEntry.activity, PointsEntry.delta)
        .where(PointsEntry.reference == f"meeting:{number}")).all())
    names = {member_id: name for name, member_id in party.members.items()}
    assert sorted((names[m], a) for m, a, _ in lines) == [
        ("张书记", f"meeting_{meeting['kind']}"), ("王党员", f"meeting_{meeting['kind']}")]
    assert all(delta > 0 for *_, delta in lines)

    csv_text = party.client.get(f"{organizer}.csv", headers=AUTH).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "姓名,组织,党内职务,出勤,签到时间,请假原因,请假时间"
    assert "孙组长,第一党小组,党小组长,请假," in csv_text
    sheet = load_workbook(io.BytesIO(party.client.get(f"{organizer}.xlsx",
                                                      headers=AUTH).content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][3] == "出勤" and {row[3] for row in rows[2:]} == {"出席", "请假"}


def test_absent_after_the_end_and_scoped_tokens(party: Party) -> None:
    meeting = party.meeting(kind="group_meeting", org=GROUP, title="党小组会")
    number = meeting["id"]
    party.move_start(number, timedelta(hours=-5))
    page = party.client.get(f"/api/admin/events/{number}/attendance", headers=AUTH).json()
    # Not yet closed by the job, but over: nobody is 未签到 any more.
    assert {item["status"] for item in page["items"]} == {"absent"}
    assert {item["name"] for item in page["items"]} == {"王党员", "孙组长"}

    def token(org: str) -> dict[str, str]:
        value = run_unit(party.database, lambda s: create_token(
            s, Role.ORGANIZER, f"organizer {org}", party.orgs[org]))
        return {"Authorization": f"Bearer {value}"}

    url = f"/api/admin/events/{number}/attendance"
    assert party.client.get(url, headers=token(BRANCH)).status_code == 200
    assert party.client.get(url, headers=token(SECOND)).status_code == 404
    assert party.client.get(f"{url}.csv", headers=token(SECOND)).status_code == 404
    activity = party.client.post("/api/admin/events", headers=AUTH, json={
        "title": "志愿服务", "location": "社区", "capacity": 5,
        "starts_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}).json()
    assert party.client.get(f"/api/admin/events/{activity['id']}/attendance",
                            headers=AUTH).status_code == 409


def test_a_cancelled_meeting_withdraws_its_reminders_and_tells_everyone(party: Party) -> None:
    meeting = party.meeting()
    assert party.client.delete(f"/api/admin/events/{meeting['id']}",
                               headers=AUTH).status_code == 200
    assert {r.status for r in party.outbox("meeting_reminder")} == {"withdrawn"}
    told = party.outbox("event_cancelled")
    assert len(told) == 3
