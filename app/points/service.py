"""The ledger: awarding points (idempotent by reference, capped per day), corrections as
reversal lines, and reading it back as totals, ranks and leaderboards.

:func:`_write_line` is the ledger's only writer: it adds a line and, in the same
transaction, the line's delta to the member's :class:`PointsBalance` and the
member's move between :class:`PointsTotalCount` rows, so that totals, ranks and
boards read those and never add up the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from app.dialect import insert_on_conflict, insert_or_ignore
from app.errors import NotFound
from app.models.member import Member
from app.models.org import Org, RosterEntry
from app.models.points import PointsBalance, PointsEntry, PointsTotalCount
from app.orgs.service import full_names, get_org
from app.points.rules import RULES, Activity


def award(
    session: Session,
    member_id: int,
    activity: Activity,
    reference: str,
    now: datetime,
    zone: ZoneInfo,
) -> int:
    """Record ``activity`` for the member once per ``reference``; return the points given.

    0 when the same reference was already recorded or the day's cap is reached.
    The unique key decides idempotency, so concurrent awards cannot double up.
    """
    rule = RULES[activity]
    delta = rule.points
    if rule.daily_cap is not None:
        day_start = datetime.combine(now.astimezone(zone).date(), time(), zone)
        earned_today = session.scalar(
            select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
                PointsEntry.member_id == member_id,
                PointsEntry.activity == activity.value,
                PointsEntry.created_at >= day_start,
                PointsEntry.created_at < day_start + timedelta(days=1),
            )
        ) or 0
        delta = max(0, min(delta, rule.daily_cap - earned_today))
    written = _write_line(session, member_id=member_id, activity=activity.value,
                          reference=reference, delta=delta, note="", created_at=now)
    return delta if written else 0


def _write_line(session: Session, *, member_id: int, delta: int, **line: object) -> bool:
    """Add a ledger line unless its reference is already there; False when it was."""
    inserted = session.execute(
        insert_or_ignore(session, PointsEntry)
        .values(member_id=member_id, delta=delta, **line)
        .returning(PointsEntry.id)
    ).first()
    if inserted is None:
        return False
    _add_to_balance(session, member_id, delta)
    return True


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


def reverse(session: Session, entry_id: int, reason: str, now: datetime) -> PointsEntry:
    """Cancel a ledger line by adding its opposite; the original stays as it was.

    Reversing the same line again returns the existing correction (its reference
    ``reverse:<id>`` is unique per member), so a repeated request cannot double it.
    """
    original = session.get(PointsEntry, entry_id)
    if original is None:
        raise NotFound(f"no points entry {entry_id}")
    reference = f"reverse:{entry_id}"
    _write_line(session, member_id=original.member_id, activity=Activity.CORRECTION.value,
                reference=reference, delta=-original.delta, note=reason[:200],
                created_at=now, reverses_id=entry_id)
    return session.scalars(select(PointsEntry).where(
        PointsEntry.member_id == original.member_id,
        PointsEntry.activity == Activity.CORRECTION.value,
        PointsEntry.reference == reference)).one()


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
             reason: str, now: datetime) -> int:
    """Reverse the standing award for ``reference`` (see :func:`award_once`); the points taken."""
    standing, _reversals = _standing_and_reversed(session, member_id, activity, reference)
    return sum(-reverse(session, line, reason, now).delta for line in standing)


def total(session: Session, member_id: int) -> int:
    return session.scalar(
        select(PointsBalance.total).where(PointsBalance.member_id == member_id)) or 0


# Core statements over the tables, built once: building a statement, or running
# it through the ORM's layer, costs more than running it, and they run on
# every ``积分``.
_balances = PointsBalance.__table__.c
_counts = PointsTotalCount.__table__.c
_ledger = PointsEntry.__table__.c
_BALANCE = (select(_balances.total)
            .where(_balances.member_id == bindparam("member_id")).scalar_subquery())
_MEMBERS = func.coalesce(func.sum(_counts.members), 0)
_RANK = select(_BALANCE,
               select(_MEMBERS).where(_counts.total > _BALANCE).scalar_subquery(),
               select(_MEMBERS).scalar_subquery())


def rank(session: Session, member_id: int) -> tuple[int, int, int]:
    """(total, rank, members with points): rank 1 is the highest total; ties share a rank.

    A member without any ledger line has rank 0. One statement over the member's
    balance and the counts of members per total, never the ledger.
    """
    total, above, members = session.execute(_RANK, {"member_id": member_id}).one()
    if total is None:
        return 0, 0, members
    return total, above + 1, members


_RECENT = (
    select(_ledger.created_at, _ledger.activity, _ledger.delta)
    .where(_ledger.member_id == bindparam("member_id"), _ledger.delta != 0)
    .order_by(_ledger.created_at.desc(), _ledger.id.desc()).limit(bindparam("limit"))
    .subquery())
# Each of the latest lines with the rank's figures: one statement for ``积分``.
_STANDING = select(*_RANK.selected_columns, _RECENT).select_from(_RECENT)


@dataclass(frozen=True, slots=True)
class Summary:
    total: int
    rank: int
    members: int
    recent: Sequence[tuple[datetime, str, int]]  # (created_at, activity, delta), latest first


def summary(session: Session, member_id: int, recent: int = 5) -> Summary:
    """:func:`rank` and the latest ``recent`` ledger lines that moved the member's total."""
    rows = session.execute(_STANDING, {"member_id": member_id, "limit": recent}).all()
    if not rows:
        return Summary(*rank(session, member_id), recent=())
    total, above, members = rows[0][:3]
    return Summary(total, above + 1, members, [tuple(row[3:]) for row in rows])


