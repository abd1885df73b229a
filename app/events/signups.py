"""Taking, giving back and checking in seats: the rules that must never overbook.

Every change to an event's seats starts by locking the event row (``SELECT …
FOR UPDATE`` on PostgreSQL; on SQLite the write transaction already holds the
database's one write lock, taken by ``BEGIN IMMEDIATE``). Under that lock the
waitlist order is stable and a promotion cannot be given twice. The seat
itself is then taken with a conditional UPDATE (``seats_taken < capacity``)
and the table's CHECK constraint refuses any overbooking that slipped past
both, so the database, not Python, has the last word.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.dialect import insert_or_ignore
from app.events import attendance, notices, timing
from app.events.kinds import ACTIVITY, is_meeting
from app.models import Event, Signup
from app.points.rules import Activity
from app.points.service import award_once, withdraw
from app.ratelimit import counter as ratelimit
from bots.ports import (
    CancelOutcome,
    CheckinResult,
    EventSummary,
    MySignup,
    SignupResult,
)

CONFIRMED, WAITLISTED, CANCELLED = "confirmed", "waitlisted", "cancelled"
# Sign-ups and cancels per member, counted together over the chat and the mini-program.
# A member acts a few times around one event; ten in a minute is a script or a stuck
# button, and every cancel may hand a seat on and queue a message to someone else.
SIGNUP_ACTIONS = ratelimit.Limit("signup_actions", max_hits=10, window=timedelta(minutes=1))


def count_action(session: Session, member_id: int, now: datetime) -> ratelimit.Verdict:
    """Count a sign-up or cancel by the member against :data:`SIGNUP_ACTIONS`.

    Call it first: a refused action must then change nothing but the count.
    """
    return ratelimit.hit(session, SIGNUP_ACTIONS, f"member:{member_id}", now)


def summary(event: Event, zone: ZoneInfo) -> EventSummary:
    return EventSummary(
        id=event.id, title=event.title, location=event.location,
        starts_at=event.starts_at.astimezone(zone), capacity=event.capacity,
        seats_left=max(event.capacity - event.seats_taken, 0),
        signup_deadline=event.signup_deadline.astimezone(zone) if event.signup_deadline else None,
    )


def lock_event(session: Session, event_id: int) -> Event | None:
    return session.scalar(
        select(Event).where(Event.id == event_id).with_for_update()
        .execution_options(populate_existing=True)
    )


def live_signup(session: Session, event_id: int, member_id: int) -> Signup | None:
    return session.scalar(
        select(Signup).where(Signup.event_id == event_id, Signup.member_id == member_id,
                             Signup.status != CANCELLED)
        .execution_options(populate_existing=True)
    )


def waitlist_position(session: Session, signup: Signup) -> int:
    ahead = session.scalar(
        select(func.count()).select_from(Signup).where(
            Signup.event_id == signup.event_id, Signup.status == WAITLISTED,
            Signup.id < signup.id)
    ) or 0
    return int(ahead) + 1


def _take_seat(session: Session, event: Event) -> bool:
    taken = session.execute(
        update(Event)
        .where(Event.id == event.id, Event.seats_taken < Event.capacity)
        .values(seats_taken=Event.seats_taken + 1)
        .returning(Event.seats_taken)
        .execution_options(synchronize_session=False)
    ).first()
    # The row is locked by us, so what the UPDATE saw is what the event now holds;
    # set it without marking the object dirty (no second UPDATE, no reload).
    set_committed_value(event, "seats_taken", event.capacity if taken is None else taken[0])
    return taken is not None


def _give_back_seat(session: Session, event: Event) -> None:
    session.execute(
        update(Event)
        .where(Event.id == event.id, Event.seats_taken > 0)
        .values(seats_taken=Event.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )
    session.expire(event, ["seats_taken"])


def _insert_signup(session: Session, event_id: int, member_id: int, status: str,
                   now: datetime) -> int | None:
    row = session.execute(
        insert_or_ignore(session, Signup)
        .values(event_id=event_id, member_id=member_id, status=status, created_at=now,
                confirmed_at=now if status == CONFIRMED else None)
        # The partial unique index on live sign-ups is the final word on duplicates.
        .returning(Signup.id)
    ).first()
    return None if row is None else int(row[0])


def sign_up(session: Session, member_id: int, event_id: int, now: datetime,
            zone: ZoneInfo) -> SignupResult:
    """A seat while there is one, else a place on the waitlist; refusals say why."""
    event = lock_event(session, event_id)
    if event is None:
        return SignupResult("unknown")
    if event.status == CANCELLED:
        return SignupResult("cancelled", summary(event, zone))
    if is_meeting(event.kind):
        return SignupResult("meeting", summary(event, zone))
    if now >= event.starts_at:
        return SignupResult("started", summary(event, zone))
    existing = live_signup(session, event_id, member_id)
    if existing is not None:
        return _already(session, existing, event, zone)
    if event.signup_deadline is not None and now >= event.signup_deadline:
        return SignupResult("deadline_passed", summary(event, zone))
    seated = _take_seat(session, event)
    signup_id = _insert_signup(session, event_id, member_id,
                               CONFIRMED if seated else WAITLISTED, now)
    if signup_id is None:
        # Only reachable if the lock did not serialise us; keep the seat count honest.
        if seated:
            _give_back_seat(session, event)
        existing = live_signup(session, event_id, member_id)
        assert existing is not None
        return _already(session, existing, event, zone)
    if seated:
        notices.schedule_reminder(session, event, signup_id, member_id, now, zone)
        return SignupResult("confirmed", summary(event, zone))
    ahead = session.scalar(
        select(func.count()).select_from(Signup).where(
            Signup.event_id == event_id, Signup.status == WAITLISTED, Signup.id < signup_id)
    ) or 0
    return SignupResult("waitlisted", summary(event, zone), int(ahead) + 1)


def _already(session: Session, signup: Signup, event: Event, zone: ZoneInfo) -> SignupResult:
    if signup.status == CONFIRMED:
        return SignupResult("already_confirmed", summary(event, zone))
    return SignupResult("already_waitlisted", summary(event, zone),
                        waitlist_position(session, signup))


def cancel_signup(session: Session, member_id: int, event_id: int, now: datetime,
                  zone: ZoneInfo) -> CancelOutcome:
    """Give the seat back; the first on the waitlist gets it and is told."""
    event = lock_event(session, event_id)
    if event is None:
        return "unknown"
    signup = live_signup(session, event_id, member_id)
    if signup is None:
        return "not_signed_up"
    if event.status != CANCELLED and now >= event.starts_at:
        return "started"
    was_confirmed = signup.status == CONFIRMED
    signup.status, signup.cancelled_at = CANCELLED, now
    session.flush()
    notices.withdraw_reminder(session, signup.id)
    if was_confirmed and event.status != CANCELLED:
        _pass_seat_on(session, event, now, zone)
    return "cancelled"


def _pass_seat_on(session: Session, event: Event, now: datetime, zone: ZoneInfo) -> None:
    promoted = promote_waitlisted(session, event, 1, now, zone)
    if not promoted:
        _give_back_seat(session, event)


def promote_waitlisted(session: Session, event: Event, seats: int, now: datetime,
                       zone: ZoneInfo) -> int:
    """Confirm up to ``seats`` waitlisted members in order; the caller holds the event lock.

    The seat count does not change when a freed seat passes straight to the next
    in line; the caller adjusts it for seats that were not passed on.
    """
    if seats <= 0:
        return 0
    waiting = list(session.scalars(
        select(Signup).where(Signup.event_id == event.id, Signup.status == WAITLISTED)
        .order_by(Signup.id).limit(seats)
    ))
    for signup in waiting:
        signup.status, signup.confirmed_at = CONFIRMED, now
    session.flush()
    for signup in waiting:
        notices.tell_promoted(session, event, signup, now, zone)
        notices.schedule_reminder(session, event, signup.id, signup.member_id, now, zone)
    return len(waiting)


def fill_free_seats(session: Session, event: Event, now: datetime, zone: ZoneInfo) -> int:
    """After a capacity increase: hand the new seats to the waitlist, in order."""
    free = event.capacity - event.seats_taken
    promoted = promote_waitlisted(session, event, free, now, zone)
    if promoted:
        session.execute(
            update(Event).where(Event.id == event.id, Event.seats_taken + promoted
                                <= Event.capacity)
            .values(seats_taken=Event.seats_taken + promoted)
            .execution_options(synchronize_session=False)
        )
        session.refresh(event)
    return promoted


def check_in(session: Session, member_id: int, event_id: int, now: datetime,
             zone: ZoneInfo, *, by: str = "chat") -> CheckinResult:
    """Check the member in once and award the points, idempotently."""
    event = session.get(Event, event_id)
    if event is None:
        return CheckinResult("unknown")
    if is_meeting(event.kind):
        return attendance.check_in(session, event, member_id, now, zone, by=by)
    view = summary(event, zone)
    if event.status == CANCELLED:
        return CheckinResult("cancelled", view)
    refusal = _closed(event, view, now, zone)
    if refusal is not None:
        return refusal
    signup = live_signup(session, event_id, member_id)
    if signup is None:
        return CheckinResult("not_signed_up", view)
    if signup.status == WAITLISTED:
        return CheckinResult("waitlisted", view)
    return _mark_checked_in(session, signup, view, now, zone, by)


def _closed(event: Event, view: EventSummary, now: datetime,
            zone: ZoneInfo) -> CheckinResult | None:
    why = timing.checkin_closed(event, now)
    if why is None:
        return None
    return CheckinResult(why, view, opens_at=timing.checkin_opens_at(event).astimezone(zone),
                         closes_at=timing.ends_at(event).astimezone(zone))


def _attendance(event_id: int) -> str:
    return f"event:{event_id}"


def _mark_checked_in(session: Session, signup: Signup, view: EventSummary, now: datetime,
                     zone: ZoneInfo, by: str) -> CheckinResult:
    marked = session.execute(
        update(Signup)
        .where(Signup.id == signup.id, Signup.checked_in_at.is_(None))
        .values(checked_in_at=now, checked_in_by=by)
        .returning(Signup.id)
        .execution_options(synchronize_session=False)
    ).first()
    session.expire(signup)
    if marked is None:
        return CheckinResult("already_checked_in", view)
    # Checked in again after an undo: the points come back once, never twice.
    points = award_once(session, signup.member_id, Activity.EVENT_CHECKIN,
                        _attendance(signup.event_id), now, zone)
    return CheckinResult("checked_in", view, points)


def check_in_signup(session: Session, signup: Signup, event: Event, now: datetime,
                    zone: ZoneInfo, by: str) -> CheckinResult:
    """An organizer's check-in: confirmed sign-ups of live events, while check-in is open."""
    view = summary(event, zone)
    if event.status == CANCELLED:
        return CheckinResult("cancelled", view)
    refusal = _closed(event, view, now, zone)
    if refusal is not None:
        return refusal
    if signup.status != CONFIRMED:
        return CheckinResult("waitlisted" if signup.status == WAITLISTED else "not_signed_up",
                             view)
    return _mark_checked_in(session, signup, view, now, zone, by)


