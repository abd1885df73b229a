"""Meetings benchmark: a notice to a 10,000-member org, the compliance calendar of a 党委,
and a check-in tap at the door of a large meeting.

    .venv/bin/python -m bench.meetings [--members 10000] [--attendees 2000] [--database URL]

1. **Notice.** An org with ``--members`` bound members; creating a meeting for it
   (the events service, as ``POST /api/admin/events`` calls it) writes one
   attendance row, one notice and one reminder per member. Timed against two
   baselines measured in the same run on the same database: a bulk insert of
   the same number of outbox rows (the least any design must write), and the
   outbox's one-row ``enqueue`` called once per member (the obvious loop).
   Checks exactly one notice and one reminder per member.
2. **Calendar.** A 党委 of 200 orgs (40 党支部 of 4 党小组 each) with a year of
   meetings (about 3,300); the calendar (``GET /api/admin/orgs/{id}/compliance``'s
   service) is read 50 times: p50 and p95, against a plain read of the same
   meeting rows.

3. **Tap.** A meeting of ``--attendees`` expected attendees with check-in open;
   ``TAPS`` organizer check-ins from the console, each in its own unit of work
   as its request: the check-in and the answer the page swaps in (the member's
   row and the counts, :func:`app.console.meetings_pages.check_in`), against the
   same check-in followed by a read of the whole attendance list (what the
   answer was built from before), alternating, on the same database.

A fresh SQLite file unless ``--database`` (emptied first) is given.
:func:`main` returns the figures.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, exists, func, insert, select
from sqlalchemy.orm import Session, aliased

from bench.scratch import bench_database

ZONE = ZoneInfo("Asia/Shanghai")
READS = 50
TAPS = 60


def _empty(database_url: str) -> None:
    from app import migrations
    from app.db import Database
    from app.models import Base, Org

    migrations.upgrade(database_url)
    database = Database(database_url)
    with database.unit_of_work() as session:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name == Org.__tablename__:
                # parent_id is ON DELETE RESTRICT, checked row by row: leaves first.
                child = aliased(Org)
                leaves = delete(Org).where(~exists().where(child.parent_id == Org.id))
                while session.execute(leaves).rowcount:
                    pass
            elif table.name != "alembic_version":
                session.execute(table.delete())
    database.close()


def _org(session: Session, name: str, kind: str, parent: Any, now: datetime) -> Any:
    from app.models import Org

    org = Org(name=name, kind=kind, parent_id=parent.id if parent else None, path="",
              created_at=now)
    session.add(org)
    session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    session.flush()
    return org


def _members(session: Session, org_id: int, count: int, now: datetime, tag: str) -> None:
    from app.models import Member, RosterEntry

    start = int(session.scalar(select(func.coalesce(func.max(Member.id), 0))) or 0) + 1
    session.execute(insert(Member), [
        {"id": start + n, "openid": f"oBench{tag}{n:020d}", "first_seen_at": now,
         "last_interaction_at": now, "subscribed": True, "daily_push": False}
        for n in range(count)])
    base = 13000000000 + start
    session.execute(insert(RosterEntry), [
        {"name": f"党员{n}", "phone": str(base + n), "org_id": org_id, "status": "正式党员",
         "member_id": start + n, "bound_at": now, "created_at": now, "updated_at": now}
        for n in range(count)])


def _branch(database_url: str, members: int, tag: str) -> tuple[Any, int, datetime]:
    """An emptied database with one 党支部 of ``members`` bound members: the database,
    the branch's id and the moment it was made."""
    from app.db import Database

    _empty(database_url)
    database = Database(database_url)
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        branch = _org(session, f"党支部{tag}", "branch", None, now)
        _members(session, branch.id, members, now, tag)
        return database, branch.id, now


