"""``/api/admin/orgs``: the organisation tree."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Response

from app.deps import CurrentAdmin, EntityId, SessionDep
from app.errors import errors_answered
from app.orgs import service
from app.orgs.schemas import OrgIn, OrgNodeOut, OrgOut, OrgPatch

router = APIRouter(prefix="/api/admin/orgs", tags=["orgs"])


@router.post("", response_model=OrgOut, status_code=201, responses=errors_answered(409))
def create_org(body: OrgIn, admin: CurrentAdmin, session: SessionDep) -> OrgOut:
    """Create an org under ``parent_id`` (a root without it, or a scoped token's own org);
    names are unique among siblings."""
    return OrgOut.model_validate(service.create_org_in_scope(
        session, body.name, datetime.now(UTC), admin.scope, parent_id=body.parent_id,
        kind=body.kind))


@router.get("", response_model=list[OrgNodeOut])
def org_tree(admin: CurrentAdmin, session: SessionDep) -> list[OrgNodeOut]:
    """The tree (a scoped token's own subtree), each node with the roster and bound member
    counts of its subtree."""
    return [OrgNodeOut.model_validate(node, from_attributes=True)
            for node in service.org_tree(session, admin.scope)]


@router.patch("/{org_id}", response_model=OrgOut, responses=errors_answered(409))
def update_org(org_id: EntityId, body: OrgPatch, admin: CurrentAdmin,
               session: SessionDep) -> OrgOut:
    """Rename, change the kind or move the org (``parent_id``; null makes it a root)."""
    return OrgOut.model_validate(service.update_org(
        session, org_id, name=body.name, kind=body.kind, parent_id=body.parent_id,
        move="parent_id" in body.model_fields_set, scope=admin.scope))


@router.delete("/{org_id}", status_code=204, responses=errors_answered(409))
def delete_org(org_id: EntityId, admin: CurrentAdmin, session: SessionDep) -> Response:
    """Delete an org; 409 while it has child orgs or people on the roster."""
    service.delete_org(session, org_id, admin.scope)
    return Response(status_code=204)
