"""The roster at scale: a 10,000-person import under chat load, and the boards over it.

    .venv/bin/python -m bench.roster [--postgres]

**Import** (SQLite): a real ``hongxin serve`` answers signed ``帮助`` callbacks
from 8 keep-alive connections while an admin uploads a generated 10,000-person
XLSX roster (20 支部 of 机关党委) over ``POST /api/admin/roster``, then the same
file again (every row an update). Baseline, same run and server: the callbacks
with no import. The aims: the upload under 3 s, the callbacks' p99 under 1 s.

**Boards** (SQLite and PostgreSQL): 10,000 members with 100 ledger lines each
(1 M lines), all bound to the roster across 20 支部 of two 党小组 each. One
admin client asks, one request at a time, for the 支部 board
(``/api/admin/points/branches``), one 支部's member board
(``/api/admin/points/leaderboard?org_id=``) and the org tree with its counts
(``/api/admin/orgs``), the same through a token scoped to one 支部, and as
baseline an admin route that reads nothing (``/api/admin/lessons?limit=1``).
The aim: p95 under 100 ms each.
"""

from __future__ import annotations

import argparse
import io
import itertools
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from openpyxl import Workbook

from bench.callback import (
    APP_ID,
    LEDGER_MEMBERS,
    TOKEN,
    seed_ledger,
    server,
)
from bench.import_stall import (
    ADMIN_TOKEN,
    callback_baseline,
    upload_under_load,
    warm_sqlite_server,
)

PEOPLE = 10_000
BRANCHES = 20
BOARD_REQUESTS = 200
_SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鹏"


