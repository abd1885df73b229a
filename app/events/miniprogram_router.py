"""``/api/mp/events``: events, sign-up and cancel for the mini-program, over the chat's services."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Response, status

from app.deps import EntityId, SessionDep, SettingsDep
from app.errors import errors_answered
from app.events import miniprogram
from app.events.schemas import MpCancelOut, MpEventOut, MpSignupOut
from app.miniprogram.deps import CurrentMember

router = APIRouter(prefix="/api/mp", tags=["mini-program"])


@router.get("/events", response_model=list[MpEventOut])
def upcoming(member: CurrentMember, session: SessionDep,
             settings: SettingsDep) -> list[MpEventOut]:
    """Upcoming events with seats left and the member's own status."""
    return miniprogram.upcoming(session, member.id, datetime.now(UTC), settings.zone)


@router.get("/signups", response_model=list[MpEventOut])
def my_signups(member: CurrentMember, session: SessionDep,
               settings: SettingsDep) -> list[MpEventOut]:
    """The member's live sign-ups (as in the chat's ``我的报名``)."""
    return miniprogram.mine(session, member.id, datetime.now(UTC), settings.zone)


@router.post("/events/{event_id}/signup", response_model=MpSignupOut,
             status_code=status.HTTP_201_CREATED, responses=errors_answered(409, 429))
def sign_up(event_id: EntityId, member: CurrentMember, session: SessionDep, settings: SettingsDep,
            response: Response) -> MpSignupOut:
    """Take a seat or a waitlist place (201); already signed up 200; refusals 409; too often 429."""
    result = miniprogram.sign_up(session, member, event_id, datetime.now(UTC), settings.zone)
    if result.outcome.startswith("already_"):
        response.status_code = status.HTTP_200_OK
    return result


@router.delete("/events/{event_id}/signup", response_model=MpCancelOut,
               responses=errors_answered(409, 429))
def cancel(event_id: EntityId, member: CurrentMember, session: SessionDep,
           settings: SettingsDep) -> MpCancelOut:
    """Give the seat back; the first on the waitlist is promoted and told (429 as sign-up)."""
    return miniprogram.cancel(session, member.id, event_id, datetime.now(UTC), settings.zone)
