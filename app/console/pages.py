"""What each console page shows: one call per handler, over the events services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.console import session as sessions
from app.console.session import ConsoleUser
from app.events import api, roster, service
from app.events.roster import RosterQuery
from app.ratelimit import counter as ratelimit
from app.settings import Settings

VIEWS = (("all", "全部"), ("confirmed", "已报名"), ("waitlisted", "候补"),
         ("checked_in", "已签到"))


# Tokens are 256-bit random, so this does not guard them from guessing; it keeps a
# script from hammering the form. Ten failures leave room for a few mistyped pastes;
# ten minutes is long enough to stall a script and short enough for a colleague
# sharing the office's address to wait out.
SIGN_IN_FAILURES = ratelimit.Limit("console_sign_in", max_hits=10,
                                   window=timedelta(minutes=10))


def sign_in(session: Session, settings: Settings, token: str, address: str, now: datetime
            ) -> str | ratelimit.Verdict | None:
    """The session cookie's value for a valid organizer or admin token, None for a wrong
    one, or the refusing verdict once ``address`` failed too often.

    Every attempt is counted before the token is checked, so parallel guesses cannot
    all slip under the limit; a successful one is given back.
    """
    verdict = ratelimit.hit(session, SIGN_IN_FAILURES, address, now)
    if not verdict.allowed:
        return verdict
    signed = sessions.sign_in(session, settings, token)
    if signed is None:
        return None
    ratelimit.give_back(session, SIGN_IN_FAILURES, address, now)
    return signed[0]


def events_context(session: Session, user: ConsoleUser, zone: ZoneInfo) -> dict[str, Any]:
    events = service.describe(session, service.visible_events(session, user.principal), zone)
    return {"user": user, "events": events, "zone": zone}


def event_context(session: Session, user: ConsoleUser, event_id: int, query: RosterQuery,
                  zone: ZoneInfo) -> dict[str, Any]:
    event = service.event_for(session, event_id, user.principal)
    total, items = roster.roster(session, event, query)
    return {"user": user, "event": service.describe(session, [event], zone)[0],
            "items": items, "total": total, "query": query, "views": VIEWS, "zone": zone}


def csv_for(session: Session, user: ConsoleUser, event_id: int, query: RosterQuery,
            zone: ZoneInfo) -> bytes:
    return api.signups_csv(session, event_id, user.principal, query, zone)


def xlsx_for(session: Session, user: ConsoleUser, event_id: int, query: RosterQuery,
             zone: ZoneInfo) -> bytes:
    return api.signups_xlsx(session, event_id, user.principal, query, zone)


def check_in(session: Session, user: ConsoleUser, event_id: int, signup_id: int,
             zone: ZoneInfo) -> None:
    api.check_in(session, event_id, signup_id, user.principal, datetime.now(UTC), zone)
