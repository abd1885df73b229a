"""``/api/admin/roster``: import, list and download the roster; undo a binding."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile

from app.deps import CurrentAdmin, EntityId, Principal, SessionDep
from app.errors import InvalidInput, errors_answered
from app.roster import service
from app.roster.schemas import EntryOut, EntryPage, ImportOut

router = APIRouter(prefix="/api/admin/roster", tags=["roster"])

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _query(admin: Principal, org_id: int | None, q: str | None, bound: bool | None,
           limit: int | None = None, offset: int = 0) -> service.RosterQuery:
    return service.RosterQuery(org_id=org_id, search=q, bound=bound, limit=limit, offset=offset,
                               scope=admin.scope)


OrgFilter = Annotated[int | None, Query(ge=1, le=2**63 - 1,
                                        description="this org and everything below it")]
Search = Annotated[str | None, Query(max_length=40, description="part of a name or phone")]
Bound = Annotated[bool | None, Query(description="only people bound (true) or not (false)")]


@router.post("", response_model=ImportOut, status_code=201)
def import_roster(
    admin: CurrentAdmin,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="XLSX or CSV with a header row")],
) -> ImportOut:
    """Import a roster file; 422 lists every problem by row and column and imports nothing
    (a scoped token: rows outside its subtree are problems too)."""
    data = file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput("file too large", errors=[{"field": "file",
                                                      "message": "at most 20 MB"}])
    summary = service.import_roster(session, data, file.filename or "", datetime.now(UTC),
                                    admin.scope)
    return ImportOut(rows=summary.rows, created=summary.created, updated=summary.updated,
                     orgs_created=summary.orgs_created)


@router.get("", response_model=EntryPage, responses=errors_answered(404))
def list_roster(admin: CurrentAdmin, session: SessionDep, org_id: OrgFilter = None,
                q: Search = None, bound: Bound = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> EntryPage:
    """People on the roster, by org then name; ``org_id`` includes the org's subtree."""
    return EntryPage.model_validate(service.roster_page(
        session, _query(admin, org_id, q, bound, limit, offset)))


@router.get(".xlsx", response_class=Response, responses=errors_answered(404) | {
            200: {"content": {_XLSX: {}}, "description": "the roster workbook"}})
def download_roster(admin: CurrentAdmin, session: SessionDep, org_id: OrgFilter = None,
                    q: Search = None, bound: Bound = None) -> Response:
    """The roster (filtered as the list is) as XLSX, in the layout the import reads."""
    data = service.export_xlsx(session, _query(admin, org_id, q, bound))
    return Response(data, media_type=_XLSX,
                    headers={"Content-Disposition": "attachment; filename=roster.xlsx"})


@router.delete("/{entry_id}/binding", response_model=EntryOut, responses=errors_answered(409))
def undo_binding(entry_id: EntityId, admin: CurrentAdmin, session: SessionDep) -> EntryOut:
    """Unbind the WeChat member from this entry (409 when it is not bound)."""
    return EntryOut.model_validate(service.unbind_view(session, entry_id, admin.scope))
