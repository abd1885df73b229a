"""Events in the console over the ASGI app: create and edit (admins), cancel, the check-in QR
code from the (fake) platform, the printable sign-in sheet, walk-ins, and org scopes."""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.tokens import Role, create_token
from app.db import Database
from app.events.signups import sign_up
from app.fakewechat import FakeWeChatServer
from app.main import create_app
from app.models import Event, Member, Org, Signup
from app.moderation.words import add_words
from app.orgs.service import create_org
from app.settings import Settings
from tests.app.conftest import make_settings
from tests.app.test_console import csrf_of, sign_in
from tests.support.factories import create_event, create_member
from tests.support.units import run_unit

ADMIN = "console-admin-token-0123456789"
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def wechat_server() -> Iterator[FakeWeChatServer]:
    with FakeWeChatServer() as running:
        yield running


@pytest.fixture
def settings(database_url: str, wechat_server: FakeWeChatServer) -> Settings:
    httpx.post(f"{wechat_server.url}/_fake/reset").raise_for_status()
    # The fake platform knows the development app id, not the callback tests' one.
    return make_settings(database_url, admin_token=ADMIN, wechat_api_base=wechat_server.url,
                         wechat_app_id="wxdev00000000000000")


@pytest.fixture
def admin(client: TestClient) -> TestClient:
    sign_in(client, ADMIN)
    return client


def _local(moment: datetime) -> str:
    return moment.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


def _event_form(**overrides: str) -> dict[str, str]:
    starts = datetime.now(UTC) + timedelta(days=3)
    return {"title": "主题党日：重温入党誓词", "description": "请佩戴党员徽章",
            "location": "三楼会议室", "starts_at": _local(starts), "capacity": "30",
            "signup_deadline": _local(starts - timedelta(days=1)),
            "remind_before_minutes": "90", "organizer": "", "kind": "activity",
            "org_id": "", **overrides}


