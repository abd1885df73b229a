"""Meetings of 组织生活: who is expected, and the notice and reminder each of them gets.

A meeting is an event of a meeting kind (:mod:`app.events.kinds`) placed in an
org. Nobody signs up for it: its expected attendees are the bound members of
the org's subtree (for a 支委会, those of them with a 党内职务), written as
attendance rows when the meeting is created (:class:`app.models.Attendance`),
so the list an organizer reads, the notices queued and the attendance decided
after the end all start from one set. A member bound later, or moved into the
subtree, is added when they check in or ask for leave. The event's ``capacity``
and sign-up counters are not used for meetings: ``报名`` refuses a meeting and
``活动`` does not list them.

Every expected attendee gets two outbox rows, written set-based (one
``INSERT … SELECT`` each, however large the org):

* ``meeting_notice``, dedup ``meeting-notice:{event_id}:{member_id}``, due now;
* ``meeting_reminder``, dedup ``meeting-reminder:{event_id}:{member_id}``, due
  ``starts_at − remind_before_minutes`` (none when that has already passed: the
  notice says it all), with ``expires_at`` = the start. Leave withdraws it, a
  move moves it, a cancel withdraws it and tells everyone expected.

The outbox dispatcher and its planner choose each row's channel.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, delete, false, func, literal, select, update
from sqlalchemy.orm import Session

from app.dialect import insert_or_ignore
from app.errors import InvalidInput
from app.events.kinds import LABELS, is_meeting
from app.events.notices import CANCELLED as CANCELLED_KIND
from app.events.notices import local_time, reminder_due
from app.models import Attendance, Event, Meeting, Org, OutboxMessage, RosterEntry
from app.outbox.service import PENDING, WITHDRAWN, enqueue_for_members
from app.wechat.api import template_value
from bots import texts

NOTICE = "meeting_notice"
REMINDER = "meeting_reminder"
EXPECTED, PRESENT, LEAVE, ABSENT = "expected", "present", "leave", "absent"
COMMITTEE = "committee"


def notice_prefix(event_id: int) -> str:
    return f"meeting-notice:{event_id}:"


def reminder_prefix(event_id: int) -> str:
    return f"meeting-reminder:{event_id}:"


def reminder_key(event_id: int, member_id: int) -> str:
    return f"{reminder_prefix(event_id)}{member_id}"


def require_org(event: Event) -> None:
    """A meeting belongs to an org: its members are the ones expected."""
    if is_meeting(event.kind) and event.org_id is None:
        raise InvalidInput("invalid input: org_id", errors=[{
            "field": "org_id", "message": "会议需要指定所属组织（org_id），其成员即应参会人员"}])


def expected_members(session: Session, event: Event) -> Select[int | None]:
    """The member ids expected at ``event``: bound roster entries of its org's subtree."""
    org = session.get(Org, event.org_id) if event.org_id is not None else None
    if org is None:
        return select(RosterEntry.member_id).where(false())
    subtree = select(Org.id).where(Org.path.startswith(org.path, autoescape=True))
    query = select(RosterEntry.member_id).where(RosterEntry.member_id.is_not(None),
                                                RosterEntry.org_id.in_(subtree))
    if event.kind == COMMITTEE:
        query = query.where(func.coalesce(RosterEntry.duty, "") != "")
    return query


def is_expected(session: Session, event: Event, member_id: int) -> bool:
    found = session.scalar(expected_members(session, event)
                           .where(RosterEntry.member_id == member_id).limit(1))
    return found is not None


def org_name(session: Session, event: Event) -> str:
    org = session.get(Org, event.org_id) if event.org_id is not None else None
    return org.name if org is not None else ""


def open_meeting(session: Session, event: Event, now: datetime, zone: ZoneInfo) -> int:
    """After a meeting is created: its expected attendees, each told once; returns how many."""
    require_org(event)
    session.execute(insert_or_ignore(session, Meeting).values(event_id=event.id, created_at=now))
    return _add_expected(session, event, now, zone)


def _add_expected(session: Session, event: Event, now: datetime, zone: ZoneInfo) -> int:
    chosen = expected_members(session, event).subquery()
    session.execute(insert_or_ignore(session, Attendance).from_select(
        ["event_id", "member_id", "status", "created_at"],
        select(literal(event.id), chosen.c.member_id, literal(EXPECTED),
               literal(now, Attendance.created_at.type))
        # SQLite reads "SELECT … ON CONFLICT" as a join without a WHERE in between.
        .where(chosen.c.member_id.is_not(None))))
    return _tell_expected(session, event, now, zone)


def _attendees(event_id: int, *statuses: str) -> Select[int]:
    return select(Attendance.member_id).where(Attendance.event_id == event_id,
                                              Attendance.status.in_(statuses))


