"""Soak: a bounded, paced mix of virtual members against `hongxin serve`, then checks.

    .venv/bin/python -m bench.soak [seconds] [--sqlite]

With a PostgreSQL URL, two `hongxin serve` processes share the database; with
none, one process on SQLite. The scheduler runs inside them (no
``--no-scheduler``) and sends to a `hongxin fake-wechat` started for the run, so
waitlist promotions and reminders really go out. Run alone, the module starts
its own throwaway PostgreSQL (``--sqlite`` skips it).

``CONCURRENCY`` virtual members at a time, each pausing a little between
messages, chat (帮助, 学习, 积分, 活动, 我的报名), take whole quizzes, and sign
up for and cancel a few small events, so waitlists fill and promotions
happen. A share of messages is delivered again with the same MsgId, as the
platform retries: some after the first reply, some at the same moment, some
to the other process, some with a fresh timestamp and nonce.

At the end the replies and the database are checked: no 5xx, every retry got
its first delivery's reply, one inbound row per MsgId, no event over capacity
or holding a seat while members wait, one live sign-up per member and event,
no duplicate ledger lines, each quiz answer graded once, every sign-up the
replies acknowledged present in the database, and every outbox message the
database calls sent received once by the platform. The RSS of each server
process is sampled every second. :func:`main` returns the figures and
``problems``, an empty list when all held.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from app.db import normalize_url
from app.fakewechat import DEV_APPS
from app.wechat.signature import sign
from bench import callback
from bench.procstat import RssSampler, child_on_port, pids_mentioning

TOKEN = "soak-token"
APP_ID, APP_SECRET = next(iter(DEV_APPS.items()))
ADMIN_TOKEN = "soak-admin-" + secrets.token_hex(8)
DATABASE_NAME = "hongxin_soak"
CONCURRENCY = 24
# Each virtual member acts for several openids in turn, which keeps every openid under
# the sign-up limit (10 actions a minute) while the tasks stay busy.
OPENIDS_PER_TASK = 8
THINK_SECONDS = (0.15, 0.6)
RETRY_SHARE = 0.12
CAPACITIES = (3, 5, 8)
SCENARIOS = {"chat": 0.35, "quiz": 0.25, "signup": 0.40}
CHAT_WORDS = ("帮助", "学习", "积分", "活动", "我的报名")
# Virtual members stop at the deadline; anything still running this much later is cut.
GRACE_SECONDS = 30.0
QUESTION = re.compile(r"第 (\d+)/(\d+) 题（(.+?)）")
OPTION = re.compile(r"^([A-F])\. ", re.MULTILINE)


@dataclass
class VirtualMember:
    openid: str
    # Last state the replies acknowledged per event: confirmed, waitlisted or none.
    signups: dict[int, str] = field(default_factory=dict)


@dataclass
class Traffic:
    """Sends callbacks, spreads them over the servers and keeps what the checks need."""

    client: httpx.AsyncClient
    ports: list[int]
    deadline: float
    msg_ids: Iterator[int] = field(default_factory=lambda: itertools.count(40_000_000))
    sent_ids: set[int] = field(default_factory=set)
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def _query(self) -> dict[str, str]:
        now, nonce = str(int(time.time())), secrets.token_hex(8)
        return {"timestamp": now, "nonce": nonce, "signature": sign(TOKEN, now, nonce)}

    async def _post(self, query: dict[str, str], body: bytes) -> tuple[int, str]:
        port = random.choice(self.ports)
        started = time.perf_counter()
        try:
            response = await self.client.post(f"http://127.0.0.1:{port}/wechat", params=query,
                                              content=body)
        except httpx.HTTPError as error:
            self.counts["transport errors"] += 1
            self.problems.append(f"transport error on :{port}: {error!r}")
            return 0, ""
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.problems.append(f"{response.status_code} from :{port} for {body.decode()!r}: "
                                 f"{response.text[:200]!r}")
        return response.status_code, response.text

    async def say(self, member: VirtualMember, content: str) -> str:
        """Send ``content`` as ``member``; the reply's text ("" for ``success``)."""
        msg_id = next(self.msg_ids)
        self.sent_ids.add(msg_id)
        body = (f"<xml><ToUserName><![CDATA[gh_soak]]></ToUserName><FromUserName><![CDATA["
                f"{member.openid}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
                f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
                f"<MsgId>{msg_id}</MsgId></xml>").encode()
        query = self._query()
        if random.random() >= RETRY_SHARE:
            status, reply = await self._post(query, body)
        else:
            # The platform's retry carries the same XML; whether its query repeats the
            # first one's timestamp and nonce is not promised, so both kinds are sent.
            again = query if random.random() < 0.5 else self._query()
            if random.random() < 0.5:
                self.counts["retries at the same moment"] += 1
                (status, reply), (_, repeated) = await asyncio.gather(
                    self._post(query, body), self._post(again, body))
            else:
                self.counts["retries after the reply"] += 1
                status, reply = await self._post(query, body)
                _, repeated = await self._post(again, body)
            if repeated != reply:
                self.counts["retry replies differing"] += 1
                self.problems.append(f"retry of MsgId {msg_id} ({content!r}) got {repeated!r}, "
                                     f"first delivery {reply!r}")
        self.counts["messages"] += 1
        if status == 200 and reply == "success":
            self.counts["empty replies (success)"] += 1
            return ""
        return reply_text(reply)


