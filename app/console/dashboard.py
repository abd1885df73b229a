"""The dashboard's figures for the signed-in scope and a period, and their XLSX exports.

Every figure is a small table (a header and rows) computed by aggregate
queries over the ledger, lesson reads, quiz answers and sign-ups; the page
draws each as an ECharts chart above the same table, and the export writes
the same rows through :mod:`app.exports`. Members count inside a scoped
caller's org subtree only (bound members; :class:`OrgScope.holds_member`),
events as the events pages show them.

Weeks start on Monday in the service's time zone. Rows are bucketed into
weeks by a ``CASE`` over the week boundaries computed here, so the same query
runs on SQLite and PostgreSQL without date functions of either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, distinct, func, select
from sqlalchemy.orm import Session, aliased

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
    QuizAnswer,
    RosterEntry,
    Signup,
)
from app.points.rules import LABELS, Activity
from app.roster.port import org_full_name

LONGEST_PERIOD = timedelta(days=366)
FIGURES = ("overview", "weekly", "events", "points", "branches")
ChartKind = Literal["bar", "line", "none"]
BACK = "/console/dashboard"


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

    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"


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


def _week_of(column: Any, period: Period) -> Any:
    """The week number (0 for the first) of a timestamp inside the period."""
    boundaries = [datetime.combine(monday + timedelta(weeks=1), time(), period.zone)
                  for monday in period.weeks()]
    whens = [(column < boundary, number) for number, boundary in enumerate(boundaries[:-1])]
    return case(*whens, else_=len(boundaries) - 1) if whens else 0


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

    def _points_by_activity(self) -> list[tuple[str, int, int, int]]:
        rows = self.session.execute(
            select(PointsEntry.activity, func.sum(PointsEntry.delta), func.count(),
                   func.count(distinct(PointsEntry.member_id)))
            .where(_within(PointsEntry.created_at, self.period),
                   self.scope.holds_member(PointsEntry.member_id))
            .group_by(PointsEntry.activity).order_by(func.sum(PointsEntry.delta).desc())).all()
        return [(activity, int(total), int(lines), int(members))
                for activity, total, lines, members in rows]

    # -------------------------------------------------------------- the figures

    def overview(self) -> Figure:
        reads, readers = self._reads()
        answers, correct, takers = self._answers()
        by_kind = self._events_by_kind()
        events = sum(row[1] for row in by_kind)
        confirmed = sum(row[2] for row in by_kind)
        present = sum(row[3] for row in by_kind)
        points = sum(row[1] for row in self._points_by_activity())
        rows: list[Sequence[Value]] = [
            ("学习人次", reads), ("学习人数", readers), ("答题人数", takers),
            ("答题数", answers), ("答题正确率（%）", _percent(correct, answers)),
            ("活动与会议场次", events), ("报名/应到人次", confirmed), ("签到人次", present),
            ("出勤率（%）", _percent(present, confirmed)), ("发放积分", points)]
        return Figure("overview", "概况", ("指标", "数值"), rows, chart="none")

    def events(self) -> Figure:
        rows = [(KIND_LABELS.get(kind, kind), events, confirmed, present,
                 _percent(present, confirmed))
                for kind, events, confirmed, present in self._events_by_kind()]
        return Figure("events", "活动与会议出勤", ("类型", "场次", "报名/应到人次", "签到人次",
                                               "出勤率（%）"), rows, series=(2, 3))

    def points(self) -> Figure:
        labels = {activity.value: label for activity, label in LABELS.items()}
        rows = [(labels.get(activity, activity), total, lines, members)
                for activity, total, lines, members in self._points_by_activity()
                if activity != Activity.CORRECTION.value or total]
        return Figure("points", "积分构成", ("类别", "积分", "记录数", "人数"), rows)

    def branches(self) -> Figure:
        """Every 党支部 in scope, ranked by points per bound member in the period.

        Each measure is grouped by member in the database (one pass over the
        period's rows) and added up per branch here: joining the ledger to the
        org tree instead let SQLite's planner walk the tree once per ledger line.
        """
        branch, below = aliased(Org), aliased(Org)
        branches_of: dict[int, list[int]] = {}
        for member_id, branch_id in self.session.execute(
                select(RosterEntry.member_id, branch.id)
                .join(below, below.id == RosterEntry.org_id)
                .join(branch, below.path.startswith(branch.path))
                .where(branch.kind == "branch", branch.id.in_(self.scope.org_ids()),
                       RosterEntry.member_id.is_not(None))):
            if member_id is not None:
                branches_of.setdefault(member_id, []).append(branch_id)
        names = {org_id: org_full_name(self.session, org_id) for org_id in self.session.scalars(
            select(Org.id).where(Org.kind == "branch", self.scope.orgs()))}

        def per_branch(member_column: Any, measure: Any, when: Any) -> dict[int, int]:
            totals: dict[int, int] = {}
            for member_id, value in self.session.execute(
                    select(member_column, measure).where(when).group_by(member_column)):
                for branch_id in branches_of.get(int(member_id), ()):
                    totals[branch_id] = totals.get(branch_id, 0) + int(value or 0)
            return totals

        members = per_branch(RosterEntry.member_id, func.count(),
                             RosterEntry.member_id.is_not(None))
        points = per_branch(PointsEntry.member_id, func.sum(PointsEntry.delta),
                            _within(PointsEntry.created_at, self.period))
        reads = per_branch(LessonRead.member_id, func.count(),
                           _within(LessonRead.read_at, self.period))
        takers = per_branch(QuizAnswer.member_id, func.count(distinct(QuizAnswer.member_id)),
                            _within(QuizAnswer.answered_at, self.period))
        present = per_branch(Signup.member_id, func.count(),
                             _within(Signup.checked_in_at, self.period))
        for branch_id, attended in per_branch(
                Attendance.member_id, func.count(),
                and_(Attendance.status == PRESENT,
                     _within(Attendance.checked_in_at, self.period))).items():
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

    def weekly(self) -> Figure:
        weeks = self.period.weeks()

        def by_week(measure: Any, column: Any, *conditions: Any) -> dict[int, int]:
            bucket = _week_of(column, self.period).label("week")
            found = self.session.execute(
                select(bucket, measure).where(_within(column, self.period), *conditions)
                .group_by(bucket)).all()
            return {int(week): int(value or 0) for week, value in found}

        reads = by_week(func.count(), LessonRead.read_at,
                        self.scope.holds_member(LessonRead.member_id))
        answers = by_week(func.count(), QuizAnswer.answered_at,
                          self.scope.holds_member(QuizAnswer.member_id))
        correct = by_week(func.sum(case((QuizAnswer.correct, 1), else_=0)),
                          QuizAnswer.answered_at, self.scope.holds_member(QuizAnswer.member_id))
        takers = by_week(func.count(distinct(QuizAnswer.member_id)), QuizAnswer.answered_at,
                         self.scope.holds_member(QuizAnswer.member_id))
        visible_events = select(Event.id).where(visibility(self.principal))
        present = by_week(func.count(), Signup.checked_in_at,
                          Signup.event_id.in_(visible_events))
        for week, attended in by_week(func.count(), Attendance.checked_in_at,
                                      Attendance.status == PRESENT,
                                      Attendance.event_id.in_(visible_events)).items():
            present[week] = present.get(week, 0) + attended
        points = by_week(func.sum(PointsEntry.delta), PointsEntry.created_at,
                         self.scope.holds_member(PointsEntry.member_id))
        rows = [(f"{monday:%m-%d}", reads.get(n, 0), takers.get(n, 0), answers.get(n, 0),
                 _percent(correct.get(n, 0), answers.get(n, 0)), present.get(n, 0),
                 points.get(n, 0)) for n, monday in enumerate(weeks)]
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
