"""Events in the console beyond the sign-up list: create and edit (admins, as over the API),
and at the door (organizers too): the check-in QR code, the printable sign-in sheet (签到表)
and walk-ins added and checked in on the spot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.tokens import Role
from app.console.content import page, require_admin
from app.console.session import CheckedForm, ConsoleUser, ConsoleUserDep, current_user
from app.db import Database
from app.deps import DatabaseDep, EntityId, SessionDep, SettingsDep
from app.errors import InvalidInput
from app.events import roster, service
from app.events.kinds import LABELS
from app.events.qrcode import MAX_EXPIRE_SECONDS, checkin_scene, qrcode_png
from app.events.roster import RosterQuery
from app.events.schemas import EventCreate, EventPatch
from app.events.walkins import add_walk_in
from app.models import ApiToken, Event, Org
from app.settings import Settings
from app.wechat.api import WeChatAPI, WeChatAPIError

router = APIRouter(prefix="/console/events", tags=["console"])

WHAT = "新建或修改活动"
_FIELDS = ("title", "description", "location", "starts_at", "capacity", "signup_deadline",
           "remind_before_minutes", "organizer", "kind", "org_id")
# What each field must be, as the admin reads it beside the field.
_FIELD_RULES = {
    "title": "请填写标题（最多 100 个字）。",
    "description": "说明最多 5000 个字。",
    "location": "请填写地点（最多 100 个字）。",
    "starts_at": "请填写开始时间，例如 2026-12-20 09:00。",
    "capacity": "名额须为 1 至 100000 之间的整数。",
    "signup_deadline": "报名截止时间格式有误，例如 2026-12-19 18:00；不设截止请留空。",
    "remind_before_minutes": "提前提醒的分钟数须为 0 至 10080（7 天）之间的整数。",
    "organizer": "请从列表中选择组织者。",
    "kind": "请从列表中选择类型。",
    "org_id": "请从列表中选择所属组织。",
}
# The services' refusals, by the field they name.
_REFUSALS = {
    "starts_at": "开始时间必须晚于现在。",
    "signup_deadline": "报名截止时间不能晚于开始时间。",
    "organizer": "所选组织者的令牌已停用或不存在，请重新选择。",
    "org_id": "所选组织不存在，或不在您的管理范围内。",
    "status": "活动已取消，不能再修改。",
}
# The one refusal of an empty 所属组织: a meeting (组织生活) needs one.
_MEETING_WITHOUT_ORG = "会议须选择所属组织：该组织已绑定的党员即是应参会人员。"


def _local_input(moment: datetime | None, zone: ZoneInfo) -> str:
    """A stored time as a ``datetime-local`` input shows it."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if moment else ""


@dataclass(slots=True)
class EventForm:
    """The event form's values as typed, and what is wrong with them."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def posted(cls, form: dict[str, str]) -> EventForm:
        return cls({name: form.get(name, "").strip() for name in _FIELDS})

    @classmethod
    def of(cls, event: Event, zone: ZoneInfo) -> EventForm:
        return cls({"title": event.title, "description": event.description,
                    "location": event.location,
                    "starts_at": _local_input(event.starts_at, zone),
                    "capacity": str(event.capacity),
                    "signup_deadline": _local_input(event.signup_deadline, zone),
                    "remind_before_minutes": str(event.remind_before_minutes),
                    "organizer": str(event.organizer_token_id or ""), "kind": event.kind,
                    "org_id": str(event.org_id or "")})

    def data(self) -> dict[str, object]:
        """The values as the API's schemas take them (empty optional fields as null)."""
        values: dict[str, object] = {**self.values}
        for name in ("signup_deadline", "organizer", "org_id"):
            if values.get(name) == "":
                values[name] = None
        if values.get("organizer") and str(values["organizer"]).isdecimal():
            values["organizer"] = int(str(values["organizer"]))
        return values

    def explain(self, error: ValidationError | InvalidInput) -> None:
        if isinstance(error, ValidationError):
            for problem in error.errors():
                name = str(problem["loc"][0]) if problem["loc"] else "title"
                self.errors.setdefault(name, _FIELD_RULES.get(name, "请检查这一项。"))
            return
        for refusal in error.errors or []:
            name = str(refusal.get("field", ""))
            if name == "org_id" and not self.values.get("org_id"):
                self.errors[name] = _MEETING_WITHOUT_ORG
                continue
            self.errors[name] = _REFUSALS.get(name, _FIELD_RULES.get(name, "请检查这一项。"))


def _choices(session: Session, user: ConsoleUser) -> dict[str, Any]:
    scope = user.principal.scope
    # The organizers an event may be handed to: as the API's, those of the admin's subtree.
    organizers = session.scalars(select(ApiToken).where(
        ApiToken.role == Role.ORGANIZER.value, ApiToken.revoked_at.is_(None),
        scope.holds_org(ApiToken.org_id))
        .order_by(ApiToken.name, ApiToken.id)).all()
    orgs = session.scalars(select(Org).where(scope.orgs())
                           .order_by(Org.path)).all()
    return {"organizers": organizers, "orgs": orgs, "kinds": LABELS}


