"""A meeting in the console, for the organizer at the door with a phone: who is expected
(出席, 请假 with the reason, 缺席, 未签到), a check-in button per person and, for a
mistaken tap, 撤销签到 — each answered with that person's row and the counts only (htmx,
read as one row and one grouped count, not the list), the exports, and the minutes with
their photos.

Each handler makes one call here; this module asks the meetings services
(:mod:`app.events.meeting_actions`, :mod:`app.events.attendance`) and says their
refusals in Chinese for the organizer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from app.console.content import is_htmx, page
from app.console.refusals import ConsoleRefusal
from app.console.session import CheckedForm, ConsoleUser, ConsoleUserDep
from app.deps import EntityId, SessionDep, SettingsDep
from app.errors import Conflict, InvalidInput, NotFound
from app.events import attendance, meeting_actions, service, timing
from app.events.kinds import LABELS, is_meeting
from app.events.meeting_schemas import AttendanceOut
from app.events.minutes import Upload
from app.events.router import download
from app.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from app.models import Event
from app.settings import Settings

router = APIRouter(prefix="/console/events", tags=["console"])

# Who is expected but not yet in may be checked in; so may a member who asked for
# leave and came after all.
CHECKABLE = ("expected", "leave")

_REFUSALS = {
    "too_late": "会议已结束，签到已关闭；出勤已按签到情况记为出席、请假或缺席。",
    "cancelled": "会议已取消，不能签到。",
    "not_expected": "这位同志不在本次会议的应参会人员中，不能在这里签到。",
}


def attendance_link(event_id: int, member_id: int | None = None) -> str:
    """The attendance page, at the member's row when given (where a phone was)."""
    anchor = f"#member-{member_id}" if member_id is not None else ""
    return f"/console/events/{event_id}/attendance{anchor}"


def _meeting(session: Session, user: ConsoleUser, event_id: int) -> Event:
    event = service.event_for(session, event_id, user.principal)
    if not is_meeting(event.kind):
        raise ConsoleRefusal("这是一次活动，不是会议：活动没有应参会人员，请查看它的报名名单。",
                             f"/console/events/{event_id}")
    return event


