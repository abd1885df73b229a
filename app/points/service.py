"""The ledger: awarding points (idempotent by reference, capped per day), corrections as
reversal lines, and reading it back as totals, ranks and leaderboards.

:func:`_write_line` is the ledger's only writer: it adds a line and, in the same
transaction, the line's delta to the member's :class:`PointsBalance`, so that
totals, ranks and boards read the balances and never add up the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.dialect import insert_on_conflict, insert_or_ignore
from app.errors import NotFound
from app.models.member import Member
from app.models.org import Org, RosterEntry
from app.models.points import PointsBalance, PointsEntry
from app.orgs.scope import EVERYTHING, OrgScope, require_org_in_scope
from app.orgs.service import ancestry, full_names
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
    upsert = insert_on_conflict(session, PointsBalance).values(member_id=member_id, total=delta)
    session.execute(upsert.on_conflict_do_update(
        index_elements=[PointsBalance.member_id],
        set_={"total": PointsBalance.total + upsert.excluded.total}))
    return True


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


def rank(session: Session, member_id: int) -> tuple[int, int, int]:
    """(total, rank, members with points): rank 1 is the highest total; ties share a rank.

    A member without any ledger line has rank 0. One statement over the balances
    and the index on ``total``, never the ledger.
    """
    mine = (select(PointsBalance.total).where(PointsBalance.member_id == member_id)
            .scalar_subquery())
    ahead = select(func.count()).where(PointsBalance.total > mine).scalar_subquery()
    ranked = select(func.count()).select_from(PointsBalance).scalar_subquery()
    total, above, members = session.execute(select(mine, ahead, ranked)).one()
    if total is None:
        return 0, 0, members
    return total, above + 1, members


def recent_entries(session: Session, member_id: int, limit: int = 5) -> Sequence[PointsEntry]:
    return session.scalars(
        select(PointsEntry).where(PointsEntry.member_id == member_id, PointsEntry.delta != 0)
        .order_by(PointsEntry.created_at.desc(), PointsEntry.id.desc()).limit(limit)
    ).all()


def label(entry: PointsEntry) -> str:
    """How a ledger line reads to a member, e.g. ``答对题目``."""
    try:
        return RULES[Activity(entry.activity)].label
    except ValueError:
        return entry.activity


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
    paths = dict(session.execute(select(Org.id, Org.path).where(scope.orgs())).tuples().all())
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
