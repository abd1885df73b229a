"""先锋指数 for 10,000 members over 1 M ledger lines, and one member's 一人一册, on SQLite
and PostgreSQL.

    .venv/bin/python -m bench.pioneer [--members 10000] [--lines 100] [--repeat 30]

Each is timed against a baseline in the same run over the same database: the
index (the first page of 100, as the JSON route answers by default, and every
member, as the XLSX) against the same ranking summed from the period's ledger
lines and scored in Python (what it costs without the period totals), the
record against the 积分 reply's read (:func:`app.points.service.rank`). Each
call runs in its own unit of work, as a request does. Prints p50 and p95 in
milliseconds and the ratios (baseline / ours for the index, ours / baseline
for the record).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, func, insert, select, text
from sqlalchemy.orm import Session

T = TypeVar("T")
ZONE = ZoneInfo("Asia/Shanghai")
YEAR = 2026
PERIOD = f"{YEAR}Q4"
BRANCHES = 20
# Four categories in turn: lesson reads, check-ins, volunteering, pioneer deeds.
_LINES = """
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :lines)
INSERT INTO points_entries (member_id, activity, reference, delta, note, created_at,
                            occurred_at, occurred_month, category, rule_version, recorded_by)
SELECT m.id,
       CASE seq.i % 4 WHEN 0 THEN 'lesson_read' WHEN 1 THEN 'event_checkin'
                      WHEN 2 THEN 'deed_volunteer' ELSE 'deed_pioneer' END,
       'seed:' || :month || ':' || seq.i, 1 + (m.id * 7 + seq.i) % 5, '', :at, :at, :month,
       CASE seq.i % 4 WHEN 0 THEN '学习' WHEN 1 THEN '组织生活'
                      WHEN 2 THEN '志愿服务' ELSE '先锋作用' END, 1, 'system'
FROM members m CROSS JOIN seq
"""


def seed(database_url: str, members: int, lines: int) -> tuple[int, list[int]]:
    """``BRANCHES`` 党支部 of ``members`` bound members with ``lines`` each over the year."""
    from app import migrations
    from app.db import create_db_engine
    from app.models import Member, RosterEntry
    from app.models.base import UTCDateTime
    from app.orgs.service import create_org

    migrations.upgrade(database_url)
    now = datetime.now(UTC)
    engine = create_db_engine(database_url)
    with Session(engine) as session, session.begin():
        root = create_org(session, "机关党委", now)
        branches = [create_org(session, f"第{n}党支部", now, parent_id=root.id).id
                    for n in range(BRANCHES)]
        session.execute(insert(Member), [
            {"openid": f"o_pioneer_{n:05d}", "first_seen_at": now, "last_interaction_at": now,
             "subscribed": True, "daily_push": False} for n in range(members)])
        ids = list(session.scalars(select(Member.id).order_by(Member.id)))
        session.execute(insert(RosterEntry), [
            {"name": f"党员{n}", "phone": f"139{n:08d}", "org_id": branches[n % BRANCHES],
             "status": "正式党员", "member_id": member_id, "created_at": now, "updated_at": now}
            for n, member_id in enumerate(ids)])
        root_id = root.id
    statement = text(_LINES).bindparams(bindparam("at", type_=UTCDateTime()))
    for month in range(1, 13):
        share = lines // 12 + (1 if month <= lines % 12 else 0)
        with engine.begin() as connection:
            connection.execute(statement, {"lines": share, "month": YEAR * 100 + month,
                                           "at": datetime(YEAR, month, 15, 4, tzinfo=UTC)})
    with engine.begin() as connection:
        fill_period_totals(connection)
        connection.execute(text(
            "INSERT INTO points_balances (member_id, total) "
            "SELECT member_id, SUM(delta) FROM points_entries GROUP BY member_id"))
        connection.execute(text(
            "INSERT INTO points_total_counts (total, members) "
            "SELECT total, COUNT(*) FROM points_balances GROUP BY total"))
    engine.dispose()
    return root_id, ids


def fill_period_totals(connection: Connection) -> None:
    """The totals the ledger's writer keeps, built at once from the seeded lines."""
    from app.models import PointsPeriodTotal
    from app.points.periods import period_labels
    from app.points.rules import CATEGORY_COLUMNS

    rows: dict[tuple[str, int], dict[str, int]] = {}
    for member_id, month, category, total in connection.execute(text(
            "SELECT member_id, occurred_month, category, SUM(delta) FROM points_entries "
            "GROUP BY member_id, occurred_month, category")):
        for period in period_labels(month):
            row = rows.setdefault((period, member_id),
                                  dict.fromkeys(CATEGORY_COLUMNS.values(), 0))
            row[CATEGORY_COLUMNS[category]] += int(total)
    values = [{"period": period, "member_id": member_id, **columns}
              for (period, member_id), columns in rows.items()]
    for start in range(0, len(values), 5000):
        connection.execute(insert(PointsPeriodTotal), values[start:start + 5000])


