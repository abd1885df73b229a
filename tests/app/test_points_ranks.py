"""``积分`` ranks as members' totals move: awards, reversals, ties, and ledgers that predate
the counts of members per total."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app import migrations
from app.db import Database, create_db_engine
from app.main import create_app
from app.models import Member, PointsBalance, PointsEntry
from app.points.rules import Activity
from app.points.service import Summary, award, rank, reverse, summary
from app.wechat import codec
from bots import texts
from tests.app.conftest import make_settings
from tests.support.factories import create_member
from tests.support.units import run_unit
from tests.support.wechat import Platform, message_xml

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
RANK_LINE = re.compile(r"您的红色积分：(\d+) 分，排名第 (\d+) 名（共 (\d+) 人）。")


@pytest.fixture
def chat(database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(database_url))) as client:
        yield client


def ask_points(chat: TestClient, platform: Platform, openid: str) -> str:
    params, body = platform.plain(message_xml("text", openid, content="积分"))
    response = chat.post("/wechat", params=params, content=body)
    assert response.status_code == 200
    content = codec.parse_fields(response.text)["Content"]
    assert isinstance(content, str)
    return content


def standing(chat: TestClient, platform: Platform, openid: str) -> tuple[int, int, int]:
    """(total, rank, members with points) as the member's ``积分`` reply states them."""
    found = RANK_LINE.search(ask_points(chat, platform, openid))
    assert found is not None
    total, place, members = (int(group) for group in found.groups())
    return total, place, members


def checkin_lines(session: Session, member_id: int) -> list[int]:
    return list(session.scalars(select(PointsEntry.id).where(
        PointsEntry.member_id == member_id,
        PointsEntry.activity == Activity.EVENT_CHECKIN.value).order_by(PointsEntry.id)))


def test_ranks_follow_totals_up_down_and_through_ties(
    chat: TestClient, platform: Platform, database: Database
) -> None:
    with database.unit_of_work() as session:
        ids = {name: create_member(session, openid=f"o_rank_{name}").id
               for name in ("a", "b", "c", "d")}
    with database.unit_of_work() as session:
        for name, count in (("a", 3), ("b", 2), ("c", 2)):
            for n in range(count):
                award(session, ids[name], Activity.EVENT_CHECKIN, f"event:{n}", NOW, ZONE)
    assert standing(chat, platform, "o_rank_a") == (9, 1, 3)
    assert standing(chat, platform, "o_rank_b") == (6, 2, 3)
    assert standing(chat, platform, "o_rank_c") == (6, 2, 3)
    assert ask_points(chat, platform, "o_rank_d") == texts.points_summary(0, 0, 3)

    # c passes a; a's lines reversed one by one take a below b, then to 0.
    with database.unit_of_work() as session:
        for n in range(2, 4):
            award(session, ids["c"], Activity.EVENT_CHECKIN, f"event:{n}", NOW, ZONE)
        for line in checkin_lines(session, ids["a"])[:2]:
            reverse(session, line, "撤销", NOW, ZONE)
    assert standing(chat, platform, "o_rank_c") == (12, 1, 3)
    assert standing(chat, platform, "o_rank_b") == (6, 2, 3)
    assert standing(chat, platform, "o_rank_a") == (3, 3, 3)

    # A member whose total came back to 0 still counts among those with points.
    with database.unit_of_work() as session:
        reverse(session, checkin_lines(session, ids["a"])[2], "撤销", NOW, ZONE)
        award(session, ids["d"], Activity.EVENT_CHECKIN, "event:0", NOW, ZONE)
    assert standing(chat, platform, "o_rank_d") == (3, 3, 4)
    assert "您的红色积分：0 分，排名第 4 名（共 4 人）。" in ask_points(chat, platform, "o_rank_a")


