"""Creating, editing, moving and cancelling events; who may see which.

An unscoped admin sees every event. Any other token sees the events assigned
to it (``event.organizer_token_id``; ``event.organizer`` is that token's name,
for display) and, when it is scoped to an org, the events of that org's
subtree (:mod:`app.orgs.scope`). Times are stored in UTC and shown in
``HONGXIN_TIMEZONE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, exists, false, func, or_, select, true
from sqlalchemy.orm import Session

from app.auth.tokens import assignable_organizer
from app.deps import Principal
from app.errors import Forbidden, InvalidInput, NotFound
from app.events import meetings, notices, timing
from app.events.kinds import is_meeting
from app.events.schemas import EventCreate, EventOut, EventPatch
from app.events.signups import (
    CANCELLED,
    CONFIRMED,
    WAITLISTED,
    fill_free_seats,
    lock_event,
)
from app.models import Event, Org, Signup


@dataclass(frozen=True, slots=True)
class Counts:
    confirmed: int = 0
    waitlisted: int = 0
    checked_in: int = 0


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"invalid input: {field}", errors=[{"field": field, "message": message}])


def _check_times(starts_at: datetime, deadline: datetime | None, now: datetime, *,
                 moving: bool) -> None:
    if moving and starts_at <= now:
        raise _invalid("starts_at", "must be in the future")
    if deadline is not None and deadline > starts_at:
        raise _invalid("signup_deadline", "must not be after starts_at")


def create_event(session: Session, data: EventCreate, now: datetime,
                 principal: Principal, zone: ZoneInfo) -> Event:
    _check_times(data.starts_at, data.signup_deadline, now, moving=True)
    event = Event(
        kind=data.kind, org_id=_org_for(session, data.org_id, principal),
        title=data.title, description=data.description, location=data.location,
        starts_at=data.starts_at, capacity=data.capacity, seats_taken=0,
        signup_deadline=data.signup_deadline,
        remind_before_minutes=data.remind_before_minutes,
        status="scheduled", created_at=now, updated_at=now,
    )
    _assign(session, event, data.organizer, principal)
    meetings.require_org(event)
    session.add(event)
    session.flush()
    if is_meeting(event.kind):
        meetings.open_meeting(session, event, now, zone)
    return event


def _org_for(session: Session, org_id: int | None, principal: Principal) -> int | None:
    """The org an event may be placed in: one inside the principal's scope (a scoped
    principal's own org when none is given)."""
    scope = principal.scope
    if org_id is None:
        return scope.org_id
    org = session.get(Org, org_id)
    if org is None or not scope.covers_path(org.path):
        # The same answer for a missing org and one outside the scope: a scoped
        # token learns nothing of the orgs beside its own.
        raise _invalid("org_id", f"no org {org_id} in your scope")
    return org_id


def _assign(session: Session, event: Event, organizer: int | str | None,
            principal: Principal) -> None:
    token = None if organizer is None else assignable_organizer(session, organizer)
    if token is not None and not principal.scope.covers(session, token.org_id):
        # A scoped admin hands events to organizers of its own subtree only, and
        # learns nothing of the tokens elsewhere: the answer of a missing one.
        raise _invalid("organizer", f"no live organizer token {organizer!r} in your scope")
    event.organizer_token_id = None if token is None else token.id
    event.organizer = None if token is None else token.name


def _visible(principal: Principal) -> ColumnElement[bool] | None:
    """The condition on events ``principal`` may see (None: all of them)."""
    scope = principal.scope
    if principal.is_admin and scope.is_everything:
        return None
    assigned = (Event.organizer_token_id == principal.token_id
                if principal.token_id is not None else false())
    if scope.is_everything:
        return assigned
    return or_(assigned, scope.holds_org(Event.org_id))


def visible_events(session: Session, principal: Principal, *,
                   include_past: bool = True) -> list[Event]:
    query = select(Event).order_by(Event.starts_at.desc(), Event.id.desc())
    visible = _visible(principal)
    if visible is not None:
        query = query.where(visible)
    if not include_past:
        query = query.where(Event.status == "scheduled")
    return list(session.scalars(query))


def upcoming_then_past(events: Sequence[Event], now: datetime
                       ) -> tuple[list[Event], list[Event]]:
    """Events not yet ended, soonest first, and ended ones, most recent first.

    In each group cancelled events come after the live ones: an organizer opening
    the console on the day wants today's event on top, not under a cancelled one.
    """
    def cancelled(event: Event) -> bool:
        return event.status == CANCELLED

    ahead = sorted((e for e in events if not timing.has_ended(e, now)),
                   key=lambda e: (cancelled(e), e.starts_at, e.id))
    behind = sorted((e for e in events if timing.has_ended(e, now)),
                    key=lambda e: (cancelled(e), -e.starts_at.timestamp(), -e.id))
    return ahead, behind


def event_for(session: Session, event_id: int, principal: Principal) -> Event:
    """The event if ``principal`` may see it: 404 when missing or outside a scoped
    principal's subtree, 403 when an unscoped organizer's event is another's."""
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound(f"no event {event_id}")
    if may_see(session, principal, event):
        return event
    if not principal.scope.is_everything:
        raise NotFound(f"no event {event_id}")
    raise Forbidden("this event is assigned to another organizer")


