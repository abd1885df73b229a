"""One call per HTTP handler of the meetings API: attendance, 请假, minutes, compliance."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import exports
from app.deps import Principal
from app.errors import Conflict, InvalidInput, NotFound
from app.events import attendance, compliance, minutes, service
from app.events.kinds import LABELS, is_meeting
from app.events.meeting_schemas import (
    AttendanceCounts,
    AttendanceOut,
    AttendancePage,
    ComplianceOut,
    LeaveOut,
    MeetingCheckinOut,
    MinutesOut,
    MpMeetingOut,
    OrgComplianceOut,
    PhotoOut,
    RequirementOut,
)
from app.events.timing import UNDO_CHECKIN_WITHIN, has_ended
from app.models import Attendance, Event, Member
from app.settings import Settings
from bots import texts


def _meeting(session: Session, event_id: int, principal: Principal) -> Event:
    event = service.event_for(session, event_id, principal)
    if not is_meeting(event.kind):
        raise Conflict(f"第 {event_id} 号是活动而非会议，没有应参会人员；请查看报名名单")
    return event


def _meeting_of_member(session: Session, event_id: int, member_id: int,
                       principal: Principal) -> Event:
    """The meeting, in the principal's scope, that an organizer acts on a member at."""
    event = _meeting(session, event_id, principal)
    if session.get(Member, member_id) is None:
        raise NotFound(f"no member {member_id}")
    return event


def _rows(session: Session, event: Event, now: datetime) -> list[AttendanceOut]:
    return [AttendanceOut.model_validate({**asdict(row),
                                          "status_label": attendance.LABEL[row.status]})
            for row in attendance.attendance(session, event, now)]


def attendance_page(session: Session, event_id: int, principal: Principal, now: datetime,
                    zone: ZoneInfo) -> AttendancePage:
    event = _meeting(session, event_id, principal)
    items = _rows(session, event, now)
    final = has_ended(event, now)
    counted = attendance.tally(Counter(item.status for item in items), final)
    return AttendancePage(event=service.describe(session, [event], zone)[0], final=final,
                          counts=AttendanceCounts(**asdict(counted)), items=items)


