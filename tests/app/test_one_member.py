"""One person, one member: the official account's and the mini-program's member merged by unionid.

Everything goes through the public surfaces: signed chat XML to ``/wechat``,
the mini-program's HTTP API, and ``hongxin fake-wechat`` (linking one
person's openid and login codes to one unionid, and logging ``user/info``).
The scheduler's unionid job is run as the scheduler runs it. The race tests
send the mini-program logins, the job, chat messages and mini-program
requests of one person all at once, on SQLite and on PostgreSQL, and then
check what must hold whatever the order: one live member, every seat
counted once, every ledger line counted once.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import ForeignKey, func, select
from sqlalchemy.orm import Session

from app.db import Database
from app.events.signups import sign_up
from app.fakewechat import DEV_APPS, FakeWeChatServer
from app.main import create_app
from app.members.merge import MERGE_STEPS
from app.members.unionids import learn_unionids
from app.models import (
    Attendance,
    Base,
    Event,
    Member,
    MiniProgramSession,
    OutboxMessage,
    PointsBalance,
    PointsEntry,
    RosterEntry,
    Signup,
)
from app.orgs.service import create_org
from app.points.rules import Activity
from app.points.service import award
from app.wechat import codec
from tests.app.conftest import make_settings
from tests.support.factories import create_event, create_member
from tests.support.fake_platform import USER_INFO_BATCH, FakeControl
from tests.support.units import run_unit
from tests.support.wechat import Platform, message_xml

ZONE = ZoneInfo("Asia/Shanghai")
PLATFORM = Platform()
_people = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Person:
    """One person's ids on the platform: the account's openid, login codes, mini-program openid."""

    openid: str
    mp_openid: str
    unionid: str
    codes: tuple[str, ...]


def person(fake: FakeControl, codes: int = 3) -> Person:
    n = next(_people)
    one = Person(openid=f"oAccount{n:020d}", mp_openid=f"oMini{n:023d}",
                 unionid=f"uPerson{n:021d}",
                 codes=tuple(f"code-{n}-{c}" for c in range(codes)))
    fake.person(one.unionid, openids=[one.openid], js_codes=list(one.codes),
                mp_openid=one.mp_openid)
    return one


@dataclass
class Hongxin:
    app: FastAPI
    http: httpx.AsyncClient
    database: Database

    async def say(self, openid: str, text: str) -> str:
        params, body = PLATFORM.plain(message_xml("text", openid, content=text))
        answer = await self.http.post("/wechat", params=params, content=body)
        assert answer.status_code == 200, answer.text
        return str(codec.parse_fields(answer.text).get("Content", "")) if answer.text else ""

    async def login(self, code: str) -> str:
        answer = await self.http.post("/api/mp/login", json={"code": code})
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["token"]
        return token

    async def mp(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(method, path, headers={"Authorization": f"Bearer {token}"},
                                       **kwargs)

    async def learn_unionids(self) -> None:
        """What the scheduler's ``unionids`` job does every minute."""
        await learn_unionids(self.database, self.app.state.wechat_api, datetime.now(UTC), ZONE)

    def member(self, **where: str) -> Member:
        def work(session: Session) -> Member:
            (column, value), = where.items()
            return session.scalars(select(Member).where(getattr(Member, column) == value)).one()

        return run_unit(self.database, work)


@pytest.fixture
async def hongxin(database_url: str, fake_server: FakeWeChatServer,
                  fake: FakeControl) -> AsyncIterator[Hongxin]:
    # The callbacks are plain (not encrypted), so the account may use the fake's app id.
    app = create_app(make_settings(database_url, wechat_api_base=fake_server.url,
                                   wechat_app_id=next(iter(DEV_APPS))))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hongxin",
                                     timeout=60) as http:
            yield Hongxin(app, http, app.state.database)


def arrange(database: Database, work: Any) -> Any:
    return run_unit(database, work)


# --------------------------------------------------------------------------- the design


