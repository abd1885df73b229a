"""``/api/admin/points``: leaderboards of members (overall or within an org) and of orgs."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import CurrentAdmin, SessionDep
from app.errors import errors_answered
from app.points import service
from app.points.schemas import OrgStandingOut, StandingOut

router = APIRouter(prefix="/api/admin/points", tags=["points"])



@router.get("/leaderboard", response_model=list[StandingOut], responses=errors_answered(404))
def leaderboard(admin: CurrentAdmin, session: SessionDep,
                org_id: Annotated[int | None, Query(
                    ge=1, le=2**63 - 1,
                    description="only members bound to this org or below")] = None,
                limit: int = Query(50, ge=1, le=500)) -> list[StandingOut]:
    """Members by total points (ties share a rank), overall or within an org's subtree;
    a scoped token's board holds the members bound inside its scope."""
    return [StandingOut(**asdict(row))
            for row in service.leaderboard(session, org_id=org_id, limit=limit,
                                          scope=admin.scope)]


@router.get("/branches", response_model=list[OrgStandingOut], responses=errors_answered(404))
def branches(admin: CurrentAdmin, session: SessionDep,
             parent_id: Annotated[int | None, Query(
                 ge=1, le=2**63 - 1,
                 description="rank this org's children instead of every 党支部")] = None,
             limit: int = Query(50, ge=1, le=500)) -> list[OrgStandingOut]:
    """Orgs (every 党支部, or the children of ``parent_id``) by their bound members' points."""
    return [OrgStandingOut(**asdict(row))
            for row in service.org_leaderboard(session, parent_id=parent_id, limit=limit,
                                              scope=admin.scope)]
