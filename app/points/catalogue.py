"""The rules catalogue: points, caps and 先锋指数 weights, one immutable version per edit.

The newest :class:`~app.models.PointsRuleSet` is in force. Its first version is
written from :data:`~app.points.rules.DEFAULT_RULES` the first time anything
asks, by an insert-or-ignore, so concurrent first readers agree on it. An edit
writes version ``n + 1``; two edits racing for one number meet the primary key,
and the loser is told to reload.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.dialect import insert_or_ignore
from app.errors import Conflict, InvalidInput
from app.models.points import PointsRuleSet
from app.points.rules import CATEGORIES, DEFAULT_RULES, DEFAULT_WEIGHTS, Activity, Rule

POINTS_RANGE = range(-100, 1001)
CAP_RANGE = range(1, 100_001)


@dataclass(frozen=True, slots=True)
class Catalogue:
    version: int
    rules: dict[Activity, Rule]
    weights: dict[str, float]
    created_by: str
    created_at: datetime

    def rule(self, activity: Activity) -> Rule:
        return self.rules.get(activity) or DEFAULT_RULES[activity]


def _body(rules: Mapping[Activity, Rule], weights: Mapping[str, float]) -> dict[str, Any]:
    return {"rules": {activity.value: asdict(rule) for activity, rule in rules.items()},
            "weights": dict(weights)}


def _catalogue(row: PointsRuleSet) -> Catalogue:
    rules = {Activity(name): Rule(**values) for name, values in row.body["rules"].items()
             if name in Activity.__members__.values()}
    weights = {category: float(row.body["weights"].get(category, 0)) for category in CATEGORIES}
    return Catalogue(row.version, rules, weights, row.created_by, row.created_at)


def current(session: Session, now: datetime) -> Catalogue:
    """The catalogue in force (an index lookup); writes the first version when there is none."""
    row = session.scalars(select(PointsRuleSet).order_by(PointsRuleSet.version.desc())
                          .limit(1)).first()
    if row is None:
        session.execute(insert_or_ignore(session, PointsRuleSet).values(
            version=1, body=_body(DEFAULT_RULES, DEFAULT_WEIGHTS), created_by="system",
            created_at=now))
        row = session.get_one(PointsRuleSet, 1)
    return _catalogue(row)


def version(session: Session, number: int) -> Catalogue | None:
    row = session.get(PointsRuleSet, number)
    return _catalogue(row) if row is not None else None


def _problem(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def _checked_rule(activity: str, values: Mapping[str, Any],
                  problems: list[dict[str, str]]) -> Rule | None:
    field = f"rules.{activity}"
    points = values.get("points")
    if not isinstance(points, int) or points not in POINTS_RANGE:
        problems.append(_problem(f"{field}.points", "分值须为 -100 到 1000 之间的整数"))
        return None
    caps: dict[str, int | None] = {}
    for cap in ("daily_cap", "monthly_cap", "yearly_cap"):
        value = values.get(cap)
        if value is not None and (not isinstance(value, int) or value not in CAP_RANGE):
            problems.append(_problem(f"{field}.{cap}",
                                     "上限须为 1 到 100000 之间的整数，或留空表示不设上限"))
            return None
        caps[cap] = value
    category = values.get("category")
    if category is not None and category not in CATEGORIES:
        problems.append(_problem(f"{field}.category",
                                 f"类别须为 {'、'.join(CATEGORIES)} 之一，或留空"))
        return None
    return Rule(points, category, caps["daily_cap"], caps["monthly_cap"], caps["yearly_cap"],
                per_hour=DEFAULT_RULES[Activity(activity)].per_hour)


def _checked_weights(weights: Mapping[str, Any] | None, before: Mapping[str, float],
                     problems: list[dict[str, str]]) -> dict[str, float]:
    if weights is None:
        return dict(before)
    checked = dict(before)
    for category, weight in weights.items():
        if category not in CATEGORIES:
            problems.append(_problem(f"weights.{category}",
                                     f"类别须为 {'、'.join(CATEGORIES)} 之一"))
        elif not isinstance(weight, int | float) or not 0 <= weight <= 100:
            problems.append(_problem(f"weights.{category}", "权重须为 0 到 100 之间的数"))
        else:
            checked[category] = float(weight)
    if not problems and sum(checked.values()) <= 0:
        problems.append(_problem("weights", "权重不能全部为 0"))
    return checked


def save(session: Session, *, rules: Mapping[str, Mapping[str, Any]],
         weights: Mapping[str, Any] | None, by: str, now: datetime) -> Catalogue:
    """Write the next version: ``rules`` given replace theirs, the others carry over.

    Nothing is written unless every rule and weight is valid; the 422 lists each
    problem by field (``rules.lesson_read.points``).
    """
    before = current(session, now)
    problems: list[dict[str, str]] = []
    merged = dict(before.rules)
    for activity, values in rules.items():
        if activity not in DEFAULT_RULES:
            problems.append(_problem(f"rules.{activity}", "没有这项积分规则"))
            continue
        rule = _checked_rule(activity, values, problems)
        if rule is not None:
            merged[Activity(activity)] = rule
    checked_weights = _checked_weights(weights, before.weights, problems)
    if problems:
        raise InvalidInput("积分规则有误，未保存：" + "；".join(p["message"] for p in problems),
                           errors=problems)
    number = before.version + 1
    try:
        with session.begin_nested():
            session.add(PointsRuleSet(version=number, body=_body(merged, checked_weights),
                                      created_by=by, created_at=now))
    except IntegrityError as clash:
        raise Conflict("积分规则刚被他人修改，请刷新后重试") from clash
    return Catalogue(number, merged, checked_weights, by, now)