def reply_text(xml: str) -> str:
    if not xml.startswith("<xml>"):
        return ""
    root = ET.fromstring(xml)
    content = root.findtext("Content")
    if content is not None:
        return content
    return "\n".join(item.findtext("Title") or "" for item in root.iter("item"))


def _answer(kind: str, reply: str) -> str:
    letters: list[str] = OPTION.findall(reply.rsplit("题（", 1)[-1]) or ["A", "B"]
    if kind == "多选题":
        return "".join(sorted(random.sample(letters, random.randint(1, len(letters)))))
    if kind == "判断题":
        return random.choice(("对", "错"))
    if kind == "填空题":
        return random.choice(("人民", "为人民服务", "不知道"))
    return random.choice(letters)


async def chat(traffic: Traffic, member: VirtualMember) -> None:
    word = random.choice(CHAT_WORDS)
    reply = await traffic.say(member, word)
    expected = {"帮助": "答题", "积分": "积分", "活动": "活动", "我的报名": "报名"}.get(word)
    if not reply or (expected and expected not in reply):
        traffic.counts["unexpected chat replies"] += 1
        traffic.problems.append(f"{member.openid} {word!r} got {reply!r}")


async def quiz(traffic: Traffic, member: VirtualMember) -> None:
    reply = await traffic.say(member, "答题")
    traffic.counts["quizzes started"] += 1
    for _ in range(20):
        if "得分" in reply:
            traffic.counts["quizzes finished"] += 1
            return
        questions = QUESTION.findall(reply)
        if not questions:
            traffic.counts["unexpected quiz replies"] += 1
            traffic.problems.append(f"{member.openid} quiz got {reply!r}")
            return
        if time.monotonic() > traffic.deadline:
            return
        await asyncio.sleep(random.uniform(*THINK_SECONDS))
        reply = await traffic.say(member, _answer(questions[-1][2], reply))
        traffic.counts["quiz answers"] += 1


SIGNUP_REPLIES = (("报名成功", "confirmed"), ("进入候补", "waitlisted"), ("您已报名", "confirmed"),
                  ("候补名单中", "waitlisted"), ("已取消第", "none"), ("您没有报名", "none"))