def test_every_column_that_refers_to_a_member_is_merged() -> None:
    """A new table that refers to members must say how a merge treats it."""
    referring = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        for key in column.foreign_keys
        if isinstance(key, ForeignKey) and key.column.table.name == "members"
        and f"{table.name}.{column.name}" != "members.merged_into_id"
    }
    assert referring == set(MERGE_STEPS)


# --------------------------------------------------------------------------- one at a time


async def test_a_login_joins_the_follower_whose_unionid_the_job_learned(
        hongxin: Hongxin, fake: FakeControl) -> None:
    someone = person(fake)
    await hongxin.say(someone.openid, "姓名 张三")
    await hongxin.learn_unionids()
    assert [call["body"]["user_list"] for call in fake.calls(USER_INFO_BATCH)] == [
        [{"openid": someone.openid, "lang": "zh_CN"}]]
    follower = hongxin.member(openid=someone.openid)
    assert follower.unionid == someone.unionid

    token = await hongxin.login(someone.codes[0])
    profile = (await hongxin.mp("GET", "/api/mp/profile", token)).json()
    assert profile["name"] == "张三"
    tombstone = hongxin.member(openid=someone.mp_openid)
    assert tombstone.merged_into_id == follower.id
    assert hongxin.member(openid=someone.openid).mp_openid == someone.mp_openid

    # A second login finds the survivor straight away; the job does not ask again.
    again = await hongxin.login(someone.codes[1])
    assert (await hongxin.mp("GET", "/api/mp/profile", again)).json()["name"] == "张三"
    await hongxin.learn_unionids()
    assert len(fake.calls(USER_INFO_BATCH)) == 1


async def test_the_job_merges_a_mini_program_member_into_the_follower(
        hongxin: Hongxin, fake: FakeControl) -> None:
    someone = person(fake)
    now = datetime.now(UTC)
    token = await hongxin.login(someone.codes[0])
    await hongxin.say(someone.openid, "帮助")
    follower_id = hongxin.member(openid=someone.openid).id
    app_member_id = hongxin.member(openid=someone.mp_openid).id

    def seats_and_points(session: Session) -> tuple[int, int, int]:
        full = create_event(session, capacity=2)
        spare = create_event(session, capacity=5)
        waiting = create_member(session)
        for reference in ("lesson:1", "lesson:2"):  # lesson 1 read on both sides
            award(session, follower_id, Activity.LESSON_READ, "lesson:1", now, ZONE)
            award(session, app_member_id, Activity.LESSON_READ, reference, now, ZONE)
        award(session, app_member_id, Activity.ANSWER_CORRECT, "answer:7:1", now, ZONE)
        return full.id, spare.id, waiting.id

    full, spare, waiting = arrange(hongxin.database, seats_and_points)
    assert (await hongxin.mp("POST", f"/api/mp/events/{full}/signup", token)).status_code == 201
    assert (await hongxin.mp("POST", f"/api/mp/events/{spare}/signup", token)).status_code == 201
    await hongxin.say(someone.openid, f"报名 {full}")

    def waitlist(session: Session) -> None:
        assert sign_up(session, waiting, full, now, ZONE).outcome == "waitlisted"

    arrange(hongxin.database, waitlist)

    await hongxin.learn_unionids()

    def state(session: Session) -> dict[str, Any]:
        signups = session.execute(select(Signup.event_id, Signup.member_id, Signup.status)
                                  .order_by(Signup.id)).all()
        return {
            "signups": [tuple(row) for row in signups],
            "seats": session.scalar(select(Event.seats_taken).where(Event.id == full)),
            "lines": session.execute(select(PointsEntry.reference, PointsEntry.delta)
                                     .where(PointsEntry.member_id == follower_id)
                                     .order_by(PointsEntry.id)).all(),
            "balance": session.get(PointsBalance, follower_id),
            "left_behind": session.scalar(select(func.count()).select_from(PointsEntry)
                                          .where(PointsEntry.member_id == app_member_id)),
            "withdrawn": session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.status == "withdrawn")),
        }

    after = arrange(hongxin.database, state)
    # Both of the person's confirmed seats at the full event: one stays, the other goes
    # to the waitlist, and its reminder is withdrawn.
    live = [row for row in after["signups"] if row[2] != "cancelled"]
    assert sorted(live) == sorted([(full, follower_id, "confirmed"),
                                   (spare, follower_id, "confirmed"),
                                   (full, waiting, "confirmed")])
    assert after["seats"] == 2
    assert after["withdrawn"] == 1
    assert after["left_behind"] == 0
    # lesson:1 counted once: its second copy moved with a reversal beside it.
    assert after["balance"].total == sum(delta for _ref, delta in after["lines"]) == 3
    references = [reference for reference, _delta in after["lines"]]
    assert f"lesson:1:merged:{app_member_id}" in references

    # The old token is the survivor's now.
    profile = (await hongxin.mp("GET", "/api/mp/profile", token)).json()
    assert profile["points"] == 3
    mine = (await hongxin.mp("GET", "/api/mp/signups", token)).json()
    assert sorted(event["id"] for event in mine) == [full, spare]


