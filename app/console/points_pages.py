"""Red points in the console: the queue of members' claims (申报) to approve or reject, and an
organizer's award for an offline deed (先锋事迹).

The forms are read here and handed to the red-points services (:mod:`app.points.views`),
which check the catalogue, the caps and the scope; their refusals come back as Chinese
sentences beside the field they name, and nothing is written. Two organizers approving one
claim at once award it once: the service decides by a conditional UPDATE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.console.content import page
from app.console.refusals import ConsoleRefusal
from app.console.session import CheckedForm, ConsoleUser, ConsoleUserDep
from app.deps import EntityId, SessionDep, SettingsDep
from app.errors import Conflict, InvalidInput
from app.models import Org, RosterEntry
from app.orgs.service import full_names
from app.points import catalogue, claims, deeds, views
from app.points.rules import DEED_CATEGORIES
from app.points.schemas import ApproveIn, AwardIn, RejectIn
from bots.texts import mask_phone

router = APIRouter(prefix="/console/points", tags=["console"])

QUEUE_SHOWN = 100
FOUND_SHOWN = 20
BACK = "/console/points/claims"
_WHOLE = re.compile(r"[+-]?\d{1,9}")
_DECIMAL = re.compile(r"[+-]?\d{1,6}(\.\d{1,2})?")


@dataclass(frozen=True, slots=True)
class RuleHint:
    category: str
    points: int
    caps: str


@dataclass(frozen=True, slots=True)
class Answer:
    """Where to go after a form, or the page to show again (with ``status``)."""

    redirect: str | None = None
    context: dict[str, Any] | None = None
    status: int = 422


def _hints(session: Session, now: datetime) -> list[RuleHint]:
    """Each deed category's points and caps by the catalogue, for the organizer choosing."""
    current = catalogue.current(session, now)
    hints = []
    for category, activity in DEED_CATEGORIES.items():
        rule = current.rule(activity)
        caps = "，".join(f"{label}最多 {cap} 分" for label, cap in (
            ("每日", rule.daily_cap), ("每月", rule.monthly_cap), ("每年", rule.yearly_cap))
            if cap is not None)
        hints.append(RuleHint(category, rule.points, caps or "不设上限"))
    return hints


def _whole(form: dict[str, str], name: str, label: str, errors: dict[str, str]) -> int | None:
    text = form.get(name, "").strip()
    if not text:
        return None
    if not _WHOLE.fullmatch(text):
        errors[name] = f"{label}须为整数，例如 5。"
        return None
    return int(text)


def _hours(form: dict[str, str], errors: dict[str, str]) -> float | None:
    text = form.get("hours", "").strip()
    if not text:
        return None
    if not _DECIMAL.fullmatch(text):
        errors["hours"] = "服务时长须为数字，例如 2 或 1.5。"
        return None
    return float(text)


def _refusals(refused: InvalidInput) -> dict[str, str]:
    found = {str(error.get("field", "form")): str(error.get("message", ""))
             for error in refused.errors or []}
    return {field: message if message.endswith("。") else f"{message}。"
            for field, message in (found or {"form": refused.message}).items()}


# ------------------------------------------------------------------ the claims queue


def claims_context(session: Session, user: ConsoleUser, now: datetime, *,
                   errors: dict[int, dict[str, str]] | None = None,
                   posted: dict[int, dict[str, str]] | None = None) -> dict[str, Any]:
    pending = claims.list_claims(session, status=claims.PENDING,
                                 within=user.principal.scope.org_path, limit=QUEUE_SHOWN,
                                 offset=0)
    return {"user": user, "pending": pending, "org_names": full_names(session),
            "hints": _hints(session, now), "categories": list(DEED_CATEGORIES),
            "errors": errors or {}, "posted": posted or {}, "shown": QUEUE_SHOWN}


_CLAIM_FIELDS = ("category", "points", "reason")


