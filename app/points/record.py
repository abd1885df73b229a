"""一人一册: one member's year — the ledger line by line, deeds and claims, attendance.

Attendance rows come from the activities the member was checked in at and from
every meeting the member was expected at (出席, 请假, 缺席, or 未签到 while it has
not ended); each row carries the event's kind (``activity`` or a meeting kind).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import exports
from app.errors import InvalidInput, NotFound
from app.events import timing
from app.models.event import Event, Signup
from app.models.meeting import Attendance as MeetingAttendance
from app.models.member import Member
from app.models.points import PointsClaim, PointsEntry
from app.points.deeds import bound_entry
from app.points.rules import CATEGORIES, activity_label
from app.roster.port import org_full_name

ATTENDED = "出席"
_MEETING_STATUS = {"present": ATTENDED, "leave": "请假", "absent": "缺席"}


@dataclass(frozen=True, slots=True)
class LedgerLine:
    id: int
    occurred_at: datetime
    recorded_at: datetime
    activity: str
    label: str
    category: str | None
    rule_version: int | None
    reference: str
    delta: int
    recorded_by: str
    note: str
    reverses_id: int | None


@dataclass(frozen=True, slots=True)
class Attendance:
    kind: str
    event_id: int
    title: str
    starts_at: datetime
    status: str


@dataclass(frozen=True, slots=True)
class Record:
    member_id: int
    name: str
    org_id: int
    org: str
    status: str
    duty: str | None
    year: int
    total: int
    by_category: dict[str, int]
    ledger: list[LedgerLine]
    claims: Sequence[PointsClaim]
    attendance: list[Attendance]

    @property
    def deeds(self) -> list[LedgerLine]:
        """Offline deeds on the ledger: organizers' awards and approved claims."""
        return [line for line in self.ledger
                if line.activity.startswith("deed_") or line.activity == "volunteer_hours"]


