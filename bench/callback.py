"""Callback throughput: `帮助` from 1,000 members, unique MsgIds, concurrency 32.

Hongxin's `POST /wechat` and a bare endpoint (bench/bare_app.py) run in the same
way (one uvicorn worker, same event loop and HTTP parser) and are loaded by the
same generator in turn, a few rounds each; the figure that matters is the ratio
to the bare FastAPI endpoint. The same bare work as plain ASGI is loaded in the
same rounds, for the ratio without FastAPI's own cost per request.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from app.wechat.crypto import MessageCrypto
from app.wechat.signature import sign
from bench import wrk
from bench.loadgen import LoadResult, build_request, run_load

TOKEN = "bench-token"
APP_ID = "wxbench0000000000"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
MEMBERS = 1000
CONCURRENCY = 32


# Bare and Hongxin are loaded in turn, this many times each: on a shared machine
# the throughput of the same server wanders by a third from one minute to the next,
# and a median of five rounds moves less with one outlier than one of three.
ROUNDS = 5
# A round with wrk (bench/wrk.py) when it is installed, else with the Python
# generator, whose rounds are a count of requests.
WRK_SECONDS = 5.0
REQUESTS_PER_ROUND = 3000
# Requests built for a wrk round: more than a server can answer in WRK_SECONDS.
WRK_REQUESTS = {"hongxin": 30_000, "bare": 80_000}


def describe_rounds() -> str:
    if wrk.available():
        return f"{ROUNDS} rounds of {WRK_SECONDS:g} s each, loaded by wrk"
    return (f"{ROUNDS} rounds of {REQUESTS_PER_ROUND:,} requests each, loaded by the Python "
            "generator (wrk is not installed: the ratios come out higher, see bench/NOTES.md)")


@dataclass(frozen=True)
class Comparison:
    """Rounds of the same load on Hongxin and on the bare endpoint, taken in turn."""

    label: str
    ours_rounds: list[LoadResult]
    bare_rounds: list[LoadResult]
    asgi_rounds: list[LoadResult]  # the bare endpoint as plain ASGI

    @property
    def round_ratios(self) -> list[float]:
        """Each round's ratio: it pairs two runs a few seconds apart."""
        return _ratios(self.ours_rounds, self.bare_rounds)

    @property
    def ratio(self) -> float:
        return statistics.median(self.round_ratios)

    @property
    def ratio_to_asgi(self) -> float:
        return statistics.median(_ratios(self.ours_rounds, self.asgi_rounds))

    @property
    def ours(self) -> LoadResult:
        return merged(self.ours_rounds)

    @property
    def bare(self) -> LoadResult:
        return merged(self.bare_rounds)

    @property
    def asgi(self) -> LoadResult:
        return merged(self.asgi_rounds)


def _ratios(ours: list[LoadResult], theirs: list[LoadResult]) -> list[float]:
    return [a.per_second / b.per_second for a, b in zip(ours, theirs, strict=True)]


def merged(rounds: list[LoadResult]) -> LoadResult:
    """All rounds as one run: their latencies together (with wrk, which reports only
    percentiles, each percentile's worst round), their total time."""
    statuses: dict[int, int] = {}
    for result in rounds:
        for status, count in result.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    worst = None
    if all(r.percentiles_ms for r in rounds):
        worst = {p: max(r.percentile(p) for r in rounds) for p in rounds[0].percentiles_ms or {}}
    return LoadResult(sum(r.requests for r in rounds), sum(r.seconds for r in rounds),
                      [ms for r in rounds for ms in r.latencies_ms], statuses,
                      percentiles_ms=worst)


class Loader:
    """One round of load on a server: with wrk when installed, else the Python generator.

    ``unique`` asks for requests no server has seen (Hongxin's store answers a
    repeated MsgId from the earlier reply); the bare endpoints keep none, so
    with wrk they reuse one large set per mode.
    """

    def __init__(self, count: int, msg_ids: Iterator[int]) -> None:
        self._count = count
        self._msg_ids = msg_ids
        self._with_wrk = wrk.available()
        self._bare: dict[bool, list[bytes]] = {}

    def round(self, port: int, safe: bool, *, unique: bool = True, **content: Any) -> LoadResult:
        if not self._with_wrk:
            return run_load("127.0.0.1", port, callback_requests(
                self._count, next(self._msg_ids), safe, **content), CONCURRENCY)
        if unique:
            requests = callback_requests(WRK_REQUESTS["hongxin"], next(self._msg_ids), safe,
                                         **content)
        else:
            if safe not in self._bare:
                self._bare[safe] = callback_requests(WRK_REQUESTS["bare"],
                                                     next(self._msg_ids), safe)
            requests = self._bare[safe]
        return wrk.run_wrk(port, requests, CONCURRENCY, WRK_SECONDS)

    def warm_up(self, port: int, safe: bool, **content: Any) -> None:
        run_load("127.0.0.1", port, callback_requests(500, next(self._msg_ids), safe,
                                                      **content), CONCURRENCY)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(command: list[str], env: dict[str, str], log: Path) -> Iterator[int]:
    port = free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen([*command, "--port", str(port)], stdout=out,
                                   stderr=subprocess.STDOUT, env={**os.environ, **env})
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                if process.poll() is not None:
                    raise RuntimeError(f"server exited early; see {log}")
                time.sleep(0.1)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=15)


