"""Members in the console: the 先锋指数 ranking of the signed-in scope, and each member's
一人一册 — the year's ledger (who recorded each line and why), deeds, claims and attendance —
as a page that prints on A4 and as the same workbook as the API's. A ledger line is
corrected (更正) from its row: a reversal line with the reason, written by the red-points
service as over the API, and the row, the new line and the totals swapped in place (htmx).

Everything is read through :mod:`app.points` with the console role's org path as
``within``: a member outside it is a 404, as over the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from app.console.content import is_htmx, page
from app.console.refusals import ConsoleRefusal
from app.console.rendering import templates
from app.console.session import CheckedForm, ConsoleUser, ConsoleUserDep
from app.deps import EntityId, SessionDep, SettingsDep
from app.errors import Conflict, InvalidInput
from app.events.kinds import LABELS as EVENT_KINDS
from app.exports import XLSX_MEDIA_TYPE
from app.points import deeds, pioneer, record, views
from app.points.rules import CATEGORIES
from app.points.service import SYSTEM

router = APIRouter(prefix="/console/members", tags=["console"])

RANKED_SHOWN = 200
_CLAIM_STATUS = {"pending": "待审核", "approved": "已通过", "rejected": "未通过"}


def recorder(recorded_by: str) -> str:
    """Who recorded a ledger line, as a person reads it: the automatic rules, or a name
    (without the token number that tells two tokens of one name apart)."""
    if recorded_by == SYSTEM:
        return "系统（按积分规则）"
    name = recorded_by.removeprefix("console:")
    head, _, number = name.rpartition("#")
    return head if head and number.isdecimal() else name


templates.env.filters["recorder"] = recorder


def this_quarter(now: datetime, zone: ZoneInfo) -> str:
    local = now.astimezone(zone)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


def ranking_context(session: Session, user: ConsoleUser, period: str | None,
                    zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    """The scope's bound members by 先锋指数 of the period, each linked to their record."""
    chosen = (period or "").strip() or this_quarter(now, zone)
    try:
        found = pioneer.pioneer_index(session, org_id=None, period=chosen, now=now,
                                      within=user.principal.scope.org_path,
                                      limit=RANKED_SHOWN)
    except InvalidInput:
        raise ConsoleRefusal("统计期间应为年（如 2026）、季度（如 2026Q4）或月份（如 2026-11）。",
                             "/console/members") from None
    return {"user": user, "ranking": found, "period": found.period, "categories": CATEGORIES,
            "year": now.astimezone(zone).year, "shown": RANKED_SHOWN}


def _member_record(session: Session, user: ConsoleUser, member_id: int, year: int,
                   zone: ZoneInfo) -> record.Record:
    try:
        return record.member_record(session, member_id, year, zone,
                                    within=user.principal.scope.org_path)
    except InvalidInput as refused:
        raise ConsoleRefusal(f"{refused.message}。", "/console/members") from None


@dataclass(frozen=True, slots=True)
class LineRefusal:
    """Why a line's correction was refused, and the reason as typed, for its row."""

    line_id: int
    message: str
    typed: str
    status: int


def record_context(session: Session, user: ConsoleUser, member_id: int, year: int | None,
                   zone: ZoneInfo, now: datetime,
                   refusal: LineRefusal | None = None) -> dict[str, Any]:
    found = _member_record(session, user, member_id, year or now.astimezone(zone).year, zone)
    return {"user": user, "record": found, "zone": zone, "categories": CATEGORIES,
            "kinds": EVENT_KINDS, "claim_status": _CLAIM_STATUS,
            "years": range(now.astimezone(zone).year, now.astimezone(zone).year - 5, -1),
            "printed_at": now.astimezone(zone), "refusal": refusal,
            "corrected_by": {line.reverses_id: line.id for line in found.ledger
                             if line.reverses_id is not None}}


@dataclass(slots=True)
class Correction:
    """A correction's answer: the line's row (and its new reversal) with the year's totals
    for htmx, or where a plain form goes next; ``status`` 409/422 when refused."""

    context: dict[str, Any] = field(default_factory=dict)
    redirect: str | None = None
    status: int = 200