async def test_a_merged_person_is_ranked_once_with_both_sides_points(
        hongxin: Hongxin, fake: FakeControl) -> None:
    someone = person(fake)
    now = datetime.now(UTC)
    await hongxin.login(someone.codes[0])
    await hongxin.say(someone.openid, "帮助")
    follower_id = hongxin.member(openid=someone.openid).id
    app_member_id = hongxin.member(openid=someone.mp_openid).id

    def points(session: Session) -> tuple[int, int]:
        other = create_member(session, openid="oSomeoneElse").id
        lesson = award(session, other, Activity.LESSON_READ, "lesson:1", now, ZONE)
        award(session, follower_id, Activity.LESSON_READ, "lesson:1", now, ZONE)
        answer = award(session, app_member_id, Activity.ANSWER_CORRECT, "answer:7:1", now, ZONE)
        return lesson, answer

    lesson, answer = arrange(hongxin.database, points)
    assert lesson > 0 and answer > 0
    await hongxin.learn_unionids()
    assert hongxin.member(openid=someone.mp_openid).merged_into_id == follower_id

    # Three members had points before the merge; one person is one member after it.
    assert (f"您的红色积分：{lesson + answer} 分，排名第 1 名（共 2 人）。"
            in await hongxin.say(someone.openid, "积分"))
    assert (f"您的红色积分：{lesson} 分，排名第 2 名（共 2 人）。"
            in await hongxin.say("oSomeoneElse", "积分"))


async def test_an_earlier_roster_binding_wins_over_a_later_one(
        hongxin: Hongxin, fake: FakeControl) -> None:
    someone = person(fake)
    await hongxin.say(someone.openid, "帮助")
    token = await hongxin.login(someone.codes[0])
    follower_id = hongxin.member(openid=someone.openid).id
    app_member_id = hongxin.member(openid=someone.mp_openid).id
    now = datetime.now(UTC)

    def bind_both(session: Session) -> tuple[int, int]:
        first = create_org(session, "第一党支部", now)
        second = create_org(session, "第二党支部", now)
        early = RosterEntry(name="张三", phone="13800000001", org_id=second.id, status="正式党员",
                            member_id=app_member_id, bound_at=now - timedelta(days=3),
                            created_at=now, updated_at=now)
        late = RosterEntry(name="张三", phone="13800000002", org_id=first.id, status="正式党员",
                           member_id=follower_id, bound_at=now - timedelta(days=1),
                           created_at=now, updated_at=now)
        session.add_all([early, late])
        session.flush()
        return early.id, late.id

    early, late = arrange(hongxin.database, bind_both)
    await hongxin.learn_unionids()

    def bindings(session: Session) -> dict[int, int | None]:
        rows = session.execute(select(RosterEntry.id, RosterEntry.member_id)).all()
        return dict(rows)

    assert arrange(hongxin.database, bindings) == {early: follower_id, late: None}
    assert (await hongxin.mp("GET", "/api/mp/profile", token)).json()["org"] == "第二党支部"