UndoOutcome = Literal["undone", "not_checked_in", "not_undoable"]


def undo_signup_check_in(session: Session, signup: Signup, now: datetime, zone: ZoneInfo,
                         by: str) -> UndoOutcome:
    """Take back an organizer's check-in within :data:`timing.UNDO_CHECKIN_WITHIN`.

    The attendance points are reversed by a ledger line; the row is cleared only
    if nobody changed it since it was read, so an undo cannot race a check-in.
    """
    if signup.checked_in_at is None:
        return "not_checked_in"
    if not timing.undo_possible(signup.checked_in_at, signup.checked_in_by, now):
        return "not_undoable"
    cleared = session.execute(
        update(Signup)
        .where(Signup.id == signup.id, Signup.checked_in_at == signup.checked_in_at)
        .values(checked_in_at=None, checked_in_by=None)
        .returning(Signup.id)
        .execution_options(synchronize_session=False)
    ).first()
    session.expire(signup)
    if cleared is None:
        return "not_checked_in"
    withdraw(session, signup.member_id, Activity.EVENT_CHECKIN, _attendance(signup.event_id),
             f"签到已撤销（{by}）", now, zone)
    return "undone"


def upcoming(session: Session, now: datetime, zone: ZoneInfo,
             limit: int = 10) -> list[EventSummary]:
    events = session.scalars(
        select(Event).where(Event.status == "scheduled", Event.starts_at > now,
                            Event.kind == ACTIVITY)
        .order_by(Event.starts_at, Event.id).limit(limit)
    )
    return [summary(event, zone) for event in events]