def _tell_expected(session: Session, event: Event, now: datetime, zone: ZoneInfo) -> int:
    """Queue the notice and the reminder for everyone expected who has none yet."""
    name = org_name(session, event)
    told = enqueue_for_members(
        session, members=_attendees(event.id, EXPECTED), key_prefix=notice_prefix(event.id),
        kind=NOTICE, payload=notice_payload(event, name, zone), due_at=now, now=now)
    due = reminder_due(event, now)
    if due > now:
        enqueue_for_members(
            session, members=_attendees(event.id, EXPECTED),
            key_prefix=reminder_prefix(event.id), kind=REMINDER,
            payload=reminder_payload(event, name, zone), due_at=due, now=now)
    return told


def add_attendee(session: Session, event: Event, member_id: int, now: datetime) -> bool:
    """Give a member expected now (bound since the meeting was created) their row;
    False when they are not expected."""
    if not is_expected(session, event, member_id):
        return False
    session.execute(insert_or_ignore(session, Attendance).values(
        event_id=event.id, member_id=member_id, status=EXPECTED, created_at=now))
    return True


def _payload(text: str, event: Event, zone: ZoneInfo) -> dict[str, Any]:
    return {"text": text, "template_data": {
        "thing1": template_value(event.title),
        "time2": local_time(event.starts_at, zone),
        "thing3": template_value(event.location),
    }}


def notice_payload(event: Event, org: str, zone: ZoneInfo) -> dict[str, Any]:
    return _payload(texts.meeting_notice(event.id, org, LABELS[event.kind], event.title,
                                         local_time(event.starts_at, zone), event.location),
                    event, zone)


def reminder_payload(event: Event, org: str, zone: ZoneInfo) -> dict[str, Any]:
    payload = _payload(texts.meeting_reminder(event.id, LABELS[event.kind], event.title,
                                              local_time(event.starts_at, zone),
                                              event.location), event, zone)
    payload["expires_at"] = event.starts_at.isoformat()
    return payload


def _pending(prefix: str) -> tuple[Any, ...]:
    return (OutboxMessage.status == PENDING,
            OutboxMessage.dedup_key.startswith(prefix, autoescape=True))


def withdraw_reminder(session: Session, event_id: int, member_id: int) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.dedup_key == reminder_key(event_id, member_id),
               OutboxMessage.status == PENDING)
        .values(status=WITHDRAWN).execution_options(synchronize_session=False))


def event_changed(session: Session, event: Event, now: datetime, zone: ZoneInfo,
                  changed: set[str]) -> None:
    """After a PATCH: a new meeting is opened; a moved one moves its reminders; one moved
    to another org (or kind) expects that org's members instead."""
    if not is_meeting(event.kind):
        return
    require_org(event)
    if session.get(Meeting, event.id) is None:
        open_meeting(session, event, now, zone)
        return
    if changed & {"org_id", "kind"}:
        _drop_no_longer_expected(session, event)
        _add_expected(session, event, now, zone)
    if changed & {"starts_at", "remind_before_minutes", "title", "location", "org_id",
                  "kind"}:
        session.execute(
            update(OutboxMessage).where(*_pending(reminder_prefix(event.id)))
            .values(due_at=reminder_due(event, now),
                    payload=reminder_payload(event, org_name(session, event), zone))
            .execution_options(synchronize_session=False))


def _drop_no_longer_expected(session: Session, event: Event) -> None:
    gone = select(Attendance.member_id).where(
        Attendance.event_id == event.id, Attendance.status == EXPECTED,
        Attendance.member_id.not_in(expected_members(session, event)))
    for member_id in session.scalars(gone).all():
        withdraw_reminder(session, event.id, member_id)
    session.execute(
        delete(Attendance).where(Attendance.event_id == event.id,
                                 Attendance.status == EXPECTED,
                                 Attendance.member_id.not_in(expected_members(session, event)))
        .execution_options(synchronize_session=False))


def event_cancelled(session: Session, event: Event, now: datetime, zone: ZoneInfo) -> None:
    """Withdraw the meeting's pending notices and reminders and tell everyone expected."""
    if session.get(Meeting, event.id) is None:
        return
    for prefix in (notice_prefix(event.id), reminder_prefix(event.id)):
        session.execute(update(OutboxMessage).where(*_pending(prefix)).values(status=WITHDRAWN)
                        .execution_options(synchronize_session=False))
    enqueue_for_members(
        session, members=_attendees(event.id, EXPECTED, LEAVE, PRESENT),
        key_prefix=f"event-cancelled:{event.id}:", kind=CANCELLED_KIND,
        payload=_payload(texts.event_cancelled(event.title, local_time(event.starts_at, zone)),
                         event, zone),
        due_at=now, now=now)
