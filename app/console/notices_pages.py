"""Notices (通知) in the console: the list with how each did, a form with a live preview
(htmx) of what a member reads, the notice's page with its send button, and after the
send the counts by channel and why the others were not reached, which refresh themselves
(htmx) while the dispatcher is still sending.

For admins and organizers (an org-scoped one within its subtree; an organizer not
limited to an org to any org, seeing the notices it wrote). Each handler makes one call
here; the rules are in :mod:`app.notices`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.console.content import page
from app.console.session import (
    CheckedForm,
    ConsoleUser,
    ConsoleUserDep,
    checked_form,
    current_user,
)
from app.db import Database
from app.deps import DatabaseDep, EntityId, SessionDep, SettingsDep
from app.errors import Conflict, InvalidInput
from app.models import Org
from app.notices import sending, service
from app.notices.router import WeChatDep
from app.settings import Settings
from app.wechat.api import WeChatAPI

router = APIRouter(prefix="/console/notices", tags=["console"])

STATUS_LABELS = {"draft": "草稿（未发送）", "sending": "发送中", "sent": "已发送"}


@dataclass(frozen=True, slots=True)
class NoticeForm:
    """The form as typed, to show again with what is wrong beside each field."""

    title: str = ""
    body: str = ""
    org_ids: tuple[int, ...] = ()
    everyone: bool = False
    errors: dict[str, str] | None = None

    def composed(self) -> service.Composed:
        return service.Composed(self.title, self.body, self.org_ids, self.everyone)


async def posted_notice(request: Request, form: CheckedForm) -> NoticeForm:
    """The notice form once its CSRF token matched; the org boxes are many values of one name."""
    boxes = (await request.form()).getlist("org_ids")
    org_ids = tuple(int(value) for value in boxes
                    if isinstance(value, str) and value.isdigit() and len(value) < 19)
    return NoticeForm(form.get("title", "")[:400], form.get("body", "")[:5000], org_ids,
                      form.get("everyone") == "1")


PostedNotice = Annotated[NoticeForm, Depends(posted_notice)]


def _orgs(session: Session, user: ConsoleUser) -> list[dict[str, Any]]:
    """The orgs the user may send to, in tree order, each with its depth below the scope."""
    orgs = session.scalars(select(Org).where(user.principal.scope.orgs())
                           .order_by(Org.path)).all()
    top = min((org.path.count("/") for org in orgs), default=0)
    return [{"id": org.id, "name": org.name, "depth": org.path.count("/") - top}
            for org in orgs]


def _now() -> datetime:
    return datetime.now(UTC)


def list_context(session: Session, user: ConsoleUser, settings: Settings) -> dict[str, Any]:
    return {"user": user, "zone": settings.zone, "labels": STATUS_LABELS,
            "channels": service.CHANNELS,
            "notices": service.show_all(session, user.principal, settings.zone, _now())}


def form_context(session: Session, user: ConsoleUser, settings: Settings,
                 form: NoticeForm) -> dict[str, Any]:
    text, fields = service.preview(session, user.principal, form.composed(), settings.zone,
                                   _now())
    return {"user": user, "form": form, "orgs": _orgs(session, user),
            "may_send_to_everyone": service.may_send_to_everyone(user.principal),
            "text": text, "template_data": fields}


def create(session: Session, user: ConsoleUser, settings: Settings,
           form: NoticeForm) -> tuple[int | None, dict[str, Any]]:
    """The new notice's id, or the form again with each field's problem."""
    try:
        notice = service.create_notice(session, user.principal, form.composed(), _now())
    except InvalidInput as refused:
        errors: dict[str, str] = {}
        for error in refused.errors or []:
            name = str(error.get("field", ""))
            errors[name] = "；".join(filter(None, (errors.get(name), str(error["message"]))))
        shown = NoticeForm(form.title, form.body, form.org_ids, form.everyone, errors)
        return None, form_context(session, user, settings, shown)
    return notice.id, {}


def notice_context(session: Session, user: ConsoleUser, settings: Settings, notice_id: int,
                   *, sent: bool = False, error: str | None = None) -> dict[str, Any]:
    view = service.show(session, notice_id, user.principal, settings.zone, _now())
    return {"user": user, "notice": view, "zone": settings.zone, "labels": STATUS_LABELS,
            "channels": service.CHANNELS, "sent": sent, "error": error}


async def send(database: Database, user: ConsoleUser, settings: Settings, api: WeChatAPI,
               notice_id: int, confirmed: bool) -> str | None:
    """Send the notice; None when sent, else the Chinese reason it was not."""
    if not confirmed:
        return "请先勾选“我已核对预览，确认发送”，再点发送。"
    channels = sending.channels_of(settings.reminder_template_id,
                                   settings.mp_reminder_template_id, settings.zone)
    try:
        await sending.send_notice(database, api, notice_id, user.principal, channels,
                                  _now())
    except Conflict as refused:
        return refused.message
    return None


# ------------------------------------------------------------------ routes


@router.get("", response_class=HTMLResponse)
def notices(request: Request, session: SessionDep, settings: SettingsDep,
            user: ConsoleUserDep) -> HTMLResponse:
    """The notices in the user's scope, each with whom it reached and how."""
    return page(request, "notices.html", list_context(session, user, settings))