async def signup(traffic: Traffic, member: VirtualMember, events: list[int]) -> None:
    confirmed = [event for event, state in member.signups.items() if state == "confirmed"]
    # Seats change hands only when a confirmed member lets go; without this bias the
    # few seats would stay put and the waitlists would never move.
    if confirmed and random.random() < 0.5:
        event_id = random.choice(confirmed)
    else:
        event_id = random.choice(events)
    before = member.signups.get(event_id, "none")
    cancel = before != "none" and random.random() < 0.7
    word = f"取消报名 {event_id}" if cancel else f"报名 {event_id}"
    reply = await traffic.say(member, word)
    if "过于频繁" in reply:
        traffic.counts["sign-up actions rate-limited"] += 1
        return
    after = next((state for marker, state in SIGNUP_REPLIES if marker in reply), None)
    if after is None:
        traffic.counts["unexpected sign-up replies"] += 1
        traffic.problems.append(f"{member.openid} {word!r} got {reply!r}")
        return
    traffic.counts[f"{word.split(maxsplit=1)[0]} → {after}"] += 1
    # A waitlisted member may have been promoted since; anything else is news to us.
    allowed = {before} | ({"confirmed"} if before == "waitlisted" else set())
    if (cancel and after == "none" and before == "none") or (
            not cancel and after not in allowed and before != "none"):
        traffic.problems.append(f"{member.openid} {word!r} was {before}, reply says {after}: "
                                f"{reply!r}")
    if cancel and after == "none" and "您没有报名" in reply:
        traffic.problems.append(f"{member.openid} {word!r} was {before}, reply says not "
                                f"signed up: {reply!r}")
    member.signups[event_id] = after


async def virtual_member(traffic: Traffic, members: list[VirtualMember],
                         events: list[int]) -> None:
    for turn in itertools.count():
        if time.monotonic() > traffic.deadline:
            return
        member = members[turn % len(members)]
        scenario = random.choices(list(SCENARIOS), weights=list(SCENARIOS.values()))[0]
        traffic.counts[f"scenario {scenario}"] += 1
        if scenario == "chat":
            await chat(traffic, member)
        elif scenario == "quiz":
            await quiz(traffic, member)
        else:
            await signup(traffic, member, events)
        await asyncio.sleep(random.uniform(*THINK_SECONDS))


async def drive(ports: list[int], events: list[int], seconds: float
                ) -> tuple[Traffic, list[VirtualMember], float]:
    connections = 2 * CONCURRENCY  # a retry at the same moment needs a second one
    # uvicorn drops a connection idle for 5 s; a request sent on it at that moment fails
    # in the client, so idle connections are let go well before.
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections,
                          keepalive_expiry=2.0)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        traffic = Traffic(client, ports, time.monotonic() + seconds)
        roster = [[VirtualMember(f"o_soak_{task:02d}_{n}") for n in range(OPENIDS_PER_TASK)]
                  for task in range(CONCURRENCY)]
        started = time.perf_counter()
        tasks = [asyncio.create_task(virtual_member(traffic, members, events))
                 for members in roster]
        done, pending = await asyncio.wait(tasks, timeout=seconds + GRACE_SECONDS)
        for task in pending:
            task.cancel()
            traffic.problems.append("a virtual member was still busy after the grace period")
        for task in done:
            if task.exception() is not None:
                traffic.problems.append(f"virtual member crashed: {task.exception()!r}")
        elapsed = time.perf_counter() - started
    return traffic, [member for members in roster for member in members], elapsed


def _create_events(port: int, now: datetime) -> list[int]:
    ids = []
    for n, capacity in enumerate(CAPACITIES):
        # The first event's reminders fall due half a minute into the run, so the
        # dispatcher sends real reminders while sign-ups and cancels go on.
        remind = 180 if n == 0 else 60
        starts = now + timedelta(minutes=remind if n == 0 else 24 * 60, seconds=30)
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/admin/events",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            json={"title": f"压力测试活动{n + 1}", "description": "soak", "location": "党员活动室",
                  "starts_at": starts.isoformat(), "capacity": capacity,
                  "remind_before_minutes": remind}, timeout=10)
        response.raise_for_status()
        ids.append(int(response.json()["id"]))
    return ids


@contextlib.contextmanager
def fake_wechat(workdir: Path) -> Iterator[str]:
    port = callback.free_port()
    with open(workdir / "fake-wechat.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "app.cli", "fake-wechat", "--port",
                                    str(port)], stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/_fake/calls", timeout=1).status_code == 200:
                        break
                if process.poll() is not None:
                    raise RuntimeError(f"hongxin fake-wechat exited; see {workdir}")
                time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=15)


