"""One call per HTTP handler: each function is what one endpoint does, over the services."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.deps import Principal
from app.errors import NotFound
from app.events import roster, service
from app.events.roster import RosterQuery
from app.events.schemas import CheckinOut, EventCreate, EventOut, EventPatch, SignupPage
from app.events.signups import check_in_signup, undo_signup_check_in
from app.models import Event, Signup


def _out(session: Session, event_id: int, zone: ZoneInfo, principal: Principal) -> EventOut:
    event = service.event_for(session, event_id, principal)
    session.refresh(event)
    return service.describe(session, [event], zone)[0]


def create(session: Session, data: EventCreate, now: datetime, zone: ZoneInfo,
           principal: Principal) -> EventOut:
    event = service.create_event(session, data.in_zone(zone), now, principal, zone)
    return service.describe(session, [event], zone)[0]


def list_for(session: Session, principal: Principal, zone: ZoneInfo) -> list[EventOut]:
    return service.describe(session, service.visible_events(session, principal), zone)


def get(session: Session, event_id: int, principal: Principal, zone: ZoneInfo) -> EventOut:
    return _out(session, event_id, zone, principal)


def update(session: Session, event_id: int, patch: EventPatch, now: datetime,
           zone: ZoneInfo, principal: Principal) -> EventOut:
    service.update_event(session, event_id, patch.in_zone(zone), now, zone, principal)
    return _out(session, event_id, zone, principal)


def cancel(session: Session, event_id: int, now: datetime, zone: ZoneInfo,
           principal: Principal) -> EventOut:
    service.cancel_event(session, event_id, now, zone, principal)
    return _out(session, event_id, zone, principal)


def signups(session: Session, event_id: int, principal: Principal, query: RosterQuery,
            zone: ZoneInfo) -> SignupPage:
    event = service.event_for(session, event_id, principal)
    total, items = roster.roster(session, event, query)
    return SignupPage(event=service.describe(session, [event], zone)[0], total=total,
                      items=items)


def signups_csv(session: Session, event_id: int, principal: Principal, query: RosterQuery,
                zone: ZoneInfo) -> bytes:
    event = service.event_for(session, event_id, principal)
    return roster.to_csv(roster.roster(session, event, query)[1], zone)


def signups_xlsx(session: Session, event_id: int, principal: Principal, query: RosterQuery,
                 zone: ZoneInfo) -> bytes:
    event = service.event_for(session, event_id, principal)
    return roster.to_xlsx(roster.roster(session, event, query)[1], zone,
                          f"{event.title}（{event.starts_at.astimezone(zone):%Y-%m-%d %H:%M}）")


def _signup_of(session: Session, event_id: int, signup_id: int, principal: Principal
               ) -> tuple[Event, Signup]:
    event = service.event_for(session, event_id, principal)
    signup = session.scalar(select(Signup).where(Signup.id == signup_id,
                                                 Signup.event_id == event.id))
    if signup is None:
        raise NotFound(f"no sign-up {signup_id} for event {event_id}")
    return event, signup


def check_in(session: Session, event_id: int, signup_id: int, principal: Principal,
             now: datetime, zone: ZoneInfo) -> CheckinOut:
    event, signup = _signup_of(session, event_id, signup_id, principal)
    result = check_in_signup(session, signup, event, now, zone,
                             by=f"console:{principal.name}")
    session.refresh(signup)
    return CheckinOut(outcome=result.outcome, points=result.points,
                      checked_in_at=signup.checked_in_at)


def undo_check_in(session: Session, event_id: int, signup_id: int, principal: Principal,
                  now: datetime, zone: ZoneInfo) -> CheckinOut:
    _event, signup = _signup_of(session, event_id, signup_id, principal)
    outcome = undo_signup_check_in(session, signup, now, zone, by=f"console:{principal.name}")
    session.refresh(signup)
    return CheckinOut(outcome=outcome, points=0, checked_in_at=signup.checked_in_at)