def activity_label(activity: str) -> str:
    """How an activity reads to a member, e.g. ``答对题目``."""
    try:
        return RULES[Activity(activity)].label
    except ValueError:
        return activity


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


def _subtree(session: Session, org_id: int) -> ColumnElement[bool]:
    path = get_org(session, org_id).path
    return RosterEntry.org_id.in_(select(Org.id).where(Org.path.startswith(path,
                                                                           autoescape=True)))


def leaderboard(session: Session, *, org_id: int | None = None,
                limit: int = 50) -> list[Standing]:
    """Members by total points, highest first (competition ranking: 1, 2, 2, 4).

    Overall, every member with points; with ``org_id``, only the members bound
    to the roster in that org's subtree.
    """
    query = (select(Member.id, func.coalesce(RosterEntry.name, Member.name),
                    RosterEntry.org_id, PointsBalance.total)
             .join(Member, Member.id == PointsBalance.member_id)
             .outerjoin(RosterEntry, RosterEntry.member_id == Member.id)
             .order_by(PointsBalance.total.desc(), Member.id).limit(limit))
    if org_id is not None:
        query = query.where(_subtree(session, org_id))
    names = full_names(session)
    standings: list[Standing] = []
    for position, (member_id, name, member_org, points) in enumerate(session.execute(query)):
        same = standings and standings[-1].total == points
        place = standings[-1].rank if same else position + 1
        standings.append(Standing(place, member_id, name, member_org,
                                  names.get(member_org) if member_org else None, int(points)))
    return standings


def org_leaderboard(session: Session, *, parent_id: int | None = None, kind: str = "branch",
                    limit: int = 50) -> list[OrgStanding]:
    """Orgs by the points of the bound members of their subtree, in one query.

    The children of ``parent_id``, or else every org of ``kind`` (党支部 by
    default). Members count by their roster org, never by the free-text 支部
    they typed; unbound followers count nowhere.
    """
    target, below = aliased(Org), aliased(Org)
    total = func.coalesce(func.sum(PointsBalance.total), 0).label("total")
    members = func.count(RosterEntry.member_id).label("members")
    query = (select(target.id, target.name, members, total)
             .outerjoin(below, below.path.startswith(target.path))
             .outerjoin(RosterEntry, and_(RosterEntry.org_id == below.id,
                                          RosterEntry.member_id.is_not(None)))
             .outerjoin(PointsBalance, PointsBalance.member_id == RosterEntry.member_id)
             .where(target.parent_id == parent_id if parent_id is not None
                    else target.kind == kind)
             .group_by(target.id, target.name)
             .order_by(total.desc(), target.name, target.id).limit(limit))
    if parent_id is not None:
        get_org(session, parent_id)
    names = full_names(session)
    board: list[OrgStanding] = []
    for position, (org_id, name, count, points) in enumerate(session.execute(query)):
        same = board and board[-1].total == points
        place = board[-1].rank if same else position + 1
        average = round(int(points) / int(count), 2) if count else 0.0
        board.append(OrgStanding(place, org_id, name, names.get(org_id, name), int(count),
                                 int(points), average))
    return board
