"""One person, one member: learning a member's unionid, and merging two members who share one.

A person who follows the official account and also uses the mini-program
reaches Hongxin under two openids. The platform gives both the same
``unionid`` (``jscode2session`` at a mini-program login, ``user/info`` for a
follower), and whichever side learns it second merges the two members:

* the **official-account member survives**. Its openid is what every
  callback upserts, so the callback's hot path never meets a tombstone, and
  what the chat writes while a merge runs lands on the survivor anyway;
* the mini-program member becomes a **tombstone**: ``merged_into_id`` names
  the survivor, its unionid, mini-program openid and personal data move over,
  and its sessions are moved, so an old token or a new login with its openid
  reaches the survivor (:func:`live_member`);
* everything it owned moves (:data:`MERGE_STEPS`, one step per column that
  refers to a member; a test checks that none is missing), without counting
  anything twice:

  - ledger lines: a line whose ``(activity, reference)`` the survivor already
    has (both read one lesson) moves under ``<reference>:merged:<id>`` with a
    reversal line beside it, because ledger lines are never deleted; the
    survivor's balance grows by exactly what moved;
  - sign-ups: where both hold a live sign-up for one event, the better one
    stays (checked in, else confirmed, else the survivor's); the other is
    cancelled as a member's cancel would be: its reminder withdrawn, its seat
    passed to the waitlist;
  - lesson reads: one per lesson; quiz attempts and answers, outbox rows and
    subscribe-message credits simply move; the loser's WeChat tag memberships
    are forgotten (they named its openid, not the survivor's);
  - the member row: name, phone, branch and dialog state fill the survivor's
    gaps; the survivor keeps its own follow state, 48-hour window and
    daily-push choice, which only the official account knows;
  - roster binding: a member has at most one entry. When both are bound to
    different entries, the **earlier binding stays** and the later entry is
    released (unbound), for an admin to look at: two people cannot both be
    this one person, and the first binding is the one that was not contested.

**Concurrency.** A merge locks both member rows (``SELECT … FOR UPDATE``,
in id order, so two merges of one pair wait for each other instead of
deadlocking) and re-reads them under the lock; the second of two concurrent
merges then finds the tombstone and does nothing. Mini-program requests read
their member with ``FOR SHARE`` (:func:`live_member`), so a merge waits for
one under way and the next one already sees the survivor. On SQLite the
write transaction holds the database's one write lock. Two members claiming
one unionid at the same moment meet in its unique index: the loser's unit of
work fails with ``IntegrityError`` and :func:`run_linking` runs it again,
when it finds the holder and merges.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, aliased

from app.dialect import insert_on_conflict
from app.events.notices import withdraw_reminder
from app.events.signups import CANCELLED, CONFIRMED, cancel_signup, lock_event
from app.models import (
    Attendance,
    Event,
    LessonRead,
    MiniProgramSession,
    NoticeMassMember,
    OutboxMessage,
    PointsClaim,
    PointsEntry,
    PointsPeriodTotal,
    PointsWeekTotal,
    QuizAnswer,
    QuizAttempt,
    QuizWeekTotal,
    RosterEntry,
    Signup,
    SubscribeCredit,
    WeChatTagMember,
)
from app.models.member import ACCOUNT, MINI_PROGRAM, Member
from app.outbox import credits
from app.points.service import move_balance, reverse

__all__ = ["MERGE_STEPS", "link_unionid", "live_member", "merge", "run_linking"]

log = logging.getLogger("hongxin.members")

T = TypeVar("T")
# A tombstone's survivor is never merged away itself; the bound only guards the loop.
_MAX_HOPS = 4
# How often a unit of work that met another's unionid claim is run again.
_LINK_ATTEMPTS = 3
_DEADLOCK = "40P01"
MERGED_NOTE = "账号合并：与本人另一账号的记录重复，不重复计分"


# --------------------------------------------------------------------------- reading


def live_member(session: Session, member_id: int, *, lock: bool = False,
                share: bool = False) -> Member | None:
    """The member ``member_id`` is now: itself, or the survivor it was merged into.

    ``share`` reads it ``FOR SHARE`` (PostgreSQL; SQLite's write lock covers it),
    so that no merge moves the member's things away until this transaction ends;
    ``lock`` reads it ``FOR UPDATE``.
    """
    for _ in range(_MAX_HOPS):
        statement = select(Member).where(Member.id == member_id)
        if lock or share:
            statement = statement.with_for_update(read=share and not lock)
        member = session.scalars(
            statement.execution_options(populate_existing=True)).one_or_none()
        if member is None or member.merged_into_id is None:
            return member
        member_id = member.merged_into_id
    raise RuntimeError(f"member {member_id}: tombstones do not end")


def _lock(session: Session, ids: Iterable[int]) -> dict[int, Member]:
    members = session.scalars(
        select(Member).where(Member.id.in_(sorted(set(ids)))).order_by(Member.id)
        .with_for_update().execution_options(populate_existing=True)
    ).all()
    return {member.id: member for member in members}


def _holder(session: Session, unionid: str) -> int | None:
    return session.scalar(select(Member.id).where(Member.unionid == unionid))


# --------------------------------------------------------------------------- linking


def link_unionid(session: Session, member_id: int, unionid: str, now: datetime,
                 zone: ZoneInfo) -> Member:
    """Record that ``member_id``'s person has ``unionid``; returns the member to use now.

    When another member already has it, the two are merged (see the module
    docstring) and the survivor is returned. Two official-account members (or
    two mini-program members) cannot be one person: such a conflict is logged
    and nothing changes.
    """
    for _ in range(_MAX_HOPS):
        found = live_member(session, member_id)
        if found is None:
            raise LookupError(f"no member {member_id}")
        holder_id = _holder(session, unionid)
        locked = _lock(session, {found.id} | ({holder_id} if holder_id else set()))
        member = locked[found.id]
        if member.merged_into_id is not None or _holder(session, unionid) != holder_id:
            continue  # merged or claimed meanwhile: look again, now under the locks
        if holder_id is None or holder_id == member.id:
            if member.unionid is None:
                member.unionid = unionid
                session.flush()
            return member
        if member.unionid is not None:
            log.warning("member %d already has another unionid; not merged with member %d",
                        member.id, holder_id)
            return member
        other = locked[holder_id]
        pair = _survivor_and_loser(member, other)
        if pair is None:
            log.warning("members %d and %d share a unionid but are both of origin %s; "
                        "not merged", member.id, other.id, member.origin)
            return member
        survivor, loser = pair
        merge(session, survivor, loser, now, zone)
        return survivor
    raise RuntimeError(f"member {member_id}: unionid kept changing under the lock")


def _survivor_and_loser(one: Member, other: Member) -> tuple[Member, Member] | None:
    origins = {one.origin: one, other.origin: other}
    if set(origins) != {ACCOUNT, MINI_PROGRAM}:
        return None
    return origins[ACCOUNT], origins[MINI_PROGRAM]


async def run_linking(run: Callable[[Callable[[Session], T]], Awaitable[T]],
                      work: Callable[[Session], T]) -> T:
    """``run(work)``, again when it lost a race for a unionid or a lock to another merge."""
    for attempt in range(1, _LINK_ATTEMPTS + 1):
        try:
            return await run(work)
        except DBAPIError as exc:
            retryable = isinstance(exc, IntegrityError) or _sqlstate(exc) == _DEADLOCK
            if not retryable or attempt == _LINK_ATTEMPTS:
                raise
            log.info("unionid link lost a race (%s); running it again", type(exc).__name__)
    raise AssertionError("unreachable")


def _sqlstate(exc: DBAPIError) -> str | None:
    state = getattr(exc.orig, "sqlstate", None)
    return state if isinstance(state, str) else None


# --------------------------------------------------------------------------- merging


def merge(session: Session, survivor: Member, loser: Member, now: datetime,
          zone: ZoneInfo) -> None:
    """Move everything of ``loser`` to ``survivor`` and leave ``loser`` a tombstone.

    Both rows must be locked by the caller (:func:`link_unionid` does).
    """
    for step in MERGE_STEPS.values():
        step(session, survivor.id, loser.id, now, zone)
    for field in ("name", "phone", "branch", "conversation"):
        if getattr(survivor, field) is None:
            setattr(survivor, field, getattr(loser, field))
    unionid, mp_openid = loser.unionid, loser.mp_openid
    # Unique columns: free them on the loser before the survivor takes them.
    loser.unionid = loser.mp_openid = None
    loser.name = loser.phone = loser.branch = loser.conversation = None
    loser.merged_into_id, loser.merged_at = survivor.id, now
    loser.daily_push = loser.subscribed = False
    session.flush()
    survivor.unionid = survivor.unionid or unionid
    survivor.mp_openid = survivor.mp_openid or mp_openid
    session.flush()
    log.info("member %d merged into member %d", loser.id, survivor.id)


MergeStep = Callable[[Session, int, int, datetime, ZoneInfo], None]


def _forget(model: type[WeChatTagMember] | type[NoticeMassMember]) -> MergeStep:
    """A step dropping the loser's rows: they stood for the loser's openid only."""
    def step(session: Session, _survivor: int, loser: int, _now: datetime,
             _zone: ZoneInfo) -> None:
        session.execute(delete(model).where(model.member_id == loser)
                        .execution_options(synchronize_session=False))

    return step


def _move(model: type, column: str) -> MergeStep:
    def step(session: Session, survivor: int, loser: int, _now: datetime,
             _zone: ZoneInfo) -> None:
        attribute = getattr(model, column)
        session.execute(update(model).where(attribute == loser).values({column: survivor})
                        .execution_options(synchronize_session=False))

    return step


def _merge_ledger(session: Session, survivor: int, loser: int, now: datetime,
                  zone: ZoneInfo) -> None:
    theirs = aliased(PointsEntry)
    twice = exists().where(theirs.member_id == survivor,
                           theirs.activity == PointsEntry.activity,
                           theirs.reference == PointsEntry.reference)
    suffix = f":merged:{loser}"
    duplicated = session.execute(
        select(PointsEntry.id, PointsEntry.reference)
        .where(PointsEntry.member_id == loser, twice)).all()
    if duplicated:
        for line_id, reference in duplicated:
            session.execute(
                update(PointsEntry).where(PointsEntry.id == line_id)
                .values(reference=reference[:128 - len(suffix)] + suffix)
                .execution_options(synchronize_session=False))
        reversal = aliased(PointsEntry)
        standing = session.execute(
            select(PointsEntry.id, PointsEntry.delta).where(
                PointsEntry.id.in_([line for line, _ in duplicated]),
                ~exists().where(reversal.reverses_id == PointsEntry.id))
        ).all()
        for line_id, _delta in standing:
            reverse(session, line_id, MERGED_NOTE, now, zone)
    session.execute(update(PointsEntry).where(PointsEntry.member_id == loser)
                    .values(member_id=survivor).execution_options(synchronize_session=False))
    move_balance(session, loser, survivor)


def _add_totals(model: type[PointsPeriodTotal] | type[PointsWeekTotal] | type[QuizWeekTotal],
                key: str,
                columns: tuple[str, ...]) -> MergeStep:
    """A step adding the loser's rows of a totals table (one per ``key`` and member) to the
    survivor's, after the rows they count moved."""
    def step(session: Session, survivor: int, loser: int, _now: datetime,
             _zone: ZoneInfo) -> None:
        member, keyed = model.member_id, getattr(model, key)
        rows = session.execute(select(keyed, *(getattr(model, c) for c in columns))
                               .where(member == loser)).all()
        session.execute(delete(model).where(member == loser)
                        .execution_options(synchronize_session=False))
        for value, *totals in rows:
            upsert = insert_on_conflict(session, model).values(
                {key: value, "member_id": survivor, **dict(zip(columns, totals, strict=True))})
            session.execute(upsert.on_conflict_do_update(
                index_elements=[keyed, member],
                set_={c: getattr(model, c) + getattr(upsert.excluded, c) for c in columns}))

    return step


def _keep_first(signup: Signup, other: Signup, survivor: int) -> bool:
    def rank(row: Signup) -> tuple[bool, bool, bool]:
        return (row.checked_in_at is not None, row.status == CONFIRMED,
                row.member_id == survivor)

    return rank(signup) >= rank(other)


def _merge_signups(session: Session, survivor: int, loser: int, now: datetime,
                   zone: ZoneInfo) -> None:
    live = Signup.status != CANCELLED
    theirs = session.scalars(select(Signup).where(Signup.member_id == loser, live)
                             .order_by(Signup.event_id)).all()
    for signup in theirs:
        ours = session.scalars(select(Signup).where(
            Signup.member_id == survivor, Signup.event_id == signup.event_id, live)).first()
        if ours is None:
            continue
        drop = ours if _keep_first(signup, ours, survivor) else signup
        _drop_signup(session, drop, now, zone)
    _move(Signup, "member_id")(session, survivor, loser, now, zone)


def _drop_signup(session: Session, signup: Signup, now: datetime, zone: ZoneInfo) -> None:
    """Cancel one of a person's two live sign-ups, handing its seat on as a cancel does."""
    if cancel_signup(session, signup.member_id, signup.event_id, now, zone) == "cancelled":
        return
    # Started (or gone): no one can take the seat now; only keep the count honest.
    event = lock_event(session, signup.event_id)
    was_confirmed = signup.status == CONFIRMED
    signup.status, signup.cancelled_at = CANCELLED, now
    session.flush()
    withdraw_reminder(session, signup.id)
    if was_confirmed and event is not None:
        session.execute(update(Event).where(Event.id == event.id, Event.seats_taken > 0)
                        .values(seats_taken=Event.seats_taken - 1)
                        .execution_options(synchronize_session=False))


def _merge_lesson_reads(session: Session, survivor: int, loser: int, now: datetime,
                        zone: ZoneInfo) -> None:
    theirs = aliased(LessonRead)
    session.execute(delete(LessonRead).where(
        LessonRead.member_id == loser,
        exists().where(theirs.member_id == survivor, theirs.lesson_id == LessonRead.lesson_id))
        .execution_options(synchronize_session=False))
    _move(LessonRead, "member_id")(session, survivor, loser, now, zone)


# Which of two attendance rows of one person at one meeting says most about what they did.
_ATTENDANCE_WEIGHT = {"present": 3, "leave": 2, "absent": 1, "expected": 0}


def _merge_attendance(session: Session, survivor: int, loser: int, now: datetime,
                      zone: ZoneInfo) -> None:
    """One row per meeting: where both were expected, the row that says more stays."""
    kept = aliased(Attendance)
    pairs = session.execute(
        select(Attendance, kept)
        .join(kept, (kept.event_id == Attendance.event_id) & (kept.member_id == survivor))
        .where(Attendance.member_id == loser)).all()
    for theirs, ours in pairs:
        if _ATTENDANCE_WEIGHT[theirs.status] > _ATTENDANCE_WEIGHT[ours.status]:
            for field in ("status", "reason", "leave_at", "checked_in_at", "checked_in_by"):
                setattr(ours, field, getattr(theirs, field))
        session.delete(theirs)
    session.flush()
    _move(Attendance, "member_id")(session, survivor, loser, now, zone)


def _merge_credits(session: Session, survivor: int, loser: int, now: datetime,
                   _zone: ZoneInfo) -> None:
    rows = session.execute(select(SubscribeCredit.template_id, SubscribeCredit.remaining)
                           .where(SubscribeCredit.member_id == loser)).all()
    session.execute(delete(SubscribeCredit).where(SubscribeCredit.member_id == loser)
                    .execution_options(synchronize_session=False))
    for template_id, remaining in rows:
        credits.add(session, survivor, template_id, remaining, now)


def _merge_roster_binding(session: Session, survivor: int, loser: int, now: datetime,
                          zone: ZoneInfo) -> None:
    entries = session.scalars(select(RosterEntry).where(
        RosterEntry.member_id.in_((survivor, loser))).with_for_update()).all()
    if len(entries) == 2:
        first, later = sorted(entries, key=lambda entry: (entry.bound_at or now, entry.id))
        log.warning("members %d and %d were bound to roster entries %d and %d; entry %d "
                    "keeps the binding, entry %d is released", survivor, loser, first.id,
                    later.id, first.id, later.id)
        later.member_id, later.bound_at = None, None
        session.flush()
    _move(RosterEntry, "member_id")(session, survivor, loser, now, zone)


MERGE_STEPS: dict[str, MergeStep] = {
    "points_entries.member_id": _merge_ledger,
    "points_balances.member_id": lambda *_args: None,  # kept by _merge_ledger
    "points_period_totals.member_id": _add_totals(
        PointsPeriodTotal, "period", ("study", "org_life", "volunteering", "pioneering")),
    "points_week_totals.member_id": _add_totals(PointsWeekTotal, "week", ("points",)),
    "points_claims.member_id": _move(PointsClaim, "member_id"),
    "event_signups.member_id": _merge_signups,
    "lesson_reads.member_id": _merge_lesson_reads,
    "quiz_attempts.member_id": _move(QuizAttempt, "member_id"),
    "quiz_answers.member_id": _move(QuizAnswer, "member_id"),
    "quiz_week_totals.member_id": _add_totals(QuizWeekTotal, "week", ("answers", "correct")),
    "outbox.member_id": _move(OutboxMessage, "member_id"),
    "mp_sessions.member_id": _move(MiniProgramSession, "member_id"),
    "subscribe_credits.member_id": _merge_credits,
    "meeting_attendance.member_id": _merge_attendance,
    "roster_entries.member_id": _merge_roster_binding,
    # The tags we put the loser's openid in say nothing of the survivor's openid (the
    # official account's, which the next notice's sync tags where it belongs); the
    # loser, the mini-program's member, follows nothing, was never tagged and is on
    # no notice's mass send: a resumed send plans the survivor as any other member.
    "wechat_tag_members.member_id": _forget(WeChatTagMember),
    "notice_mass_members.member_id": _forget(NoticeMassMember),
}
"""How each column that refers to a member is merged, in order. Sign-ups go
before the outbox, so that the reminder a dropped sign-up withdraws moves too."""