def _sheet(session: Session, event_id: int, principal: Principal, now: datetime,
           zone: ZoneInfo) -> exports.Sheet:
    event = _meeting(session, event_id, principal)

    def local(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    rows = [[item.name or f"成员 {item.member_id}", item.org, item.duty, item.status_label,
             local(item.checked_in_at), item.reason, local(item.leave_at)]
            for item in _rows(session, event, now)]
    return exports.Sheet(
        header=["姓名", "组织", "党内职务", "出勤", "签到时间", "请假原因", "请假时间"],
        rows=rows, sheet_name="出勤",
        title=f"{LABELS[event.kind]}：{event.title}（{local(event.starts_at)}）",
        column_widths=[12, 24, 12, 8, 18, 30, 18])


def attendance_csv(session: Session, event_id: int, principal: Principal, now: datetime,
                   zone: ZoneInfo) -> bytes:
    return exports.to_csv(_sheet(session, event_id, principal, now, zone))


def attendance_xlsx(session: Session, event_id: int, principal: Principal, now: datetime,
                    zone: ZoneInfo) -> bytes:
    return exports.to_xlsx(_sheet(session, event_id, principal, now, zone))


def check_in(session: Session, event_id: int, member_id: int, principal: Principal,
             now: datetime, zone: ZoneInfo) -> MeetingCheckinOut:
    """An organizer checks an expected attendee in; refusals are 409 with the reason."""
    event = _meeting_of_member(session, event_id, member_id, principal)
    result = attendance.check_in(session, event, member_id, now, zone,
                                 by=f"console:{principal.name}")
    message = texts.checkin_reply(result)
    if result.outcome not in ("checked_in", "already_checked_in"):
        raise Conflict(message)
    checked_in_at = session.scalar(select(Attendance.checked_in_at).where(
        Attendance.event_id == event.id, Attendance.member_id == member_id))
    return MeetingCheckinOut(outcome=result.outcome, message=message,
                             checked_in_at=checked_in_at)


UNDO_MINUTES = int(UNDO_CHECKIN_WITHIN.total_seconds()) // 60
UNDO_REFUSALS = {
    "not_checked_in": "这位同志目前没有签到记录，无需撤销。",
    "not_undoable": (f"只能撤销组织者 {UNDO_MINUTES} 分钟内代签的签到；"
                     "扫码签到或更早的代签不能撤销。"),
}
UNDONE = "已撤销签到。"


def undo_check_in(session: Session, event_id: int, member_id: int, principal: Principal,
                  now: datetime, zone: ZoneInfo) -> MeetingCheckinOut:
    """Take back an organizer's check-in made by mistake; refusals are 409 with the reason."""
    event = _meeting_of_member(session, event_id, member_id, principal)
    outcome = attendance.undo_check_in(session, event, member_id, now, zone,
                                       by=f"console:{principal.name}")
    if outcome != "undone":
        raise Conflict(UNDO_REFUSALS[outcome])
    return MeetingCheckinOut(outcome="undone", message=UNDONE, checked_in_at=None)


def attendee(session: Session, event: Event, member_id: int,
             now: datetime) -> tuple[AttendanceOut | None, AttendanceCounts]:
    """One attendee's row and the meeting's counts: what a tap at the door changes."""
    row = attendance.attendee(session, event, member_id, now)
    item = None if row is None else AttendanceOut.model_validate(
        {**asdict(row), "status_label": attendance.LABEL[row.status]})
    return item, AttendanceCounts(**asdict(attendance.counts(session, event, now)))


def request_leave(session: Session, member_id: int, event_id: int, reason: str,
                  now: datetime, zone: ZoneInfo) -> LeaveOut:
    """The mini-program's 请假: 404 unknown meeting, 422 no reason, 409 other refusals."""
    result = attendance.request_leave(session, member_id, event_id, reason, now, zone)
    message = texts.leave_reply(result, in_app=True)
    if result.outcome == "granted":
        return LeaveOut(outcome="granted", message=message)
    if result.outcome == "unknown":
        raise NotFound(message)
    if result.outcome in ("empty_reason", "reason_too_long", "sensitive"):
        raise InvalidInput("invalid input: reason",
                           errors=[{"field": "reason", "message": message}])
    raise Conflict(message)


def my_meetings(session: Session, member_id: int, now: datetime,
                zone: ZoneInfo) -> list[MpMeetingOut]:
    return [MpMeetingOut(
        id=item.event.id, kind=item.event.kind, kind_label=LABELS[item.event.kind],
        title=item.event.title, location=item.event.location,
        starts_at=item.event.starts_at.astimezone(UTC),
        starts_at_local=item.event.starts_at.astimezone(zone).isoformat(timespec="minutes"),
        my_status=item.status,
        leave_reason=item.reason,
        may_ask_for_leave=item.status in ("expected", "leave") and now < item.event.starts_at)
        for item in attendance.my_meetings(session, member_id, now)]


def _minutes_out(session: Session, event: Event) -> MinutesOut:
    meeting = minutes.meeting_of(session, event)
    return MinutesOut(
        event_id=event.id, text=meeting.minutes, recorded_by=meeting.minutes_by,
        recorded_at=meeting.minutes_at,
        photos=[PhotoOut(id=photo.id, content_type=photo.content_type, size=photo.size,
                         url=f"/api/admin/events/{event.id}/minutes/photos/{photo.id}")
                for photo in minutes.photos(session, event.id)])


def save_minutes(session: Session, event_id: int, principal: Principal, text: str,
                 photos: list[minutes.Upload], now: datetime, settings: Settings) -> MinutesOut:
    event = service.event_for(session, event_id, principal)
    minutes.save(session, event, text, photos, by=principal.name, now=now,
                 media_dir=settings.media_dir, max_bytes=settings.max_upload_bytes)
    return _minutes_out(session, event)


def get_minutes(session: Session, event_id: int, principal: Principal) -> MinutesOut:
    return _minutes_out(session, service.event_for(session, event_id, principal))


def photo(session: Session, event_id: int, photo_id: int, principal: Principal,
          settings: Settings) -> tuple[str, bytes]:
    event = service.event_for(session, event_id, principal)
    return minutes.photo_bytes(session, event, photo_id, settings.media_dir)


def compliance_calendar(session: Session, org_id: int, year: int, principal: Principal,
                        now: datetime, zone: ZoneInfo) -> ComplianceOut:
    orgs = compliance.calendar(session, principal.scope, org_id, year, now, zone)
    return ComplianceOut(org_id=org_id, year=year, orgs=[
        OrgComplianceOut(org_id=org.org_id, name=org.name, kind=org.kind, held=org.held,
                         missing=org.missing,
                         items=[RequirementOut(**asdict(item)) for item in org.items])
        for org in orgs])
