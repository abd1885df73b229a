"""The ledger: awarding points by the rules catalogue (idempotent by reference, capped
per day, month and year), corrections as reversal lines, and reading it back as totals,
ranks and leaderboards.

:func:`_write_line` is the ledger's only writer: it adds a line and, in the same
transaction, the line's delta to the member's :class:`PointsBalance` and the
member's move between :class:`PointsTotalCount` rows, so that totals, ranks and
boards read those and never add up the ledger; to the period totals of the
line's category, which the 先锋指数 reads; and to the member's week total, which
the dashboard's weekly trend reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from app import callback_sql
from app.dialect import insert_on_conflict, insert_or_ignore
from app.errors import Conflict, InvalidInput, NotFound
from app.models.member import Member
from app.models.org import Org, RosterEntry
from app.models.points import (
    PointsBalance,
    PointsEntry,
    PointsPeriodTotal,
    PointsTotalCount,
    PointsWeekTotal,
)
from app.moderation.words import banned_word
from app.orgs.scope import EVERYTHING, OrgScope, require_org_in_scope
from app.orgs.service import ancestry, full_names
from app.points import catalogue
from app.points.periods import period_labels
from app.points.rules import CATEGORY_COLUMNS, Activity, Rule
from app.rawsql import DeclaredStatement, RawSQL

SYSTEM = "system"


def month_of(moment: datetime, zone: ZoneInfo) -> int:
    """``yyyymm`` of ``moment`` in ``zone``: the month a line counts in."""
    local = moment.astimezone(zone)
    return local.year * 100 + local.month


def week_of(moment: datetime, zone: ZoneInfo) -> date:
    """The Monday of the week ``moment`` falls in, in ``zone``: the week a line counts in."""
    local = moment.astimezone(zone).date()
    return local - timedelta(days=local.weekday())


def _spans(moment: datetime, zone: ZoneInfo) -> dict[str, tuple[datetime, datetime]]:
    """The day, month and year around ``moment`` in ``zone``, as [start, end) instants."""
    local = moment.astimezone(zone).date()
    day = datetime.combine(local, time(), zone)
    month = datetime.combine(local.replace(day=1), time(), zone)
    next_month = datetime.combine((local.replace(day=28) + timedelta(days=4)).replace(day=1),
                                  time(), zone)
    year = datetime.combine(date(local.year, 1, 1), time(), zone)
    return {"daily_cap": (day, day + timedelta(days=1)), "monthly_cap": (month, next_month),
            "yearly_cap": (year, datetime.combine(date(local.year + 1, 1, 1), time(), zone))}


def room_under_caps(session: Session, member_id: int, activity: Activity, rule: Rule,
                    occurred_at: datetime, zone: ZoneInfo) -> int | None:
    """How many more points (in size: a deduction's too) the caps leave; None when uncapped.

    A cap bounds what the activity earns the member in the day, month or year
    (in ``zone``) that ``occurred_at`` falls in.
    """
    room: int | None = None
    for cap_name, (start, end) in _spans(occurred_at, zone).items():
        cap = getattr(rule, cap_name)
        if cap is None:
            continue
        earned = session.scalar(
            select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
                PointsEntry.member_id == member_id,
                PointsEntry.activity == activity.value,
                PointsEntry.occurred_at >= start, PointsEntry.occurred_at < end)) or 0
        left = max(0, cap - abs(int(earned)))
        room = left if room is None else min(room, left)
    return room


def award_by_rule(session: Session, *, member_id: int, activity: Activity | str,
                  reference: str, recorded_by: str, note: str, occurred_at: datetime,
                  zone: ZoneInfo, quantity: float = 1, points: int | None = None,
                  recorded_at: datetime | None = None) -> int:
    """Record ``activity`` for the member under the catalogue in force; the points given.

    This is how every module awards: the line names the activity, the rule
    version, ``reference`` (what it was for; one line per member, activity and
    reference, so repeating an award is a no-op), ``recorded_by`` (``system``,
    or who entered it) and ``note`` (why). ``quantity`` multiplies the rule's
    points (hours for ``volunteer_hours``); ``points`` overrides them for awards
    a person sized (an organizer's deed); ``recorded_at`` is when it was entered,
    when not as it happened. Caps cut the award, down to 0; a line
    is written even then, so the reference stays used. Activity names are listed
    in :mod:`app.points.rules`.
    """
    kind = Activity(activity)
    rules = catalogue.current(session, occurred_at)
    rule = rules.rule(kind)
    delta = points if points is not None else round(rule.points * quantity)
    room = room_under_caps(session, member_id, kind, rule, occurred_at, zone)
    if room is not None:
        delta = max(-room, min(delta, room))
    written = _write_line(session, member_id=member_id, activity=kind.value, reference=reference,
                          delta=delta, note=note[:200], created_at=recorded_at or occurred_at,
                          occurred_at=occurred_at, occurred_month=month_of(occurred_at, zone),
                          occurred_week=week_of(occurred_at, zone),
                          category=rule.category, rule_version=rules.version,
                          recorded_by=recorded_by[:80])
    return delta if written is not None else 0


def award(
    session: Session,
    member_id: int,
    activity: Activity,
    reference: str,
    now: datetime,
    zone: ZoneInfo,
) -> int:
    """An automatic award (see :func:`award_by_rule`), recorded by the system as of ``now``."""
    return award_by_rule(session, member_id=member_id, activity=activity, reference=reference,
                         recorded_by=SYSTEM, note="", occurred_at=now, zone=zone)


def _write_line(session: Session, *, member_id: int, delta: int, occurred_month: int,
                occurred_week: date, category: str | None, **line: object) -> int | None:
    """Add a ledger line unless its reference is already there; its id, None when it was.

    In the same transaction the delta goes into the member's balance, into its
    category's totals for the year, quarter and month it counts in and, when it
    has a category, into the member's total for the week it counts in.
    """
    inserted = session.execute(
        insert_or_ignore(session, PointsEntry)
        .values(member_id=member_id, delta=delta, occurred_month=occurred_month,
                category=category, **line)
        .returning(PointsEntry.id)
    ).first()
    if inserted is None:
        return None
    _add_to_balance(session, member_id, delta)
    column = CATEGORY_COLUMNS.get(category or "")
    if delta and column is not None:
        periods = insert_on_conflict(session, PointsPeriodTotal).values([
            {"period": period, "member_id": member_id, "study": 0, "org_life": 0,
             "volunteering": 0, "pioneering": 0, column: delta}
            for period in period_labels(occurred_month)])
        session.execute(periods.on_conflict_do_update(
            index_elements=[PointsPeriodTotal.period, PointsPeriodTotal.member_id],
            set_={column: getattr(PointsPeriodTotal, column) + getattr(periods.excluded, column)}))
        week = insert_on_conflict(session, PointsWeekTotal).values(
            week=occurred_week, member_id=member_id, points=delta)
        session.execute(week.on_conflict_do_update(
            index_elements=[PointsWeekTotal.member_id, PointsWeekTotal.week],
            set_={"points": PointsWeekTotal.points + week.excluded.points}))
    return int(inserted[0])


def _add_to_balance(session: Session, member_id: int, delta: int) -> None:
    """Add ``delta`` to the member's balance and move them to their new total's count."""
    if delta:
        new_total = session.scalar(
            update(PointsBalance).where(PointsBalance.member_id == member_id)
            .values(total=PointsBalance.total + delta).returning(PointsBalance.total)
            .execution_options(synchronize_session=False))
        if new_total is not None:
            _count_members(session, {new_total - delta: -1, new_total: 1})
            return
    created = session.execute(
        insert_or_ignore(session, PointsBalance).values(member_id=member_id, total=delta)
        .returning(PointsBalance.member_id)).first()
    if created is not None:
        _count_members(session, {delta: 1})
    elif delta:  # another transaction created the balance after the update found none
        _add_to_balance(session, member_id, delta)


def _count_members(session: Session, changes: dict[int, int]) -> None:
    """Add ``changes`` (members by total) to the counts of members per total."""
    # In ascending order of total: two transactions moving members across the
    # same totals then lock those rows in one order and cannot deadlock.
    upsert = insert_on_conflict(session, PointsTotalCount).values(
        [{"total": total, "members": change} for total, change in sorted(changes.items())])
    session.execute(upsert.on_conflict_do_update(
        index_elements=[PointsTotalCount.total],
        set_={"members": PointsTotalCount.members + upsert.excluded.members}))


def move_balance(session: Session, from_member: int, to_member: int) -> None:
    """Add one member's balance to another's and drop the first (a merge of two members).

    Added to, not recomputed: a line written for ``to_member`` meanwhile has
    already added itself. A member without a balance moves nothing.
    """
    moved = session.scalar(
        delete(PointsBalance).where(PointsBalance.member_id == from_member)
        .returning(PointsBalance.total).execution_options(synchronize_session=False))
    if moved is None:
        return
    _count_members(session, {moved: -1})
    _add_to_balance(session, to_member, moved)


def reverse(session: Session, entry_id: int, reason: str, now: datetime, zone: ZoneInfo, *,
            recorded_by: str = SYSTEM) -> PointsEntry:
    """Cancel a ledger line by adding its opposite; the original stays as it was.

    The reversal counts in the original's month, week (in ``zone``) and category. Reversing the
    same line again returns the existing correction (its reference
    ``reverse:<id>`` is unique per member), so a repeated request cannot double it.
    """
    original = session.get(PointsEntry, entry_id)
    if original is None:
        raise NotFound(f"no points entry {entry_id}")
    _write_reversal(session, original, reason, now, zone, recorded_by)
    return session.scalars(select(PointsEntry).where(
        PointsEntry.member_id == original.member_id,
        PointsEntry.activity == Activity.CORRECTION.value,
        PointsEntry.reference == f"reverse:{entry_id}")).one()


def _write_reversal(session: Session, original: PointsEntry, note: str, now: datetime,
                    zone: ZoneInfo, recorded_by: str) -> int | None:
    """The opposite of ``original``, counted where it counted; its id, None if already there."""
    return _write_line(session, member_id=original.member_id,
                       activity=Activity.CORRECTION.value, reference=f"reverse:{original.id}",
                       delta=-original.delta, note=note[:200], created_at=now,
                       reverses_id=original.id, occurred_at=original.occurred_at,
                       occurred_month=original.occurred_month,
                       occurred_week=week_of(original.occurred_at, zone),
                       category=original.category, rule_version=original.rule_version,
                       recorded_by=recorded_by[:80])


CORRECTION_REASON_MAX = 200


def correct(session: Session, entry_id: int, reason: str, now: datetime, zone: ZoneInfo, *,
            recorded_by: str) -> PointsEntry:
    """A person's correction of a ledger line (更正): its reversal, with the reason why.

    Unlike :func:`reverse`, which the services call and which may repeat, a person
    asking twice is told so: a line already reversed, a reversal, or a line that
    moved nothing is refused (409), as is a reason that is empty, too long or holds a
    listed word (422: the reason is printed in the member's 一人一册). Two corrections
    racing each other write one line: the reversal's reference is unique, and the
    loser is refused as a repeat.
    """
    original = session.get(PointsEntry, entry_id)
    if original is None:
        raise NotFound(f"no points entry {entry_id}")
    cleaned = " ".join(reason.split())
    if not cleaned:
        raise _reason_refused("请填写更正理由：它会记入积分明细。")
    if len(cleaned) > CORRECTION_REASON_MAX:
        raise _reason_refused(f"更正理由不能超过 {CORRECTION_REASON_MAX} 字。")
    if banned_word(session, cleaned) is not None:
        raise _reason_refused("更正理由包含不宜使用的词语，请修改后再提交。")
    if original.reverses_id is not None:
        raise Conflict(f"第 {entry_id} 条本身就是更正，不能再更正；"
                       "如需恢复积分，请重新记录。")
    if original.delta == 0:
        raise Conflict(f"第 {entry_id} 条没有计分（0 分），无需更正。")
    written = _write_reversal(session, original, cleaned, now, zone, recorded_by)
    if written is None:
        done = session.scalar(select(PointsEntry.id).where(PointsEntry.reverses_id == entry_id))
        raise Conflict(f"第 {entry_id} 条已经更正过（更正记录第 {done} 条），不能重复更正。")
    return session.get_one(PointsEntry, written)


def _reason_refused(message: str) -> InvalidInput:
    return InvalidInput(f"invalid input: reason ({message})",
                        errors=[{"field": "reason", "message": message}])


def _standing_and_reversed(session: Session, member_id: int, activity: Activity,
                           reference: str) -> tuple[list[int], list[int]]:
    """The ids of the unreversed award lines for ``reference``, and of the reversals of the rest.

    The first award has ``reference`` itself; one given again after a reversal has
    ``<reference>:after:<reversal id>``.
    """
    reversal = aliased(PointsEntry)
    rows = session.execute(
        select(PointsEntry.id, reversal.id)
        .outerjoin(reversal, reversal.reverses_id == PointsEntry.id)
        .where(PointsEntry.member_id == member_id, PointsEntry.activity == activity.value,
               or_(PointsEntry.reference == reference,
                   PointsEntry.reference.startswith(f"{reference}:after:", autoescape=True)))
    ).all()
    standing = [line for line, undone_by in rows if undone_by is None]
    reversals = [undone_by for _line, undone_by in rows if undone_by is not None]
    return standing, reversals


def award_once(session: Session, member_id: int, activity: Activity, reference: str,
               now: datetime, zone: ZoneInfo) -> int:
    """Like :func:`award`, but awarded again after :func:`withdraw` took it back.

    At most one award for ``reference`` stands at a time: while one does, this
    gives nothing. After a withdrawal the new line names the reversal it answers,
    and that reference is unique too, so two concurrent calls cannot both award.
    """
    standing, reversals = _standing_and_reversed(session, member_id, activity, reference)
    if standing:
        return 0
    again = f"{reference}:after:{max(reversals)}" if reversals else reference
    return award(session, member_id, activity, again, now, zone)


def withdraw(session: Session, member_id: int, activity: Activity, reference: str,
             reason: str, now: datetime, zone: ZoneInfo) -> int:
    """Reverse the standing award for ``reference`` (see :func:`award_once`); the points taken."""
    standing, _reversals = _standing_and_reversed(session, member_id, activity, reference)
    return sum(-reverse(session, line, reason, now, zone).delta for line in standing)


def total(session: Session, member_id: int) -> int:
    return session.scalar(
        select(PointsBalance.total).where(PointsBalance.member_id == member_id)) or 0


@dataclass(frozen=True, slots=True)
class Summary:
    total: int
    rank: int
    members: int
    recent: Sequence[tuple[datetime, str, int]]  # (created_at, activity, delta), latest first


def summary(session: Session, member_id: int, recent: int = 5,
            declared: DeclaredStatement | None = None) -> Summary:
    """:func:`rank` and the latest ``recent`` ledger lines that moved the member's total.

    One hand-written statement, since ``积分`` runs it on every ask (app/callback_sql.py).
    Hand-written SQL skips the session's autoflush: flushing first lets it see this
    unit's own changes, as an ORM read would.
    """
    session.flush()
    found = callback_sql.points_standing(RawSQL.of(session), member_id, recent, declared)
    if found.total is None:
        return Summary(0, 0, found.members, found.recent)
    return Summary(found.total, found.members_ahead + 1, found.members, found.recent)


def rank(session: Session, member_id: int) -> tuple[int, int, int]:
    """(total, rank, members with points): rank 1 is the highest total; ties share a rank.

    A member without any ledger line has rank 0. :func:`summary` without its lines.
    """
    found = summary(session, member_id, recent=0)
    return found.total, found.rank, found.members


@dataclass(frozen=True, slots=True)
class Standing:
    rank: int
    member_id: int
    name: str | None
    org_id: int | None
    org: str | None
    total: int


@dataclass(frozen=True, slots=True)
class OrgStanding:
    rank: int
    org_id: int
    name: str
    org: str
    members: int
    total: int
    average: float


def _subtree(session: Session, org_id: int, scope: OrgScope) -> ColumnElement[bool]:
    path = require_org_in_scope(session, scope, org_id).path
    return RosterEntry.org_id.in_(select(Org.id).where(Org.path.startswith(path,
                                                                           autoescape=True)))


def leaderboard(session: Session, *, org_id: int | None = None, limit: int = 50,
                scope: OrgScope = EVERYTHING) -> list[Standing]:
    """Members by total points, highest first (competition ranking: 1, 2, 2, 4).

    Overall, every member with points; with ``org_id``, only the members bound
    to the roster in that org's subtree; always only those ``scope`` covers.
    """
    query = (select(Member.id, func.coalesce(RosterEntry.name, Member.name),
                    RosterEntry.org_id, PointsBalance.total)
             .join(Member, Member.id == PointsBalance.member_id)
             .outerjoin(RosterEntry, RosterEntry.member_id == Member.id)
             .order_by(PointsBalance.total.desc(), PointsBalance.member_id).limit(limit))
    if org_id is not None:
        query = query.where(_subtree(session, org_id, scope))
    if not scope.is_everything:
        query = query.where(scope.holds_org(RosterEntry.org_id))
    names = full_names(session)
    standings: list[Standing] = []
    for position, (member_id, name, member_org, points) in enumerate(session.execute(query)):
        same = standings and standings[-1].total == points
        place = standings[-1].rank if same else position + 1
        standings.append(Standing(place, member_id, name, member_org,
                                  names.get(member_org) if member_org else None, int(points)))
    return standings


def org_leaderboard(session: Session, *, parent_id: int | None = None, kind: str = "branch",
                    limit: int = 50, scope: OrgScope = EVERYTHING) -> list[OrgStanding]:
    """Orgs by the points of the bound members of their subtree.

    The children of ``parent_id``, or else every org of ``kind`` (党支部 by
    default). Members count by their roster org, never by the free-text 支部
    they typed; unbound followers count nowhere. One grouped query sums each
    org's own members; the sums are added up the tree along each org's path.
    """
    if parent_id is not None:
        require_org_in_scope(session, scope, parent_id)
    ranked = {org.id: org for org in session.scalars(
        select(Org).where(Org.parent_id == parent_id if parent_id is not None
                          else Org.kind == kind, scope.orgs()))}
    paths = dict(session.execute(select(Org.id, Org.path).where(scope.orgs())).all())
    members = dict.fromkeys(ranked, 0)
    points = dict.fromkeys(ranked, 0)
    own = (select(RosterEntry.org_id, func.count(RosterEntry.member_id),
                  func.coalesce(func.sum(PointsBalance.total), 0))
           .outerjoin(PointsBalance, PointsBalance.member_id == RosterEntry.member_id)
           .where(RosterEntry.member_id.is_not(None), scope.holds_org(RosterEntry.org_id))
           .group_by(RosterEntry.org_id))
    for org_id, count, total in session.execute(own):
        for holder in ancestry(paths[org_id]) if org_id in paths else ():
            if holder in ranked:
                members[holder] += int(count)
                points[holder] += int(total)
    order = sorted(ranked.values(), key=lambda org: (-points[org.id], org.name, org.id))[:limit]
    names = full_names(session)
    board: list[OrgStanding] = []
    for position, org in enumerate(order):
        same = board and board[-1].total == points[org.id]
        place = board[-1].rank if same else position + 1
        count = members[org.id]
        average = round(points[org.id] / count, 2) if count else 0.0
        board.append(OrgStanding(place, org.id, org.name, names.get(org.id, org.name), count,
                                 points[org.id], average))
    return board
