"""What each mini-program events endpoint does: the chat's services, answered as JSON.

Messages are the chat's own wording from :mod:`bots.texts`, so both channels say
the same thing; refusals become 404 (unknown event, not signed up) or 409.
Sign-ups and cancels share one per-member limit with the chat
(:data:`app.events.signups.SIGNUP_ACTIONS`); beyond it the answer is 429 with
Retry-After. A refusal is raised, so the unit of work rolls back and only
actions that went through stay counted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.errors import Conflict, NotFound
from app.events import signups
from app.events.schemas import MpCancelOut, MpEventOut, MpSignupOut
from app.models import Member
from app.ratelimit import counter as ratelimit
from bots import texts
from bots.ports import EventSummary, MySignup


def _out(event: EventSummary, mine: MySignup | None = None) -> MpEventOut:
    return MpEventOut(
        id=event.id, title=event.title, location=event.location,
        starts_at=event.starts_at.astimezone(UTC),
        starts_at_local=event.starts_at.isoformat(timespec="minutes"),
        capacity=event.capacity, seats_left=event.seats_left,
        signup_deadline=event.signup_deadline.astimezone(UTC) if event.signup_deadline else None,
        my_status=mine.status if mine else None,
        waitlist_position=mine.position if mine else None,
        checked_in=mine.checked_in if mine else False,
    )


def upcoming(session: Session, member_id: int, now: datetime, zone: ZoneInfo
             ) -> list[MpEventOut]:
    mine = {item.event.id: item for item in signups.my_signups(session, member_id, now, zone)}
    return [_out(event, mine.get(event.id))
            for event in signups.upcoming(session, now, zone, limit=50)]


def mine(session: Session, member_id: int, now: datetime, zone: ZoneInfo) -> list[MpEventOut]:
    return [_out(item.event, item)
            for item in signups.my_signups(session, member_id, now, zone)]


def _count_action(session: Session, member_id: int, now: datetime) -> None:
    verdict = signups.count_action(session, member_id, now)
    if not verdict.allowed:
        raise ratelimit.refusal(verdict, texts.SIGNUP_TOO_FAST)


def sign_up(session: Session, member: Member, event_id: int, now: datetime,
            zone: ZoneInfo) -> MpSignupOut:
    _count_action(session, member.id, now)
    result = signups.sign_up(session, member.id, event_id, now, zone)
    message = texts.signup_reply(result, has_name=bool(member.name))
    if result.outcome == "unknown" or result.event is None:
        raise NotFound(message)
    if result.outcome in ("cancelled", "started", "deadline_passed", "meeting"):
        raise Conflict(message)
    assert result.outcome in ("confirmed", "waitlisted", "already_confirmed",
                              "already_waitlisted")
    return MpSignupOut(outcome=result.outcome, message=message, event=_out(result.event),
                       waitlist_position=result.position)


def cancel(session: Session, member_id: int, event_id: int, now: datetime,
           zone: ZoneInfo) -> MpCancelOut:
    _count_action(session, member_id, now)
    outcome = signups.cancel_signup(session, member_id, event_id, now, zone)
    message = texts.cancel_reply(outcome, event_id)
    if outcome in ("unknown", "not_signed_up"):
        raise NotFound(message)
    if outcome == "started":
        raise Conflict(message)
    return MpCancelOut(outcome="cancelled", message=message)
