"""Notices over the admin API, sent over real HTTP to the fake WeChat platform: one by
one where the planner finds a channel, by a mass send to the notice's own tag for the
followers it does not (and to nobody else), and counted by channel with the reasons for
the rest."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.auth.tokens import BOOTSTRAP_ADMIN, Role, create_token
from app.db import Database
from app.fakewechat import DEV_APPS, FakeWeChatServer
from app.main import create_app
from app.models import (
    Member,
    Notice,
    NoticeMassMember,
    Org,
    OutboxMessage,
    RosterEntry,
    WeChatTagMember,
)
from app.notices import sending
from app.notices.tags import notice_tag_name, tag_name
from app.wechat.api import MemoryTokenStore, WeChatAPI
from tests.app.conftest import make_settings
from tests.support.factories import create_member
from tests.support.fake_platform import CUSTOM, SUBSCRIBE, FakeControl
from tests.support.notices import MP_TEMPLATE, NoticeParty, dispatch, seed_party
from tests.support.units import run_unit

ADMIN = "notices-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
APPID, SECRET = next(iter(DEV_APPS.items()))
SENDALL = "/cgi-bin/message/mass/sendall"
TAGGING = "/cgi-bin/tags/members/batchtagging"
UNTAGGING = "/cgi-bin/tags/members/batchuntagging"
CREATE_TAG = "/cgi-bin/tags/create"
DELETE_TAG = "/cgi-bin/tags/delete"


@dataclass
class World:
    client: TestClient
    database: Database
    party: NoticeParty
    fake: FakeControl
    url: str

    def notice(self, orgs: list[str] | None = None, *, everyone: bool = False,
               title: str = "关于开展主题党日活动的通知", headers: dict[str, str] = AUTH
               ) -> dict[str, Any]:
        answer = self.client.post("/api/admin/notices", headers=headers, json={
            "title": title, "body": "请各位党员周六上午九点到党员活动室参加。",
            "org_ids": [self.party.orgs[name] for name in orgs or []], "everyone": everyone})
        assert answer.status_code == 201, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def send(self, notice_id: int, headers: dict[str, str] = AUTH) -> dict[str, Any]:
        answer = self.client.post(f"/api/admin/notices/{notice_id}/send", headers=headers)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def get(self, notice_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self.client.get(f"/api/admin/notices/{notice_id}",
                                                 headers=AUTH).json()
        return result

    def dispatch(self, template_id: str | None = None) -> None:
        dispatch(self.database, self.url, template_id)

    def mass(self) -> list[dict[str, Any]]:
        sends: list[dict[str, Any]] = self.fake.http.get("/_fake/mass").json()
        return sends

    def tags(self) -> dict[str, list[str]]:
        return {tag["name"]: tag["openids"]
                for tag in self.fake.http.get("/_fake/tags").json()}

    def org_tags(self) -> dict[str, list[str]]:
        return {name: openids for name, openids in self.tags().items()
                if not name.startswith("通知#")}

    def api_call(self, call: Any) -> Any:
        """``call(api)`` against the fake platform, as the service's client makes it."""
        async def run() -> Any:
            async with httpx.AsyncClient(timeout=5) as http:
                return await call(WeChatAPI(http, app_id=APPID, app_secret=SECRET,
                                            base_url=self.url, token_store=MemoryTokenStore()))

        return asyncio.run(run())


def _world(database_url: str, database: Database, server: FakeWeChatServer,
           **settings: Any) -> Iterator[World]:
    fake = FakeControl(server.url)
    fake.reset()
    party = run_unit(database, seed_party)
    app = create_app(make_settings(
        database_url, admin_token=ADMIN, wechat_api_base=server.url, wechat_app_id=APPID,
        wechat_app_secret=SECRET, mp_reminder_template_id=MP_TEMPLATE, **settings))
    with TestClient(app) as client:
        yield World(client, database, party, fake, server.url)
    fake.close()