def _form_context(session: Session, user: ConsoleUser, form: EventForm,
                  event: Event | None) -> dict[str, Any]:
    return {"user": user, "form": form, "event": event, **_choices(session, user)}


def new_event_context(session: Session, user: ConsoleUser) -> dict[str, Any]:
    require_admin(user, WHAT)
    form = EventForm({"kind": "activity", "remind_before_minutes": "60", "capacity": "30"})
    return _form_context(session, user, form, None)


def edit_event_context(session: Session, user: ConsoleUser, event_id: int, zone: ZoneInfo
                       ) -> dict[str, Any]:
    require_admin(user, WHAT)
    event = service.event_for(session, event_id, user.principal)
    return _form_context(session, user, EventForm.of(event, zone), event)


@dataclass(frozen=True, slots=True)
class Posted:
    redirect: str | None = None
    context: dict[str, Any] | None = None


def create_event(session: Session, user: ConsoleUser, posted: dict[str, str], zone: ZoneInfo
                 ) -> Posted:
    require_admin(user, WHAT)
    form = EventForm.posted(posted)
    try:
        data = EventCreate.model_validate(form.data()).in_zone(zone)
        event = service.create_event(session, data, datetime.now(UTC), user.principal, zone)
    except (ValidationError, InvalidInput) as error:
        form.explain(error)
        return Posted(context=_form_context(session, user, form, None))
    return Posted(redirect=f"/console/events/{event.id}")


def update_event(session: Session, user: ConsoleUser, event_id: int, posted: dict[str, str],
                 zone: ZoneInfo) -> Posted:
    """Save what changed: an unchanged start is not a move (a past event stays editable)."""
    require_admin(user, WHAT)
    event = service.event_for(session, event_id, user.principal)
    before = EventForm.of(event, zone).data()
    form = EventForm.posted(posted)
    changed = {name: value for name, value in form.data().items() if value != before.get(name)}
    try:
        patch = EventPatch.model_validate(changed).in_zone(zone)
        service.update_event(session, event_id, patch, datetime.now(UTC), zone, user.principal)
    except (ValidationError, InvalidInput) as error:
        form.explain(error)
        if "capacity" in form.errors and "capacity" in changed:
            form.errors["capacity"] = (f"已有 {event.seats_taken} 人占用名额，名额不能少于这个数；"
                                       "如需减少，请先取消部分报名。")
        return Posted(context=_form_context(session, user, form, event))
    return Posted(redirect=f"/console/events/{event_id}")


def cancel_event(session: Session, user: ConsoleUser, event_id: int, posted: dict[str, str],
                 zone: ZoneInfo) -> Posted:
    require_admin(user, "取消活动")
    if posted.get("confirm") != "yes":
        context = edit_event_context(session, user, event_id, zone)
        context["cancel_error"] = "请先勾选“确认取消”：取消后会通知所有已报名的成员。"
        return Posted(context=context)
    service.cancel_event(session, event_id, datetime.now(UTC), zone, user.principal)
    return Posted(redirect=f"/console/events/{event_id}")


def door_context(session: Session, user: ConsoleUser, event_id: int, zone: ZoneInfo,
                 **extra: Any) -> dict[str, Any]:
    event = service.event_for(session, event_id, user.principal)
    return {"user": user, "event": service.describe(session, [event], zone)[0], "zone": zone,
            "walk_in": None, "errors": {}, "name": "", "phone": "", **extra}


_WALK_IN_REFUSALS = {
    "full": "名额已满，未能登记。如需让这位同志参加，请先在“编辑活动”中增加名额。",
    "too_early": "签到尚未开放（活动开始前一小时开放），请稍后再登记。",
    "too_late": "活动已结束，签到已关闭。",
    "cancelled": "活动已取消，不能登记。",
    "waitlisted": "这位同志已在候补名单中；名额已满，暂不能签到。",
}


def walk_in(session: Session, user: ConsoleUser, event_id: int, posted: dict[str, str],
            zone: ZoneInfo) -> dict[str, Any]:
    name, phone = posted.get("name", ""), posted.get("phone", "")
    try:
        result = add_walk_in(session, event_id, user.principal, name, phone,
                             datetime.now(UTC), zone)
    except InvalidInput as refused:
        errors = {str(e["field"]): str(e["message"]) for e in refused.errors or []}
        return door_context(session, user, event_id, zone, errors=errors, name=name,
                            phone=phone)
    if result.outcome in _WALK_IN_REFUSALS:
        return door_context(session, user, event_id, zone, name=name, phone=phone,
                            errors={"form": _WALK_IN_REFUSALS[result.outcome]})
    said = "已签到过" if result.outcome == "already_checked_in" else "已登记并签到"
    return door_context(session, user, event_id, zone, walk_in=f"{result.name}：{said}。")