def correct_line(session: Session, user: ConsoleUser, member_id: int, line_id: int,
                 reason: str, zone: ZoneInfo, now: datetime, *, fragment: bool) -> Correction:
    """Reverse the member's ledger line with ``reason`` through the red-points service.

    Its refusals (a line already corrected or itself a correction: 409; a reason empty,
    too long or with a listed word: 422) come back as Chinese sentences in the row.
    """
    # A member outside the scope is a 404, as their page is.
    try:
        deeds.bound_entry(session, member_id, within=user.principal.scope.org_path)
    except InvalidInput as refused:
        raise ConsoleRefusal(f"{refused.message}。", "/console/members") from None
    line = record.ledger_line(session, member_id, line_id)
    year = line.occurred_at.astimezone(zone).year
    refusal = None
    try:
        reversal = views.reverse_line(session, line_id, reason, user.principal, zone)
    except Conflict as refused:
        refusal = LineRefusal(line_id, refused.message, reason, 409)
    except InvalidInput as refused:
        said = [str(error.get("message", "")) for error in refused.errors or []]
        refusal = LineRefusal(line_id, "".join(said) or refused.message, reason, 422)
    if not fragment:
        if refusal is None:
            return Correction(redirect=f"/console/members/{member_id}/record?year={year}"
                                       f"&corrected={reversal.id}#line-{reversal.id}")
        return Correction(record_context(session, user, member_id, year, zone, now, refusal),
                          status=refusal.status)
    done = record.reversal_of(session, line_id)
    return Correction({
        "user": user, "zone": zone, "member_id": member_id, "line": line,
        "reversal": done if refusal is None else None, "refusal": refusal,
        "corrected_by": {line_id: done.id} if done is not None else {},
        "totals": record.year_totals(session, member_id, year, zone), "categories": CATEGORIES,
    }, status=refusal.status if refusal else 200)


def record_workbook(session: Session, user: ConsoleUser, member_id: int, year: int | None,
                    zone: ZoneInfo, now: datetime) -> tuple[int, bytes]:
    chosen = year or now.astimezone(zone).year
    return chosen, record.record_xlsx(_member_record(session, user, member_id, chosen, zone),
                                      zone)


# ------------------------------------------------------------------ routes

Year = Annotated[int | None, Query(ge=2000, le=2100, description="default: this year")]
Period = Annotated[str | None, Query(max_length=16, description="2026, 2026Q4 or 2026-11")]


@router.get("", response_class=HTMLResponse)
def members(request: Request, session: SessionDep, settings: SettingsDep,
            user: ConsoleUserDep, period: Period = None) -> HTMLResponse:
    """The scope's members ranked by 先锋指数, each linked to their 一人一册."""
    return page(request, "members.html",
                ranking_context(session, user, period, settings.zone, datetime.now(UTC)))


@router.get("/{member_id}/record", response_class=HTMLResponse)
def member_record(request: Request, member_id: EntityId, session: SessionDep,
                  settings: SettingsDep, user: ConsoleUserDep, year: Year = None) -> HTMLResponse:
    """一人一册: one member's year, to read on a phone or print on A4."""
    return page(request, "record.html",
                record_context(session, user, member_id, year, settings.zone,
                               datetime.now(UTC)))


@router.post("/{member_id}/record/lines/{line_id}/correction", response_class=HTMLResponse)
def correct(request: Request, member_id: EntityId, line_id: EntityId, session: SessionDep,
            settings: SettingsDep, user: ConsoleUserDep, form: CheckedForm) -> Response:
    """更正: reverse a ledger line with a reason; the row, its reversal and the totals for
    htmx, else back to the new line on the page."""
    answer = correct_line(session, user, member_id, line_id, form.get("reason", ""),
                          settings.zone, datetime.now(UTC), fragment=is_htmx(request))
    if answer.redirect is not None:
        return RedirectResponse(answer.redirect, status_code=303)
    template = "record_line.html" if is_htmx(request) else "record.html"
    return page(request, template, answer.context, answer.status)


@router.get("/{member_id}/record.xlsx", response_class=Response)
def member_record_xlsx(member_id: EntityId, session: SessionDep, settings: SettingsDep,
                       user: ConsoleUserDep, year: Year = None) -> Response:
    """一人一册 as an Excel workbook (积分明细, 先锋事迹, 申报, 出勤)."""
    chosen, data = record_workbook(session, user, member_id, year, settings.zone,
                                   datetime.now(UTC))
    return Response(data, media_type=XLSX_MEDIA_TYPE, headers={
        "Content-Disposition": f"attachment; filename=record-{member_id}-{chosen}.xlsx",
        "Cache-Control": "no-store"})