def _drain_outbox(database_url: str, seconds: float = 30) -> int:
    """Wait until nothing due is left pending; returns how many still are."""
    engine = create_engine(normalize_url(database_url))
    try:
        deadline = time.monotonic() + seconds
        while True:
            with engine.connect() as connection:
                left = int(connection.execute(
                    text("SELECT count(*) FROM outbox WHERE status = 'pending' AND due_at <= :now"),
                    {"now": datetime.now(UTC).replace(tzinfo=None)
                     if engine.dialect.name == "sqlite" else datetime.now(UTC)}).scalar_one())
            if left == 0 or time.monotonic() > deadline:
                return left
            time.sleep(1)
    finally:
        engine.dispose()


def _scalar(connection: Any, sql: str, **params: Any) -> int:
    return int(connection.execute(text(sql), params).scalar_one() or 0)


def check_database(database_url: str, traffic: Traffic, members: list[VirtualMember],
                   events: list[int], platform_calls: list[dict[str, Any]]) -> dict[str, Any]:
    """The invariants after the run; each failure is also added to ``traffic.problems``."""
    checks: dict[str, Any] = {}
    problems = traffic.problems
    engine = create_engine(normalize_url(database_url))
    with engine.connect() as db:
        inbound = _scalar(db, "SELECT count(*) FROM inbound_messages")
        checks["inbound rows / distinct MsgIds sent"] = f"{inbound} / {len(traffic.sent_ids)}"
        if inbound != len(traffic.sent_ids):
            problems.append(f"{inbound} inbound rows for {len(traffic.sent_ids)} MsgIds")
        unanswered = _scalar(db, "SELECT count(*) FROM inbound_messages WHERE reply IS NULL")
        checks["inbound rows without a stored reply"] = unanswered
        if unanswered:
            problems.append(f"{unanswered} inbound rows never got a reply stored")

        seats = db.execute(text(
            "SELECT e.id, e.capacity, e.seats_taken,"
            " sum(CASE WHEN s.status = 'confirmed' THEN 1 ELSE 0 END),"
            " sum(CASE WHEN s.status = 'waitlisted' THEN 1 ELSE 0 END),"
            " sum(CASE WHEN s.status = 'cancelled' THEN 1 ELSE 0 END)"
            " FROM events e LEFT JOIN event_signups s ON s.event_id = e.id"
            " GROUP BY e.id, e.capacity, e.seats_taken ORDER BY e.id")).all()
        for event_id, capacity, taken, confirmed_sum, waiting_sum, cancelled in seats:
            if event_id not in events:
                continue
            confirmed, waiting = int(confirmed_sum or 0), int(waiting_sum or 0)
            checks[f"event {event_id}"] = (f"capacity {capacity}, confirmed {confirmed}, "
                                           f"waitlisted {waiting}, cancelled rows {cancelled}")
            if confirmed > capacity or taken != confirmed:
                problems.append(f"event {event_id}: capacity {capacity}, seats_taken {taken}, "
                                f"{confirmed} confirmed")
            if confirmed < capacity and waiting:
                problems.append(f"event {event_id}: {capacity - confirmed} seats free while "
                                f"{waiting} wait")
        doubled = {
            "members with two live sign-ups for one event":
                "SELECT count(*) FROM (SELECT event_id, member_id FROM event_signups"
                " WHERE status != 'cancelled' GROUP BY event_id, member_id"
                " HAVING count(*) > 1) AS d",
            "duplicate ledger lines (member, activity, reference)":
                "SELECT count(*) FROM (SELECT member_id, activity, reference FROM points_entries"
                " GROUP BY member_id, activity, reference HAVING count(*) > 1) AS d",
            "quiz answers graded twice (attempt, position)":
                "SELECT count(*) FROM (SELECT attempt_id, position FROM quiz_answers"
                " GROUP BY attempt_id, position HAVING count(*) > 1) AS d",
            "attempts whose counters disagree with their answers":
                "SELECT count(*) FROM quiz_attempts a WHERE a.answered != (SELECT count(*)"
                " FROM quiz_answers q WHERE q.attempt_id = a.id) OR a.correct != (SELECT"
                " count(*) FROM quiz_answers q WHERE q.attempt_id = a.id AND q.correct)",
        }
        for label, sql in doubled.items():
            checks[label] = _scalar(db, sql)
            if checks[label]:
                problems.append(f"{label}: {checks[label]}")
        finished = _scalar(db, "SELECT count(*) FROM quiz_attempts WHERE status = 'finished'")
        checks["finished attempts / quizzes the replies scored"] = (
            f"{finished} / {traffic.counts['quizzes finished']}")
        if finished != traffic.counts["quizzes finished"]:
            problems.append(f"{finished} finished attempts, "
                            f"{traffic.counts['quizzes finished']} scored in replies")
        checks["ledger lines"] = _scalar(db, "SELECT count(*) FROM points_entries")
        if engine.dialect.name == "postgresql":
            # Not a failure by itself: the group commit runs a deadlock's victim again.
            checks["deadlocks detected by PostgreSQL"] = _scalar(
                db, "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")

        live = {(openid, event_id): status for openid, event_id, status in db.execute(text(
            "SELECT m.openid, s.event_id, s.status FROM event_signups s"
            " JOIN members m ON m.id = s.member_id WHERE s.status != 'cancelled'")).all()}
        acknowledged = promoted = 0
        for member in members:
            for event_id, state in member.signups.items():
                stored = live.get((member.openid, event_id), "none")
                acknowledged += state != "none"
                promoted += state == "waitlisted" and stored == "confirmed"
                if stored != state and not (state == "waitlisted" and stored == "confirmed"):
                    problems.append(f"{member.openid} event {event_id}: the replies said "
                                    f"{state}, the database holds {stored}")
        checks["acknowledged live sign-ups"] = acknowledged
        checks["promoted from the waitlist since their last reply"] = promoted

        outbox = Counter({f"{kind} {status}": int(n) for kind, status, n in db.execute(text(
            "SELECT kind, status, count(*) FROM outbox GROUP BY kind, status")).all()})
        checks["outbox"] = dict(sorted(outbox.items()))
        sent = sum(n for label, n in outbox.items() if label.endswith(" sent"))
    engine.dispose()
    accepted = [call for call in platform_calls if call.get("errcode") == 0
                and "/message/" in str(call.get("path"))]
    checks["messages the platform accepted / outbox rows sent"] = f"{len(accepted)} / {sent}"
    if len(accepted) != sent:
        problems.append(f"the platform accepted {len(accepted)} messages, the outbox sent {sent}")
    return checks