def sheet_context(session: Session, user: ConsoleUser, event_id: int, zone: ZoneInfo
                  ) -> dict[str, Any]:
    event = service.event_for(session, event_id, user.principal)
    _total, items = roster.roster(session, event, RosterQuery("confirmed"))
    return {"user": user, "event": service.describe(session, [event], zone)[0], "zone": zone,
            "items": items, "kind": LABELS.get(event.kind, "活动"),
            "printed_at": datetime.now(zone)}


def wechat_api(request: Request) -> WeChatAPI:
    api: WeChatAPI = request.app.state.wechat_api
    return api


async def checkin_qrcode_png(request: Request, database: Database, settings: Settings,
                             api: WeChatAPI, event_id: int) -> bytes | None:
    """The event's check-in code from the platform, drawn; None when the platform failed.

    The session is checked in a unit of work of its own that ends before the call to
    the platform: the API client needs the database for its access token, and a
    connection held across that call would wait for itself on SQLite's single one.
    """
    def visible(session: Session) -> None:
        user = current_user(request, session, settings)
        service.event_for(session, event_id, user.principal)

    await database.run(visible)
    try:
        code = await api.create_qrcode(checkin_scene(event_id), MAX_EXPIRE_SECONDS)
    except WeChatAPIError:
        return None
    return qrcode_png(code.url)


# ------------------------------------------------------------------ routes

WeChatDep = Annotated[WeChatAPI, Depends(wechat_api)]


def _answer(request: Request, posted: Posted, template: str) -> Response:
    if posted.redirect is not None:
        return RedirectResponse(posted.redirect, status_code=303)
    return page(request, template, posted.context or {}, 422)


@router.get("/new", response_class=HTMLResponse)
def new_event(request: Request, session: SessionDep, user: ConsoleUserDep) -> HTMLResponse:
    """An empty event form (admins)."""
    return page(request, "event_form.html", new_event_context(session, user))


@router.post("/new", response_class=HTMLResponse)
def create(request: Request, session: SessionDep, settings: SettingsDep, user: ConsoleUserDep,
           form: CheckedForm) -> Response:
    """Create the event, or show the form again naming what is wrong."""
    return _answer(request, create_event(session, user, form, settings.zone), "event_form.html")


@router.get("/{event_id}/edit", response_class=HTMLResponse)
def edit(request: Request, event_id: EntityId, session: SessionDep, settings: SettingsDep,
         user: ConsoleUserDep) -> HTMLResponse:
    """The event's form (admins); moving it moves its reminders."""
    return page(request, "event_form.html",
                edit_event_context(session, user, event_id, settings.zone))


@router.post("/{event_id}/edit", response_class=HTMLResponse)
def update(request: Request, event_id: EntityId, session: SessionDep, settings: SettingsDep,
           user: ConsoleUserDep, form: CheckedForm) -> Response:
    """Save the changed fields, or show the form again naming what is wrong."""
    return _answer(request, update_event(session, user, event_id, form, settings.zone),
                   "event_form.html")


@router.post("/{event_id}/cancel", response_class=HTMLResponse)
def cancel(request: Request, event_id: EntityId, session: SessionDep, settings: SettingsDep,
           user: ConsoleUserDep, form: CheckedForm) -> Response:
    """Cancel the event and tell everyone signed up (admins, after confirming)."""
    return _answer(request, cancel_event(session, user, event_id, form, settings.zone),
                   "event_form.html")


@router.get("/{event_id}/door", response_class=HTMLResponse)
def door(request: Request, event_id: EntityId, session: SessionDep, settings: SettingsDep,
         user: ConsoleUserDep) -> HTMLResponse:
    """At the door: the check-in QR code to show or print, and walk-ins."""
    return page(request, "event_door.html", door_context(session, user, event_id, settings.zone))


@router.post("/{event_id}/walk-ins", response_class=HTMLResponse)
def add_walk_in_page(request: Request, event_id: EntityId, session: SessionDep,
                     settings: SettingsDep, user: ConsoleUserDep,
                     form: CheckedForm) -> HTMLResponse:
    """Add someone who came without signing up, and check them in."""
    context = walk_in(session, user, event_id, form, settings.zone)
    return page(request, "event_door.html", context, 422 if context["errors"] else 200)


@router.get("/{event_id}/qrcode.png", response_class=Response)
async def qrcode(request: Request, event_id: EntityId, database: DatabaseDep,
                 settings: SettingsDep, api: WeChatDep) -> Response:
    """The check-in QR code as an image; scanning it with WeChat checks the member in."""
    image = await checkin_qrcode_png(request, database, settings, api, event_id)
    if image is None:
        return Response(status_code=503, headers={"Retry-After": "30"})
    return Response(image, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.get("/{event_id}/sheet", response_class=HTMLResponse)
def sheet(request: Request, event_id: EntityId, session: SessionDep, settings: SettingsDep,
          user: ConsoleUserDep) -> HTMLResponse:
    """The sign-in sheet (签到表) to print on A4: confirmed sign-ups, a blank signature column."""
    return page(request, "event_sheet.html",
                sheet_context(session, user, event_id, settings.zone))