def callback_requests(count: int, start_id: int, safe: bool, *, content: str = "帮助",
                      members: int = MEMBERS, openid_prefix: str = "o_bench_") -> list[bytes]:
    crypto = MessageCrypto(TOKEN, [AES_KEY], APP_ID)
    now = str(int(time.time()))
    requests = []
    for n in range(count):
        msg_id = start_id + n
        xml = (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA["
               f"{openid_prefix}{n % members:05d}]]></FromUserName><CreateTime>{now}</CreateTime>"
               f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
               f"<MsgId>{msg_id}</MsgId></xml>")
        nonce = secrets.token_hex(8)
        query = f"timestamp={now}&nonce={nonce}&signature={sign(TOKEN, now, nonce)}"
        if safe:
            from app.wechat import codec

            encrypted = str(codec.parse_fields(crypto.encrypt(xml, 0, now))["Encrypt"])
            query += f"&encrypt_type=aes&msg_signature={sign(TOKEN, now, nonce, encrypted)}"
            xml = (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName>"
                   f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>")
        requests.append(build_request("127.0.0.1", f"/wechat?{query}", xml.encode()))
    return requests


def compare(database_url: str, label: str, count: int, workdir: Path) -> list[Comparison]:
    env = {"HONGXIN_DATABASE_URL": database_url, "HONGXIN_WECHAT_TOKEN": TOKEN,
           "HONGXIN_WECHAT_APP_ID": APP_ID, "HONGXIN_WECHAT_AES_KEY": AES_KEY}
    python = sys.executable
    msg_ids = itertools.count(20_000_000, 1_000_000)
    uvicorn = [python, "-m", "uvicorn", "--log-level", "warning", "--no-access-log"]
    loader = Loader(count, msg_ids)
    with (server([*uvicorn, "bench.bare_app:app"], env, workdir / "bare.log") as bare_port,
          server([*uvicorn, "bench.bare_app:asgi_app"], env, workdir / "asgi.log") as asgi_port,
          server([python, "-m", "app.cli", "serve", "--no-scheduler"], env,
                 workdir / f"hongxin-{label}.log") as our_port):
        ports = (bare_port, asgi_port, our_port)
        results = []
        for safe in (False, True):
            for port in ports:  # warm-up: first connections, caches, members
                loader.warm_up(port, safe)
            rounds: dict[int, list[LoadResult]] = {port: [] for port in ports}
            for _ in range(ROUNDS):
                for port in ports:
                    rounds[port].append(loader.round(port, safe, unique=port == our_port))
            results.append(Comparison(f"{label}, {'safe' if safe else 'plain'} mode",
                                      rounds[our_port], rounds[bare_port], rounds[asgi_port]))
    return results


LEDGER_MEMBERS = 10_000
LEDGER_LINES_PER_MEMBER = 100  # 1 M ledger lines in all


@dataclass(frozen=True)
class PointsComparison:
    """`积分` against `帮助` on the same server, with a 1 M-line points ledger."""

    label: str
    points_rounds: list[LoadResult]
    help_rounds: list[LoadResult]

    @property
    def ratio(self) -> float:
        return statistics.median(_ratios(self.points_rounds, self.help_rounds))


def seed_ledger(database_url: str) -> None:
    """Members ``o_ledger_00000``… with 100 ledger lines each, their running totals and the
    members per total."""
    from datetime import UTC, datetime

    from sqlalchemy import bindparam, insert, text

    from app import migrations
    from app.db import create_db_engine
    from app.models import Member
    from app.models.base import UTCDateTime

    migrations.upgrade(database_url)
    at = datetime(2026, 11, 1, tzinfo=UTC)
    engine = create_db_engine(database_url)
    with engine.begin() as connection:
        connection.execute(insert(Member), [
            {"openid": f"o_ledger_{n:05d}", "first_seen_at": at, "last_interaction_at": at,
             "subscribed": True, "daily_push": False} for n in range(LEDGER_MEMBERS)])
        connection.execute(text(
            "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :lines) "
            "INSERT INTO points_entries (member_id, activity, reference, delta, note, created_at, "
            "occurred_at, occurred_month, category, rule_version) "
            "SELECT m.id, 'event_checkin', 'seed:' || seq.i, "
            # Totals spread over 100-300, so that a rank has members ahead of it to count.
            "1 + CASE WHEN seq.i <= m.id % 100 THEN (m.id % 97 + seq.i) % 5 ELSE 0 END, '', :at, "
            ":at, 202611, '组织生活', 1 "
            "FROM members m CROSS JOIN seq WHERE m.openid LIKE 'o_ledger_%'"
        ).bindparams(bindparam("at", type_=UTCDateTime())), {"lines": LEDGER_LINES_PER_MEMBER,
                                                              "at": at})
        connection.execute(text(
            "INSERT INTO points_balances (member_id, total) "
            "SELECT member_id, SUM(delta) FROM points_entries GROUP BY member_id"))
        connection.execute(text(
            "INSERT INTO points_total_counts (total, members) "
            "SELECT total, COUNT(*) FROM points_balances GROUP BY total"))
    if engine.dialect.name == "postgresql":
        # What autovacuum does to a ledger soon after a bulk load, and long since to
        # one grown over years; freshly loaded, every read also sets hint bits on
        # the rows it visits. Only the seeded tables: statistics taken of the
        # empty inbound_messages would send its lookups to sequential scans.
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text(
                "VACUUM ANALYZE members, points_entries, points_balances, points_total_counts"))
    engine.dispose()


def compare_points(database_url: str, label: str, count: int, workdir: Path) -> PointsComparison:
    seed_ledger(database_url)
    env = {"HONGXIN_DATABASE_URL": database_url, "HONGXIN_WECHAT_TOKEN": TOKEN,
           "HONGXIN_WECHAT_APP_ID": APP_ID, "HONGXIN_WECHAT_AES_KEY": AES_KEY}
    loader = Loader(count, itertools.count(900_000_000, 1_000_000))
    members: dict[str, Any] = {"members": LEDGER_MEMBERS, "openid_prefix": "o_ledger_"}
    with server([sys.executable, "-m", "app.cli", "serve", "--no-scheduler"], env,
                workdir / f"hongxin-points-{label}.log") as port:
        loader.warm_up(port, False, content="帮助", **members)
        loader.warm_up(port, False, content="积分", **members)
        rounds: dict[str, list[LoadResult]] = {"积分": [], "帮助": []}
        for _ in range(ROUNDS):
            for content, results in rounds.items():
                results.append(loader.round(port, False, content=content, **members))
    return PointsComparison(f"{label}, 积分 with {LEDGER_MEMBERS * LEDGER_LINES_PER_MEMBER:,}"
                            " ledger lines", rounds["积分"], rounds["帮助"])


def main(
    count: int = REQUESTS_PER_ROUND, postgres_url: str | None = None
) -> list[Comparison]:
    results = []
    with tempfile.TemporaryDirectory(prefix="hongxin-bench-") as tmp:
        workdir = Path(tmp)
        results += compare(f"sqlite:///{workdir / 'bench.db'}", "SQLite", count, workdir)
        if postgres_url:
            results += compare(postgres_url, "PostgreSQL", count, workdir)
    for result in results:
        print(f"{result.label}: ratio {result.ratio:.2f} (Hongxin throughput / bare, median "
              f"of {ROUNDS} rounds; {result.ratio_to_asgi:.2f} of the bare work as plain ASGI)")
        print(f"  hongxin {result.ours.summary()}")
        print(f"  bare    {result.bare.summary()}")
    return results


def points_main(
    count: int = REQUESTS_PER_ROUND, postgres_url: str | None = None
) -> list[PointsComparison]:
    """`积分` against `帮助` over a 1 M-line ledger; the issue asks for a ratio of 0.8 or more."""
    results = []
    with tempfile.TemporaryDirectory(prefix="hongxin-bench-") as tmp:
        workdir = Path(tmp)
        results.append(compare_points(f"sqlite:///{workdir / 'points.db'}", "SQLite", count,
                                      workdir))
        if postgres_url:
            results.append(compare_points(postgres_url, "PostgreSQL", count, workdir))
    for result in results:
        print(f"{result.label}: ratio {result.ratio:.2f} (积分 throughput / 帮助, median of "
              f"{ROUNDS} rounds)")
        print(f"  积分 {merged(result.points_rounds).summary()}")
        print(f"  帮助 {merged(result.help_rounds).summary()}")
    return results


if __name__ == "__main__":
    # python -m bench.callback [COUNT] [--points] [--postgres URL]; COUNT only for the
    # Python generator. With --postgres, a database of that server is used (emptied).
    arguments = sys.argv[1:]
    postgres = None
    if "--postgres" in arguments:
        at = arguments.index("--postgres")
        postgres = arguments[at + 1]
        del arguments[at:at + 2]
    COUNT = int(arguments[0]) if arguments and arguments[0].isdigit() else REQUESTS_PER_ROUND
    if "--points" in arguments:
        points_main(COUNT, postgres_url=postgres)
    else:
        main(COUNT, postgres_url=postgres)
