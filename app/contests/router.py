"""``/api/admin/contests``: open a contest, read and export its results."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from fastapi import APIRouter, Query, Response

from app import exports
from app.contests import service
from app.contests.schemas import ContestIn, ContestOut, ContestResultOut
from app.deps import CurrentAdmin, CurrentUnscopedAdmin, EntityId, SessionDep

router = APIRouter(prefix="/api/admin/contests", tags=["contests"])

@router.post("", response_model=ContestOut, status_code=201)
def create_contest(body: ContestIn, _admin: CurrentUnscopedAdmin,
                   session: SessionDep) -> ContestOut:
    """Open a contest over a bank for a time window; members join with 答题 while it runs."""
    contest = service.create_contest(session, **body.model_dump(), now=datetime.now(UTC))
    return ContestOut.model_validate(contest)


@router.get("", response_model=list[ContestOut])
def list_contests(_admin: CurrentAdmin, session: SessionDep) -> list[ContestOut]:
    """Every contest, latest start first (contests are shared by every org)."""
    return [ContestOut.model_validate(c) for c in service.list_contests(session)]


@router.get("/{contest_id}/results", response_model=list[ContestResultOut])
def contest_results(contest_id: EntityId, admin: CurrentAdmin, session: SessionDep,
                    org_id: int | None = Query(None, ge=1, le=2**63 - 1,
                                               description="only members bound to this org "
                                                           "or below")
                    ) -> list[ContestResultOut]:
    """Each member's best attempt, best first; ``org_id`` narrows it to an org's subtree
    (a scoped token sees its own subtree's members only)."""
    return [ContestResultOut(**asdict(row)) for row in service.results(
        session, contest_id, org_id=org_id, scope=admin.scope)]


@router.get("/{contest_id}/results.xlsx")
def contest_results_xlsx(contest_id: EntityId, admin: CurrentAdmin,
                         session: SessionDep) -> Response:
    """The results as an XLSX workbook."""
    return Response(service.results_xlsx(session, contest_id, admin.scope),
                    media_type=exports.XLSX_MEDIA_TYPE,
                    headers={"Content-Disposition":
                             f'attachment; filename="contest-{contest_id}.xlsx"'})