def notice(database_url: str, members: int) -> dict[str, Any]:
    from app.auth.tokens import BOOTSTRAP_ADMIN
    from app.events.schemas import EventCreate
    from app.events.service import create_event
    from app.models import OutboxMessage
    from app.outbox.service import enqueue

    database, branch_id, now = _branch(database_url, members, "N")
    data = EventCreate(title="全体党员大会", location="礼堂", capacity=1, kind="branch_assembly",
                       org_id=branch_id, starts_at=now + timedelta(days=3))

    started = time.perf_counter()
    with database.unit_of_work() as session:
        create_event(session, data, now, BOOTSTRAP_ADMIN, ZONE)
    meeting_seconds = time.perf_counter() - started

    with database.unit_of_work() as session:
        counts = dict(session.execute(
            select(OutboxMessage.kind, func.count(func.distinct(OutboxMessage.member_id)))
            .group_by(OutboxMessage.kind)).all())
        rows = dict(session.execute(
            select(OutboxMessage.kind, func.count()).group_by(OutboxMessage.kind)).all())
        ids = list(session.scalars(select(func.distinct(OutboxMessage.member_id))))

    bulk_seconds = bulk_outbox_seconds(database, ids, now, "会议通知")

    started = time.perf_counter()
    with database.unit_of_work() as session:
        for member_id in ids:
            enqueue(session, dedup_key=f"bench-loop:{member_id}", kind="bench",
                    member_id=member_id, payload={"text": "会议通知"}, due_at=now, now=now)
    loop_seconds = time.perf_counter() - started
    database.close()
    return {
        "members": members,
        "notice_rows": rows.get("meeting_notice", 0),
        "notice_members": counts.get("meeting_notice", 0),
        "reminder_rows": rows.get("meeting_reminder", 0),
        "meeting_created_seconds": round(meeting_seconds, 3),
        "baseline_bulk_insert_of_as_many_outbox_rows_seconds": round(bulk_seconds, 3),
        "ratio_to_bulk_insert": round(meeting_seconds / bulk_seconds, 2),
        "one_enqueue_per_member_seconds": round(loop_seconds, 3),
        "ratio_to_one_enqueue_per_member": round(meeting_seconds / loop_seconds, 2),
    }


def bulk_outbox_seconds(database: Any, member_ids: list[int], now: datetime, text: str) -> float:
    """The baseline: one outbox row per member, written by a single bulk INSERT."""
    from app.models import OutboxMessage

    started = time.perf_counter()
    with database.unit_of_work() as session:
        session.execute(insert(OutboxMessage), [
            {"dedup_key": f"bench-bulk:{member_id}", "kind": "bench", "member_id": member_id,
             "payload": {"text": text}, "due_at": now, "status": "pending",
             "attempts": 0, "created_at": now} for member_id in member_ids])
    return time.perf_counter() - started


def _year_of_meetings(session: Session, branches: list[Any], groups: list[Any],
                      year: int, now: datetime) -> int:
    from app.models import Event

    rows = []

    def meeting(kind: str, org_id: int, day: date) -> None:
        starts = datetime(day.year, day.month, day.day, 9, tzinfo=ZONE)
        rows.append({"kind": kind, "org_id": org_id, "title": kind, "location": "会议室",
                     "starts_at": starts, "capacity": 1, "seats_taken": 0,
                     "remind_before_minutes": 60, "status": "scheduled", "created_at": now,
                     "updated_at": now})

    for index, branch in enumerate(branches):
        for month in range(1, 13):
            if (index + month) % 7:  # some months skipped: the calendar has gaps to find
                meeting("committee", branch.id, date(year, month, 5))
            meeting("theme_day", branch.id, date(year, month, 15))
        for quarter in range(4):
            meeting("branch_assembly", branch.id, date(year, 3 * quarter + 2, 10))
            if index % 3:
                meeting("party_lecture", branch.id, date(year, 3 * quarter + 3, 20))
    for group in groups:
        for month in range(1, 13):
            meeting("group_meeting", group.id, date(year, month, 25))
    session.execute(insert(Event), rows)
    return len(rows)


def _settle(database: Any) -> None:
    """What autovacuum does soon after a bulk load: planner statistics and, on
    PostgreSQL, the visibility map (without them it plans for a table of one row)."""
    from sqlalchemy import text

    with database.engine.connect() as connection:
        settled = connection.execution_options(isolation_level="AUTOCOMMIT")
        settled.execute(text("VACUUM ANALYZE" if settled.dialect.name == "postgresql"
                             else "ANALYZE"))


