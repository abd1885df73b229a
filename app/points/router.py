"""``/api/admin/points``: leaderboards overall, within a branch and between branches."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Query

from app.deps import CurrentAdmin, SessionDep
from app.points import service
from app.points.schemas import BranchStandingOut, StandingOut

router = APIRouter(prefix="/api/admin/points", tags=["points"])


@router.get("/leaderboard", response_model=list[StandingOut])
def leaderboard(_admin: CurrentAdmin, session: SessionDep,
                branch: str | None = Query(None, max_length=64,
                                           description="only members of this 支部"),
                limit: int = Query(50, ge=1, le=500)) -> list[StandingOut]:
    """Members by total points (ties share a rank), overall or within one branch."""
    return [StandingOut(**asdict(row))
            for row in service.leaderboard(session, branch=branch, limit=limit)]


@router.get("/branches", response_model=list[BranchStandingOut])
def branches(_admin: CurrentAdmin, session: SessionDep,
             limit: int = Query(50, ge=1, le=500)) -> list[BranchStandingOut]:
    """Branches (支部) by the total points of their members, with member count and average."""
    return [BranchStandingOut(**asdict(row))
            for row in service.branch_leaderboard(session, limit=limit)]