def _create(client: TestClient, **overrides: str) -> int:
    csrf = csrf_of(client.get("/console/events/new").text)
    response = client.post("/console/events/new", data={"csrf": csrf, **_event_form(**overrides)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def _stored(database: Database, event_id: int) -> Event:
    with database.unit_of_work() as session:
        event = session.get(Event, event_id)
        assert event is not None
        session.expunge(event)
        return event


def test_create_an_event_with_every_field(admin: TestClient, database: Database) -> None:
    alice = run_unit(database, lambda s: create_token(s, Role.ORGANIZER, "alice"))
    del alice
    branch = run_unit(database, lambda s: create_org(s, "第一党支部", datetime.now(UTC)).id)
    page = admin.get("/console/events/new").text
    token_id = re.search(r'<option value="(\d+)" >alice（令牌', page)
    assert token_id
    event_id = _create(admin, organizer=token_id.group(1), kind="theme_day",
                       org_id=str(branch))
    event = _stored(database, event_id)
    assert (event.title, event.location, event.capacity, event.remind_before_minutes,
            event.kind, event.organizer, event.org_id) == (
        "主题党日：重温入党誓词", "三楼会议室", 30, 90, "theme_day", "alice", branch)
    assert event.signup_deadline is not None
    assert event.description == "请佩戴党员徽章"
    assert "主题党日：重温入党誓词" in admin.get("/console").text


def test_bad_fields_are_named_in_chinese_and_kept(admin: TestClient, database: Database) -> None:
    past = _local(datetime.now(UTC) - timedelta(hours=2))
    csrf = csrf_of(admin.get("/console/events/new").text)
    response = admin.post("/console/events/new", data={"csrf": csrf, **_event_form(
        title="", capacity="0", description="写了很久的说明")})
    assert response.status_code == 422
    assert "请填写标题" in response.text and "名额须为 1 至 100000 之间的整数" in response.text
    assert "写了很久的说明" in response.text
    moved = admin.post("/console/events/new", data={"csrf": csrf, **_event_form(
        starts_at=past, signup_deadline="")})
    assert moved.status_code == 422 and "开始时间必须晚于现在" in moved.text
    late = _event_form()
    late["signup_deadline"] = _local(datetime.now(UTC) + timedelta(days=5))
    refused = admin.post("/console/events/new", data={"csrf": csrf, **late})
    assert "报名截止时间不能晚于开始时间" in refused.text
    forged = admin.post("/console/events/new", data={"csrf": "forged", **_event_form()})
    assert forged.status_code == 403
    with database.unit_of_work() as session:
        assert session.scalars(select(Event)).all() == []


def test_edit_moves_the_event_and_guards_the_capacity(admin: TestClient,
                                                      database: Database) -> None:
    event_id = _create(admin, capacity="2")

    def two_members(session: Session) -> None:
        for name in ("张三", "李四"):
            sign_up(session, create_member(session, name=name).id, event_id,
                    datetime.now(UTC), ZONE)

    run_unit(database, two_members)
    page = admin.get(f"/console/events/{event_id}/edit").text
    csrf = csrf_of(page)
    assert 'value="主题党日：重温入党誓词"' in page
    later = datetime.now(UTC) + timedelta(days=10)
    form = _event_form(title="主题党日（改期）", starts_at=_local(later), capacity="2")
    form["signup_deadline"] = ""
    saved = admin.post(f"/console/events/{event_id}/edit", data={"csrf": csrf, **form},
                       follow_redirects=False)
    assert saved.status_code == 303, saved.text
    event = _stored(database, event_id)
    assert event.title == "主题党日（改期）" and event.signup_deadline is None
    assert abs(event.starts_at - later) < timedelta(minutes=1)
    lower = admin.post(f"/console/events/{event_id}/edit",
                       data={"csrf": csrf, **{**form, "capacity": "1"}})
    assert lower.status_code == 422 and "已有 2 人占用名额" in lower.text


def test_cancel_needs_confirming(admin: TestClient, database: Database) -> None:
    event_id = _create(admin)
    csrf = csrf_of(admin.get(f"/console/events/{event_id}/edit").text)
    unconfirmed = admin.post(f"/console/events/{event_id}/cancel", data={"csrf": csrf})
    assert unconfirmed.status_code == 422 and "请先勾选“确认取消”" in unconfirmed.text
    assert _stored(database, event_id).status == "scheduled"
    done = admin.post(f"/console/events/{event_id}/cancel",
                      data={"csrf": csrf, "confirm": "yes"}, follow_redirects=False)
    assert done.status_code == 303
    assert _stored(database, event_id).status == "cancelled"


@pytest.fixture
def door(database: Database) -> dict[str, object]:
    """alice's event starting in 30 minutes with 3 seats: 2 confirmed, then 1 waitlisted
    after the capacity is reached; bob's event elsewhere."""

    def work(session: Session) -> dict[str, object]:
        now = datetime.now(UTC)
        alice = create_token(session, Role.ORGANIZER, "alice")
        create_token(session, Role.ORGANIZER, "bob")
        event = create_event(session, title="党课：学习党章", organizer="alice", capacity=3,
                             starts_at=now + timedelta(minutes=30), location="二楼报告厅")
        for name, phone in (("张三", "13800138001"), ("李四", "13800138002")):
            member = create_member(session, name=name, phone=phone, branch="第一党支部")
            sign_up(session, member.id, event.id, now, ZONE)
        other = create_event(session, title="别人的活动", organizer="bob")
        return {"alice": alice, "event": event.id, "other": other.id}

    return run_unit(database, work)


def test_the_sheet_lists_confirmed_sign_ups_for_a4(client: TestClient,
                                                   door: dict[str, object]) -> None:
    sign_in(client, str(door["alice"]))
    sheet = client.get(f"/console/events/{door['event']}/sheet")
    assert sheet.status_code == 200
    rows = re.findall(r'<td class="name">([^<]*)</td>', sheet.text)
    assert rows == ["张三", "李四"]
    assert "138****8001" in sheet.text and "13800138001" not in sheet.text
    assert sheet.text.count('<td class="sign"></td>') == 2 + 5
    css = re.search(r'href="(/console/static/sheet\.css\?v=\w+)"', sheet.text)
    assert css
    assert "@page { size: A4 portrait" in client.get(css.group(1)).text
    assert client.get(f"/console/events/{door['other']}/sheet").status_code == 403


def test_walk_ins_are_seated_and_checked_in(client: TestClient, database: Database,
                                            door: dict[str, object]) -> None:
    sign_in(client, str(door["alice"]))
    base = f"/console/events/{door['event']}"
    csrf = csrf_of(client.get(f"{base}/door").text)
    added = client.post(f"{base}/walk-ins", data={"csrf": csrf, "name": "王五",
                                                  "phone": "139 0013 9000"})
    assert added.status_code == 200 and "王五：已登记并签到" in added.text
    # Someone signed up already is checked in, not added twice.
    known = client.post(f"{base}/walk-ins", data={"csrf": csrf, "name": "张三",
                                                  "phone": "13800138001"})
    assert "张三：已登记并签到" in known.text
    full = client.post(f"{base}/walk-ins", data={"csrf": csrf, "name": "赵六",
                                                 "phone": "13700137000"})
    assert full.status_code == 422 and "名额已满" in full.text and 'value="赵六"' in full.text
    bad = client.post(f"{base}/walk-ins", data={"csrf": csrf, "name": "钱七", "phone": "123"})
    assert bad.status_code == 422 and "请填写 11 位手机号" in bad.text
    run_unit(database, lambda s: add_words(s, "坏名字", "test", datetime.now(UTC)))
    rude = client.post(f"{base}/walk-ins", data={"csrf": csrf, "name": "坏名字",
                                                 "phone": "13600136000"})
    assert rude.status_code == 422 and "姓名包含不宜使用的词语" in rude.text
    assert client.post(f"{base}/walk-ins", data={"name": "王五", "phone": "13900139000"}
                       ).status_code == 403

    checked = client.get(f"{base}?view=checked_in").text
    assert "王五" in checked and "张三" in checked and "李四" not in checked
    with database.unit_of_work() as session:
        walk_in = session.scalars(select(Member).where(Member.phone == "13900139000")).one()
        assert walk_in.openid.startswith("walkin:") and walk_in.subscribed is False
        assert session.scalar(select(Signup.checked_in_by).where(
            Signup.member_id == walk_in.id)) == "console:alice"


def test_walk_ins_wait_for_the_check_in_window(admin: TestClient, database: Database) -> None:
    event_id = _create(admin)
    csrf = csrf_of(admin.get(f"/console/events/{event_id}/door").text)
    early = admin.post(f"/console/events/{event_id}/walk-ins",
                       data={"csrf": csrf, "name": "王五", "phone": "13900139000"})
    assert early.status_code == 422 and "签到尚未开放" in early.text


def test_the_check_in_qr_code_comes_from_the_platform(
        client: TestClient, door: dict[str, object], wechat_server: FakeWeChatServer) -> None:
    sign_in(client, str(door["alice"]))
    page = client.get(f"/console/events/{door['event']}/door").text
    assert f'src="/console/events/{door["event"]}/qrcode.png"' in page
    image = client.get(f"/console/events/{door['event']}/qrcode.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG\r\n\x1a\n")
    # A square at least as big as the smallest QR code (21 modules and a 4-module border)
    # drawn 10 pixels a module: large enough to print and scan.
    width, height = struct.unpack(">II", image.content[16:24])
    assert width == height >= (21 + 2 * 4) * 10
    calls = httpx.get(f"{wechat_server.url}/_fake/calls",
                      params={"path": "/cgi-bin/qrcode/create"}).json()
    scenes = [call["body"]["action_info"]["scene"]["scene_str"] for call in calls]
    assert scenes == [f"checkin_{door['event']}"]
    refused = client.get(f"/console/events/{door['other']}/qrcode.png")
    assert refused.status_code == 403
    assert len(httpx.get(f"{wechat_server.url}/_fake/calls",
                         params={"path": "/cgi-bin/qrcode/create"}).json()) == 1


def test_organizers_may_not_create_or_edit(client: TestClient, door: dict[str, object]) -> None:
    sign_in(client, str(door["alice"]))
    for path in ("/console/events/new", f"/console/events/{door['event']}/edit"):
        response = client.get(path)
        assert response.status_code == 403 and "只有管理员可以新建或修改活动" in response.text
    assert "编辑活动" not in client.get(f"/console/events/{door['event']}").text


def test_scoped_tokens_see_and_place_events_in_their_subtree(
        database_url: str, database: Database, settings: Settings) -> None:
    def tree(session: Session) -> dict[str, object]:
        committee = Org(name="机关党委", path="", created_at=datetime.now(UTC))
        session.add(committee)
        session.flush()
        committee.path = f"/{committee.id}/"
        orgs = {"committee": committee}
        for name in ("第一党支部", "第二党支部"):
            org = Org(name=name, parent_id=committee.id, path="", created_at=datetime.now(UTC))
            session.add(org)
            session.flush()
            org.path = f"{committee.path}{org.id}/"
            orgs[name] = org
        first, second = orgs["第一党支部"].id, orgs["第二党支部"].id
        theirs = create_event(session, title="二支部的会", org_id=second)
        return {"first": first, "second": second, "theirs": theirs.id,
                "admin": create_token(session, Role.ADMIN, "一支部书记", first)}

    world = run_unit(database, tree)
    with TestClient(create_app(settings)) as client:
        sign_in(client, str(world["admin"]))
        page = client.get("/console/events/new").text
        assert ">第一党支部<" in page and "第二党支部" not in page
        event_id = _create(client, org_id=str(world["first"]))
        assert _stored(database, event_id).org_id == world["first"]
        csrf = csrf_of(page)
        outside = client.post("/console/events/new", data={
            "csrf": csrf, **_event_form(org_id=str(world["second"]))})
        assert outside.status_code == 422 and "不在您的管理范围内" in outside.text
        for path in ("/edit", "/door", "/sheet"):
            assert client.get(f"/console/events/{world['theirs']}{path}").status_code == 404
        assert "二支部的会" not in client.get("/console").text


def test_a_meeting_needs_its_org_and_its_pages_open(admin: TestClient,
                                                     database: Database) -> None:
    """A 主题党日 is a meeting: its members are those of its org, so the form asks for one;
    once it has one, its page, door, sheet and form open as an activity's do."""
    csrf = csrf_of(admin.get("/console/events/new").text)
    refused = admin.post("/console/events/new",
                         data={"csrf": csrf, **_event_form(kind="theme_day")})
    assert refused.status_code == 422
    assert "会议须选择所属组织" in refused.text
    assert run_unit(database, lambda s: s.scalars(select(Event)).all()) == []
    branch = run_unit(database, lambda s: create_org(s, "第一党支部", datetime.now(UTC)).id)
    event_id = _create(admin, kind="theme_day", org_id=str(branch))
    for path in ("", "/edit", "/door", "/sheet"):
        page = admin.get(f"/console/events/{event_id}{path}")
        assert page.status_code == 200, (path, page.text)
        assert "主题党日：重温入党誓词" in page.text
    assert "主题党日：重温入党誓词" in admin.get("/console").text