@pytest.fixture
def world(database_url: str, database: Database,
          fake_server: FakeWeChatServer) -> Iterator[World]:
    yield from _world(database_url, database, fake_server)


def test_bad_notices_are_refused_naming_the_field(world: World) -> None:
    answer = world.client.post("/api/admin/notices", headers=AUTH, json={
        "title": " ", "body": "正文" * 300, "org_ids": []})
    assert answer.status_code == 422
    fields = {error["field"]: error["message"] for error in answer.json()["errors"]}
    assert set(fields) == {"title", "body", "org_ids"}
    assert "标题" in fields["title"] and "500" in fields["body"]
    missing = world.client.post("/api/admin/notices", headers=AUTH, json={
        "title": "通知", "body": "正文", "org_ids": [987654]})
    assert missing.status_code == 422
    assert missing.json()["errors"] == [{"field": "org_ids", "message": "没有编号为 987654 的组织"}]
    assert world.client.get("/api/admin/notices", headers=AUTH).json() == []


def test_each_member_over_the_channel_the_platform_allows(world: World) -> None:
    created = world.notice(["第一党支部", "第一党小组"])
    # The 小组 lies in the 支部's subtree: one target.
    assert [target["name"] for target in created["targets"]] == ["第一党支部"]
    assert created["status"] == "draft" and created["reached_total"] == 0
    assert created["text"].startswith("【通知】关于开展主题党日活动的通知\n")
    assert created["template_data"]["thing1"] == "关于开展主题党日活动的通知"

    sent = world.send(created["id"])
    assert sent["status"] == "sent" and sent["sent_at"] is not None
    # 窗口内 (customer service) and 小程序 (subscribe) wait for the dispatcher; the two
    # followers outside the window were covered by the mass send; 已取关 by nothing.
    assert sent["reached"] == {"custom": 0, "template": 0, "subscribe": 0, "mass": 2}
    assert sent["on_the_way"] == 2 and sent["not_reached"] == 1
    assert len(sent["reasons"]) == 1 and sent["reasons"][0]["count"] == 1
    assert "未关注公众号" in sent["reasons"][0]["reason"]

    party = world.party
    first_tag = tag_name(run_unit(world.database,
                                  lambda s: s.get_one(Org, party.orgs["第一党支部"])))
    # The org's tag holds the branch's followers (the 小组 included), nobody of the second
    # branch; the notice's own tag only those no channel reached one by one.
    left = sorted(party.openids[name] for name in ("窗口外", "小组员"))
    assert world.tags() == {
        first_tag: sorted(party.openids[name] for name in ("窗口内", "窗口外", "小组员")),
        notice_tag_name(created["id"]): left}
    [mass] = world.mass()
    assert mass["content"] == created["text"] and mass["clientmsgid"] == \
        f"hongxin-notice-{created['id']}"
    # 窗口内, told by customer service, does not get the notice a second time.
    assert sorted(mass["delivered"]) == left
    recorded = run_unit(world.database, lambda s: s.get_one(Notice, created["id"]))
    assert recorded.mass_tag_id == mass["tag_id"] and recorded.mass_tag_deleted_at is None
    assert recorded.mass_sends == [{"tag_id": mass["tag_id"], "msg_id": mass["msg_id"],
                                    "error": None, "members": 2}]
    assert run_unit(world.database, lambda s: s.scalars(select(NoticeMassMember)).all()) == []
    assert sent["mass_send"] == {"members": 2, "msg_id": mass["msg_id"], "error": None,
                                 "tag_deleted": False}
    assert created["mass_send"] is None

    world.dispatch()
    done = world.get(created["id"])
    assert done["reached"] == {"custom": 1, "template": 0, "subscribe": 1, "mass": 2}
    assert (done["reached_total"], done["on_the_way"], done["not_reached"]) == (4, 0, 1)
    told = [call["body"]["touser"] for call in world.fake.delivered(CUSTOM)]
    assert told == [party.openids["窗口内"]]
    assert [call["body"]["touser"] for call in world.fake.delivered(SUBSCRIBE)] == \
        ["mp_notice_04"]

    again = world.client.post(f"/api/admin/notices/{created['id']}/send", headers=AUTH)
    assert again.status_code == 409 and "已经发送" in again.json()["message"]
    assert len(world.mass()) == 1