def _refused(session: Session, user: ConsoleUser, claim_id: int, form: dict[str, str],
             errors: dict[str, str], status: int = 422) -> Answer:
    """The queue again, each refusal beside its field; the others above the queue."""
    shown = {name: message for name, message in errors.items() if name in _CLAIM_FIELDS}
    others = [message for name, message in errors.items() if name not in _CLAIM_FIELDS]
    if others:
        shown["form"] = "".join(others)
    return Answer(context=claims_context(session, user, datetime.now(UTC),
                                         errors={claim_id: shown}, posted={claim_id: form}),
                  status=status)


def approve(session: Session, user: ConsoleUser, claim_id: int, form: dict[str, str],
            zone: ZoneInfo) -> Answer:
    errors: dict[str, str] = {}
    points = _whole(form, "points", "分值", errors)
    hours = _hours(form, errors)
    if errors:
        return _refused(session, user, claim_id, form, errors)
    decision = ApproveIn(category=form.get("category", "").strip() or None, points=points,
                         hours=hours, reason=form.get("reason", ""))
    try:
        views.approve(session, claim_id, decision, user.principal, zone)
    except InvalidInput as refused:
        return _refused(session, user, claim_id, form, _refusals(refused))
    except Conflict as refused:
        return _refused(session, user, claim_id, form, {"form": f"{refused.message}。"}, 409)
    return Answer(redirect=f"{BACK}?approved={claim_id}")


def reject(session: Session, user: ConsoleUser, claim_id: int, form: dict[str, str],
           zone: ZoneInfo) -> Answer:
    try:
        views.reject(session, claim_id, RejectIn(reason=form.get("reason", "")),
                     user.principal, zone)
    except InvalidInput as refused:
        return _refused(session, user, claim_id, form, _refusals(refused))
    except Conflict as refused:
        return _refused(session, user, claim_id, form, {"form": f"{refused.message}。"}, 409)
    return Answer(redirect=f"{BACK}?rejected={claim_id}")


# ------------------------------------------------------------------ awarding a deed


@dataclass(frozen=True, slots=True)
class FoundMember:
    member_id: int
    name: str
    phone: str  # masked
    org: str


def find_members(session: Session, user: ConsoleUser, search: str) -> list[FoundMember]:
    """Bound members of the scope whose name or phone contains ``search``."""
    words = search.strip()
    if not words:
        return []
    pattern = f"%{words}%"
    rows = session.execute(
        select(RosterEntry.member_id, RosterEntry.name, RosterEntry.phone, RosterEntry.org_id)
        .join(Org, Org.id == RosterEntry.org_id)
        .where(RosterEntry.member_id.is_not(None),
               user.principal.scope.holds_org(RosterEntry.org_id),
               or_(RosterEntry.name.like(pattern), RosterEntry.phone.like(pattern)))
        .order_by(Org.path, RosterEntry.name, RosterEntry.id).limit(FOUND_SHOWN)).all()
    names = full_names(session) if rows else {}
    return [FoundMember(int(member_id), name, mask_phone(phone), names.get(org_id, ""))
            for member_id, name, phone, org_id in rows if member_id is not None]


def award_context(session: Session, user: ConsoleUser, member_id: int | None, search: str,
                  zone: ZoneInfo, now: datetime, *, values: dict[str, str] | None = None,
                  errors: dict[str, str] | None = None) -> dict[str, Any]:
    chosen = None
    if member_id is not None:
        try:
            entry = deeds.bound_entry(session, member_id, within=user.principal.scope.org_path)
        except InvalidInput as refused:
            raise ConsoleRefusal(f"{refused.message}。", "/console/points/award") from None
        chosen = FoundMember(member_id, entry.name, mask_phone(entry.phone),
                             full_names(session).get(entry.org_id, ""))
    today = now.astimezone(zone).date().isoformat()
    return {"user": user, "chosen": chosen, "q": search.strip(),
            "found": [] if chosen else find_members(session, user, search),
            "hints": _hints(session, now), "categories": list(DEED_CATEGORIES),
            "values": {"category": "志愿服务", "occurred_on": today, **(values or {})},
            "errors": errors or {}, "today": today}


