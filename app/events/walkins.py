"""Walk-ins: someone who came to the door without signing up, added and checked in at once.

The person is found by phone among members bound to the roster, then among
members who gave that phone in chat; otherwise a member is created for them
with a placeholder openid. Such a member is not a follower (``subscribed`` is
false), so nothing is ever sent to the placeholder, and when that person later
binds their WeChat account to the roster their own member takes over from it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.deps import Principal
from app.errors import InvalidInput
from app.events import service, timing
from app.events.signups import (
    CANCELLED,
    CONFIRMED,
    check_in_signup,
    live_signup,
    lock_event,
    seat_at_the_door,
)
from app.models import Member, RosterEntry
from app.moderation.words import banned_word
from bots.profile import normalize_name, normalize_phone

__all__ = ["WALK_IN_OPENID_PREFIX", "WalkIn", "add_walk_in"]

WALK_IN_OPENID_PREFIX = "walkin:"

Outcome = Literal["checked_in", "already_checked_in", "full", "too_early", "too_late",
                  "cancelled", "waitlisted"]


@dataclass(frozen=True, slots=True)
class WalkIn:
    outcome: Outcome
    name: str
    signup_id: int | None = None


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, errors=[{"field": field, "message": message}])


def _checked(session: Session, name: str, phone: str) -> tuple[str, str]:
    clean_name, clean_phone = normalize_name(name), normalize_phone(phone)
    if clean_name is None:
        raise _invalid("name", "请填写姓名（最多 20 个汉字或字母）。")
    if clean_phone is None:
        raise _invalid("phone", "请填写 11 位手机号。")
    # The name appears on lists others read.
    if banned_word(session, clean_name) is not None:
        raise _invalid("name", "姓名包含不宜使用的词语，请核对。")
    return clean_name, clean_phone


def _member_for(session: Session, name: str, phone: str, now: datetime) -> Member:
    bound = session.scalar(select(Member).join(RosterEntry, RosterEntry.member_id == Member.id)
                           .where(RosterEntry.phone == phone).order_by(Member.id).limit(1))
    known = bound or session.scalar(select(Member).where(Member.phone == phone)
                                    .order_by(Member.id).limit(1))
    if known is not None:
        return known
    member = Member(openid=WALK_IN_OPENID_PREFIX + secrets.token_hex(12), name=name,
                    phone=phone, subscribed=False, daily_push=False, first_seen_at=now,
                    last_interaction_at=now)
    session.add(member)
    session.flush()
    return member


def add_walk_in(session: Session, event_id: int, principal: Principal, name: str, phone: str,
                now: datetime, zone: ZoneInfo) -> WalkIn:
    """Seat the person (unless signed up already) and check them in, while check-in is open."""
    clean_name, clean_phone = _checked(session, name, phone)
    service.event_for(session, event_id, principal)
    event = lock_event(session, event_id)
    assert event is not None  # event_for found it, and events are never deleted
    if event.status == CANCELLED:
        return WalkIn("cancelled", clean_name)
    closed = timing.checkin_closed(event, now)
    if closed is not None:
        return WalkIn(closed, clean_name)
    member = _member_for(session, clean_name, clean_phone, now)
    signup = live_signup(session, event.id, member.id)
    if signup is None or signup.status != CONFIRMED:
        if signup is not None:
            return WalkIn("waitlisted", clean_name, signup.id)
        signup = seat_at_the_door(session, event, member.id, now)
        if signup is None:
            return WalkIn("full", clean_name)
    result = check_in_signup(session, signup, event, now, zone, by=f"console:{principal.name}")
    outcome: Outcome = ("already_checked_in" if result.outcome == "already_checked_in"
                        else "checked_in")
    return WalkIn(outcome, clean_name, signup.id)
