"""The ledger: awarding points (idempotent by reference, capped per day), corrections as
reversal lines, and reading it back as totals, ranks and leaderboards."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from app.errors import NotFound
from app.models.member import Member
from app.models.org import Org, RosterEntry
from app.models.points import PointsEntry, PointsTotal
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
    inserted = session.execute(
        _insert(session)(PointsEntry)
        .values(member_id=member_id, activity=activity.value, reference=reference,
                delta=delta, note="", created_at=now)
        .on_conflict_do_nothing()
        .returning(PointsEntry.id)
    ).first()
    if inserted is None:
        return 0
    _add_to_total(session, member_id, delta)
    return delta


def _insert(session: Session) -> Callable[..., Any]:
    # Any: the two dialects' insert constructs share no public base with on_conflict_*.
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql"
            else sqlite.insert)


def _add_to_total(session: Session, member_id: int, delta: int) -> None:
    """Keep :class:`PointsTotal` in step with a ledger line just inserted."""
    fresh = _insert(session)(PointsTotal).values(member_id=member_id, total=delta)
    session.execute(fresh.on_conflict_do_update(
        index_elements=[PointsTotal.member_id],
        set_={"total": PointsTotal.total + fresh.excluded.total}))


def reverse(session: Session, entry_id: int, reason: str, now: datetime) -> PointsEntry:
    """Cancel a ledger line by adding its opposite; the original stays as it was.

    Reversing the same line again returns the existing correction (its reference
    ``reverse:<id>`` is unique per member), so a repeated request cannot double it.
    """
    original = session.get(PointsEntry, entry_id)
    if original is None:
        raise NotFound(f"no points entry {entry_id}")
    reference = f"reverse:{entry_id}"
    inserted = session.execute(
        _insert(session)(PointsEntry)
        .values(member_id=original.member_id, activity=Activity.CORRECTION.value,
                reference=reference, delta=-original.delta, note=reason[:200],
                created_at=now, reverses_id=entry_id)
        .on_conflict_do_nothing()
        .returning(PointsEntry.id)
    ).first()
    if inserted is not None:
        _add_to_total(session, original.member_id, -original.delta)
    return session.scalars(select(PointsEntry).where(
        PointsEntry.member_id == original.member_id,
        PointsEntry.activity == Activity.CORRECTION.value,
        PointsEntry.reference == reference)).one()


def total(session: Session, member_id: int) -> int:
    return int(session.scalar(
        select(PointsTotal.total).where(PointsTotal.member_id == member_id)) or 0)


def rank(session: Session, member_id: int) -> tuple[int, int, int]:
    """(total, rank, members with points): rank 1 is the highest total; ties share a rank.

    A member without any ledger line has rank 0.
    """
    mine = session.scalar(select(PointsTotal.total).where(PointsTotal.member_id == member_id))
    ranked = session.scalar(select(func.count()).select_from(PointsTotal)) or 0
    if mine is None:
        return 0, 0, ranked
    ahead = session.scalar(select(func.count()).select_from(PointsTotal)
                           .where(PointsTotal.total > mine)) or 0
    return int(mine), ahead + 1, ranked


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
                    RosterEntry.org_id, PointsTotal.total)
             .join(Member, Member.id == PointsTotal.member_id)
             .outerjoin(RosterEntry, RosterEntry.member_id == Member.id)
             .order_by(PointsTotal.total.desc(), Member.id).limit(limit))
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
    total = func.coalesce(func.sum(PointsTotal.total), 0).label("total")
    members = func.count(RosterEntry.member_id).label("members")
    query = (select(target.id, target.name, members, total)
             .outerjoin(below, below.path.startswith(target.path))
             .outerjoin(RosterEntry, and_(RosterEntry.org_id == below.id,
                                          RosterEntry.member_id.is_not(None)))
             .outerjoin(PointsTotal, PointsTotal.member_id == RosterEntry.member_id)
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
