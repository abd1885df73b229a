"""The console dashboard (概览) of a 党委 with 10,000 bound members, 1 M ledger lines and
100,000 quiz answers: every figure of the page, and one figure's XLSX export.

    .venv/bin/python -m bench.dashboard [--members 10000] [--lines 100] [--repeat 20]
                                        [--database-url URL | --postgres]

Prints the p95 in milliseconds of the whole page (every figure's queries) for
the whole 党委 (an unscoped admin) and for one 党支部 (a scoped token), and of
the branch ranking's export, for the default period (this quarter up to
today); then each figure of the 党委 page alone, and the page for a custom
range a day longer (whose cut month and week read some days from the ledger).
One page of each is taken before measuring, so that no figure pays for the
cold cache the bulk load leaves.

The baseline, in the same run over the same rows, is the dashboard with its
points read as first written (:class:`FirstFigures`): from the ledger on every
page, per activity and by the time lines were recorded, twice per page (the
overview and the points figure) and once more per member for the branch
ranking; its ratio is baseline / service. The other figures' queries are the
service's in both. The branch ranking's first query, joining
the ledger to the org tree, is timed against the service's ranking too.
``--postgres`` runs it on a throwaway PostgreSQL server.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Subquery, distinct, func, insert, literal, select
from sqlalchemy.orm import Session, aliased

from app.console import dashboard
from app.models import PointsEntry
from bench.meetings import _settle as settle

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
        PointsPeriodTotal,
        PointsWeekTotal,
        QuizAnswer,
        QuizAttempt,
        QuizWeekTotal,
        RosterEntry,
        Signup,
    )
    from app.orgs.service import create_org
    from app.points.periods import period_labels
    from app.points.rules import CATEGORY_COLUMNS
    from app.points.service import month_of, week_of
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

    activities = (("lesson_read", "学习"), ("answer_correct", "学习"),
                  ("event_checkin", "组织生活"), ("deed_pioneer", "先锋作用"))
    batch: list[dict[str, Any]] = []
    period_totals: dict[tuple[str, int], dict[str, int]] = {}
    week_totals: dict[tuple[date, int], int] = {}
    for member_id in ids:
        for k in range(lines):
            activity, category = activities[k % 4]
            at, delta = moment(member_id * lines + k), 1 + k % 3
            month = month_of(at, ZONE)
            batch.append({"member_id": member_id, "activity": activity, "reference": f"r{k}",
                          "delta": delta, "note": "", "created_at": at, "occurred_at": at,
                          "occurred_month": month, "category": category, "rule_version": 1})
            for label in period_labels(month):
                totals = period_totals.setdefault((label, member_id), dict.fromkeys(
                    CATEGORY_COLUMNS.values(), 0))
                totals[CATEGORY_COLUMNS[category]] += delta
            week = (week_of(at, ZONE), member_id)
            week_totals[week] = week_totals.get(week, 0) + delta
        if len(batch) >= 50_000:
            session.execute(insert(PointsEntry), batch)
            batch = []
    if batch:
        session.execute(insert(PointsEntry), batch)
    session.execute(insert(PointsBalance).from_select(
        ["member_id", "total"],
        select(PointsEntry.member_id, func.sum(PointsEntry.delta)).group_by(PointsEntry.member_id)))
    session.execute(insert(PointsPeriodTotal), [
        {"period": label, "member_id": member_id, **totals}
        for (label, member_id), totals in period_totals.items()])
    session.execute(insert(PointsWeekTotal), [
        {"week": week, "member_id": member_id, "points": points}
        for (week, member_id), points in week_totals.items()])

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
    quiz_weeks: dict[tuple[date, int], list[int]] = {}
    for member_id in ids:
        for k in range(per_member):
            counts = quiz_weeks.setdefault((week_of(moment(member_id * 13 + k), ZONE), member_id),
                                           [0, 0])
            counts[0] += 1
            counts[1] += 1 if (member_id + k) % 3 > 0 else 0
    session.execute(insert(QuizWeekTotal), [
        {"week": week, "member_id": member_id, "answers": given, "correct": right}
        for (week, member_id), (given, right) in quiz_weeks.items()])

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


class FirstFigures(dashboard.Figures):
    """The dashboard's points as first written: every page adds up the ledger's lines
    recorded in the period, per activity (twice: for the overview and for the
    points figure) and per member (for the branch ranking)."""

    def _recorded_in_period(self) -> Any:
        return (PointsEntry.created_at >= self.period.starts_at,
                PointsEntry.created_at < self.period.ends_at,
                self.scope.holds_member(PointsEntry.member_id))

    @property
    def _points_by_category(self) -> list[tuple[str, int, int]]:
        rows = self.session.execute(
            select(PointsEntry.activity, func.sum(PointsEntry.delta), func.count(),
                   func.count(distinct(PointsEntry.member_id)))
            .where(*self._recorded_in_period())
            .group_by(PointsEntry.activity).order_by(func.sum(PointsEntry.delta).desc())).all()
        return [(activity, int(total), int(members)) for activity, total, _lines, members in rows]

    def _points_per_member(self) -> Subquery:
        # No categories then: zeros, for the branch ranking's statement that reads them.
        return (select(PointsEntry.member_id, func.sum(PointsEntry.delta).label("total"),
                       *(literal(0).label(column) for column in dashboard.POINTS_COLUMNS))
                .where(*self._recorded_in_period())
                .group_by(PointsEntry.member_id).subquery())


@contextlib.contextmanager
def first_version() -> Iterator[None]:
    """The dashboard's pages and exports computed by :class:`FirstFigures` meanwhile."""
    service = dashboard.Figures
    dashboard.Figures = FirstFigures  # type: ignore[misc]
    try:
        yield
    finally:
        dashboard.Figures = service  # type: ignore[misc]


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