def my_signups(session: Session, member_id: int, now: datetime, zone: ZoneInfo) -> list[MySignup]:
    rows = session.execute(
        select(Signup, Event).join(Event, Event.id == Signup.event_id)
        .where(Signup.member_id == member_id, Signup.status != CANCELLED,
               Event.status == "scheduled",
               Event.starts_at > now - timing.ASSUMED_DURATION)
        .order_by(Event.starts_at, Event.id)
    ).all()
    result: list[MySignup] = []
    for signup, event in rows:
        waiting = signup.status == WAITLISTED
        result.append(MySignup(
            event=summary(event, zone), status="waitlisted" if waiting else "confirmed",
            checked_in=signup.checked_in_at is not None,
            position=waitlist_position(session, signup) if waiting else None,
        ))
    return result


class EventSignupsPort:
    """:class:`bots.ports.EventSignups` inside the current unit of work."""

    def __init__(self, session: Session, zone: ZoneInfo) -> None:
        self._session = session
        self._zone = zone

    def upcoming(self, now: datetime) -> list[EventSummary]:
        return upcoming(self._session, now, self._zone)

    def sign_up(self, member_id: int, event_id: int, now: datetime) -> SignupResult:
        if not count_action(self._session, member_id, now).allowed:
            return SignupResult("rate_limited")
        return sign_up(self._session, member_id, event_id, now, self._zone)

    def cancel(self, member_id: int, event_id: int, now: datetime) -> CancelOutcome:
        if not count_action(self._session, member_id, now).allowed:
            return "rate_limited"
        return cancel_signup(self._session, member_id, event_id, now, self._zone)

    def my_signups(self, member_id: int, now: datetime) -> list[MySignup]:
        return my_signups(self._session, member_id, now, self._zone)

    def check_in(self, member_id: int, event_id: int, now: datetime) -> CheckinResult:
        return check_in(self._session, member_id, event_id, now, self._zone)


def seat_at_the_door(session: Session, event: Event, member_id: int, now: datetime
                     ) -> Signup | None:
    """A confirmed seat for someone who came without signing up (the event must be locked).

    No reminder is scheduled (they are there already) and neither the start nor the
    sign-up deadline stands in the way; only the seats do: None when all are taken.
    """
    if not _take_seat(session, event):
        return None
    signup_id = _insert_signup(session, event.id, member_id, CONFIRMED, now)
    if signup_id is None:
        _give_back_seat(session, event)
        return live_signup(session, event.id, member_id)
    return session.get(Signup, signup_id)
