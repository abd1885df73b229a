"""What each console page shows: one call per handler, over the events services."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.console import session as sessions
from app.console.session import ConsoleUser
from app.events import api, roster, service
from app.events.roster import RosterQuery
from app.settings import Settings

VIEWS = (("all", "全部"), ("confirmed", "已报名"), ("waitlisted", "候补"),
         ("checked_in", "已签到"))


def sign_in(session: Session, settings: Settings, token: str) -> str | None:
    """The session cookie's value for a valid organizer or admin token."""
    signed = sessions.sign_in(session, settings, token)
    return None if signed is None else signed[0]


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
