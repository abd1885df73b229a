"""The console dashboard (概览) of a 党委 with 10,000 bound members, 1 M ledger lines and
100,000 quiz answers: every figure of the page, and one figure's XLSX export.

    .venv/bin/python -m bench.dashboard [--members 10000] [--lines 100] [--repeat 20]
                                        [--database-url URL]

Prints the p95 in milliseconds of the whole page (every figure's queries) for
the whole 党委 (an unscoped admin) and for one 党支部 (a scoped token), and of
the branch ranking's export. The baseline, in the same run over the same rows,
is the branch ranking as first written, one query joining the ledger to the
org tree (reproduced here), against the service's, which groups by member in
the database and adds up per branch in Python; the ratio is baseline / service.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, aliased

ZONE = ZoneInfo("Asia/Shanghai")
DAYS = 90


def _seed(session: Session, members: int, lines: int, answers: int) -> list[int]:
    from app.lessons.service import create_lesson
    from app.models import (
        BankQuestion,
        Event,
        LessonRead,
        Member,
        PointsBalance,
        PointsEntry,
        QuizAnswer,
        QuizAttempt,
        RosterEntry,
        Signup,
    )
    from app.orgs.service import create_org
    from app.quiz_banks.service import import_bank
    from tests.support.quizbanks import bank_csv

    now = datetime.now(UTC)
    root = create_org(session, "机关党委", now)
    branches = [create_org(session, f"第{n}党支部", now, parent_id=root.id).id for n in range(10)]
    session.execute(insert(Member), [
        {"openid": f"o_{n}", "first_seen_at": now, "last_interaction_at": now,
         "subscribed": True, "daily_push": False} for n in range(members)])
    ids = list(session.scalars(select(Member.id).order_by(Member.id)))
    session.execute(insert(RosterEntry), [
        {"name": f"党员{n}", "phone": f"138{n:08d}", "org_id": branches[n % 10],
         "status": "正式党员", "member_id": member_id, "bound_at": now, "created_at": now,
         "updated_at": now} for n, member_id in enumerate(ids)])

    def moment(k: int) -> datetime:
        return now - timedelta(minutes=(k * 7919) % (DAYS * 24 * 60))

    activities = ("lesson_read", "answer_correct", "event_checkin", "quiz_full_marks")
    batch: list[dict[str, Any]] = []
    for member_id in ids:
        for k in range(lines):
            batch.append({"member_id": member_id, "activity": activities[k % 4],
                          "reference": f"r{k}", "delta": 1 + k % 3, "note": "",
                          "created_at": moment(member_id * lines + k)})
        if len(batch) >= 50_000:
            session.execute(insert(PointsEntry), batch)
            batch = []
    if batch:
        session.execute(insert(PointsEntry), batch)
    session.execute(insert(PointsBalance).from_select(
        ["member_id", "total"],
        select(PointsEntry.member_id, func.sum(PointsEntry.delta)).group_by(PointsEntry.member_id)))

    lessons = [create_lesson(session, title=f"第{n}课", summary="", body="",
                             publish_date=now.date(), now=now).id for n in range(30)]
    session.execute(insert(LessonRead), [
        {"member_id": member_id, "lesson_id": lessons[k], "read_at": moment(member_id + k)}
        for member_id in ids for k in range(5)])

    bank = import_bank(session, bank_csv(100), "bench.csv", now=now)
    questions = list(session.scalars(select(BankQuestion.id)
                                     .where(BankQuestion.bank_id == bank.id)))
    per_member = max(1, answers // len(ids))
    session.execute(insert(QuizAttempt), [
        {"member_id": member_id, "bank_id": bank.id, "question_ids": questions[:per_member],
         "shuffles": [], "answered": per_member, "correct": 0, "status": "finished",
         "started_at": now, "last_activity_at": now} for member_id in ids])
    attempts = dict(session.execute(select(QuizAttempt.member_id, QuizAttempt.id)).all())
    session.execute(insert(QuizAnswer), [
        {"attempt_id": attempts[member_id], "member_id": member_id, "position": k + 1,
         "question_id": questions[k], "given": "A", "correct": (member_id + k) % 3 > 0,
         "answered_at": moment(member_id * 13 + k)}
        for member_id in ids for k in range(per_member)])

    for n in range(60):
        event = Event(kind="activity" if n % 2 else "branch_assembly", title=f"活动{n}",
                      description="", location="会议室", starts_at=moment(n * 131),
                      capacity=200, seats_taken=100, remind_before_minutes=60,
                      org_id=branches[n % 10], status="scheduled", created_at=now,
                      updated_at=now)
        session.add(event)
        session.flush()
        session.execute(insert(Signup), [
            {"event_id": event.id, "member_id": ids[(n * 100 + k) % len(ids)],
             "status": "confirmed", "created_at": now, "confirmed_at": now,
             "checked_in_at": event.starts_at if k % 4 else None}
            for k in range(100)])
    return branches


def _joined_points_by_branch(session: Session, starts_at: datetime,
                             ends_at: datetime) -> dict[int, int]:
    """The baseline: each branch's points in one query over the ledger and the org tree."""
    from app.models import Org, PointsEntry, RosterEntry

    branch, below = aliased(Org), aliased(Org)
    in_branch = (select(branch.id.label("branch_id"), RosterEntry.member_id)
                 .join(below, below.path.startswith(branch.path))
                 .join(RosterEntry, RosterEntry.org_id == below.id)
                 .where(branch.kind == "branch", RosterEntry.member_id.is_not(None))
                 .subquery())
    return {branch_id: int(total or 0) for branch_id, total in session.execute(
        select(in_branch.c.branch_id, func.sum(PointsEntry.delta))
        .join(PointsEntry, PointsEntry.member_id == in_branch.c.member_id)
        .where(PointsEntry.created_at >= starts_at, PointsEntry.created_at < ends_at)
        .group_by(in_branch.c.branch_id))}