def test_the_tag_follows_the_roster_at_the_next_send(world: World) -> None:
    party = world.party
    world.send(world.notice(["第一党支部"])["id"])
    assert len(world.fake.calls(CREATE_TAG)) == 2  # the org's tag and the notice's

    # 小组员 moves to the second branch; 窗口外 is unbound.
    def change(session: Any) -> None:
        session.execute(update(RosterEntry).where(RosterEntry.member_id == party.members["小组员"])
                        .values(org_id=party.orgs["第二党支部"]))
        session.execute(update(RosterEntry).where(RosterEntry.member_id == party.members["窗口外"])
                        .values(member_id=None, bound_at=None))

    run_unit(world.database, change)
    world.fake.clear_calls()
    second = world.send(world.notice(["第一党支部"], title="第二次通知")["id"])
    assert world.fake.calls(CREATE_TAG) == []
    [untagged] = world.fake.calls(UNTAGGING)
    assert sorted(untagged["body"]["openid_list"]) == sorted(
        [party.openids["窗口外"], party.openids["小组员"]])
    assert world.fake.calls(TAGGING) == []
    assert list(world.org_tags().values()) == [[party.openids["窗口内"]]]
    held = run_unit(world.database, lambda s: s.scalars(select(WeChatTagMember.member_id)).all())
    assert held == [party.members["窗口内"]]
    # Nobody left for the mass send: it did not go, and the notice has no tag.
    assert len(world.mass()) == 1 and second["reached"]["mass"] == 0
    assert notice_tag_name(second["id"]) not in world.tags()


def test_a_member_past_four_mass_messages_this_month_is_not_reached(world: World) -> None:
    for number in range(4):
        world.send(world.notice(["第一党小组"], title=f"第{number + 1}次通知")["id"])
    assert [len(sent["delivered"]) for sent in world.mass()] == [1, 1, 1, 1]
    fifth = world.send(world.notice(["第一党小组"], title="第五次通知")["id"])
    assert fifth["reached"]["mass"] == 0 and fifth["not_reached"] == 1
    [reason] = fifth["reasons"]
    assert "本月已收到 4 条群发消息" in reason["reason"]
    assert len(world.mass()) == 4
    # The branch above counts the 小组's sends for the 小组员 only.
    branch = world.send(world.notice(["第一党支部"], title="支部通知")["id"])
    assert branch["reached"]["mass"] == 1
    assert any("本月已收到 4 条" in reason["reason"] for reason in branch["reasons"])
    assert world.mass()[-1]["delivered"] == [world.party.openids["窗口外"]]


def test_the_budget_counts_what_each_member_received_by_mass_send(world: World) -> None:
    """Reached one by one, a member spends nothing of the month's four mass messages,
    however many notices went to their org."""
    party = world.party
    for number in range(4):
        world.send(world.notice(["第一党支部"], title=f"第{number + 1}次通知")["id"])
    # 窗口内 was told each time by customer service, never by a mass send.
    assert all(party.openids["窗口内"] not in sent["delivered"] for sent in world.mass())

    # 窗口内's window has closed: the next notice is their first mass message this month.
    def close_window(session: Any) -> None:
        session.execute(update(Member).where(Member.id == party.members["窗口内"])
                        .values(last_interaction_at=datetime.now(UTC) - timedelta(days=3)))

    run_unit(world.database, close_window)
    fifth = world.send(world.notice(["第一党支部"], title="第五次通知")["id"])
    assert fifth["reached"]["mass"] == 1
    assert world.mass()[-1]["delivered"] == [party.openids["窗口内"]]
    assert sum("本月已收到 4 条" in reason["reason"] for reason in fifth["reasons"]) == 1


