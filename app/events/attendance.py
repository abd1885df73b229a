"""Attendance at meetings: 请假 before the start, check-in at the door, 缺席 after the end.

Each expected attendee has one row (unique per meeting and member) whose
``status`` moves only by conditional UPDATEs from the state the change
expects, so the database decides, whatever order requests arrive in:

* 请假 (``leave``) from ``expected`` (or ``leave``: a new reason), before the start;
* check-in (``present``) from ``expected`` or ``leave`` (a member who asked for
  leave and came after all attended), while check-in is open
  (:mod:`app.events.timing`); a second check-in changes nothing;
* an organizer's mistaken check-in taken back (:func:`undo_check_in`) from
  ``present`` to where it came from, within :data:`timing.UNDO_CHECKIN_WITHIN`;
* 缺席 (``absent``) from ``expected`` once the meeting has ended, by
  :func:`close_ended_meetings`, which closes each meeting's attendance once
  (``meetings.attendance_closed_at`` set by a conditional UPDATE) and then hands it
  to :func:`award_attendance_points`.

Before the end an expected attendee without a check-in is listed as 未签到.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, literal, select, update
from sqlalchemy.orm import Session

from app.events import meetings, timing
from app.events.kinds import LABELS, MEETING_KINDS, is_meeting
from app.events.meetings import ABSENT, EXPECTED, LEAVE, PRESENT
from app.models import Attendance, Event, Meeting, Org, RosterEntry
from app.moderation.words import banned_word
from app.points.rules import Activity
from app.points.service import SYSTEM, award_by_rule, withdraw
from bots.ports import LEAVE_REASON_MAX, CheckinResult, EventSummary, LeaveResult

CANCELLED = "cancelled"
LABEL = {PRESENT: "出席", LEAVE: "请假", ABSENT: "缺席", EXPECTED: "未签到"}


def _summary(event: Event, zone: ZoneInfo) -> EventSummary:
    return EventSummary(id=event.id, title=event.title, location=event.location,
                        starts_at=event.starts_at.astimezone(zone), capacity=event.capacity,
                        seats_left=0)


def _status(session: Session, event_id: int, member_id: int) -> str | None:
    return session.scalar(select(Attendance.status).where(Attendance.event_id == event_id,
                                                          Attendance.member_id == member_id))


def _is_attendee(session: Session, event: Event, member_id: int, now: datetime) -> bool:
    """Whether the member is expected; a member bound since the meeting was created
    gets their row now."""
    if _status(session, event.id, member_id) is not None:
        return True
    return meetings.add_attendee(session, event, member_id, now)


def request_leave(session: Session, member_id: int, event_id: int, reason: str,
                  now: datetime, zone: ZoneInfo) -> LeaveResult:
    reason = " ".join(reason.split())
    if not reason:
        return LeaveResult("empty_reason")
    if len(reason) > LEAVE_REASON_MAX:
        return LeaveResult("reason_too_long")
    # Organizers read the reason in the attendance list and its exports.
    if banned_word(session, reason) is not None:
        return LeaveResult("sensitive")
    event = session.get(Event, event_id)
    if event is None:
        return LeaveResult("unknown")
    view = _summary(event, zone)
    label = LABELS.get(event.kind, "")
    if not is_meeting(event.kind):
        return LeaveResult("not_meeting", view, label)
    if event.status == CANCELLED:
        return LeaveResult("cancelled", view, label)
    if now >= event.starts_at:
        return LeaveResult("started", view, label)
    if not _is_attendee(session, event, member_id, now):
        return LeaveResult("not_expected", view, label)
    if not _settle(session, event.id, member_id, status=LEAVE, reason=reason, leave_at=now):
        return LeaveResult("checked_in", view, label)
    meetings.withdraw_reminder(session, event.id, member_id)
    return LeaveResult("granted", view, label)


def _settle(session: Session, event_id: int, member_id: int, **values: object) -> bool:
    """Move the member's row from expected (or 请假) to ``values``; False when it was
    already checked in. One conditional UPDATE, so the database orders racing requests."""
    moved = session.execute(
        update(Attendance)
        .where(Attendance.event_id == event_id, Attendance.member_id == member_id,
               Attendance.status.in_((EXPECTED, LEAVE)))
        .values(**values)
        .returning(Attendance.id)
        .execution_options(synchronize_session=False)
    ).first()
    return moved is not None


def check_in(session: Session, event: Event, member_id: int, now: datetime, zone: ZoneInfo,
             *, by: str) -> CheckinResult:
    """A meeting's check-in, by its QR code or by an organizer."""
    view = _summary(event, zone)
    if event.status == CANCELLED:
        return CheckinResult("cancelled", view)
    closed = timing.checkin_closed(event, now)
    if closed is not None:
        return CheckinResult(closed, view,
                             opens_at=timing.checkin_opens_at(event).astimezone(zone),
                             closes_at=timing.ends_at(event).astimezone(zone))
    if not _is_attendee(session, event, member_id, now):
        return CheckinResult("not_expected", view)
    if not _settle(session, event.id, member_id, status=PRESENT, checked_in_at=now,
                   checked_in_by=by):
        return CheckinResult("already_checked_in", view)
    return CheckinResult("checked_in", view)