def calendar(database_url: str) -> dict[str, Any]:
    from app.db import Database
    from app.events.compliance import calendar as compliance_calendar
    from app.models import Event
    from app.orgs.scope import EVERYTHING

    _empty(database_url)
    database = Database(database_url)
    now = datetime.now(UTC)
    year = now.astimezone(ZONE).year
    with database.unit_of_work() as session:
        committee = _org(session, "机关党委", "committee", None, now)
        branches = [_org(session, f"第{n}党支部", "branch", committee, now) for n in range(40)]
        groups = [_org(session, f"第{g}党小组", "group", branch, now)
                  for branch in branches for g in range(4)]
        meetings = _year_of_meetings(session, branches, groups, year, now)
        committee_id = committee.id
    _settle(database)
    orgs = 1 + len(branches) + len(groups)

    cpu: list[float] = []

    def timed(work: Any) -> list[float]:
        times = []
        cpu.clear()
        for _ in range(READS):
            started, started_cpu = time.perf_counter(), time.process_time()
            # As a request's handler runs it: in its own unit of work.
            with database.unit_of_work() as session:
                work(session)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        return times

    ours = timed(lambda session: compliance_calendar(session, EVERYTHING, committee_id, year,
                                                     now, ZONE))
    ours_cpu = list(cpu)
    plain = timed(lambda session: session.execute(
        select(Event.org_id, Event.kind, Event.starts_at)).all())
    database.close()
    p95 = statistics.quantiles(ours, n=20)[18]
    return {
        "orgs": orgs, "meetings": meetings, "reads": READS,
        "calendar_p50_ms": round(statistics.median(ours), 1),
        "calendar_p95_ms": round(p95, 1),
        # This process's CPU time: on a shared machine, what the read itself costs here.
        "calendar_cpu_p95_ms": round(statistics.quantiles(ours_cpu, n=20)[18], 1),
        "plain_read_of_the_meetings_p50_ms": round(statistics.median(plain), 1),
        "ratio_p50_to_plain_read": round(statistics.median(ours) / statistics.median(plain), 2),
    }


def tap(database_url: str, attendees: int) -> dict[str, Any]:
    from app.auth.tokens import BOOTSTRAP_ADMIN
    from app.console.meetings_pages import check_in
    from app.console.session import ConsoleUser
    from app.events import attendance, meeting_actions
    from app.events.schemas import EventCreate
    from app.events.service import create_event
    from app.models import Attendance, Event

    database, branch_id, now = _branch(database_url, attendees, "T")
    with database.unit_of_work() as session:
        data = EventCreate(title="全体党员大会", location="礼堂", capacity=1,
                           kind="branch_assembly", org_id=branch_id,
                           starts_at=now + timedelta(minutes=30))
        event_id = create_event(session, data, now, BOOTSTRAP_ADMIN, ZONE).id
        members = list(session.scalars(select(Attendance.member_id)
                                       .where(Attendance.event_id == event_id)
                                       .order_by(Attendance.member_id)))
    _settle(database)
    user = ConsoleUser(BOOTSTRAP_ADMIN, "bench")

    def row_and_counts(session: Session, member_id: int) -> None:
        check_in(session, user, event_id, member_id, ZONE, datetime.now(UTC))

    def whole_list(session: Session, member_id: int) -> None:
        event = session.get_one(Event, event_id)
        attendance.check_in(session, event, member_id, datetime.now(UTC), ZONE,
                            by="console:bench")
        meeting_actions.attendance_page(session, event_id, BOOTSTRAP_ADMIN,
                                        datetime.now(UTC), ZONE)

    times: dict[str, list[float]] = {"row": [], "list": []}
    # Alternating, each on a member not yet in: both do the same write.
    for index in range(TAPS):
        for name, work in (("row", row_and_counts), ("list", whole_list)):
            member_id = members[2 * index + (name == "list")]
            started = time.perf_counter()
            with database.unit_of_work() as session:
                work(session, member_id)
            times[name].append((time.perf_counter() - started) * 1000)
    with database.unit_of_work() as session:
        present = session.scalar(select(func.count()).select_from(Attendance).where(
            Attendance.event_id == event_id, Attendance.status == "present"))
    database.close()
    row, whole = statistics.median(times["row"]), statistics.median(times["list"])
    return {
        "attendees": attendees, "taps": TAPS, "checked_in": present,
        "tap_answered_with_row_and_counts_p50_ms": round(row, 2),
        "baseline_tap_then_whole_list_p50_ms": round(whole, 2),
        "ratio_to_whole_list": round(row / whole, 2),
    }


def main(members: int = 10_000, database_url: str | None = None,
         attendees: int = 2_000) -> dict[str, Any]:
    with bench_database(database_url, "meetings") as url:
        figures = {"notice": notice(url, members), "calendar": calendar(url),
                   "tap": tap(url, attendees)}
    print(f"meetings: {figures}")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--attendees", type=int, default=2_000)
    parser.add_argument("--database", default=None)
    options = parser.parse_args()
    main(options.members, options.database, options.attendees)
