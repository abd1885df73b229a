"""A member's rank (``积分``) and the 党支部 board, read from per-member totals versus
summed from the whole ledger, on SQLite.

    .venv/bin/python -m bench.ranks [--members 5000] [--lines 40] [--repeat 50]

Both ways run in the same process over the same database: the baseline is the
ledger-summing query the service used before ``points_balances`` (reproduced
here), the other the service's own :func:`app.points.service.rank` and
:func:`app.points.service.org_leaderboard`. Prints milliseconds per call and
the ratio (baseline / totals).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session


def _seed(session: Session, members: int, lines: int) -> list[int]:
    from app.models import Member, PointsBalance, PointsEntry, PointsTotalCount, RosterEntry
    from app.orgs.service import create_org

    now = datetime.now(UTC)
    root = create_org(session, "机关党委", now)
    branches = [create_org(session, f"第{n}党支部", now, parent_id=root.id).id for n in range(10)]
    session.execute(insert(Member), [
        {"openid": f"o_{n}", "first_seen_at": now, "last_interaction_at": now,
         "subscribed": True, "daily_push": False} for n in range(members)])
    ids = list(session.scalars(select(Member.id)))
    session.execute(insert(RosterEntry), [
        {"name": f"党员{n}", "phone": f"138{n:08d}", "org_id": branches[n % 10],
         "status": "正式党员", "member_id": member_id, "created_at": now, "updated_at": now}
        for n, member_id in enumerate(ids)])
    session.execute(insert(PointsEntry), [
        {"member_id": member_id, "activity": "quiz_correct", "reference": f"r{k}",
         "delta": (member_id * 7 + k) % 5, "note": "", "created_at": now, "occurred_at": now,
         "occurred_month": now.year * 100 + now.month}
        for member_id in ids for k in range(lines)])
    session.execute(insert(PointsBalance).from_select(
        ["member_id", "total"],
        select(PointsEntry.member_id, func.sum(PointsEntry.delta)).group_by(PointsEntry.member_id)))
    session.execute(insert(PointsTotalCount).from_select(
        ["total", "members"],
        select(PointsBalance.total, func.count()).group_by(PointsBalance.total)))
    return ids


def _ledger_rank(session: Session, member_id: int) -> int:
    from app.models import PointsEntry

    totals = (select(PointsEntry.member_id, func.sum(PointsEntry.delta).label("total"))
              .group_by(PointsEntry.member_id).subquery())
    mine = session.scalar(select(totals.c.total).where(totals.c.member_id == member_id))
    session.scalar(select(func.count()).select_from(totals))
    return int(session.scalar(select(func.count()).select_from(totals)
                              .where(totals.c.total > mine)) or 0) + 1


def _per_call(work: Callable[[], object], repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        work()
    return (time.perf_counter() - started) / repeat * 1000


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--lines", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args(argv)
    from app import migrations
    from app.db import Database
    from app.points import service

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'ranks.db'}"
        migrations.upgrade(url)
        database = Database(url)
        try:
            with database.unit_of_work() as session:
                ids = _seed(session, args.members, args.lines)
            with database.unit_of_work() as session:
                someone = ids[len(ids) // 2]
                assert _ledger_rank(session, someone) == service.rank(session, someone)[1]
                figures = {
                    "rank_ledger_ms": _per_call(lambda: _ledger_rank(session, someone),
                                                args.repeat),
                    "rank_totals_ms": _per_call(lambda: service.rank(session, someone),
                                                args.repeat),
                    "branches_ms": _per_call(lambda: service.org_leaderboard(session),
                                             args.repeat),
                }
        finally:
            database.close()
    figures["rank_ratio"] = figures["rank_ledger_ms"] / figures["rank_totals_ms"]
    print(f"{args.members} members x {args.lines} ledger lines, {args.repeat} calls each")
    print(f"rank from the ledger: {figures['rank_ledger_ms']:.2f} ms; from totals: "
          f"{figures['rank_totals_ms']:.2f} ms; ratio {figures['rank_ratio']:.1f}")
    print(f"党支部 board from totals (10 branches): {figures['branches_ms']:.2f} ms")
    return figures


if __name__ == "__main__":
    main()
