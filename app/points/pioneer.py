"""先锋指数: the bound members of an org subtree ranked by a weighted index for a period.

For each category (学习, 组织生活, 志愿服务, 先锋作用) a member's points in the
period are scaled to 100 against the best total of that category among the
members ranked (at least 1, so deductions still count), and the index is the
average of the four scores weighted by the catalogue in force.

The database scores and sorts every member in one statement over the period
totals (one row per member, found by its primary key, never the ledger) and
hands back only the page asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from app import exports
from app.errors import NotFound
from app.models.org import Org, RosterEntry
from app.models.points import PointsPeriodTotal
from app.orgs.service import full_names, get_org
from app.points import catalogue
from app.points.periods import parse_period
from app.points.rules import CATEGORIES, CATEGORY_COLUMNS

Totals = tuple[int, ...]  # points per category, in the order of CATEGORIES


class PioneerRow(NamedTuple):
    rank: int
    member_id: int
    name: str
    org_id: int
    score: float  # the index
    totals: Totals
    total: int

    @property
    def points(self) -> dict[str, int]:
        return dict(zip(CATEGORIES, self.totals, strict=True))


@dataclass(frozen=True, slots=True)
class PioneerIndex:
    period: str
    org_id: int | None
    weights: dict[str, float]
    ranked: int  # members ranked in all; ``rows`` may be one page of them
    rows: list[PioneerRow]
    org_names: dict[int, str]


def _root_path(session: Session, org_id: int | None, within: str | None) -> str | None:
    if org_id is None:
        return within
    path = get_org(session, org_id).path
    if within is not None and not path.startswith(within):
        raise NotFound(f"no org {org_id}")
    return path


def _bound_members(root: str | None) -> Any:
    """Roster entries of bound members in the subtree at path ``root`` (all when None).

    Any: a Select whose columns the callers choose.
    """
    query = select(RosterEntry.member_id).where(RosterEntry.member_id.is_not(None))
    if root is not None:
        query = query.join(Org, Org.id == RosterEntry.org_id).where(
            Org.path.startswith(root, autoescape=True))
    return query


def _scored(label: str, root: str | None, weights: dict[str, float]) -> Any:
    """Each member with their period totals, index and total points, as a subquery.

    Any: a subquery of nine columns, whose precise type says nothing useful.
    """
    totals = PointsPeriodTotal
    points = [func.coalesce(getattr(totals, CATEGORY_COLUMNS[category]), 0).label(f"p{n}")
              for n, category in enumerate(CATEGORIES)]
    table = (_bound_members(root)
             .add_columns(RosterEntry.name, RosterEntry.org_id, *points)
             .outerjoin(totals, and_(totals.period == label,
                                     totals.member_id == RosterEntry.member_id))
             .cte("members"))
    columns = [table.c[f"p{n}"] for n in range(len(CATEGORIES))]
    best = select(*(case((func.max(c) > 1, func.max(c)), else_=1).label(f"b{n}")
                    for n, c in enumerate(columns))).cte("best")
    weight_sum = sum(weights.values()) or 1.0
    # A float factor first, so that no database divides integers.
    terms = [literal(weights[category] * 100 / weight_sum) * columns[n] / best.c[f"b{n}"]
             for n, category in enumerate(CATEGORIES)]
    # Rounded to hundredths in floating point: both databases have round(float), and
    # members whose shown indexes are equal share a rank.
    score = func.round((terms[0] + terms[1] + terms[2] + terms[3]) * 100) / 100.0
    total = columns[0] + columns[1] + columns[2] + columns[3]
    return (select(table.c.member_id, table.c.name, table.c.org_id, *columns,
                   score.label("score"), total.label("total"))
            .select_from(table).join(best, literal(True)).subquery("scored"))


def pioneer_index(session: Session, *, org_id: int | None, period: str, now: datetime,
                  within: str | None = None, limit: int | None = None,
                  offset: int = 0) -> PioneerIndex:
    """The subtree's bound members, highest index first (ties share a rank): all, or a page.

    The database sorts and cuts the page; a window ``rank()`` over every member
    cost SQLite several times the sort, so ranks are counted here instead: the
    members strictly ahead of the page's first row, then ties within the page.
    """
    label = parse_period(period)
    root = _root_path(session, org_id, within)
    weights = catalogue.current(session, now).weights
    scored = _scored(label, root, weights)
    query = (select(scored).order_by(scored.c.score.desc(), scored.c.total.desc(),
                                     scored.c.member_id).offset(offset))
    if limit is not None:
        query = query.limit(limit)
    found = session.execute(query).all()
    rank, last, rows = 0, None, []
    for position, (member_id, name, org, p0, p1, p2, p3, score, total) in enumerate(
            found, offset + 1):
        if (score, total) != last:
            rank = position if last is not None or not offset else 1 + (session.scalar(
                select(func.count()).select_from(scored).where(or_(
                    scored.c.score > score,
                    and_(scored.c.score == score, scored.c.total > total)))) or 0)
            last = (score, total)
        rows.append(PioneerRow(rank, member_id, name, org, float(score), (p0, p1, p2, p3),
                               total))
    ranked = len(found) if limit is None and not offset else session.scalar(
        select(func.count()).select_from(_bound_members(root).subquery())) or 0
    return PioneerIndex(label, org_id, weights, ranked, rows, full_names(session))


def pioneer_xlsx(result: PioneerIndex) -> bytes:
    weights = "，".join(f"{c} {result.weights[c]:g}" for c in CATEGORIES)
    return exports.to_xlsx(exports.Sheet(
        ("名次", "姓名", "所在组织", "先锋指数", *CATEGORIES, "合计积分"),
        [(row.rank, row.name, result.org_names.get(row.org_id, ""), row.score, *row.totals,
          row.total) for row in result.rows],
        title=f"先锋指数 {result.period}（权重：{weights}）", sheet_name="先锋指数",
        column_widths=(6, 10, 30, 10, 8, 10, 10, 10, 10)))