def test_a_refused_mass_send_says_why(world: World) -> None:
    world.fake.http.post("/_fake/mass-quota", json={"left": 0}).raise_for_status()
    sent = world.send(world.notice(["第一党支部"])["id"])
    assert sent["reached"]["mass"] == 0
    reasons = {reason["reason"]: reason["count"] for reason in sent["reasons"]}
    assert sum(count for reason, count in reasons.items() if "群发次数已用完" in reason) == 2
    failed = run_unit(world.database, lambda s: s.scalars(
        select(OutboxMessage.status).where(OutboxMessage.status == "failed")).all())
    assert len(failed) == 2


def test_tags_created_before_are_found_by_their_names(world: World) -> None:
    org = run_unit(world.database, lambda s: s.get_one(Org, world.party.orgs["第一党支部"]))
    created = world.notice(["第一党支部"])

    async def create_first(api: WeChatAPI) -> list[int]:
        return [await api.create_tag(tag_name(org)),
                await api.create_tag(notice_tag_name(created["id"]))]

    org_tag, notice_tag = world.api_call(create_first)
    sent = world.send(created["id"])
    assert sent["reached"]["mass"] == 2
    assert [call["errcode"] for call in world.fake.calls(CREATE_TAG)] == [0, 0, 45157, 45157]
    assert len(world.tags()) == 2
    assert [mass["tag_id"] for mass in world.mass()] == [notice_tag]
    assert run_unit(world.database, lambda s: (s.get_one(Org, org.id).wechat_tag_id,
                                               s.get_one(Notice, created["id"]).mass_tag_id)) \
        == (org_tag, notice_tag)


def test_everyone_goes_to_every_root_org(world: World) -> None:
    sent = world.send(world.notice(everyone=True)["id"])
    assert sent["target_label"] == "全体党员"
    assert sent["on_the_way"] == 3  # 窗口内, 二支部 (customer service), 小程序 (subscribe)
    # One mass send, to those no customer-service message reaches.
    [mass] = world.mass()
    assert sorted(mass["delivered"]) == sorted(
        world.party.openids[name] for name in ("窗口外", "小组员"))


def test_a_branch_token_targets_and_sees_only_its_subtree(world: World) -> None:
    party = world.party
    token = run_unit(world.database, lambda s: create_token(
        s, Role.ADMIN, "二支部书记", party.orgs["第二党支部"]))
    branch = {"Authorization": f"Bearer {token}"}
    theirs = world.notice(["第一党支部"])
    refused = world.client.post("/api/admin/notices", headers=branch, json={
        "title": "越界", "body": "越界", "org_ids": [party.orgs["第一党支部"]]})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "org_ids"
    everyone = world.client.post("/api/admin/notices", headers=branch, json={
        "title": "全体", "body": "全体", "everyone": True})
    assert everyone.status_code == 422 and everyone.json()["errors"][0]["field"] == "everyone"
    assert world.client.get(f"/api/admin/notices/{theirs['id']}", headers=branch).status_code \
        == 404
    assert world.client.post(f"/api/admin/notices/{theirs['id']}/send",
                             headers=branch).status_code == 404
    assert world.get(theirs["id"])["status"] == "draft"

    own = world.notice(["第二党支部"], headers=branch)
    assert [n["id"] for n in world.client.get("/api/admin/notices", headers=branch).json()] \
        == [own["id"]]
    assert {n["id"] for n in world.client.get("/api/admin/notices", headers=AUTH).json()} == \
        {own["id"], theirs["id"]}
    sent = world.send(own["id"], headers=branch)
    assert sent["on_the_way"] == 1 and world.mass() == []


