"""后台角色: admins give roster entries console roles, scoped to an org, and take them back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from app.console import roles
from app.console.rendering import page
from app.console.session import CheckedForm, ConsoleAdminDep
from app.deps import EntityId, SessionDep

router = APIRouter(prefix="/console/roles", tags=["console"])
Search = Annotated[str, Query(max_length=32)]
Notice = Annotated[str, Query(max_length=40)]


@router.get("", response_class=HTMLResponse)
def roles_page(request: Request, session: SessionDep, user: ConsoleAdminDep,
               q: Search = "", granted: Notice = "", revoked: Notice = "") -> HTMLResponse:
    """Who holds a console role in my scope; find a roster entry to give one."""
    return page(request, "roles.html", {
        "user": user, "q": q.strip(), "granted": granted, "revoked": revoked,
        "holders": roles.holders(session, user.principal.scope),
        "candidates": roles.candidates(session, user.principal.scope, q),
        "orgs": roles.assignable_orgs(session, user.principal.scope),
        "labels": roles.ROLE_LABELS})


@router.get("/candidates", response_class=HTMLResponse)
def candidates(request: Request, session: SessionDep, user: ConsoleAdminDep,
               q: Search = "") -> HTMLResponse:
    """The search results alone, for the page's live search."""
    return page(request, "roles_candidates.html", {
        "user": user, "q": q.strip(),
        "candidates": roles.candidates(session, user.principal.scope, q),
        "orgs": roles.assignable_orgs(session, user.principal.scope),
        "labels": roles.ROLE_LABELS})


@router.post("")
def grant(session: SessionDep, user: ConsoleAdminDep, form: CheckedForm) -> Response:
    """Give the chosen roster entry a role over an org; a role it held is replaced."""
    name = roles.grant_from_form(session, user.principal, form, datetime.now(UTC))
    return RedirectResponse(f"/console/roles?{urlencode({'granted': name})}", status_code=303)


@router.post("/{role_id}/revoke")
def revoke(role_id: EntityId, session: SessionDep, user: ConsoleAdminDep,
           _form: CheckedForm) -> Response:
    """Take the role away; the holder's console sessions end at once."""
    roles.revoke(session, user.principal, role_id, datetime.now(UTC))
    return RedirectResponse("/console/roles?revoked=1", status_code=303)
