"""Events for admins, sign-up lists for organizers: HTTP only, the rules are in the services."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Response, status

from app.deps import CurrentAdmin, CurrentOrganizer, EntityId, SessionDep, SettingsDep
from app.events import actions
from app.events.roster import RosterQuery, View
from app.events.schemas import CheckinOut, EventCreate, EventOut, EventPatch, SignupPage

router = APIRouter(prefix="/api/admin/events", tags=["events"])

Limit = Annotated[int | None, Query(ge=1, le=10_000)]
Offset = Annotated[int, Query(ge=0, le=2**31)]
Search = Annotated[str, Query(max_length=32)]


def _now() -> datetime:
    return datetime.now(UTC)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EventOut)
def create_event(data: EventCreate, session: SessionDep, settings: SettingsDep,
                 admin: CurrentAdmin) -> EventOut:
    """Create an event (admin); a scoped admin's event goes in its own subtree."""
    return actions.create(session, data, _now(), settings.zone, admin)


@router.get("", response_model=list[EventOut])
def list_events(session: SessionDep, settings: SettingsDep,
                principal: CurrentOrganizer) -> list[EventOut]:
    """Events, newest first: all for an admin, an organizer's own for an organizer."""
    return actions.list_for(session, principal, settings.zone)


@router.get("/{event_id}", response_model=EventOut)
def get_event(event_id: EntityId, session: SessionDep, settings: SettingsDep,
              principal: CurrentOrganizer) -> EventOut:
    """One event with its seat counts."""
    return actions.get(session, event_id, principal, settings.zone)


@router.patch("/{event_id}", response_model=EventOut)
def update_event(event_id: EntityId, patch: EventPatch, session: SessionDep, settings: SettingsDep,
                 admin: CurrentAdmin) -> EventOut:
    """Edit or move an event (admin); its pending reminders move with it."""
    return actions.update(session, event_id, patch, _now(), settings.zone, admin)


@router.delete("/{event_id}", response_model=EventOut)
def cancel_event(event_id: EntityId, session: SessionDep, settings: SettingsDep,
                 admin: CurrentAdmin) -> EventOut:
    """Cancel an event (admin) and tell everyone signed up."""
    return actions.cancel(session, event_id, _now(), settings.zone, admin)


@router.get("/{event_id}/signups", response_model=SignupPage)
def list_signups(event_id: EntityId, session: SessionDep, settings: SettingsDep,
                 principal: CurrentOrganizer, view: View = "all", q: Search = "",
                 limit: Limit = None, offset: Offset = 0) -> SignupPage:
    """The sign-up list: confirmed first, then the waitlist in order."""
    return actions.signups(session, event_id, principal, RosterQuery(view, q, limit, offset),
                       settings.zone)


def download(content: bytes, media_type: str, filename: str) -> Response:
    # RFC 6266/5987: a UTF-8 filename for browsers, an ASCII fallback for the rest.
    ascii_name = filename.encode("ascii", "ignore").decode() or "signups"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})


@router.get("/{event_id}/signups.csv", response_class=Response)
def signups_csv(event_id: EntityId, session: SessionDep, settings: SettingsDep,
                principal: CurrentOrganizer, view: View = "all", q: Search = "",
                limit: Limit = None, offset: Offset = 0) -> Response:
    """The sign-up list as CSV (UTF-8 with BOM, so Excel shows Chinese)."""
    content = actions.signups_csv(session, event_id, principal,
                              RosterQuery(view, q, limit, offset), settings.zone)
    return download(content, "text/csv; charset=utf-8", f"event-{event_id}-signups.csv")


@router.get("/{event_id}/signups.xlsx", response_class=Response)
def signups_xlsx(event_id: EntityId, session: SessionDep, settings: SettingsDep,
                 principal: CurrentOrganizer, view: View = "all", q: Search = "",
                 limit: Limit = None, offset: Offset = 0) -> Response:
    """The sign-up list as an Excel workbook."""
    content = actions.signups_xlsx(session, event_id, principal,
                               RosterQuery(view, q, limit, offset), settings.zone)
    return download(content,
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     f"event-{event_id}-signups.xlsx")


@router.post("/{event_id}/signups/{signup_id}/checkin", response_model=CheckinOut)
def check_in(event_id: EntityId, signup_id: EntityId, session: SessionDep, settings: SettingsDep,
             principal: CurrentOrganizer) -> CheckinOut:
    """Check a signed-up member in on their behalf (organizer); idempotent.

    Open from an hour before the start until the event ends; outside that window
    ``outcome`` is ``too_early`` or ``too_late`` and nothing changes.
    """
    return actions.check_in(session, event_id, signup_id, principal, _now(), settings.zone)


@router.delete("/{event_id}/signups/{signup_id}/checkin", response_model=CheckinOut)
def undo_check_in(event_id: EntityId, signup_id: EntityId, session: SessionDep,
                  principal: CurrentOrganizer, settings: SettingsDep) -> CheckinOut:
    """Undo an organizer's check-in within 10 minutes (organizer); its points are reversed.

    ``outcome`` is ``undone``, ``not_checked_in``, or ``not_undoable`` (too late, or the
    member checked in by scanning).
    """
    return actions.undo_check_in(session, event_id, signup_id, principal, _now(),
                                 settings.zone)