async def test_meeting_attendance_keeps_one_row_per_meeting_saying_the_most(
        hongxin: Hongxin, fake: FakeControl) -> None:
    someone = person(fake)
    await hongxin.say(someone.openid, "帮助")
    await hongxin.login(someone.codes[0])
    follower_id = hongxin.member(openid=someone.openid).id
    app_member_id = hongxin.member(openid=someone.mp_openid).id
    now = datetime.now(UTC)

    def expected_at_two_meetings(session: Session) -> tuple[int, int]:
        both = create_event(session, kind="branch_assembly", title="支部党员大会")
        app_only = create_event(session, kind="party_lecture", title="党课")
        session.add_all([
            Attendance(event_id=both.id, member_id=follower_id, status="expected",
                       created_at=now),
            Attendance(event_id=both.id, member_id=app_member_id, status="present",
                       checked_in_at=now, checked_in_by="chat", created_at=now),
            Attendance(event_id=app_only.id, member_id=app_member_id, status="leave",
                       reason="出差", leave_at=now, created_at=now)])
        session.flush()
        return both.id, app_only.id

    both, app_only = arrange(hongxin.database, expected_at_two_meetings)
    await hongxin.learn_unionids()

    def attendance(session: Session) -> list[tuple[int, int, str]]:
        rows = session.execute(select(Attendance.event_id, Attendance.member_id,
                                      Attendance.status).order_by(Attendance.event_id)).all()
        return [tuple(row) for row in rows]

    assert arrange(hongxin.database, attendance) == [(both, follower_id, "present"),
                                                     (app_only, follower_id, "leave")]


# --------------------------------------------------------------------------- at once


async def test_logins_the_job_chat_and_app_requests_at_once(
        hongxin: Hongxin, fake: FakeControl) -> None:
    for _round in range(3):
        await one_race(hongxin, fake)


async def one_race(hongxin: Hongxin, fake: FakeControl) -> None:
    someone = person(fake, codes=4)
    now = datetime.now(UTC)
    token = await hongxin.login(someone.codes[0])
    await hongxin.say(someone.openid, "帮助")
    follower_id = hongxin.member(openid=someone.openid).id
    app_member_id = hongxin.member(openid=someone.mp_openid).id

    def events_and_points(session: Session) -> list[int]:
        ids = [create_event(session, capacity=capacity).id for capacity in (1, 3, 3)]
        for member_id in (follower_id, app_member_id):
            award(session, member_id, Activity.LESSON_READ, "lesson:1", now, ZONE)
            award(session, member_id, Activity.ANSWER_CORRECT, f"answer:{member_id}", now, ZONE)
        return ids

    tight, first, second = arrange(hongxin.database, events_and_points)
    assert (await hongxin.mp("POST", f"/api/mp/events/{tight}/signup", token)).status_code == 201
    await hongxin.say(someone.openid, f"报名 {tight}")  # waitlisted behind the app member

    answers = await asyncio.gather(
        hongxin.learn_unionids(),
        hongxin.login(someone.codes[1]),
        hongxin.login(someone.codes[2]),
        hongxin.say(someone.openid, f"报名 {first}"),
        hongxin.mp("POST", f"/api/mp/events/{first}/signup", token),
        hongxin.mp("POST", f"/api/mp/events/{second}/signup", token),
        hongxin.say(someone.openid, f"报名 {second}"),
        hongxin.say(someone.openid, "积分"),
        hongxin.mp("GET", "/api/mp/profile", token),
    )
    for answer in answers:
        if isinstance(answer, httpx.Response):
            assert answer.status_code in (200, 201), answer.text

    def check(session: Session) -> None:
        follower = session.get_one(Member, follower_id)
        tombstone = session.get_one(Member, app_member_id)
        assert tombstone.merged_into_id == follower_id
        assert (follower.unionid, follower.mp_openid) == (someone.unionid, someone.mp_openid)
        assert (tombstone.unionid, tombstone.mp_openid) == (None, None)
        for table, column in ((Signup, Signup.member_id), (PointsEntry, PointsEntry.member_id),
                              (MiniProgramSession, MiniProgramSession.member_id)):
            left = session.scalar(select(func.count()).select_from(table)
                                  .where(column == app_member_id))
            assert left == 0, table
        assert session.get(PointsBalance, app_member_id) is None
        for event_id in (tight, first, second):
            live = session.execute(select(Signup.member_id, Signup.status).where(
                Signup.event_id == event_id, Signup.status != "cancelled")).all()
            assert [member for member, _status in live] == [follower_id], event_id
            confirmed = sum(status == "confirmed" for _member, status in live)
            assert session.get_one(Event, event_id).seats_taken == confirmed
        mine = session.execute(select(Signup.event_id, Signup.status).where(
            Signup.member_id == follower_id, Signup.status != "cancelled")).all()
        assert dict(mine) == {
            tight: "confirmed", first: "confirmed", second: "confirmed"}
        lines = session.scalars(select(PointsEntry.delta)
                                .where(PointsEntry.member_id == follower_id)).all()
        balance = session.get_one(PointsBalance, follower_id).total
        # lesson:1 once, each side's answer once.
        assert balance == sum(lines) == 3
        assert session.scalar(select(func.count()).select_from(MiniProgramSession)
                              .where(MiniProgramSession.member_id == follower_id)) == 3

    arrange(hongxin.database, check)
    profile = (await hongxin.mp("GET", "/api/mp/profile", token)).json()
    assert profile["points"] == 3