def may_see(session: Session, principal: Principal, event: Event) -> bool:
    """Whether ``event`` is among :func:`visible_events`: the same condition, asked of one row."""
    visible = _visible(principal)
    return visible is None or bool(
        session.scalar(select(exists().where(Event.id == event.id, visible))))


def counts(session: Session, event_ids: Sequence[int]) -> dict[int, Counts]:
    if not event_ids:
        return {}
    rows = session.execute(
        select(
            Signup.event_id,
            func.sum(case((Signup.status == CONFIRMED, 1), else_=0)),
            func.sum(case((Signup.status == WAITLISTED, 1), else_=0)),
            func.sum(case(((Signup.status == CONFIRMED) & Signup.checked_in_at.is_not(None), 1),
                          else_=0)),
        ).where(Signup.event_id.in_(event_ids), Signup.status != CANCELLED)
        .group_by(Signup.event_id)
    )
    return {event_id: Counts(int(c or 0), int(w or 0), int(k or 0))
            for event_id, c, w, k in rows}


def to_out(event: Event, tally: Counts, zone: ZoneInfo) -> EventOut:
    return EventOut(
        id=event.id, kind=event.kind, org_id=event.org_id, title=event.title,
        description=event.description,
        location=event.location, starts_at=event.starts_at.astimezone(UTC),
        starts_at_local=event.starts_at.astimezone(zone).isoformat(timespec="minutes"),
        capacity=event.capacity, confirmed=event.seats_taken,
        seats_left=max(event.capacity - event.seats_taken, 0), waitlisted=tally.waitlisted,
        checked_in=tally.checked_in,
        signup_deadline=(event.signup_deadline.astimezone(UTC) if event.signup_deadline
                         else None),
        remind_before_minutes=event.remind_before_minutes, organizer=event.organizer,
        organizer_token_id=event.organizer_token_id,
        status="cancelled" if event.status == CANCELLED else "scheduled",
    )


def describe(session: Session, events: Sequence[Event], zone: ZoneInfo) -> list[EventOut]:
    tallies = counts(session, [event.id for event in events])
    return [to_out(event, tallies.get(event.id, Counts()), zone) for event in events]


def _locked(session: Session, event_id: int) -> Event:
    event = lock_event(session, event_id)
    if event is None:
        raise NotFound(f"no event {event_id}")
    return event


def update_event(session: Session, event_id: int, patch: EventPatch, now: datetime,
                 zone: ZoneInfo, principal: Principal) -> Event:
    """Edit or move an event; moving moves its pending reminders, more seats fill the waitlist."""
    event_for(session, event_id, principal)
    event = _locked(session, event_id)
    if event.status == CANCELLED:
        raise InvalidInput("a cancelled event cannot be changed",
                           errors=[{"field": "status", "message": "the event is cancelled"}])
    given = patch.model_fields_set
    for field in ("title", "location", "capacity", "remind_before_minutes", "starts_at",
                  "kind"):
        if field in given and getattr(patch, field) is None:
            raise _invalid(field, "must not be null")
    starts_at = patch.starts_at if patch.starts_at is not None else event.starts_at
    deadline = patch.signup_deadline if "signup_deadline" in given else event.signup_deadline
    _check_times(starts_at, deadline, now, moving=patch.starts_at is not None)
    if patch.capacity is not None and patch.capacity < event.seats_taken:
        raise _invalid("capacity", f"{event.seats_taken} members already hold a seat; "
                                   "cancel sign-ups before lowering the capacity below that")
    for field in ("title", "description", "location", "starts_at", "capacity",
                  "remind_before_minutes", "kind"):
        if field in given:
            setattr(event, field, getattr(patch, field))
    if "org_id" in given:
        event.org_id = _org_for(session, patch.org_id, principal)
    if "organizer" in given:
        _assign(session, event, patch.organizer, principal)
    if "signup_deadline" in given:
        event.signup_deadline = patch.signup_deadline
    event.updated_at = now
    session.flush()
    if given & {"starts_at", "remind_before_minutes", "title", "location"}:
        notices.reschedule_reminders(session, event, now, zone)
    if patch.capacity is not None:
        fill_free_seats(session, event, now, zone)
    meetings.event_changed(session, event, now, zone, set(given))
    return event


def cancel_event(session: Session, event_id: int, now: datetime, zone: ZoneInfo,
                 principal: Principal) -> Event:
    """Cancel the event, withdraw its reminders and tell everyone signed up."""
    event_for(session, event_id, principal)
    event = _locked(session, event_id)
    if event.status == CANCELLED:
        return event
    event.status, event.cancelled_at, event.updated_at = CANCELLED, now, now
    session.flush()
    notices.withdraw_event_reminders(session, event.id)
    meetings.event_cancelled(session, event, now, zone)
    members = session.scalars(
        select(Signup.member_id).where(Signup.event_id == event.id, Signup.status != CANCELLED)
    )
    for member_id in members.all():
        notices.tell_cancelled(session, event, member_id, now, zone)
    return event


def visibility(principal: Principal) -> ColumnElement[bool]:
    """The condition on events ``principal`` may see, for queries that aggregate them."""
    visible = _visible(principal)
    return true() if visible is None else visible