def test_a_branch_organizer_writes_and_sends_within_its_subtree(world: World) -> None:
    party = world.party
    token = run_unit(world.database, lambda s: create_token(
        s, Role.ORGANIZER, "一支部组织委员", party.orgs["第一党支部"]))
    organizer = {"Authorization": f"Bearer {token}"}
    outside = world.client.post("/api/admin/notices", headers=organizer, json={
        "title": "越界", "body": "越界", "org_ids": [party.orgs["第二党支部"]]})
    assert outside.status_code == 422 and outside.json()["errors"][0]["field"] == "org_ids"
    everyone = world.client.post("/api/admin/notices", headers=organizer, json={
        "title": "全体", "body": "全体", "everyone": True})
    assert everyone.status_code == 422 and everyone.json()["errors"][0]["field"] == "everyone"
    admins = world.notice(["第一党小组"])  # an admin's notice inside the branch
    others = world.notice(["第二党支部"])
    own = world.notice(["第一党小组"], title="小组会通知", headers=organizer)
    listed = world.client.get("/api/admin/notices", headers=organizer).json()
    assert {n["id"] for n in listed} == {own["id"], admins["id"]}
    assert world.client.get(f"/api/admin/notices/{others['id']}",
                            headers=organizer).status_code == 404
    sent = world.send(own["id"], headers=organizer)
    assert sent["status"] == "sent" and sent["reached"]["mass"] == 1
    assert world.send(admins["id"], headers=organizer)["status"] == "sent"


def test_an_organizer_of_no_org_sees_only_the_notices_it_wrote(world: World) -> None:
    party = world.party
    first, second = run_unit(world.database, lambda s: (
        create_token(s, Role.ORGANIZER, "组织员甲"), create_token(s, Role.ORGANIZER, "组织员乙")))
    mine, theirs = ({"Authorization": f"Bearer {token}"} for token in (first, second))
    everyone = world.client.post("/api/admin/notices", headers=mine, json={
        "title": "全体", "body": "全体", "everyone": True})
    assert everyone.status_code == 422 and everyone.json()["errors"][0]["field"] == "everyone"
    written = world.notice(["第二党支部"], headers=mine)
    world.notice(["第二党支部"], title="管理员的通知")
    assert [n["id"] for n in world.client.get("/api/admin/notices", headers=mine).json()] \
        == [written["id"]]
    assert world.client.get("/api/admin/notices", headers=theirs).json() == []
    # As an event assigned to another organizer: 403, and nothing is sent.
    assert world.client.post(f"/api/admin/notices/{written['id']}/send",
                             headers=theirs).status_code == 403
    assert world.get(written["id"])["status"] == "draft"
    assert world.send(written["id"], headers=mine)["on_the_way"] == 1
    assert party.orgs["第二党支部"] in [t["id"] for t in world.get(written["id"])["targets"]]


@pytest.fixture
def templated(database_url: str, database: Database,
              fake_server: FakeWeChatServer) -> Iterator[World]:
    yield from _world(database_url, database, fake_server, reminder_template_id="tmpl-notice")


def test_with_a_template_the_window_does_not_matter(templated: World) -> None:
    sent = templated.send(templated.notice(["第一党支部"])["id"])
    # 窗口外 and 小组员 get the template message: nobody is left for a mass send.
    assert templated.mass() == []
    assert sent["on_the_way"] == 4 and sent["not_reached"] == 1
    templated.dispatch(template_id="tmpl-notice")
    done = templated.get(sent["id"])
    assert done["reached"] == {"custom": 1, "template": 2, "subscribe": 1, "mass": 0}
    fields = [call["body"]["data"] for call in templated.fake.delivered(
        "/cgi-bin/message/template/send")]
    assert all(data["thing1"]["value"] == "关于开展主题党日活动的通知" for data in fields)
    assert all(data["thing3"]["value"] == "第一党支部" for data in fields)


def _plan(world: World, notice_id: int) -> sending.Planned:
    channels = sending.Channels(None, MP_TEMPLATE, ZoneInfo("Asia/Shanghai"))
    return run_unit(world.database, lambda s: sending.plan_notice(
        s, notice_id=notice_id, principal=BOOTSTRAP_ADMIN, channels=channels,
        now=datetime.now(UTC)))