def _compare(figures: dict[str, float], name: str, work: Callable[[], object],
             repeat: int, first_repeat: int) -> None:
    """The p95 of ``work`` by the service and by the first version, and their ratio."""
    service = figures[f"{name}, service p95 ms"] = _p95(work, repeat)
    with first_version():
        first = figures[f"{name}, first version p95 ms"] = _p95(work, first_repeat)
    figures[f"{name}, ratio first / service"] = first / service
    print(f"{name}: service {service:.1f} ms, first version {first:.1f} ms "
          f"({first / service:.1f}×)", flush=True)


def run(url: str, members: int, lines: int, answers: int, repeat: int,
        first_repeat: int) -> dict[str, float]:
    from app import migrations
    from app.auth.tokens import BOOTSTRAP_ADMIN, Principal, Role
    from app.db import Database
    from app.orgs.scope import scope_of_org

    migrations.upgrade(url)
    database = Database(url)
    try:
        started = time.perf_counter()
        with database.unit_of_work() as session:
            branches = _seed(session, members, lines, answers)
        settle(database)
        figures: dict[str, float] = {"seed seconds": time.perf_counter() - started}
        print(f"seeded in {figures['seed seconds']:.0f} s", flush=True)
        now = datetime.now(UTC)
        today = now.astimezone(ZONE).date()
        with database.unit_of_work() as session:
            scoped = Principal(Role.ORGANIZER, "一支部", None, scope_of_org(session, branches[0]))
            # One page each before measuring: the first after the bulk load reads a cold
            # cache, a start-up cost and not the page's.
            for principal in (BOOTSTRAP_ADMIN, scoped):
                dashboard.page_context(session, principal, None, None, ZONE, now)
            for who, principal in (("党委", BOOTSTRAP_ADMIN), ("党支部", scoped)):
                _compare(figures, f"page, {who}",
                         partial(dashboard.page_context, session, principal, None, None, ZONE,
                                 now), repeat, first_repeat)
            _compare(figures, "branches.xlsx, 党委",
                     lambda: dashboard.export(session, BOOTSTRAP_ADMIN, "branches", None, None,
                                              ZONE, now), repeat, first_repeat)
            quarter = dashboard.period_from(None, None, today, ZONE)
            for key in dashboard.FIGURES:
                def one_figure(key: str = key) -> object:
                    return dashboard.Figures(session, BOOTSTRAP_ADMIN, quarter).figure(key)

                _compare(figures, f"figure {key} alone, 党委", one_figure, repeat, first_repeat)
            # A day more than the quarter: not whole months or weeks, so the ledger is read.
            longer = quarter.start - timedelta(days=1)
            figures["page, 党委, custom range, service p95 ms"] = _p95(
                lambda: dashboard.page_context(session, BOOTSTRAP_ADMIN, longer, None, ZONE,
                                               now), repeat)

            ranking = dashboard.Figures(session, BOOTSTRAP_ADMIN, quarter)
            joined = _joined_points_by_branch(session, quarter.starts_at, quarter.ends_at)
            shown = sorted(int(str(row[5])) for row in ranking.branches().rows)
            assert sorted(joined.values()) == shown
            figures["branch points, joined query p95 ms"] = _p95(
                lambda: _joined_points_by_branch(session, quarter.starts_at, quarter.ends_at),
                first_repeat)
            figures["branch ranking, service p95 ms"] = _p95(ranking.branches, repeat)
    finally:
        database.close()
    figures["ratio joined / service"] = (figures["branch points, joined query p95 ms"]
                                         / figures["branch ranking, service p95 ms"])
    return figures


def main(argv: list[str] | None = None, database_url: str | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=100)
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--first-repeat", type=int, default=5,
                        help="pages by the first version, which take seconds each")
    parser.add_argument("--database-url", default=database_url)
    parser.add_argument("--postgres", action="store_true", help="on a throwaway server")
    args = parser.parse_args(argv)
    sizes = (args.members, args.lines, args.answers, args.repeat, args.first_repeat)
    with contextlib.ExitStack() as stack:
        if args.postgres:
            from bench.__main__ import fresh_database, postgres

            server_url = stack.enter_context(postgres())
            if server_url is None:
                raise SystemExit("PostgreSQL is not installed")
            url = fresh_database(server_url, "bench_dashboard")
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory())
            url = args.database_url or f"sqlite:///{Path(folder) / 'dashboard.db'}"
        figures = run(url, *sizes)
    print(f"{args.members} members, {args.members * args.lines:,} ledger lines, "
          f"{args.answers:,} quiz answers, {DAYS} days; {args.repeat} pages each, "
          f"{args.first_repeat} by the first version")
    for key, value in figures.items():
        print(f"{key}: {value:.2f}")
    return figures


if __name__ == "__main__":
    main()