def year_span(year: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    if not 2000 <= year <= 2100:
        raise InvalidInput("年份无效", errors=[
            {"field": "year", "message": "年份须在 2000–2100 之间"}])
    return (datetime.combine(date(year, 1, 1), time(), zone),
            datetime.combine(date(year + 1, 1, 1), time(), zone))


def attendance(session: Session, member_id: int, start: datetime,
               end: datetime) -> list[Attendance]:
    """Events in [start, end) the member was checked in at, and meetings the member was
    expected at with how it went, oldest first."""
    rows = [Attendance(kind, event_id, title, starts_at, ATTENDED)
            for kind, event_id, title, starts_at in session.execute(
                select(Event.kind, Event.id, Event.title, Event.starts_at)
                .join(Signup, Signup.event_id == Event.id)
                .where(Signup.member_id == member_id, Signup.checked_in_at.is_not(None),
                       Event.starts_at >= start, Event.starts_at < end))]
    now, seen = datetime.now(UTC), {row.event_id for row in rows}
    for event, status in session.execute(
            select(Event, MeetingAttendance.status)
            .join(MeetingAttendance, MeetingAttendance.event_id == Event.id)
            .where(MeetingAttendance.member_id == member_id, Event.status != "cancelled",
                   Event.starts_at >= start, Event.starts_at < end)):
        if event.id in seen:  # checked in through a sign-up: 出席 already
            continue
        said = _MEETING_STATUS.get(status) or (
            "缺席" if timing.has_ended(event, now) else "未签到")
        rows.append(Attendance(event.kind, event.id, event.title, event.starts_at, said))
    rows.sort(key=lambda row: (row.starts_at, row.event_id))
    return rows


def line_of(entry: PointsEntry) -> LedgerLine:
    return LedgerLine(entry.id, entry.occurred_at, entry.created_at, entry.activity,
                      activity_label(entry.activity), entry.category, entry.rule_version,
                      entry.reference, entry.delta, entry.recorded_by, entry.note,
                      entry.reverses_id)


def ledger_line(session: Session, member_id: int, line_id: int) -> LedgerLine:
    """One line of the member's ledger; NotFound when it is not theirs."""
    entry = session.get(PointsEntry, line_id)
    if entry is None or entry.member_id != member_id:
        raise NotFound(f"no points entry {line_id} of member {member_id}")
    return line_of(entry)


def reversal_of(session: Session, line_id: int) -> LedgerLine | None:
    """The line that reversed ``line_id``, if any."""
    entry = session.scalars(select(PointsEntry).where(PointsEntry.reverses_id == line_id)).first()
    return None if entry is None else line_of(entry)


@dataclass(frozen=True, slots=True)
class YearTotals:
    total: int
    by_category: dict[str, int]
    lines: int


def year_totals(session: Session, member_id: int, year: int, zone: ZoneInfo) -> YearTotals:
    """The year's totals of :func:`member_record`, by one grouped sum over the ledger."""
    start, end = year_span(year, zone)
    by_category = dict.fromkeys(CATEGORIES, 0)
    total = lines = 0
    for category, points, count in session.execute(
            select(PointsEntry.category, func.sum(PointsEntry.delta), func.count())
            .where(PointsEntry.member_id == member_id, PointsEntry.occurred_at >= start,
                   PointsEntry.occurred_at < end)
            .group_by(PointsEntry.category)):
        total, lines = total + int(points), lines + int(count)
        if category in by_category:
            by_category[category] += int(points)
    return YearTotals(total, by_category, lines)


def member_record(session: Session, member_id: int, year: int, zone: ZoneInfo, *,
                  within: str | None = None) -> Record:
    """The member's year in three indexed reads: ledger, claims, attendance."""
    if session.get(Member, member_id) is None:
        raise NotFound(f"no member {member_id}")
    entry = bound_entry(session, member_id, within=within)
    start, end = year_span(year, zone)
    lines = [
        line_of(e) for e in session.scalars(
            select(PointsEntry).where(PointsEntry.member_id == member_id,
                                      PointsEntry.occurred_at >= start,
                                      PointsEntry.occurred_at < end)
            .order_by(PointsEntry.occurred_at, PointsEntry.id))]
    by_category = dict.fromkeys(CATEGORIES, 0)
    for line in lines:
        if line.category in by_category:
            by_category[line.category] += line.delta
    claims = session.scalars(
        select(PointsClaim).where(PointsClaim.member_id == member_id,
                                  PointsClaim.occurred_on >= date(year, 1, 1),
                                  PointsClaim.occurred_on < date(year + 1, 1, 1))
        .order_by(PointsClaim.occurred_on, PointsClaim.id)).all()
    org = org_full_name(session, entry.org_id)
    return Record(member_id, entry.name, entry.org_id, org, entry.status, entry.duty, year,
                  sum(line.delta for line in lines), by_category, lines, claims,
                  attendance(session, member_id, start, end))


_CLAIM_STATUS = {"pending": "待审核", "approved": "已通过", "rejected": "未通过"}


def record_xlsx(record: Record, zone: ZoneInfo) -> bytes:
    """The record as a workbook: 积分明细, 先锋事迹, 申报, 出勤 — one sheet each."""
    def when(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    head = f"{record.year} 年一人一册：{record.name}（{record.org}）  合计 {record.total} 分"
    ledger = exports.Sheet(
        ("发生时间", "事项", "类别", "积分", "规则版本", "依据", "记录人", "说明", "记录时间"),
        [(when(line.occurred_at), line.label, line.category, line.delta, line.rule_version,
          line.reference, line.recorded_by, line.note, when(line.recorded_at))
         for line in record.ledger],
        title=head, sheet_name="积分明细", column_widths=(17, 16, 10, 6, 8, 22, 18, 30, 17))
    deeds = exports.Sheet(
        ("日期", "事迹", "积分", "记录人", "说明"),
        [(when(line.occurred_at), line.label, line.delta, line.recorded_by, line.note)
         for line in record.deeds],
        title=head, sheet_name="先锋事迹", column_widths=(17, 16, 6, 18, 40))
    claims = exports.Sheet(
        ("日期", "申报内容", "类别", "状态", "积分", "审核人", "理由", "照片数"),
        [(claim.occurred_on.isoformat(), claim.text, claim.category,
          _CLAIM_STATUS.get(claim.status, claim.status), claim.points, claim.decided_by,
          claim.reason, len(claim.photos)) for claim in record.claims],
        title=head, sheet_name="申报", column_widths=(11, 40, 10, 8, 6, 18, 30, 8))
    attended = exports.Sheet(
        ("时间", "类型", "活动或会议", "出勤"),
        [(when(row.starts_at), row.kind, row.title, row.status) for row in record.attendance],
        title=head, sheet_name="出勤", column_widths=(17, 16, 30, 8))
    return exports.to_xlsx(ledger, deeds, claims, attended)
