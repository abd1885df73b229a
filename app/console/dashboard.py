"""The dashboard's figures for the signed-in scope and a period, and their XLSX exports.

Every figure is a small table (a header and rows) computed by aggregate
queries over the points, lesson reads, quiz answers and sign-ups; the page
draws each as an ECharts chart above the same table, and the export writes
the same rows through :mod:`app.exports`. Members count inside a scoped
caller's org subtree only (bound members; :class:`OrgScope.holds_member`),
events as the events pages show them.

Points are the 先锋指数's: a ledger line counts in the period its deed occurred
in, under its category (lines in no category count nowhere, as in the 先锋指数).
The period's whole months are read from the per-member period totals the
ledger's writer keeps, and only the days left at either end from the ledger;
both give the same figures.

Weeks start on Monday in the service's time zone. Each week's rows are read
as a range of an index that starts with their time, one ``SELECT`` per week
joined by ``UNION ALL``: no date functions of either database, and no
per-row work to find a row's week. The weekly points are read, like the
period's, from the per-member week totals the ledger's writer keeps, and from
the ledger only for the days of a week the period cuts; the weekly quiz
figures from the per-member week totals the answers' writer keeps, and from
the answers only for a week the period cuts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Subquery,
    and_,
    case,
    distinct,
    exists,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from app.auth.tokens import Principal
from app.console.refusals import ConsoleRefusal
from app.events.kinds import LABELS as KIND_LABELS
from app.events.meetings import PRESENT
from app.events.service import visibility
from app.exports import Sheet, Value, to_xlsx
from app.models import (
    Attendance,
    Event,
    LessonRead,
    Org,
    PointsEntry,
    PointsPeriodTotal,
    PointsWeekTotal,
    QuizAnswer,
    QuizWeekTotal,
    RosterEntry,
    Signup,
)
from app.points.periods import labels_covering
from app.points.rules import CATEGORIES, CATEGORY_COLUMNS
from app.roster.port import org_full_name

LONGEST_PERIOD = timedelta(days=366)
FIGURES = ("overview", "weekly", "events", "points", "branches")
ChartKind = Literal["bar", "line", "none"]
BACK = "/console/dashboard"
# points_period_totals' category columns, in the 先锋指数's order.
POINTS_COLUMNS = tuple(CATEGORY_COLUMNS[category] for category in CATEGORIES)
Span = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class Period:
    """``start`` to ``end``, both days included, in ``zone``."""

    start: date
    end: date
    zone: ZoneInfo

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time(), self.zone)

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(), self.zone)

    def weeks(self) -> list[date]:
        """The Monday of every week the period touches."""
        monday = self.start - timedelta(days=self.start.weekday())
        return [monday + timedelta(weeks=n)
                for n in range((self.end - monday).days // 7 + 1)]

    def week_spans(self) -> list[tuple[datetime, datetime]]:
        """[start, end) of every week's part inside the period."""
        return [(max(self.at(monday), self.starts_at),
                 min(self.at(monday + timedelta(weeks=1)), self.ends_at))
                for monday in self.weeks()]

    def at(self, day: date) -> datetime:
        """Midnight starting ``day`` in the period's zone."""
        return datetime.combine(day, time(), self.zone)

    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"

    @property
    def end_of_last_month(self) -> datetime:
        """Where the month the period ends in ends."""
        return datetime.combine(_next_month(self.end), time(), self.zone)


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure: its table, and how the chart draws it (``series``: column numbers)."""

    key: str
    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Value]]
    chart: ChartKind = "bar"
    series: Sequence[int] = field(default=(1,))
    note: str = ""

    def chart_spec(self) -> dict[str, Any]:
        return {"kind": self.chart, "categories": [str(row[0]) for row in self.rows],
                "series": [{"name": self.header[column],
                            "data": [row[column] for row in self.rows]}
                           for column in self.series]}


def period_from(start: date | None, end: date | None, today: date, zone: ZoneInfo) -> Period:
    """The period asked for; by default this quarter up to today."""
    if start is None:
        start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    if end is None:
        end = today
    if end < start:
        raise ConsoleRefusal("结束日期不能早于开始日期，请重新选择统计时段。", BACK)
    if end - start > LONGEST_PERIOD:
        raise ConsoleRefusal("统计时段最长一年，请缩短后重试。", BACK)
    return Period(start, end, zone)


def presets(today: date) -> list[tuple[str, date, date]]:
    """Periods one tap away: this month, this quarter, this year, the last twelve weeks."""
    quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    twelve_weeks = today - timedelta(days=today.weekday()) - timedelta(weeks=11)
    return [("本月", today.replace(day=1), today), ("本季度", quarter, today),
            ("本年", date(today.year, 1, 1), today), ("近 12 周", twelve_weeks, today)]


def _within(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.starts_at, column < period.ends_at)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _length(spans: Sequence[Span]) -> timedelta:
    return sum((end - start for start, end in spans), timedelta())


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


class Figures:
    """The dashboard's queries for one caller and one period."""

    def __init__(self, session: Session, principal: Principal, period: Period) -> None:
        self.session = session
        self.principal = principal
        self.scope = principal.scope
        self.period = period

    # ----------------------------------------------------------------- the rows

    def _reads(self) -> tuple[int, int]:
        found = self.session.execute(
            select(func.count(), func.count(distinct(LessonRead.member_id)))
            .where(_within(LessonRead.read_at, self.period),
                   self.scope.holds_member(LessonRead.member_id))).one()
        return int(found[0]), int(found[1])

    def _answers(self) -> tuple[int, int, int]:
        found = self.session.execute(
            select(func.count(), func.coalesce(func.sum(case((QuizAnswer.correct, 1), else_=0)),
                                               0),
                   func.count(distinct(QuizAnswer.member_id)))
            .where(_within(QuizAnswer.answered_at, self.period),
                   self.scope.holds_member(QuizAnswer.member_id))).one()
        return int(found[0]), int(found[1]), int(found[2])

    @cached_property
    def _events_by_kind(self) -> list[tuple[str, int, int, int]]:
        """(kind, events, expected, present) per kind: an activity expects the members
        signed up, a meeting (whose members do not sign up) its expected attendees."""
        counted = and_(_within(Event.starts_at, self.period), Event.status != "cancelled",
                       visibility(self.principal))
        rows = self.session.execute(
            select(Event.kind, func.count(distinct(Event.id)),
                   func.coalesce(func.sum(case((Signup.status == "confirmed", 1), else_=0)), 0),
                   func.count(Signup.checked_in_at))
            .select_from(Event)
            .outerjoin(Signup, and_(Signup.event_id == Event.id, Signup.status == "confirmed"))
            .where(counted)
            .group_by(Event.kind)).all()
        attendance = {kind: (int(expected), int(present)) for kind, expected, present in
                      self.session.execute(
                          select(Event.kind, func.count(Attendance.id),
                                 func.count(Attendance.checked_in_at)
                                 .filter(Attendance.status == PRESENT))
                          .join(Attendance, Attendance.event_id == Event.id)
                          .where(counted).group_by(Event.kind))}
        totals = []
        for kind, events, confirmed, present in rows:
            expected, attended = attendance.get(kind, (0, 0))
            totals.append((kind, int(events), int(confirmed) + expected,
                           int(present) + attended))
        return sorted(totals, key=lambda row: list(KIND_LABELS).index(row[0])
                      if row[0] in KIND_LABELS else len(KIND_LABELS))

    def _lines_after_the_period(self, until: datetime) -> bool:
        """Whether a ledger line occurred between the period's end and ``until``."""
        return bool(self.session.scalar(select(exists().where(
            PointsEntry.occurred_at >= self.period.ends_at, PointsEntry.occurred_at < until))))

    def _months_and_the_rest(self) -> tuple[list[str], list[Span], list[Span]]:
        """The period-total labels of the months the period's points are read from, the
        spans of the period outside those months (whose ledger lines are added), and the
        spans of those months outside the period (whose lines are taken away).

        A month the period cuts is read whichever way reads fewer of the ledger's days:
        its days inside the period, or its total less its days outside. The month the
        period ends in has no days outside while no line occurred in it after the
        period yet (the usual "this quarter up to today").
        """
        period, at = self.period, self.period.at
        first = period.start.replace(day=1)
        if period.start - first >= _next_month(period.start) - period.start:
            first = _next_month(period.start)
        past = _next_month(period.end)
        lines_after = (past - period.end > timedelta(days=1)
                       and self._lines_after_the_period(period.end_of_last_month))
        if lines_after and past - period.end - timedelta(days=1) >= timedelta(
                days=period.end.day):
            past = period.end.replace(day=1)
        added = [(start, end) for start, end in ((period.starts_at, at(first)),
                                                 (at(past), period.ends_at)) if start < end]
        taken = [(at(first), period.starts_at)] if at(first) < period.starts_at else []
        if lines_after and period.ends_at < at(past):
            taken.append((period.ends_at, at(past)))
        if first >= past or _length(added + taken) >= _length([(period.starts_at,
                                                                period.ends_at)]):
            return [], [(period.starts_at, period.ends_at)], []
        last = past - timedelta(days=1)
        return (labels_covering(first.year * 100 + first.month, last.year * 100 + last.month),
                added, taken)

    def _points_per_member(self) -> Subquery:
        """Each member's points in the period for members in scope: ``total``, and one
        column per category named as in points_period_totals."""
        labels, added, taken = self._months_and_the_rest()
        totals, ledger = PointsPeriodTotal, PointsEntry
        parts = [select(totals.member_id,
                        (totals.study + totals.org_life + totals.volunteering
                         + totals.pioneering).label("total"),
                        *(getattr(totals, column).label(column) for column in POINTS_COLUMNS))
                 .where(totals.period.in_(labels), self.scope.holds_member(totals.member_id))]
        for spans, sign in ((added, 1), (taken, -1)):
            delta = ledger.delta if sign > 0 else -ledger.delta
            parts += [select(ledger.member_id, delta.label("total"),
                             *(case((ledger.category == category, delta), else_=0)
                               .label(CATEGORY_COLUMNS[category]) for category in CATEGORIES))
                      .where(ledger.occurred_at >= start, ledger.occurred_at < end,
                             ledger.category.in_(CATEGORIES),
                             self.scope.holds_member(ledger.member_id))
                      for start, end in spans]
        rows = union_all(*parts).subquery()
        return (select(rows.c.member_id,
                       *(func.sum(rows.c[column]).label(column)
                         for column in ("total", *POINTS_COLUMNS)))
                .group_by(rows.c.member_id).subquery())

    @cached_property
    def _points_by_org(self) -> dict[int | None, tuple[int, ...]]:
        """{org of the roster entry a member is bound to (None: unbound): (points, then
        each category's points, then each category's members with points in it)} of
        the members in scope, in one statement for the points figure and the branch
        ranking, which add the orgs up here."""
        per_member = self._points_per_member()
        found = self.session.execute(
            select(RosterEntry.org_id, func.sum(per_member.c.total),
                   *(func.sum(per_member.c[column]) for column in POINTS_COLUMNS),
                   *(func.count().filter(per_member.c[column] != 0)
                     for column in POINTS_COLUMNS))
            .select_from(per_member)
            .outerjoin(RosterEntry, RosterEntry.member_id == per_member.c.member_id)
            .group_by(RosterEntry.org_id))
        return {org_id: tuple(int(value or 0) for value in values)
                for org_id, *values in found}

    @cached_property
    def _points_by_category(self) -> list[tuple[str, int, int]]:
        """(category, points, members with points in it), most points first."""
        count = len(CATEGORIES)
        points, members = [0] * count, [0] * count
        for values in self._points_by_org.values():
            for n in range(count):
                points[n] += values[1 + n]
                members[n] += values[1 + count + n]
        rows = [(category, total, holders)
                for category, total, holders in zip(CATEGORIES, points, members, strict=True)
                if total or holders]
        return sorted(rows, key=lambda row: -row[1])

    # -------------------------------------------------------------- the figures

    def overview(self) -> Figure:
        reads, readers = self._reads()
        answers, correct, takers = self._answers()
        by_kind = self._events_by_kind
        events = sum(row[1] for row in by_kind)
        confirmed = sum(row[2] for row in by_kind)
        present = sum(row[3] for row in by_kind)
        points = sum(row[1] for row in self._points_by_category)
        rows: list[Sequence[Value]] = [
            ("学习人次", reads), ("学习人数", readers), ("答题人数", takers),
            ("答题数", answers), ("答题正确率（%）", _percent(correct, answers)),
            ("活动与会议场次", events), ("报名/应到人次", confirmed), ("签到人次", present),
            ("出勤率（%）", _percent(present, confirmed)), ("发放积分", points)]
        return Figure("overview", "概况", ("指标", "数值"), rows, chart="none")

    def events(self) -> Figure:
        rows = [(KIND_LABELS.get(kind, kind), events, confirmed, present,
                 _percent(present, confirmed))
                for kind, events, confirmed, present in self._events_by_kind]
        return Figure("events", "活动与会议出勤", ("类型", "场次", "报名/应到人次", "签到人次",
                                               "出勤率（%）"), rows, series=(2, 3))

    def points(self) -> Figure:
        return Figure("points", "积分构成", ("类别", "积分", "人数"), self._points_by_category,
                      note="按先锋指数类别统计，积分计入事项发生的时段。")

    def branches(self) -> Figure:
        """Every 党支部 in scope, ranked by points per bound member in the period.

        Each measure is counted per org in the database, over the members bound
        to the org's roster entries (a join on the member, a few rows out), and
        the orgs are added up into the branches above them here: joining the
        ledger to the org tree's paths instead let SQLite's planner walk the
        tree once per ledger line.
        """
        orgs = self.session.execute(select(Org.id, Org.path, Org.kind)
                                    .where(self.scope.orgs())).all()
        branch_paths = {org.id: org.path for org in orgs if org.kind == "branch"}
        branches_of = {org.id: [branch_id for branch_id, path in branch_paths.items()
                                if org.path.startswith(path)] for org in orgs}
        names = {branch_id: org_full_name(self.session, branch_id) for branch_id in branch_paths}

        def add_up(per_org: Any) -> dict[int, int]:
            totals: dict[int, int] = {}
            for org_id, value in self.session.execute(per_org):
                for branch_id in branches_of.get(org_id, ()):
                    totals[branch_id] = totals.get(branch_id, 0) + int(value or 0)
            return totals

        def per_branch(member_column: Any, measure: Any, *conditions: Any) -> dict[int, int]:
            return add_up(select(RosterEntry.org_id, measure)
                          .join_from(member_column.table, RosterEntry,
                                     RosterEntry.member_id == member_column)
                          .where(self.scope.holds_org(RosterEntry.org_id), *conditions)
                          .group_by(RosterEntry.org_id))

        def bound_members(*conditions: Any) -> dict[int, int]:
            return add_up(select(RosterEntry.org_id, func.count(RosterEntry.member_id))
                          .where(self.scope.holds_org(RosterEntry.org_id), *conditions)
                          .group_by(RosterEntry.org_id))

        members = bound_members()
        points: dict[int, int] = {}
        for org_id, values in self._points_by_org.items():
            for branch_id in branches_of.get(org_id, ()) if org_id is not None else ():
                points[branch_id] = points.get(branch_id, 0) + values[0]
        reads = per_branch(LessonRead.member_id, func.count(),
                           _within(LessonRead.read_at, self.period))
        # Members who answered, asked per member: counting the distinct members
        # among the period's answers sorts every answer.
        takers = bound_members(exists().where(QuizAnswer.member_id == RosterEntry.member_id,
                                              _within(QuizAnswer.answered_at, self.period)))
        present = per_branch(Signup.member_id, func.count(),
                             _within(Signup.checked_in_at, self.period))
        for branch_id, attended in per_branch(
                Attendance.member_id, func.count(), Attendance.status == PRESENT,
                _within(Attendance.checked_in_at, self.period)).items():
            present[branch_id] = present.get(branch_id, 0) + attended
        table = sorted(
            ((names[org_id], members.get(org_id, 0), reads.get(org_id, 0),
              takers.get(org_id, 0), present.get(org_id, 0), points.get(org_id, 0),
              round(points.get(org_id, 0) / members[org_id], 1) if members.get(org_id) else 0.0)
             for org_id in names),
            key=lambda row: (-row[6], -row[5], row[0]))
        rows = [(row[0], *row[1:], rank) for rank, row in enumerate(table, start=1)]
        return Figure("branches", "支部排名",
                      ("支部", "绑定党员", "学习人次", "答题人数", "签到人次", "积分", "人均积分",
                       "名次"), rows, series=(6,),
                      note="按人均积分排名；只统计已绑定花名册的党员。")

    def _by_week(self, column: Any, conditions: Sequence[Any], *measures: Any,
                 numbers: Sequence[int] | None = None) -> dict[int, tuple[int, ...]]:
        """{week number: the measures} over the rows whose ``column`` is in the week,
        for the weeks ``numbers`` (all by default)."""
        spans = self.period.week_spans()
        each_week = union_all(*(
            select(literal(number).label("week"), *measures)
            .where(column >= spans[number][0], column < spans[number][1], *conditions)
            for number in (range(len(spans)) if numbers is None else numbers)))
        return {int(week): tuple(int(value or 0) for value in values)
                for week, *values in self.session.execute(each_week)}

    def _points_by_week(self) -> dict[int, tuple[int, ...]]:
        """{week number: (points,)} of the members in scope, from the members' week
        totals, and for a week the period cuts from the ledger: whichever reads fewer
        of its days, the days inside the period, or the week's total less the days
        outside it.

        The week the period ends in has no days outside while no line occurred in it
        after the period yet (the usual "up to today").
        """
        period = self.period
        weeks, spans = period.weeks(), period.week_spans()
        from_totals: dict[date, int] = {}
        ledger_spans: list[tuple[int, int, Span]] = []
        for number, (monday, (start, end)) in enumerate(zip(weeks, spans, strict=True)):
            week_starts, week_ends = period.at(monday), period.at(monday + timedelta(weeks=1))
            outside = [(week_starts, start)] if week_starts < start else []
            if end < week_ends and self._lines_after_the_period(week_ends):
                outside.append((end, week_ends))
            if _length(outside) >= end - start:
                ledger_spans.append((number, 1, (start, end)))
                continue
            from_totals[monday] = number
            ledger_spans += [(number, -1, span) for span in outside]
        points: dict[int, int] = {}
        if ledger_spans:
            ledger = PointsEntry
            for number, sign, total in self.session.execute(union_all(*(
                    select(literal(number).label("week"), literal(sign).label("sign"),
                           func.sum(ledger.delta))
                    .where(ledger.occurred_at >= start, ledger.occurred_at < end,
                           ledger.category.in_(CATEGORIES),
                           self.scope.holds_member(ledger.member_id))
                    for number, sign, (start, end) in ledger_spans))):
                points[int(number)] = points.get(int(number), 0) + int(sign) * int(total or 0)
        if from_totals:
            totals = PointsWeekTotal
            for monday, total in self.session.execute(
                    select(totals.week, func.sum(totals.points))
                    .where(totals.week.in_(from_totals),
                           self.scope.holds_member(totals.member_id))
                    .group_by(totals.week)):
                number = from_totals[monday]
                points[number] = points.get(number, 0) + int(total or 0)
        return {number: (total,) for number, total in points.items()}

    def _answers_by_week(self) -> dict[int, tuple[int, ...]]:
        """{week number: (answers, correct, takers)} of the members in scope: a whole week
        from the members' week totals (one row per member who answered), a week the
        period cuts from the answers.

        The week the period ends in counts as whole when no answer was given in it
        after the period yet (the usual "up to today").
        """
        period = self.period
        weeks, spans = period.weeks(), period.week_spans()
        whole: dict[date, int] = {}
        cut: list[int] = []
        for number, (monday, (start, end)) in enumerate(zip(weeks, spans, strict=True)):
            week_ends = period.at(monday + timedelta(weeks=1))
            if start > period.at(monday) or (end < week_ends and self.session.scalar(
                    select(exists().where(QuizAnswer.answered_at >= end,
                                          QuizAnswer.answered_at < week_ends)))):
                cut.append(number)
            else:
                whole[monday] = number
        answers = self._by_week(QuizAnswer.answered_at,
                                [self.scope.holds_member(QuizAnswer.member_id)],
                                func.count(), func.sum(case((QuizAnswer.correct, 1), else_=0)),
                                func.count(distinct(QuizAnswer.member_id)),
                                numbers=cut) if cut else {}
        if whole:
            totals = QuizWeekTotal
            for monday, *counts in self.session.execute(
                    select(totals.week, func.sum(totals.answers), func.sum(totals.correct),
                           func.count())
                    .where(totals.week.in_(whole), self.scope.holds_member(totals.member_id))
                    .group_by(totals.week)):
                answers[whole[monday]] = tuple(int(count or 0) for count in counts)
        return answers

    def weekly(self) -> Figure:
        weeks = self.period.weeks()
        by_week = self._by_week

        nothing = (0, 0, 0)
        reads = by_week(LessonRead.read_at, [self.scope.holds_member(LessonRead.member_id)],
                        func.count())
        answers = self._answers_by_week()
        visible_events = select(Event.id).where(visibility(self.principal))
        signed_in = by_week(Signup.checked_in_at, [Signup.event_id.in_(visible_events)],
                            func.count())
        attended = by_week(Attendance.checked_in_at, [Attendance.status == PRESENT,
                                                      Attendance.event_id.in_(visible_events)],
                           func.count())
        points = self._points_by_week()
        rows = []
        for n, monday in enumerate(weeks):
            answered, correct, takers = answers.get(n, nothing)
            rows.append((f"{monday:%m-%d}", reads.get(n, nothing)[0], takers, answered,
                         _percent(correct, answered),
                         signed_in.get(n, nothing)[0] + attended.get(n, nothing)[0],
                         points.get(n, nothing)[0]))
        return Figure("weekly", "每周趋势",
                      ("周（周一）", "学习人次", "答题人数", "答题数", "正确率（%）", "签到人次",
                       "积分"), rows, chart="line", series=(1, 2, 5))

    def figure(self, key: str) -> Figure:
        if key not in FIGURES:
            raise ConsoleRefusal("没有这项统计。", BACK)
        built: Figure = getattr(self, key)()
        return built


def scope_name(session: Session, principal: Principal) -> str:
    org_id = principal.scope.org_id
    return org_full_name(session, org_id) if org_id is not None else "全部组织"


def page_context(session: Session, principal: Principal, start: date | None, end: date | None,
                 zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    today = now.astimezone(zone).date()
    period = period_from(start, end, today, zone)
    figures = Figures(session, principal, period)
    return {"period": period, "presets": presets(today), "scope": scope_name(session, principal),
            "figures": [figures.figure(key) for key in FIGURES]}


def export(session: Session, principal: Principal, key: str, start: date | None,
           end: date | None, zone: ZoneInfo, now: datetime) -> tuple[str, bytes]:
    """(file name, XLSX) of one figure, with its scope and period in the title line."""
    period = period_from(start, end, now.astimezone(zone).date(), zone)
    figure = Figures(session, principal, period).figure(key)
    title = f"{figure.title}（{scope_name(session, principal)}，{period.label()}）"
    workbook = to_xlsx(Sheet(figure.header, figure.rows, title=title,
                             sheet_name=figure.title[:31],
                             column_widths=[16] + [12] * (len(figure.header) - 1)))
    return f"dashboard-{key}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx", workbook