def _server_log_problems(workdir: Path) -> list[str]:
    """One line per logged error: the log line that announced it and the exception it ends
    with; the logs are kept (their folder is named) when there is any."""
    found = []
    for log in sorted(workdir.glob("serve-*.log")):
        lines = log.read_text(errors="replace").splitlines()
        for number, line in enumerate(lines):
            if " ERROR " not in line and not line.startswith("ERROR"):
                continue
            tail = next((later for later in lines[number + 1:number + 200]
                         if later and not later[0].isspace() and not later.startswith(
                             ("Traceback", "The above", "During handling"))
                         and ("Error" in later or "Exception" in later)), "")
            found.append(f"{log.name}: {line.strip()[:300]} | {tail.strip()[:400]}")
    if found:
        kept = Path(tempfile.mkdtemp(prefix="hongxin-soak-logs-"))
        for log in workdir.glob("*.log"):
            shutil.copy(log, kept / log.name)
        found.append(f"server logs kept in {kept}")
    return found


def main(duration_seconds: float = 300, database_url: str | None = None) -> dict[str, Any]:
    """Soak for ``duration_seconds``; two processes on ``database_url`` (PostgreSQL) or one
    on a scratch SQLite database. Returns the figures; ``problems`` lists what failed."""
    with tempfile.TemporaryDirectory(prefix="hongxin-soak-") as tmp:
        workdir = Path(tmp)
        processes = 1 if database_url is None else 2
        url = database_url or f"sqlite:///{workdir / 'soak.db'}"
        with fake_wechat(workdir) as api_base:
            env = {"HONGXIN_DATABASE_URL": url, "HONGXIN_WECHAT_TOKEN": TOKEN,
                   "HONGXIN_WECHAT_APP_ID": APP_ID, "HONGXIN_WECHAT_APP_SECRET": APP_SECRET,
                   "HONGXIN_WECHAT_API_BASE": api_base, "HONGXIN_ADMIN_TOKEN": ADMIN_TOKEN,
                   "HONGXIN_DISPATCH_INTERVAL_SECONDS": "2"}
            subprocess.run([sys.executable, "-m", "app.cli", "demo-data"], check=True,
                           env={**os.environ, **env}, stdout=subprocess.DEVNULL)
            command = [sys.executable, "-m", "app.cli", "serve"]
            with contextlib.ExitStack() as stack:
                ports = [stack.enter_context(callback.server(
                    command, env, workdir / f"serve-{n}.log")) for n in range(processes)]
                events = _create_events(ports[0], datetime.now(UTC))
                pids = {f"serve :{port}": child_on_port(port) for port in ports}
                with RssSampler(pids) as sampler:
                    traffic, members, elapsed = asyncio.run(
                        drive(ports, events, duration_seconds))
                connections = (len(pids_mentioning(url.rsplit("/", 1)[-1]))
                               if database_url else None)
                left = _drain_outbox(url)
                platform_calls = httpx.get(f"{api_base}/_fake/calls", timeout=30).json()
            if left:
                traffic.problems.append(f"{left} due outbox rows still pending after 30 s")
            checks = check_database(url, traffic, members, events, platform_calls)
            traffic.problems += _server_log_problems(workdir)
    latencies = sorted(traffic.latencies_ms)
    requests = len(latencies) + traffic.counts["transport errors"]
    figures: dict[str, Any] = {
        "database": "PostgreSQL" if database_url else "SQLite",
        "server processes": processes,
        "virtual members at a time": CONCURRENCY,
        "seconds": round(elapsed, 1),
        "requests": requests,
        "req/s": round(requests / elapsed, 1),
        "p50 ms": round(_percentile(latencies, 50), 1),
        "p99 ms": round(_percentile(latencies, 99), 1),
        "statuses": dict(sorted(traffic.statuses.items())),
        "5xx": sum(n for status, n in traffic.statuses.items() if status >= 500),
        "errors": traffic.counts["transport errors"],
        "counts": dict(sorted(traffic.counts.items())),
        "checks": checks,
        "rss": sampler.figures(),
        "postgresql connections at the end": connections,
        "problems": traffic.problems,
    }
    _print(figures)
    return figures