def person(number: int) -> str:
    """A distinct two- or three-character name for each number below 27,000."""
    return (_SURNAMES[number % 30] + _GIVEN[number // 30 % 30]
            + _GIVEN[number // 900 % 30])


def roster_xlsx(people: int = PEOPLE) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    sheet.append(["姓名", "手机号", "组织", "政治面貌", "入党日期", "党内职务"])
    for number in range(people):
        sheet.append([person(number), f"138{number:08d}",
                      f"机关党委/第{number % BRANCHES + 1}党支部", "正式党员", "2010-07-01",
                      "书记" if number < BRANCHES else None])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


# --- the import under chat load ------------------------------------------------------


def _import_under_load(port: int, data: bytes, msg_ids: Iterator[int]) -> dict[str, float]:
    outcome, during = upload_under_load(port, "/api/admin/roster", data, "roster.xlsx", msg_ids)
    return {"upload_status": outcome["status"], "upload_seconds": outcome["seconds"],
            "callbacks_during": during.requests, "p50_ms_during": during.percentile(50),
            "p99_ms_during": during.percentile(99), "max_ms_during": max(during.latencies_ms)}


def import_main(people: int = PEOPLE) -> dict[str, dict[str, float]]:
    data = roster_xlsx(people)
    results: dict[str, dict[str, float]] = {}
    msg_ids = itertools.count(70_000_000, 1_000_000)
    with warm_sqlite_server(msg_ids) as port:
        baseline = callback_baseline(port, msg_ids)
        for label in ("first import (all new)", "again (all updates)"):
            figures = _import_under_load(port, data, msg_ids)
            figures |= {"p99_ms_baseline": baseline.percentile(99),
                        "p99_ratio": figures["p99_ms_during"] / baseline.percentile(99)}
            results[f"{people:,} people, {label}, {len(data) / 2**20:.1f} MB"] = figures
            print(f"roster {label}: {figures['upload_status']:.0f} in "
                  f"{figures['upload_seconds']:.2f} s; callbacks p99 "
                  f"{figures['p99_ms_during']:.0f} ms (without import "
                  f"{baseline.percentile(99):.0f} ms)", flush=True)
    return results


# --- the boards over 10,000 members and 1 M ledger lines -----------------------------


def seed_roster(database_url: str) -> int:
    """Bind the ledger's members to a roster of 20 支部 × 2 党小组; the first 支部's id."""
    from sqlalchemy import insert, select

    from app.db import Database
    from app.models import Member, RosterEntry
    from app.orgs.service import create_org

    now = datetime.now(UTC)
    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            root = create_org(session, "机关党委", now)
            branches = [create_org(session, f"第{n + 1}党支部", now, parent_id=root.id)
                        for n in range(BRANCHES)]
            groups = [create_org(session, f"第{k + 1}党小组", now, parent_id=branch.id).id
                      for branch in branches for k in range(2)]
            members = list(session.scalars(select(Member.id).where(
                Member.openid.like("o_ledger_%")).order_by(Member.id)))
            session.execute(insert(RosterEntry), [
                {"name": person(n), "phone": f"139{n:08d}", "org_id": groups[n % len(groups)],
                 "status": "正式党员", "member_id": member_id, "bound_at": now,
                 "created_at": now, "updated_at": now}
                for n, member_id in enumerate(members)])
            return branches[0].id
    finally:
        database.close()


@contextmanager
def _admin(port: int, token: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def _latencies(client: httpx.Client, path: str, requests: int) -> list[float]:
    spent = []
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.get(path)
        spent.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return spent


def boards_main(database_url: str, label: str, workdir: Path) -> dict[str, dict[str, float]]:
    from app.auth.tokens import Role, create_token
    from app.db import Database

    seed_ledger(database_url)
    branch = seed_roster(database_url)
    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            scoped = create_token(session, Role.ADMIN, "一支部书记", branch)
    finally:
        database.close()
    env = {"HONGXIN_DATABASE_URL": database_url, "HONGXIN_WECHAT_TOKEN": TOKEN,
           "HONGXIN_WECHAT_APP_ID": APP_ID, "HONGXIN_ADMIN_TOKEN": ADMIN_TOKEN}
    asks = {"baseline: lessons?limit=1": (ADMIN_TOKEN, "/api/admin/lessons?limit=1"),
            "branch board (points/branches)": (ADMIN_TOKEN, "/api/admin/points/branches"),
            "one branch's members (leaderboard?org_id=)":
                (ADMIN_TOKEN, f"/api/admin/points/leaderboard?org_id={branch}"),
            "org tree with counts (orgs)": (ADMIN_TOKEN, "/api/admin/orgs"),
            "scoped token: its members (leaderboard)": (scoped, "/api/admin/points/leaderboard"),
            "scoped token: its tree (orgs)": (scoped, "/api/admin/orgs")}
    results: dict[str, dict[str, float]] = {}
    with server([sys.executable, "-m", "app.cli", "serve", "--no-scheduler"], env,
                workdir / f"hongxin-boards-{label}.log") as port:
        spent: dict[str, list[float]] = {name: [] for name in asks}
        for _ in range(2):  # rounds, the asks taken in turn; the first warms up
            for name, (token, path) in asks.items():
                with _admin(port, token) as client:
                    _latencies(client, path, 10)
                    spent[name] += _latencies(client, path, BOARD_REQUESTS // 2)
        base = _percentile(spent["baseline: lessons?limit=1"], 95)
        for name, values in spent.items():
            p95 = _percentile(values, 95)
            results[f"{label}: {name}"] = {"p50_ms": statistics.median(values), "p95_ms": p95,
                                           "p95_ratio_to_baseline": p95 / base}
            print(f"{label} {name}: p50 {statistics.median(values):.1f} ms, p95 {p95:.1f} ms "
                  f"({p95 / base:.1f}× baseline)", flush=True)
    return results


def boards(postgres_url: str | None = None) -> dict[str, dict[str, float]]:
    results = {}
    with tempfile.TemporaryDirectory(prefix="hongxin-bench-") as tmp:
        workdir = Path(tmp)
        label = f"SQLite, {LEDGER_MEMBERS:,} members"
        results |= boards_main(f"sqlite:///{workdir / 'boards.db'}", label, workdir)
        if postgres_url:
            results |= boards_main(postgres_url, f"PostgreSQL, {LEDGER_MEMBERS:,} members",
                                   workdir)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true", help="also on a throwaway server")
    parser.add_argument("--skip-import", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_import:
        import_main()
    if args.postgres:
        from bench.__main__ import fresh_database, postgres

        with postgres() as server_url:
            boards(fresh_database(server_url, "bench_boards") if server_url else None)
    else:
        boards()


if __name__ == "__main__":
    main()