def index_from_ledger(session: Session, org_id: int) -> list[tuple[int, float]]:
    """The same ranking, summed from the period's ledger lines and scored in Python:
    (member id, index), best first."""
    from app.models import Org, PointsEntry, RosterEntry
    from app.orgs.service import full_names, get_org
    from app.points import catalogue
    from app.points.rules import CATEGORIES

    start, end = datetime(YEAR, 10, 1, tzinfo=ZONE), datetime(YEAR + 1, 1, 1, tzinfo=ZONE)
    path = get_org(session, org_id).path
    members = (select(RosterEntry.member_id, RosterEntry.name, RosterEntry.org_id)
               .join(Org, Org.id == RosterEntry.org_id)
               .where(RosterEntry.member_id.is_not(None), Org.path.startswith(path)))
    points = {m: dict.fromkeys(CATEGORIES, 0) for m, _n, _o in session.execute(members)}
    for member_id, category, total in session.execute(
            select(PointsEntry.member_id, PointsEntry.category, func.sum(PointsEntry.delta))
            .where(PointsEntry.member_id.in_(members.with_only_columns(RosterEntry.member_id)),
                   PointsEntry.occurred_at >= start, PointsEntry.occurred_at < end,
                   PointsEntry.category.in_(CATEGORIES))
            .group_by(PointsEntry.member_id, PointsEntry.category)):
        points[member_id][str(category)] = int(total)
    weights = catalogue.current(session, datetime.now(UTC)).weights
    best = {c: max([1, *(mine[c] for mine in points.values())]) for c in CATEGORIES}
    factor = {c: weights[c] * 100 / (sum(weights.values()) or 1) / best[c] for c in CATEGORIES}
    scored = sorted(((-sum(factor[c] * mine[c] for c in CATEGORIES), -sum(mine.values()), m)
                     for m, mine in points.items() if m is not None))
    full_names(session)
    return [(member_id, -score) for score, _total, member_id in scored]


def timings(work: Callable[[], object], repeat: int) -> list[float]:
    spent = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def measure(database_url: str, members: int, lines: int, repeat: int) -> dict[str, float]:
    from app.db import Database
    from app.points import pioneer, record, service

    root_id, ids = seed(database_url, members, lines)
    database = Database(database_url)
    picker = random.Random(7)

    def in_unit(work: Callable[[Session], T]) -> T:
        with database.unit_of_work() as session:
            return work(session)

    try:
        def page() -> object:
            return in_unit(lambda session: pioneer.pioneer_index(
                session, org_id=root_id, period=PERIOD, now=datetime.now(UTC), limit=100))

        def everyone() -> object:
            return in_unit(lambda session: pioneer.pioneer_index(
                session, org_id=root_id, period=PERIOD, now=datetime.now(UTC)))

        def ledger() -> list[tuple[int, float]]:
            return in_unit(lambda session: index_from_ledger(session, root_id))

        def one_record() -> object:
            member_id = picker.choice(ids)
            return in_unit(
                lambda session: record.member_record(session, member_id, YEAR, ZONE))

        def one_rank() -> object:
            member_id = picker.choice(ids)
            return in_unit(lambda session: service.rank(session, member_id))

        ranked = everyone().rows  # type: ignore[attr-defined]
        expected = ledger()
        assert len(ranked) == len(expected) == members
        assert all(abs(row.score - score) < 0.01
                   for row, (_member, score) in zip(ranked, expected, strict=True))
        page_ms, all_ms = timings(page, repeat), timings(everyone, repeat)
        ledger_ms = timings(ledger, max(5, repeat // 3))
        record_ms, rank_ms = timings(one_record, repeat * 3), timings(one_rank, repeat * 3)
    finally:
        database.close()
    return {"index_page_p50_ms": statistics.median(page_ms),
            "index_page_p95_ms": p95(page_ms), "index_all_p95_ms": p95(all_ms),
            "index_from_ledger_p95_ms": p95(ledger_ms),
            "index_ratio": p95(ledger_ms) / p95(page_ms),
            "record_p50_ms": statistics.median(record_ms), "record_p95_ms": p95(record_ms),
            "rank_p95_ms": p95(rank_ms), "record_to_rank": p95(record_ms) / p95(rank_ms)}


def main(argv: list[str] | None = None, *,
         postgres_url: str | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--postgres-url", default=postgres_url)
    args = parser.parse_args(argv or [])
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        results["SQLite"] = measure(f"sqlite:///{Path(folder) / 'pioneer.db'}", args.members,
                                    args.lines, args.repeat)
    if args.postgres_url:
        results["PostgreSQL"] = measure(args.postgres_url, args.members, args.lines, args.repeat)
    print(f"{args.members:,} members x {args.lines} ledger lines, 先锋指数 for {PERIOD}")
    for label, figures in results.items():
        print(f"{label}: 先锋指数 p95 {figures['index_page_p95_ms']:.1f} ms for the first 100, "
              f"{figures['index_all_p95_ms']:.1f} ms for all (from the ledger "
              f"{figures['index_from_ledger_p95_ms']:.1f} ms, ratio {figures['index_ratio']:.1f}); "
              f"一人一册 p95 {figures['record_p95_ms']:.1f} ms (积分's rank "
              f"{figures['rank_p95_ms']:.1f} ms, {figures['record_to_rank']:.1f}x)")
    return results


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