def _percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else 0.0


def _print(figures: dict[str, Any]) -> None:
    print(f"soak on {figures['database']}, {figures['server processes']} process(es), "
          f"{figures['virtual members at a time']} virtual members, {figures['seconds']} s: "
          f"{figures['requests']} requests, {figures['req/s']} req/s, p50 {figures['p50 ms']} ms, "
          f"p99 {figures['p99 ms']} ms, 5xx {figures['5xx']}, errors {figures['errors']}")
    print(f"  statuses {figures['statuses']}")
    for key, value in figures["counts"].items():
        print(f"  {key}: {value}")
    for key, value in figures["checks"].items():
        print(f"  check {key}: {value}")
    if figures["postgresql connections at the end"] is not None:
        print(f"  postgresql connections at the end: "
              f"{figures['postgresql connections at the end']}")
    for label, rss in figures["rss"].items():
        print(f"  rss {label}: {rss}")
    print(f"  problems: {len(figures['problems'])}")
    for problem in figures["problems"][:30]:
        print(f"    {problem}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seconds", type=float, nargs="?", default=300)
    parser.add_argument("--sqlite", action="store_true", help="one process on SQLite")
    options = parser.parse_args()
    if options.sqlite:
        main(options.seconds)
    else:
        from bench.__main__ import fresh_database
        from tests.support.postgres import running_postgres

        with running_postgres() as server:
            main(options.seconds, fresh_database(server, DATABASE_NAME))