UndoOutcome = Literal["undone", "not_checked_in", "not_undoable"]


def undo_check_in(session: Session, event: Event, member_id: int, now: datetime,
                  zone: ZoneInfo, *, by: str) -> UndoOutcome:
    """Take back an organizer's check-in (a mistaken tap at the door) within
    :data:`timing.UNDO_CHECKIN_WITHIN`; a QR-code scan is the member's own and stays.

    The row goes back to where the check-in found it: 请假 when the member had asked
    for leave, else expected. Once the meeting's attendance is final (its points are
    on the ledger), the meeting's points are reversed by a ledger line and the member
    is 缺席 with its deduction, as if never checked in. The row is changed only if
    nobody changed it since it was read, so an undo cannot race a check-in.
    """
    row = session.execute(
        select(Attendance.status, Attendance.checked_in_at, Attendance.checked_in_by,
               Attendance.leave_at)
        .where(Attendance.event_id == event.id, Attendance.member_id == member_id)).first()
    if row is None or row.status != PRESENT:
        return "not_checked_in"
    if not timing.undo_possible(row.checked_in_at, row.checked_in_by, now):
        return "not_undoable"
    final = session.scalar(select(Meeting.attendance_closed_at)
                           .where(Meeting.event_id == event.id)) is not None
    back = LEAVE if row.leave_at is not None else ABSENT if final else EXPECTED
    cleared = session.execute(
        update(Attendance)
        .where(Attendance.event_id == event.id, Attendance.member_id == member_id,
               Attendance.status == PRESENT, Attendance.checked_in_at == row.checked_in_at)
        .values(status=back, checked_in_at=None, checked_in_by=None)
        .returning(Attendance.id)
        .execution_options(synchronize_session=False)).first()
    if cleared is None:
        return "not_checked_in"
    if final:
        reference = f"meeting:{event.id}"
        withdraw(session, member_id, Activity(f"meeting_{event.kind}"), reference,
                 f"签到已撤销（{by}）", now, zone)
        if back == ABSENT:
            award_by_rule(session, member_id=member_id, activity=Activity.MEETING_ABSENCE,
                          reference=reference, recorded_by=by, note=event.title,
                          occurred_at=event.starts_at, zone=zone, recorded_at=now)
    return "undone"


def close_ended_meetings(session: Session, now: datetime, zone: ZoneInfo) -> int:
    """Make the attendance of every meeting that has ended final, once; returns how many."""
    ended = session.scalars(
        select(Event).join(Meeting, Meeting.event_id == Event.id)
        .where(Meeting.attendance_closed_at.is_(None), Event.status != CANCELLED,
               Event.starts_at <= now - timing.ASSUMED_DURATION)
        .order_by(Event.starts_at, Event.id)
    ).all()
    closed = 0
    for event in ended:
        won = session.execute(
            update(Meeting)
            .where(Meeting.event_id == event.id, Meeting.attendance_closed_at.is_(None))
            .values(attendance_closed_at=now)
            .returning(Meeting.event_id)
            .execution_options(synchronize_session=False)
        ).first()
        if won is None:
            continue
        session.execute(
            update(Attendance)
            .where(Attendance.event_id == event.id, Attendance.status == EXPECTED)
            .values(status=ABSENT)
            .execution_options(synchronize_session=False))
        award_attendance_points(session, event, zone)
        closed += 1
    return closed


def award_attendance_points(session: Session, event: Event, zone: ZoneInfo) -> int:
    """Points for a meeting's final attendance by the rules catalogue; the lines written.

    Called once per meeting, in the transaction that made its attendance final:
    present earns the meeting kind's points, absent without 请假 the deduction,
    leave neither. The reference names the meeting, so a repeat awards nothing.
    """
    rows = session.execute(select(Attendance.member_id, Attendance.status).where(
        Attendance.event_id == event.id, Attendance.status.in_((PRESENT, ABSENT)))).all()
    for member_id, status in rows:
        award_by_rule(session, member_id=member_id,
                      activity=f"meeting_{event.kind}" if status == PRESENT
                      else "meeting_absence",
                      reference=f"meeting:{event.id}", recorded_by=SYSTEM, note=event.title,
                      occurred_at=event.starts_at, zone=zone)
    return len(rows)