def test_a_send_cut_short_is_finished_by_sending_again(world: World) -> None:
    """The process died after the plan and after the platform took the mass send, before
    anything was recorded: sending again sends nothing twice and counts everyone once."""
    created = world.notice(["第一党支部"])
    planned = _plan(world, created["id"])

    async def mass_only(api: WeChatAPI) -> None:
        await sending.mass_send(api, planned)

    world.api_call(mass_only)
    assert world.get(created["id"])["status"] == "sending"
    assert len(world.mass()) == 1

    sent = world.send(created["id"])
    assert [call["errcode"] for call in world.fake.calls(SENDALL)] == [0, 45065]
    # The org's tag and the notice's, created by the first try, are found by their names.
    assert [call["errcode"] for call in world.fake.calls(CREATE_TAG)] == [0, 0, 45157, 45157]
    assert len(world.mass()) == 1
    assert (sent["status"], sent["reached"]["mass"], sent["on_the_way"], sent["not_reached"]) \
        == ("sent", 2, 2, 1)
    rows = run_unit(world.database, lambda s: s.scalars(select(OutboxMessage.member_id)).all())
    assert len(rows) == len(set(rows)) == 5


def test_a_member_left_to_the_mass_send_stays_there_when_sent_again(world: World) -> None:
    """窗口外 was left to the mass send, which went out; then they wrote to the account
    (a customer-service window opened) before the send was finished: sending again must
    not tell them a second time one by one."""
    party = world.party
    created = world.notice(["第一党支部"])
    planned = _plan(world, created["id"])
    assert set(planned.mass.members) == {party.members["窗口外"], party.members["小组员"]}

    async def mass_only(api: WeChatAPI) -> None:
        await sending.mass_send(api, planned)

    world.api_call(mass_only)

    def open_window(session: Any) -> None:
        session.execute(update(Member).where(Member.id == party.members["窗口外"])
                        .values(last_interaction_at=datetime.now(UTC)))

    run_unit(world.database, open_window)
    sent = world.send(created["id"])
    assert sent["reached"]["mass"] == 2 and sent["on_the_way"] == 2
    world.dispatch()
    told = [call["body"]["touser"] for call in world.fake.delivered(CUSTOM)]
    assert told == [party.openids["窗口内"]]
    [mass] = world.mass()
    assert sorted(mass["delivered"]) == sorted(party.openids[name] for name in ("窗口外", "小组员"))


def test_a_member_bound_after_an_earlier_mass_send_is_not_counted_as_reached(
        world: World) -> None:
    """The earlier try's mass send went to the tag as it was; someone bound since is put
    in the tag by the second try, but the platform answers its mass send with 45065: they
    are not counted as reached, and say why."""
    party = world.party
    created = world.notice(["第一党支部"])
    planned = _plan(world, created["id"])

    async def mass_only(api: WeChatAPI) -> None:
        await sending.mass_send(api, planned)

    world.api_call(mass_only)

    def bind_newcomer(session: Any) -> int:
        now = datetime.now(UTC)
        member = create_member(session, openid="o_notice_newcomer",
                               last_interaction_at=now - timedelta(days=3))
        session.add(RosterEntry(name="新党员", phone="13700009999",
                                org_id=party.orgs["第一党支部"], status="正式党员",
                                member_id=member.id, bound_at=now, created_at=now,
                                updated_at=now))
        return member.id

    run_unit(world.database, bind_newcomer)
    sent = world.send(created["id"])
    assert [call["errcode"] for call in world.fake.calls(SENDALL)] == [0, 45065]
    assert sent["reached"]["mass"] == 2 and sent["not_reached"] == 2
    assert sum("此后才需群发的成员未能收到" in reason["reason"] and reason["count"] == 1
               for reason in sent["reasons"]) == 1
    [mass] = world.mass()
    assert "o_notice_newcomer" not in mass["delivered"]


def test_a_send_cut_short_before_the_mass_send_sends_it_once(world: World) -> None:
    party = world.party
    created = world.notice(["第一党支部"])
    _plan(world, created["id"])
    assert world.mass() == []
    sent = world.send(created["id"])
    [mass] = world.mass()
    assert sorted(mass["delivered"]) == sorted(party.openids[name] for name in ("窗口外", "小组员"))
    assert (sent["reached"]["mass"], sent["on_the_way"], sent["not_reached"]) == (2, 2, 1)