@router.get("/new", response_class=HTMLResponse)
def new_notice(request: Request, session: SessionDep, settings: SettingsDep,
               user: ConsoleUserDep) -> HTMLResponse:
    """An empty notice form with its preview."""
    return page(request, "notice_form.html", form_context(session, user, settings, NoticeForm()))


@router.post("/new", response_class=HTMLResponse)
def create_notice(request: Request, session: SessionDep, settings: SettingsDep,
                  user: ConsoleUserDep, form: PostedNotice) -> Response:
    """Save the draft and open it (to preview and send), or show the form again."""
    notice_id, context = create(session, user, settings, form)
    if notice_id is None:
        return page(request, "notice_form.html", context, 422)
    return RedirectResponse(f"/console/notices/{notice_id}?created=1", status_code=303)


@router.post("/preview", response_class=HTMLResponse)
def preview(request: Request, session: SessionDep, settings: SettingsDep,
            user: ConsoleUserDep, form: PostedNotice) -> HTMLResponse:
    """The preview alone, as the form is typed (htmx): stores nothing."""
    return page(request, "notice_preview.html", form_context(session, user, settings, form))


@router.get("/{notice_id}", response_class=HTMLResponse)
def notice(request: Request, notice_id: EntityId, session: SessionDep, settings: SettingsDep,
           user: ConsoleUserDep, created: bool = False, sent: bool = False) -> HTMLResponse:
    """One notice: as a member reads it, the send button, then how it did."""
    context = notice_context(session, user, settings, notice_id, sent=sent)
    return page(request, "notice.html", {**context, "created": created})


async def signed_in_user(request: Request, database: Database,
                          settings: Settings) -> tuple[ConsoleUser, dict[str, str]]:
    """The signed-in user and the posted form (its CSRF token checked), from units of work
    that end before the platform is called: the API client needs the database for its
    access token, and a connection held across the call would wait for itself on SQLite."""
    def signed(session: Session) -> ConsoleUser:
        return current_user(request, session, settings)

    user = await database.run(signed)
    return user, await checked_form(request, user)


@router.get("/{notice_id}/result", response_class=HTMLResponse)
def result(request: Request, notice_id: EntityId, session: SessionDep, settings: SettingsDep,
           user: ConsoleUserDep) -> HTMLResponse:
    """The counts and reasons alone, refreshed by htmx while messages are on the way."""
    return page(request, "notice_result.html",
                notice_context(session, user, settings, notice_id))


@router.post("/{notice_id}/send", response_class=HTMLResponse)
async def send_notice(request: Request, notice_id: EntityId, database: DatabaseDep,
                      settings: SettingsDep, api: WeChatDep) -> Response:
    """Send the notice (after the confirm box), then show how it did."""
    user, form = await signed_in_user(request, database, settings)
    error = await send(database, user, settings, api, notice_id, form.get("confirm") == "1")
    if error is not None:
        context = await database.run(lambda session: notice_context(
            session, user, settings, notice_id, error=error))
        return page(request, "notice.html", context, 409 if "已经发送" in error else 422)
    return RedirectResponse(f"/console/notices/{notice_id}?sent=1", status_code=303)
