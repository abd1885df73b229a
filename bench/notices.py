"""Notices benchmark: one notice to an org of 6,000 bound members, over every channel.

    .venv/bin/python -m bench.notices [--members 6000] [--database URL]

A third of the members wrote within the hour (customer-service rows for the
dispatcher), a third follow but wrote days ago (no template is configured: the
mass send to the notice's own tag covers them), a third do not follow (not
reached). The send (:func:`app.notices.sending.send_notice`) runs against an
in-process ``hongxin fake-wechat`` over real HTTP: the plan (one unit of work),
the org tag's sync and the notice tag's filling (``batchtagging``, 50 openids a
call) and the mass send, and the record (one unit of work). Timed against a
baseline measured in the same run on the same database: a bulk insert of as
many outbox rows (the least any design must write). A second send of a new
notice to the same org then finds the org's tag in sync (no tagging for it) but
fills its own notice tag. Checks one row per member, the counts by channel, and
the number of platform calls.

A fresh SQLite file unless ``--database`` (emptied first) is given.
:func:`main` returns the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select, update

from bench.meetings import _empty, _members, _org, bulk_outbox_seconds
from bench.scratch import bench_database

ZONE = ZoneInfo("Asia/Shanghai")


def _send(database: Any, url: str, notice_id: int) -> float:
    from app.auth.tokens import BOOTSTRAP_ADMIN
    from app.fakewechat import DEV_APPS
    from app.notices import sending
    from app.wechat.api import WeChatAPI
    from app.wechat.token_store import DatabaseTokenStore

    appid, secret = next(iter(DEV_APPS.items()))

    async def run() -> float:
        async with httpx.AsyncClient(timeout=10) as http:
            api = WeChatAPI(http, app_id=appid, app_secret=secret, base_url=url,
                            token_store=DatabaseTokenStore(database, appid))
            await api.get_access_token()  # the token fetch is not the send's
            started = time.perf_counter()
            await sending.send_notice(database, api, notice_id, BOOTSTRAP_ADMIN,
                                      sending.Channels(None, None, ZONE), datetime.now(UTC))
            return time.perf_counter() - started

    return asyncio.run(run())


def notice(database_url: str, members: int) -> dict[str, Any]:
    from app.auth.tokens import BOOTSTRAP_ADMIN
    from app.db import Database
    from app.fakewechat import FakeWeChatServer
    from app.models import Member, OutboxMessage
    from app.notices import service

    _empty(database_url)
    database = Database(database_url)
    now = datetime.now(UTC)
    third = members // 3
    with database.unit_of_work() as session:
        branch = _org(session, "六千人党支部", "branch", None, now)
        _members(session, branch.id, members, now, "T")
        first = int(session.scalar(select(func.min(Member.id))) or 0)
        session.execute(update(Member).where(Member.id >= first + third)
                        .values(last_interaction_at=now - timedelta(days=3)))
        session.execute(update(Member).where(Member.id >= first + 2 * third)
                        .values(subscribed=False))
        ids = [create.id for create in (
            service.create_notice(session, BOOTSTRAP_ADMIN, service.Composed(
                title, "请各位党员按时参加。", [branch.id]), now)
            for title in ("第一次通知", "第二次通知"))]

    with FakeWeChatServer() as platform:
        first_seconds = _send(database, platform.url, ids[0])
        calls = httpx.get(f"{platform.url}/_fake/calls", timeout=10).json()
        httpx.delete(f"{platform.url}/_fake/calls", timeout=10)
        second_seconds = _send(database, platform.url, ids[1])
        second_calls = httpx.get(f"{platform.url}/_fake/calls", timeout=10).json()

    with database.unit_of_work() as session:
        counted = service.reached(session, ids[0])
        rows = int(session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)
        member_ids = list(session.scalars(select(Member.id)))

    bulk_seconds = bulk_outbox_seconds(database, member_ids, now, "通知")
    database.close()

    def paths(found: list[dict[str, Any]]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for call in found:
            counts[call["path"]] = counts.get(call["path"], 0) + 1
        return counts

    return {
        "members": members,
        "rows": rows,
        "reached_mass": counted.by_channel["mass"],
        "queued_one_by_one": counted.on_the_way,
        "not_reached": counted.not_reached,
        "first_send_seconds": round(first_seconds, 3),
        "first_send_calls": paths(calls),
        "second_send_seconds": round(second_seconds, 3),
        "second_send_calls": paths(second_calls),
        "baseline_bulk_insert_of_as_many_outbox_rows_seconds": round(bulk_seconds, 3),
        "ratio_first_send_to_bulk_insert": round(first_seconds / bulk_seconds, 2),
        "ratio_second_send_to_bulk_insert": round(second_seconds / bulk_seconds, 2),
    }


def main(members: int = 6_000, database_url: str | None = None) -> dict[str, Any]:
    with bench_database(database_url, "notices") as url:
        figures = notice(url, members)
    print(f"notices: {figures}")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=6_000)
    parser.add_argument("--database", default=None)
    options = parser.parse_args()
    main(options.members, options.database)