def award(session: Session, user: ConsoleUser, form: dict[str, str], zone: ZoneInfo) -> Answer:
    now = datetime.now(UTC)
    errors: dict[str, str] = {}
    member_id = _whole(form, "member_id", "党员编号", errors)
    points = _whole(form, "points", "分值", errors)
    hours = _hours(form, errors)
    occurred_on = None
    try:
        occurred_on = date.fromisoformat(form.get("occurred_on", "").strip())
    except ValueError:
        errors["occurred_on"] = "请填写事迹日期，例如 2026-12-01。"
    if member_id is None or member_id < 1:
        return Answer(context=award_context(
            session, user, None, "", zone, now, values=form,
            errors={**errors, "member_id": "请先搜索并选择党员。"}))
    if errors or occurred_on is None:
        return Answer(context=award_context(session, user, member_id, "", zone, now,
                                            values=form, errors=errors))
    body = AwardIn(member_id=member_id, category=form.get("category", "").strip(),
                   points=points, hours=hours, note=form.get("note", ""),
                   occurred_on=occurred_on)
    try:
        views.award(session, body, user.principal, zone)
    except InvalidInput as refused:
        return Answer(context=award_context(session, user, member_id, "", zone, now,
                                            values=form, errors=_refusals(refused)))
    year = occurred_on.year
    return Answer(redirect=f"/console/members/{member_id}/record?year={year}&awarded=1")


# ------------------------------------------------------------------ routes

Search = Annotated[str, Query(max_length=32)]
MemberChoice = Annotated[int | None, Query(ge=1, le=2**63 - 1)]


def _answer(request: Request, answer: Answer, template: str) -> Response:
    if answer.redirect is not None:
        return RedirectResponse(answer.redirect, status_code=303)
    return page(request, template, answer.context or {}, answer.status)


@router.get("/claims", response_class=HTMLResponse)
def claims_queue(request: Request, session: SessionDep, user: ConsoleUserDep) -> HTMLResponse:
    """Members' pending claims in the scope, oldest first, each with approve and reject."""
    return page(request, "claims.html", claims_context(session, user, datetime.now(UTC)))


@router.post("/claims/{claim_id}/approve", response_class=HTMLResponse)
def approve_claim(request: Request, claim_id: EntityId, session: SessionDep,
                  settings: SettingsDep, user: ConsoleUserDep, form: CheckedForm) -> Response:
    """Approve and award the claim once, within the rule's cap; the member is told."""
    return _answer(request, approve(session, user, claim_id, form, settings.zone),
                   "claims.html")


@router.post("/claims/{claim_id}/reject", response_class=HTMLResponse)
def reject_claim(request: Request, claim_id: EntityId, session: SessionDep,
                 settings: SettingsDep, user: ConsoleUserDep, form: CheckedForm) -> Response:
    """Turn the claim down with a reason the member is told."""
    return _answer(request, reject(session, user, claim_id, form, settings.zone),
                   "claims.html")


@router.get("/award", response_class=HTMLResponse)
def award_form(request: Request, session: SessionDep, settings: SettingsDep,
               user: ConsoleUserDep, member_id: MemberChoice = None,
               q: Search = "") -> HTMLResponse:
    """The deed form: find the member by name or phone, then category, points, note, date."""
    return page(request, "award.html",
                award_context(session, user, member_id, q, settings.zone, datetime.now(UTC)))


@router.post("/award", response_class=HTMLResponse)
def award_deed(request: Request, session: SessionDep, settings: SettingsDep,
               user: ConsoleUserDep, form: CheckedForm) -> Response:
    """Record the deed by the catalogue, or show the form again naming what is wrong."""
    return _answer(request, award(session, user, form, settings.zone), "award.html")
