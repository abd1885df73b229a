"""When an event is on: its end, and when its members may be checked in or a check-in undone.

Events carry only a start. The 主题党日 and volunteer sessions this service
organises run a morning or an afternoon, so an event is taken to last
:data:`ASSUMED_DURATION`; check-in opens :data:`CHECKIN_OPENS_BEFORE` the start,
so early arrivals can scan at the door, and closes when the event ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from app.models import Event

CHECKIN_OPENS_BEFORE = timedelta(minutes=60)
ASSUMED_DURATION = timedelta(hours=4)
# Long enough to notice a mis-tapped row at the door, short enough that an
# attendance record does not stay open to second thoughts.
UNDO_CHECKIN_WITHIN = timedelta(minutes=10)

CheckinClosed = Literal["too_early", "too_late"]


def ends_at(event: Event) -> datetime:
    return event.starts_at + ASSUMED_DURATION


def has_ended(event: Event, now: datetime) -> bool:
    return now >= ends_at(event)


def checkin_opens_at(event: Event) -> datetime:
    return event.starts_at - CHECKIN_OPENS_BEFORE


def checkin_closed(event: Event, now: datetime) -> CheckinClosed | None:
    """Why nobody can be checked in at ``now``, or None while check-in is open."""
    if now < checkin_opens_at(event):
        return "too_early"
    if has_ended(event, now):
        return "too_late"
    return None


def undo_possible(checked_in_at: datetime | None, checked_in_by: str | None,
                  now: datetime) -> bool:
    """Only an organizer's own check-in can be taken back, and only for a short while."""
    return (checked_in_at is not None and checked_in_by is not None
            and checked_in_by.startswith("console:")
            and now - checked_in_at <= UNDO_CHECKIN_WITHIN)