def _window(event: Event, zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    return {"checkin_closed": None if event.status == "cancelled"
            else timing.checkin_closed(event, now),
            "checkin_opens_at": timing.checkin_opens_at(event).astimezone(zone),
            "ends_at": timing.ends_at(event).astimezone(zone)}


@dataclass(frozen=True, slots=True)
class Minutes:
    """The minutes form as posted: the text and the photos (each read to the limit + 1)."""

    text: str
    photos: list[Upload]


async def posted_minutes(request: Request, form: CheckedForm, settings: SettingsDep) -> Minutes:
    """The minutes form, once its CSRF token matched (the form is parsed once)."""
    limit = settings.max_upload_bytes
    photos = [Upload(item.filename or "photo", item.content_type or "",
                     await item.read(limit + 1))
              for item in (await request.form()).getlist("photos")
              if isinstance(item, UploadFile) and item.filename]
    return Minutes(form.get("text", ""), photos)


def _undoable(items: list[AttendanceOut], now: datetime) -> set[int]:
    """Whose check-in a tap on 撤销签到 may take back now (see :func:`timing.undo_possible`)."""
    return {item.member_id for item in items if item.status == "present"
            and timing.undo_possible(item.checked_in_at, item.checked_in_by, now)}


def _undo_context(now: datetime, items: list[AttendanceOut]) -> dict[str, Any]:
    return {"undoable": _undoable(items, now), "undo_minutes": meeting_actions.UNDO_MINUTES}


def attendance_context(session: Session, user: ConsoleUser, event_id: int, zone: ZoneInfo,
                       now: datetime) -> dict[str, Any]:
    """The whole page: the list and counts, the check-in window, the minutes."""
    event = _meeting(session, user, event_id)
    found = meeting_actions.attendance_page(session, event_id, user.principal, now, zone)
    return {"user": user, "zone": zone, "event": found.event, "kind": LABELS[event.kind],
            "final": found.final, "counts": found.counts, "items": found.items,
            "minutes": meeting_actions.get_minutes(session, event_id, user.principal),
            "checkable": CHECKABLE, **_undo_context(now, found.items),
            **_window(event, zone, now)}


def _row_context(session: Session, user: ConsoleUser, event: Event, member_id: int,
                 zone: ZoneInfo, now: datetime, error: str | None,
                 notice: str | None = None) -> dict[str, Any]:
    """The tapped member's row and the counts, read alone: a tap costs the same at the
    door of a meeting of ten or of a thousand."""
    item, counts = meeting_actions.attendee(session, event, member_id, now)
    return {"user": user, "zone": zone, "event": event, "final": timing.has_ended(event, now),
            "counts": counts, "item": item, "error": error, "notice": notice,
            "member_id": member_id, "checkable": CHECKABLE,
            **_undo_context(now, [item] if item else []), **_window(event, zone, now)}


def check_in(session: Session, user: ConsoleUser, event_id: int, member_id: int,
             zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    """Check the member in; the member's row and the counts afterwards, with the refusal
    (a Chinese sentence) under ``error`` when the database said no."""
    event = _meeting(session, user, event_id)
    result = attendance.check_in(session, event, member_id, now, zone,
                                 by=f"console:{user.principal.name}")
    error = None
    if result.outcome == "too_early":
        opens = timing.checkin_opens_at(event).astimezone(zone)
        error = (f"签到尚未开放：{opens:%m月%d日 %H:%M} 起可以签到"
                 f"（会议开始前 {timing.CHECKIN_OPENS_BEFORE.seconds // 60} 分钟）。")
    elif result.outcome not in ("checked_in", "already_checked_in"):
        error = _REFUSALS.get(result.outcome, "无法签到，请刷新页面后重试。")
    return _row_context(session, user, event, member_id, zone, now, error)


def undo_check_in(session: Session, user: ConsoleUser, event_id: int, member_id: int,
                  zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    """Take back the member's check-in; the row and the counts afterwards, with the refusal
    (a Chinese sentence) under ``error`` when it could not be taken back."""
    event = _meeting(session, user, event_id)
    try:
        meeting_actions.undo_check_in(session, event_id, member_id, user.principal, now, zone)
    except Conflict as refused:
        return _row_context(session, user, event, member_id, zone, now, refused.message)
    except NotFound:
        raise ConsoleRefusal("找不到这位同志，请刷新页面后重试。",
                             attendance_link(event_id)) from None
    return _row_context(session, user, event, member_id, zone, now, None,
                        meeting_actions.UNDONE)


def save_minutes(session: Session, user: ConsoleUser, event_id: int, minutes: Minutes,
                 settings: Settings, now: datetime) -> dict[str, Any] | None:
    """Store the minutes' text and add the photos; None when saved, else the page again
    with the refusal (in Chinese) and the text as typed."""
    try:
        meeting_actions.save_minutes(session, event_id, user.principal, minutes.text,
                                     minutes.photos, now, settings)
    except InvalidInput as refused:
        problems = [str(error.get("message", "")) for error in refused.errors or []]
        context = attendance_context(session, user, event_id, settings.zone, now)
        return {**context, "minutes_error": "；".join(problems) or refused.message,
                "minutes_typed": minutes.text}
    return None


def attendance_download(session: Session, user: ConsoleUser, event_id: int, zone: ZoneInfo,
                        now: datetime, *, excel: bool) -> bytes:
    export = meeting_actions.attendance_xlsx if excel else meeting_actions.attendance_csv
    return export(session, event_id, user.principal, now, zone)


# ------------------------------------------------------------------ routes


def _now() -> datetime:
    return datetime.now(UTC)


def _row_answer(request: Request, event_id: int, member_id: int,
                context: dict[str, Any]) -> Response:
    """A tap's answer: the member's row and the counts for htmx (409 when refused), else
    back to the member's row of the page, or the refusal's page leading back to it."""
    if is_htmx(request):
        return page(request, "meeting_checked.html", context, 409 if context["error"] else 200)
    if context["error"]:
        raise ConsoleRefusal(context["error"], attendance_link(event_id, member_id))
    return RedirectResponse(attendance_link(event_id, member_id), status_code=303)


@router.get("/{event_id}/attendance", response_class=HTMLResponse)
def attendance_page(request: Request, event_id: EntityId, session: SessionDep,
                    settings: SettingsDep, user: ConsoleUserDep) -> HTMLResponse:
    """A meeting's expected attendees, their attendance, check-in at the door, the minutes."""
    return page(request, "meeting.html",
                attendance_context(session, user, event_id, settings.zone, _now()))


@router.post("/{event_id}/attendance/{member_id}/checkin", response_class=HTMLResponse)
def check_in_attendee(request: Request, event_id: EntityId, member_id: EntityId,
                      session: SessionDep, settings: SettingsDep, user: ConsoleUserDep,
                      _form: CheckedForm) -> Response:
    """Check an expected attendee in: the row alone for htmx, else back to the row."""
    return _row_answer(request, event_id, member_id,
                       check_in(session, user, event_id, member_id, settings.zone, _now()))


@router.post("/{event_id}/attendance/{member_id}/undo-checkin", response_class=HTMLResponse)
def undo_check_in_attendee(request: Request, event_id: EntityId, member_id: EntityId,
                           session: SessionDep, settings: SettingsDep, user: ConsoleUserDep,
                           _form: CheckedForm) -> Response:
    """Take back a mistaken check-in: the row alone for htmx, else back to the row."""
    return _row_answer(request, event_id, member_id,
                       undo_check_in(session, user, event_id, member_id, settings.zone, _now()))


@router.post("/{event_id}/minutes", response_class=HTMLResponse)
def minutes_form(request: Request, event_id: EntityId, session: SessionDep,
                 settings: SettingsDep, user: ConsoleUserDep,
                 minutes: Annotated[Minutes, Depends(posted_minutes)]) -> Response:
    """Save the minutes (纪要) with photos taken on the phone, or say what is wrong."""
    refused = save_minutes(session, user, event_id, minutes, settings, _now())
    if refused is not None:
        return page(request, "meeting.html", refused, 422)
    return RedirectResponse(f"/console/events/{event_id}/attendance?minutes=1#minutes",
                            status_code=303)


@router.get("/{event_id}/attendance.csv", response_class=Response)
def attendance_csv(event_id: EntityId, session: SessionDep, settings: SettingsDep,
                   user: ConsoleUserDep) -> Response:
    """The attendance list as CSV (UTF-8 with BOM), for Excel."""
    content = attendance_download(session, user, event_id, settings.zone, _now(), excel=False)
    return download(content, CSV_MEDIA_TYPE, f"meeting-{event_id}-attendance.csv")


@router.get("/{event_id}/attendance.xlsx", response_class=Response)
def attendance_xlsx(event_id: EntityId, session: SessionDep, settings: SettingsDep,
                    user: ConsoleUserDep) -> Response:
    """The attendance list as an Excel workbook."""
    content = attendance_download(session, user, event_id, settings.zone, _now(), excel=True)
    return download(content, XLSX_MEDIA_TYPE, f"meeting-{event_id}-attendance.xlsx")


@router.get("/{event_id}/minutes/photos/{photo_id}", response_class=Response)
def photo(event_id: EntityId, photo_id: EntityId, session: SessionDep, settings: SettingsDep,
          user: ConsoleUserDep) -> Response:
    """One photo of the minutes, under the console session."""
    content_type, data = meeting_actions.photo(session, event_id, photo_id, user.principal,
                                               settings)
    return Response(data, media_type=content_type,
                    headers={"Cache-Control": "private, no-store",
                             "X-Content-Type-Options": "nosniff"})
