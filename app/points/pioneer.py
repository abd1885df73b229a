"""先锋指数: the bound members of an org subtree ranked by a weighted index for a period.

For each category (学习, 组织生活, 志愿服务, 先锋作用) a member's points in the
period are scaled to 100 against the best total of that category among the
members ranked (at least 1, so deductions still count), and the index is the
average of the four scores weighted by the catalogue in force. It reads the
monthly totals by category, never the ledger: one indexed lookup per member.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import exports
from app.errors import InvalidInput, NotFound
from app.models.org import Org, RosterEntry
from app.models.points import PointsMonthlyTotal
from app.orgs.service import full_names, get_org
from app.points import catalogue
from app.points.rules import CATEGORIES

_PERIOD = re.compile(r"(\d{4})(?:-?Q([1-4])|-(\d{2}))?")


@dataclass(frozen=True, slots=True)
class Period:
    label: str
    first_month: int  # yyyymm
    last_month: int


def parse_period(text: str) -> Period:
    """``2026`` (a year), ``2026Q4`` (a quarter) or ``2026-11`` (a month)."""
    found = _PERIOD.fullmatch(text.strip().upper())
    month = int(found.group(3)) if found and found.group(3) else None
    if found is None or not 2000 <= int(found.group(1)) <= 2100 or (
            month is not None and not 1 <= month <= 12):
        raise InvalidInput("统计期间无效", errors=[{
            "field": "period",
            "message": "统计期间应为年（2026）、季度（2026Q4）或月份（2026-11）"}])
    year = int(found.group(1))
    if found.group(2):
        quarter = int(found.group(2))
        return Period(f"{year}Q{quarter}", year * 100 + quarter * 3 - 2, year * 100 + quarter * 3)
    if month is not None:
        return Period(f"{year}-{month:02d}", year * 100 + month, year * 100 + month)
    return Period(str(year), year * 100 + 1, year * 100 + 12)


@dataclass(frozen=True, slots=True)
class PioneerRow:
    rank: int
    member_id: int
    name: str
    org_id: int
    org: str
    index: float
    points: dict[str, int]
    total: int


@dataclass(frozen=True, slots=True)
class PioneerIndex:
    period: str
    org_id: int | None
    weights: dict[str, float]
    rows: list[PioneerRow]


def _root_path(session: Session, org_id: int | None, within: str | None) -> str | None:
    if org_id is None:
        return within
    path = get_org(session, org_id).path
    if within is not None and not path.startswith(within):
        raise NotFound(f"no org {org_id}")
    return path


def pioneer_index(session: Session, *, org_id: int | None, period: str, now: datetime,
                  within: str | None = None) -> PioneerIndex:
    """Every bound member of the subtree, highest index first (ties share a rank)."""
    span = parse_period(period)
    root = _root_path(session, org_id, within)
    members = (select(RosterEntry.member_id, RosterEntry.name, RosterEntry.org_id)
               .where(RosterEntry.member_id.is_not(None)))
    if root is not None:
        members = members.join(Org, Org.id == RosterEntry.org_id).where(
            Org.path.startswith(root, autoescape=True))
    people = {member_id: (name, org) for member_id, name, org in session.execute(members)
              if member_id is not None}
    ranked = members.with_only_columns(RosterEntry.member_id).scalar_subquery()
    points: dict[int, dict[str, int]] = {}
    for member_id, category, total in session.execute(
            select(PointsMonthlyTotal.member_id, PointsMonthlyTotal.category,
                   func.sum(PointsMonthlyTotal.total))
            .where(PointsMonthlyTotal.member_id.in_(ranked),
                   PointsMonthlyTotal.month.between(span.first_month, span.last_month),
                   PointsMonthlyTotal.category.in_(CATEGORIES))
            .group_by(PointsMonthlyTotal.member_id, PointsMonthlyTotal.category)):
        points.setdefault(member_id, {})[category] = int(total)
    weights = catalogue.current(session, now).weights
    return PioneerIndex(span.label, org_id, weights,
                        _ranked(people, points, weights, full_names(session)))


def _ranked(people: dict[int, tuple[str, int]], points: dict[int, dict[str, int]],
            weights: dict[str, float], org_names: dict[int, str]) -> list[PioneerRow]:
    best = {category: max([1, *(mine.get(category, 0) for mine in points.values())])
            for category in CATEGORIES}
    weight_sum = sum(weights.values()) or 1.0
    scored = []
    for member_id, (name, org_id) in people.items():
        mine = {category: points.get(member_id, {}).get(category, 0) for category in CATEGORIES}
        index = sum(weights[c] * 100 * mine[c] / best[c] for c in CATEGORIES) / weight_sum
        scored.append((round(index, 2), sum(mine.values()), member_id, name, org_id, mine))
    scored.sort(key=lambda row: (-row[0], -row[1], row[2]))
    rows: list[PioneerRow] = []
    for position, (index, total, member_id, name, org_id, mine) in enumerate(scored):
        same = rows and rows[-1].index == index and rows[-1].total == total
        rows.append(PioneerRow(rows[-1].rank if same else position + 1, member_id, name,
                               org_id, org_names.get(org_id, ""), index, mine, total))
    return rows


def pioneer_xlsx(result: PioneerIndex) -> bytes:
    weights = "，".join(f"{c} {result.weights[c]:g}" for c in CATEGORIES)
    return exports.to_xlsx(exports.Sheet(
        ("名次", "姓名", "所在组织", "先锋指数", *CATEGORIES, "合计积分"),
        [(row.rank, row.name, row.org, row.index, *(row.points[c] for c in CATEGORIES),
          row.total) for row in result.rows],
        title=f"先锋指数 {result.period}（权重：{weights}）", sheet_name="先锋指数",
        column_widths=(6, 10, 30, 10, 8, 10, 10, 10, 10)))