def _p95(work: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else timings[0]


def main(argv: list[str] | None = None, database_url: str | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=100)
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default=database_url)
    args = parser.parse_args(argv)
    from app import migrations
    from app.auth.tokens import BOOTSTRAP_ADMIN, Principal, Role
    from app.console import dashboard
    from app.db import Database
    from app.orgs.scope import scope_of_org

    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'dashboard.db'}"
        migrations.upgrade(url)
        database = Database(url)
        try:
            started = time.perf_counter()
            with database.unit_of_work() as session:
                branches = _seed(session, args.members, args.lines, args.answers)
            seeded = time.perf_counter() - started
            now = datetime.now(UTC)
            start = (now - timedelta(days=DAYS)).astimezone(ZONE).date()
            figures: dict[str, Any] = {"seed_seconds": seeded}
            with database.unit_of_work() as session:
                scoped = Principal(Role.ORGANIZER, "一支部", None,
                                   scope_of_org(session, branches[0]))

                for who, principal in (("党委", BOOTSTRAP_ADMIN), ("党支部", scoped)):
                    figures[f"page p95 ms, {who}"] = _p95(
                        lambda principal=principal: dashboard.page_context(
                            session, principal, start, None, ZONE, now), args.repeat)
                figures["branches.xlsx p95 ms, 党委"] = _p95(
                    lambda: dashboard.export(session, BOOTSTRAP_ADMIN, "branches", start,
                                             None, ZONE, now), args.repeat)
                period = dashboard.period_from(start, None, now.astimezone(ZONE).date(), ZONE)
                ranking = dashboard.Figures(session, BOOTSTRAP_ADMIN, period)
                joined = _joined_points_by_branch(session, period.starts_at, period.ends_at)
                shown = {row[0]: row[5] for row in ranking.branches().rows}
                assert sorted(joined.values()) == sorted(shown.values())
                figures["branch points, joined query p95 ms"] = _p95(
                    lambda: _joined_points_by_branch(session, period.starts_at,
                                                     period.ends_at), args.repeat)
                figures["branch ranking, service p95 ms"] = _p95(ranking.branches, args.repeat)
        finally:
            database.close()
    figures["ratio joined / service"] = (figures["branch points, joined query p95 ms"]
                                         / figures["branch ranking, service p95 ms"])
    print(f"{args.members} members, {args.members * args.lines:,} ledger lines, "
          f"{args.answers:,} quiz answers, {DAYS} days; {args.repeat} pages each")
    for key, value in figures.items():
        print(f"{key}: {value:.2f}")
    return figures


if __name__ == "__main__":
    main()