async def test_erasing_the_survivor_forgets_both_openids(
        hongxin: Hongxin, fake: FakeControl) -> None:
    someone = person(fake)
    await hongxin.say(someone.openid, "姓名 张三")
    token = await hongxin.login(someone.codes[0])
    await hongxin.learn_unionids()
    follower_id = hongxin.member(openid=someone.openid).id
    await hongxin.say(someone.openid, "注销")
    await hongxin.say(someone.openid, "确认注销")

    assert (await hongxin.mp("GET", "/api/mp/profile", token)).status_code == 401
    fresh = await hongxin.login(someone.codes[1])
    profile = (await hongxin.mp("GET", "/api/mp/profile", fresh)).json()
    assert profile["name"] is None and profile["points"] == 0

    def holders(session: Session) -> list[int]:
        return list(session.scalars(select(Member.id).where(
            (Member.openid == someone.mp_openid) | (Member.mp_openid == someone.mp_openid)
            | (Member.unionid == someone.unionid))))

    assert follower_id not in arrange(hongxin.database, holders)


async def test_the_job_is_bounded_and_asks_each_follower_once_a_week(
        hongxin: Hongxin, fake: FakeControl) -> None:
    someone = person(fake)
    await hongxin.say(someone.openid, "帮助")
    await hongxin.say("not a valid openid", "帮助")  # the platform refuses it: 40003
    fake.member("oGone000000000000000000000000", subscribed=False)
    await hongxin.say("oGone000000000000000000000000", "帮助")

    await hongxin.learn_unionids()
    # The batch is refused for the bad openid; each is then asked on its own.
    assert fake.calls(USER_INFO_BATCH)[0]["errcode"] == 40003
    assert len(fake.calls("/cgi-bin/user/info")) == 3
    assert hongxin.member(openid=someone.openid).unionid == someone.unionid
    for openid in ("not a valid openid", "oGone000000000000000000000000"):
        member = hongxin.member(openid=openid)
        assert member.unionid is None and member.unionid_checked_at is not None

    fake.clear_calls()
    await hongxin.learn_unionids()
    assert fake.calls() == []
