"""``/api/admin/points``: leaderboards, the rules catalogue, deeds, claims and corrections;
``/api/admin/members/{id}/record`` (一人一册) and ``/api/admin/pioneer-index`` (先锋指数)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.deps import CurrentAdmin, CurrentOrganizer, EntityId, SessionDep, SettingsDep
from app.errors import errors_answered
from app.exports import XLSX_MEDIA_TYPE
from app.points import views
from app.points.schemas import (
    ApproveIn,
    AwardIn,
    AwardOut,
    CatalogueIn,
    CatalogueOut,
    ClaimOut,
    LedgerLineOut,
    OrgStandingOut,
    PioneerOut,
    RecordOut,
    RejectIn,
    ReverseIn,
    StandingOut,
)

router = APIRouter(prefix="/api/admin/points", tags=["points"])
records_router = APIRouter(prefix="/api/admin", tags=["points"])


@router.get("/leaderboard", response_model=list[StandingOut], responses=errors_answered(404))
def leaderboard(caller: CurrentAdmin, session: SessionDep,
                org_id: Annotated[int | None, Query(
                    ge=1, le=2**63 - 1,
                    description="only members bound to this org or below")] = None,
                limit: int = Query(50, ge=1, le=500)) -> list[StandingOut]:
    """Members by total points (ties share a rank), overall or within an org's subtree."""
    return views.leaderboard(session, caller, org_id, limit)


@router.get("/branches", response_model=list[OrgStandingOut], responses=errors_answered(404))
def branches(caller: CurrentAdmin, session: SessionDep,
             parent_id: Annotated[int | None, Query(
                 ge=1, le=2**63 - 1,
                 description="rank this org's children instead of every 党支部")] = None,
             limit: int = Query(50, ge=1, le=500)) -> list[OrgStandingOut]:
    """Orgs (every 党支部, or the children of ``parent_id``) by their bound members' points."""
    return views.org_leaderboard(session, caller, parent_id, limit)


@router.get("/rules", response_model=CatalogueOut)
def rules(_caller: CurrentOrganizer, session: SessionDep) -> CatalogueOut:
    """The rules catalogue in force: points and caps by activity, 先锋指数 weights."""
    return views.rules(session)


@router.put("/rules", response_model=CatalogueOut, responses=errors_answered(409))
def save_rules(body: CatalogueIn, admin: CurrentAdmin, session: SessionDep) -> CatalogueOut:
    """Save a new catalogue version (lines already earned keep theirs); 422 names each field."""
    return views.save_rules(session, body, admin)


@router.post("/awards", response_model=AwardOut, status_code=status.HTTP_201_CREATED)
def award(body: AwardIn, caller: CurrentOrganizer, session: SessionDep,
          settings: SettingsDep) -> AwardOut:
    """Record a bound member's offline deed by the catalogue; 422 names the field refused."""
    return views.award(session, body, caller, settings.zone)


ClaimStatus = Annotated[str | None, Query(max_length=16,
                                          description="pending, approved or rejected")]


@router.get("/claims", response_model=list[ClaimOut])
def claims(caller: CurrentOrganizer, session: SessionDep, status: ClaimStatus = None,
           limit: int = Query(100, ge=1, le=1000),
           offset: int = Query(0, ge=0, le=10**9)) -> list[ClaimOut]:
    """Members' claims (申报), oldest first, with the member's roster name and org."""
    return views.claim_list(session, caller, status, limit, offset)


@router.post("/claims/{claim_id}/approve", response_model=ClaimOut,
             responses=errors_answered(409))
def approve(claim_id: EntityId, body: ApproveIn, caller: CurrentOrganizer, session: SessionDep,
            settings: SettingsDep) -> ClaimOut:
    """Approve a pending claim and award it once (409 when already decided); the member is told."""
    return views.approve(session, claim_id, body, caller, settings.zone)


@router.post("/claims/{claim_id}/reject", response_model=ClaimOut,
             responses=errors_answered(409))
def reject(claim_id: EntityId, body: RejectIn, caller: CurrentOrganizer, session: SessionDep,
           settings: SettingsDep) -> ClaimOut:
    """Reject a pending claim with a reason (409 when already decided); the member is told."""
    return views.reject(session, claim_id, body, caller, settings.zone)


@router.post("/entries/{line_id}/reverse", response_model=LedgerLineOut,
             responses=errors_answered(404, 409))
def reverse(line_id: EntityId, body: ReverseIn, caller: CurrentOrganizer,
            session: SessionDep, settings: SettingsDep) -> LedgerLineOut:
    """Correct a ledger line by its reversal (the line itself stays); 409 when the line is
    already reversed or is itself a reversal, 422 for a reason with a listed word."""
    return views.reverse_line(session, line_id, body.reason, caller, settings.zone)


Year = Annotated[int, Query(ge=2000, le=2100, description="the calendar year, e.g. 2026")]


@records_router.get("/members/{member_id}/record", response_model=RecordOut)
def member_record(member_id: EntityId, year: Year, caller: CurrentOrganizer,
                  session: SessionDep, settings: SettingsDep) -> RecordOut:
    """一人一册: a bound member's ledger, deeds, claims and attendance in one year."""
    return views.member_record(session, member_id, year, caller, settings.zone)


@records_router.get("/members/{member_id}/record.xlsx", response_class=Response,
                    responses={200: {"content": {XLSX_MEDIA_TYPE: {}},
                                     "description": "the 一人一册 workbook"}})
def member_record_xlsx(member_id: EntityId, year: Year, caller: CurrentOrganizer,
                       session: SessionDep, settings: SettingsDep) -> Response:
    """一人一册 as XLSX: 积分明细, 先锋事迹, 申报 and 出勤 sheets."""
    data = views.member_record_xlsx(session, member_id, year, caller, settings.zone)
    return Response(data, media_type=XLSX_MEDIA_TYPE, headers={
        "Content-Disposition": f"attachment; filename=record-{member_id}-{year}.xlsx",
        "Cache-Control": "no-store"})


OrgId = Annotated[int | None, Query(ge=1, le=2**63 - 1,
                                    description="rank this org's subtree (default: all)")]
PeriodText = Annotated[str, Query(max_length=16, description="2026, 2026Q4 or 2026-11")]


@records_router.get("/pioneer-index", response_model=PioneerOut, responses=errors_answered(404))
def pioneer_index(caller: CurrentOrganizer, session: SessionDep, period: PeriodText,
                  org_id: OrgId = None, limit: int = Query(100, ge=1, le=10_000),
                  offset: int = Query(0, ge=0, le=10**9)) -> PioneerOut:
    """先锋指数: the org subtree's bound members ranked by the weighted index of the period."""
    return views.pioneer_index(session, org_id, period, caller, limit, offset)


@records_router.get("/pioneer-index.xlsx", response_class=Response,
                    responses=errors_answered(404) | {
                        200: {"content": {XLSX_MEDIA_TYPE: {}},
                              "description": "the 先锋指数 workbook"}})
def pioneer_index_xlsx(caller: CurrentOrganizer, session: SessionDep, period: PeriodText,
                       org_id: OrgId = None) -> Response:
    """先锋指数 as XLSX, every ranked member, for 评优."""
    data = views.pioneer_index_xlsx(session, org_id, period, caller)
    return Response(data, media_type=XLSX_MEDIA_TYPE, headers={
        "Content-Disposition": "attachment; filename=pioneer-index.xlsx",
        "Cache-Control": "no-store"})
