"""``/api/mp/points/claims``: a member claims an offline deed and follows their claims."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.deps import SessionDep, SettingsDep
from app.miniprogram.deps import CurrentMember
from app.points import views
from app.points.schemas import ClaimIn, ClaimOut

router = APIRouter(prefix="/api/mp/points", tags=["mini-program"])


@router.post("/claims", response_model=ClaimOut, status_code=status.HTTP_201_CREATED)
def submit_claim(body: ClaimIn, member: CurrentMember, session: SessionDep,
                 settings: SettingsDep) -> ClaimOut:
    """Claim a deed for an organizer to approve; 422 for no text or an unbound member."""
    return views.submit_claim(session, member, body, settings.zone)


@router.get("/claims", response_model=list[ClaimOut])
def my_claims(member: CurrentMember, session: SessionDep) -> list[ClaimOut]:
    """The member's own claims, newest first, with their status and the decision's reason."""
    return views.my_claims(session, member)