def test_upgrade_counts_members_per_total_from_the_balances_already_kept(
    database_url: str,
) -> None:
    migrations.downgrade(database_url, "5d1a8c3e7f20")
    engine = create_db_engine(database_url)
    try:
        with engine.begin() as connection:
            members = connection.execute(insert(Member).returning(Member.id), [
                {"openid": f"o_before_{n}", "first_seen_at": NOW, "last_interaction_at": NOW,
                 "subscribed": True, "daily_push": False} for n in range(4)]).scalars().all()
            connection.execute(insert(PointsBalance), [
                {"member_id": member, "total": total}
                for member, total in zip(members, (7, 3, 7, 0), strict=True)])
    finally:
        engine.dispose()
    migrations.upgrade(database_url)
    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            assert [rank(session, member) for member in members] == [
                (7, 1, 4), (3, 3, 4), (7, 1, 4), (0, 4, 4)]
    finally:
        database.close()


def test_summary_lists_the_latest_lines_that_moved_the_total_and_sees_its_own_unit(
    database: Database,
) -> None:
    member = run_unit(database, lambda session: create_member(session, openid="o_lines").id)

    def award_and_read(session: Session) -> tuple[Summary, list[tuple[datetime, str, int]]]:
        for n in range(7):
            award(session, member, Activity.EVENT_CHECKIN, f"event:{n}", NOW, ZONE)
        award(session, member, Activity.EVENT_CHECKIN, "event:late", NOW + timedelta(hours=1),
              ZONE)
        reverse(session, checkin_lines(session, member)[0], "撤销", NOW, ZONE)
        # Not flushed: the summary must see this unit's own lines, and skip those of 0.
        session.add_all([PointsEntry(member_id=member, activity=Activity.CORRECTION.value,
                                     reference=f"unflushed:{delta}", delta=delta,
                                     created_at=NOW + timedelta(days=1), occurred_at=NOW,
                                     occurred_month=202611) for delta in (0, 2)])
        found = summary(session, member, 5)
        ledger = session.execute(
            select(PointsEntry.created_at, PointsEntry.activity, PointsEntry.delta)
            .where(PointsEntry.member_id == member, PointsEntry.delta != 0)
            .order_by(PointsEntry.created_at.desc(), PointsEntry.id.desc()).limit(5)).all()
        return found, [(at, activity, delta) for at, activity, delta in ledger]

    found, latest = run_unit(database, award_and_read)
    assert (found.total, found.rank, found.members) == rank_of(database, member)
    assert list(found.recent) == latest
    assert len(latest) == 5 and any(delta < 0 for _, _, delta in latest)
    assert all(at.tzinfo is not None for at, _, _ in found.recent)


def rank_of(database: Database, member: int) -> tuple[int, int, int]:
    return run_unit(database, lambda session: rank(session, member))


async def test_members_asking_at_once_each_get_their_own_standing(
    database_url: str, database: Database, platform: Platform
) -> None:
    """Asked together, the turns commit together: on PostgreSQL their claims and
    ``积分``'s reads go out in one round trip, each read matched to its member."""
    with database.unit_of_work() as session:
        ids = [create_member(session, openid=f"o_together_{n}").id for n in range(12)]
        for n, member_id in enumerate(ids):
            for check_in in range(n):
                award(session, member_id, Activity.EVENT_CHECKIN, f"event:{check_in}", NOW, ZONE)
    app = create_app(make_settings(database_url))

    async def ask(http: httpx.AsyncClient, openid: str, text: str = "积分") -> str:
        params, body = platform.plain(message_xml("text", openid, content=text))
        response = await http.post("/wechat", params=params, content=body)
        assert response.status_code == 200
        return str(codec.parse_fields(response.text)["Content"])

    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://hongxin") as http):
        # The last member asks twice: the second read must follow the first turn.
        openids = [f"o_together_{n}" for n in range(12)] + ["o_together_11", "o_new"]
        replies = await asyncio.gather(*(ask(http, openid) for openid in openids),
                                       ask(http, "o_together_3", "帮助"))
    standings = [RANK_LINE.search(reply) for reply in replies[:-2]]
    assert [(int(found[1]), int(found[2])) if found else None for found in standings] == [
        None, *((3 * n, 12 - n) for n in range(1, 12)), (33, 1)]
    assert replies[0] == replies[-2] == texts.points_summary(0, 0, 11)
    assert replies[-1] == texts.HELP