@dataclass(frozen=True, slots=True)
class AttendanceRow:
    member_id: int
    name: str | None
    org: str | None
    duty: str | None
    status: str  # present, leave, absent, expected (未签到, before the end)
    reason: str | None
    checked_in_at: datetime | None
    checked_in_by: str | None
    leave_at: datetime | None


_ORDER = {PRESENT: 0, LEAVE: 1, ABSENT: 2, EXPECTED: 2}


def _listing(event: Event) -> Select[Attendance, str, str, str | None]:
    return (select(Attendance, RosterEntry.name, Org.name, RosterEntry.duty)
            .outerjoin(RosterEntry, RosterEntry.member_id == Attendance.member_id)
            .outerjoin(Org, Org.id == RosterEntry.org_id)
            .where(Attendance.event_id == event.id))


def _row(row: Attendance, name: str | None, org: str | None, duty: str | None,
         ended: bool) -> AttendanceRow:
    return AttendanceRow(member_id=row.member_id, name=name, org=org, duty=duty,
                         status=ABSENT if ended and row.status == EXPECTED else row.status,
                         reason=row.reason, checked_in_at=row.checked_in_at,
                         checked_in_by=row.checked_in_by, leave_at=row.leave_at)


def attendance(session: Session, event: Event, now: datetime) -> list[AttendanceRow]:
    """Everyone expected at ``event``: present, on leave, then the others, by name."""
    ended = timing.has_ended(event, now)
    result = [_row(row, name, org, duty, ended)
              for row, name, org, duty in session.execute(_listing(event))]
    result.sort(key=lambda r: (_ORDER[r.status], r.name or "", r.member_id))
    return result


def attendee(session: Session, event: Event, member_id: int,
             now: datetime) -> AttendanceRow | None:
    """One expected attendee's row of :func:`attendance`; None when not expected.

    What a check-in at the door answers with: the tapped row, not the whole list.
    """
    found = session.execute(_listing(event).where(Attendance.member_id == member_id)).first()
    if found is None:
        return None
    row, name, org, duty = found
    return _row(row, name, org, duty, timing.has_ended(event, now))


@dataclass(frozen=True, slots=True)
class Counts:
    expected: int
    present: int
    leave: int
    absent: int
    pending: int  # expected and not yet checked in, before the end


def tally(by_status: Mapping[str, int], ended: bool) -> Counts:
    """The counts of rows by their stored status; after the end, 未签到 counts as 缺席."""
    waiting = by_status.get(EXPECTED, 0)
    return Counts(expected=sum(by_status.values()), present=by_status.get(PRESENT, 0),
                  leave=by_status.get(LEAVE, 0),
                  absent=by_status.get(ABSENT, 0) + (waiting if ended else 0),
                  pending=0 if ended else waiting)


def counts(session: Session, event: Event, now: datetime) -> Counts:
    """How many of :func:`attendance`'s rows are in each status: one grouped count."""
    found = dict(session.execute(
        select(Attendance.status, func.count()).where(Attendance.event_id == event.id)
        .group_by(Attendance.status)).all())
    return tally(found, timing.has_ended(event, now))


@dataclass(frozen=True, slots=True)
class MyMeeting:
    event: Event
    status: str
    reason: str | None


def my_meetings(session: Session, member_id: int, now: datetime) -> list[MyMeeting]:
    """The meetings the member is expected at that have not ended, soonest first: those
    with their attendance row, and those of their org and its parents they are expected
    at since binding (their row comes with their check-in or 请假)."""
    live = (Event.status != CANCELLED, Event.starts_at > now - timing.ASSUMED_DURATION)
    found = {event.id: MyMeeting(event, status, reason) for event, status, reason in
             session.execute(select(Event, Attendance.status, Attendance.reason)
                             .join(Attendance, Attendance.event_id == Event.id)
                             .where(Attendance.member_id == member_id, *live))}
    entry = session.execute(select(Org.path, RosterEntry.duty)
                            .join(Org, Org.id == RosterEntry.org_id)
                            .where(RosterEntry.member_id == member_id)).first()
    if entry is not None:
        path, duty = entry
        for event in session.scalars(
                select(Event).join(Org, Org.id == Event.org_id)
                .where(Event.kind.in_(MEETING_KINDS), literal(path).startswith(Org.path),
                       *live)):
            if event.id not in found and (event.kind != meetings.COMMITTEE or duty):
                found[event.id] = MyMeeting(event, EXPECTED, None)
    return sorted(found.values(), key=lambda item: (item.event.starts_at, item.event.id))


class MeetingsPort:
    """:class:`bots.ports.Meetings` inside the current unit of work."""

    def __init__(self, session: Session, zone: ZoneInfo) -> None:
        self._session = session
        self._zone = zone

    def request_leave(self, member_id: int, event_id: int, reason: str,
                      now: datetime) -> LeaveResult:
        return request_leave(self._session, member_id, event_id, reason, now, self._zone)