def _sent_days_ago(world: World, notice_id: int, days: float) -> None:
    def move(session: Any) -> None:
        session.execute(update(Notice).where(Notice.id == notice_id)
                        .values(sent_at=datetime.now(UTC) - timedelta(days=days)))

    run_unit(world.database, move)


def test_notice_tags_are_deleted_a_day_after_their_send(world: World) -> None:
    first = world.send(world.notice(["第一党小组"], title="第一次通知")["id"])
    second = world.send(world.notice(["第一党小组"], title="第二次通知")["id"])
    first_tag, second_tag = (notice_tag_name(first["id"]), notice_tag_name(second["id"]))
    assert {first_tag, second_tag} <= set(world.tags())
    assert world.fake.calls(DELETE_TAG) == []

    # A day later the first notice's tag goes at the next notice's mass step; the second,
    # sent only hours before, keeps its tag (the platform may still be sending to it).
    _sent_days_ago(world, first["id"], 1.5)
    _sent_days_ago(world, second["id"], 0.5)
    first_id = run_unit(world.database, lambda s: s.get_one(Notice, first["id"]).mass_tag_id)
    third = world.send(world.notice(["第一党小组"], title="第三次通知")["id"])
    assert [call["body"]["tag"]["id"] for call in world.fake.calls(DELETE_TAG)] == [first_id]
    assert first_tag not in world.tags() and second_tag in world.tags()
    assert notice_tag_name(third["id"]) in world.tags()
    gone = run_unit(world.database, lambda s: {
        notice.id: notice.mass_tag_deleted_at is not None
        for notice in s.scalars(select(Notice))})
    assert gone == {first["id"]: True, second["id"]: False, third["id"]: False}
    assert world.get(first["id"])["mass_send"]["tag_deleted"] is True
    assert world.get(second["id"])["mass_send"]["tag_deleted"] is False

    # A tag deleted meanwhile in the platform's back office (45159) is recorded as gone.
    _sent_days_ago(world, second["id"], 2)
    second_id = run_unit(world.database, lambda s: s.get_one(Notice, second["id"]).mass_tag_id)
    world.api_call(lambda api: api.delete_tag(second_id))
    world.fake.clear_calls()
    world.send(world.notice(["第二党支部"], title="第四次通知")["id"])
    assert [call["errcode"] for call in world.fake.calls(DELETE_TAG)] == [45159]
    assert run_unit(world.database, lambda s: s.get_one(Notice, second["id"])
                    .mass_tag_deleted_at) is not None


def test_an_account_with_100_tags_cannot_mass_send_until_old_ones_go(world: World) -> None:
    async def fill(api: WeChatAPI) -> None:
        for number in range(100 - len(world.tags())):
            await api.create_tag(f"后台标签{number}")

    earlier = world.send(world.notice(["第一党小组"], title="上周的通知")["id"])
    world.api_call(fill)
    sent = world.send(world.notice(["第一党支部"])["id"])
    assert 45056 in [call["errcode"] for call in world.fake.calls(CREATE_TAG)]
    assert sent["reached"]["mass"] == 0
    reasons = {reason["reason"]: reason["count"] for reason in sent["reasons"]}
    assert sum(count for reason, count in reasons.items() if "100 个上限" in reason) == 2
    assert len(world.mass()) == 1  # the earlier notice's only
    assert "100 个上限" in sent["mass_send"]["error"] and sent["mass_send"]["msg_id"] is None

    # Once the earlier notice's tag is due to go, its place is this notice's.
    _sent_days_ago(world, earlier["id"], 2)
    later = world.send(world.notice(["第一党小组"], title="下一次通知")["id"])
    assert later["reached"]["mass"] == 1 and len(world.mass()) == 2
    assert notice_tag_name(earlier["id"]) not in world.tags()
