"""Meetings of 组织生活 over HTTP: attendance, check-in by an organizer, minutes, the
compliance calendar, and 请假 from the mini-program. The rules are in the services."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status

from app.deps import CurrentOrganizer, EntityId, SessionDep, SettingsDep
from app.errors import errors_answered
from app.events import meeting_actions as actions
from app.events.meeting_schemas import (
    AttendancePage,
    ComplianceOut,
    LeaveIn,
    LeaveOut,
    MeetingCheckinOut,
    MinutesOut,
    MpMeetingOut,
)
from app.events.minutes import Upload
from app.events.router import download
from app.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from app.miniprogram.deps import CurrentMember

router = APIRouter(prefix="/api/admin", tags=["meetings"])
mp_router = APIRouter(prefix="/api/mp", tags=["mini-program"])

Year = Annotated[int | None, Query(ge=2000, le=2100, description="default: this year")]


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/events/{event_id}/attendance", response_model=AttendancePage,
            responses=errors_answered(409))
def attendance(event_id: EntityId, session: SessionDep, settings: SettingsDep,
               principal: CurrentOrganizer) -> AttendancePage:
    """Everyone expected at a meeting: 出席, 请假, 缺席 (after the end) or 未签到."""
    return actions.attendance_page(session, event_id, principal, _now(), settings.zone)


@router.get("/events/{event_id}/attendance.csv", response_class=Response,
            responses=errors_answered(409))
def attendance_csv(event_id: EntityId, session: SessionDep, settings: SettingsDep,
                   principal: CurrentOrganizer) -> Response:
    """The attendance list as CSV (UTF-8 with BOM)."""
    content = actions.attendance_csv(session, event_id, principal, _now(), settings.zone)
    return download(content, CSV_MEDIA_TYPE, f"meeting-{event_id}-attendance.csv")


@router.get("/events/{event_id}/attendance.xlsx", response_class=Response,
            responses=errors_answered(409))
def attendance_xlsx(event_id: EntityId, session: SessionDep, settings: SettingsDep,
                    principal: CurrentOrganizer) -> Response:
    """The attendance list as an Excel workbook."""
    content = actions.attendance_xlsx(session, event_id, principal, _now(), settings.zone)
    return download(content, XLSX_MEDIA_TYPE, f"meeting-{event_id}-attendance.xlsx")


@router.post("/events/{event_id}/attendance/{member_id}/checkin",
             response_model=MeetingCheckinOut, responses=errors_answered(409))
def check_in(event_id: EntityId, member_id: EntityId, session: SessionDep,
             settings: SettingsDep, principal: CurrentOrganizer) -> MeetingCheckinOut:
    """Check an expected attendee in (organizer); 409 with the reason when refused."""
    return actions.check_in(session, event_id, member_id, principal, _now(), settings.zone)


@router.delete("/events/{event_id}/attendance/{member_id}/checkin",
               response_model=MeetingCheckinOut, responses=errors_answered(409))
def undo_check_in(event_id: EntityId, member_id: EntityId, session: SessionDep,
                  settings: SettingsDep, principal: CurrentOrganizer) -> MeetingCheckinOut:
    """Undo an organizer's check-in within 10 minutes (organizer); 409 with the reason when
    refused. After the meeting's end its points are reversed by a ledger line."""
    return actions.undo_check_in(session, event_id, member_id, principal, _now(),
                                 settings.zone)


@router.post("/events/{event_id}/minutes", response_model=MinutesOut,
             status_code=status.HTTP_201_CREATED)
def save_minutes(event_id: EntityId, session: SessionDep, settings: SettingsDep,
                 principal: CurrentOrganizer, text: Annotated[str, Form()] = "",
                 photos: Annotated[list[UploadFile] | None, File()] = None) -> MinutesOut:
    """Store the minutes (纪要) of a meeting and add photos (JPEG, PNG, GIF, WebP)."""
    limit = settings.max_upload_bytes
    uploads = [Upload(photo.filename or "photo", photo.content_type or "",
                      photo.file.read(limit + 1)) for photo in photos or []]
    return actions.save_minutes(session, event_id, principal, text, uploads, _now(),
                                settings)


@router.get("/events/{event_id}/minutes", response_model=MinutesOut)
def get_minutes(event_id: EntityId, session: SessionDep,
                principal: CurrentOrganizer) -> MinutesOut:
    """The minutes of a meeting and links to its photos."""
    return actions.get_minutes(session, event_id, principal)


@router.get("/events/{event_id}/minutes/photos/{photo_id}", response_class=Response)
def photo(event_id: EntityId, photo_id: EntityId, session: SessionDep, settings: SettingsDep,
          principal: CurrentOrganizer) -> Response:
    """One photo of the minutes."""
    content_type, data = actions.photo(session, event_id, photo_id, principal, settings)
    return Response(data, media_type=content_type,
                    headers={"Cache-Control": "private, max-age=3600",
                             "X-Content-Type-Options": "nosniff"})


@router.get("/orgs/{org_id}/compliance", response_model=ComplianceOut)
def compliance(org_id: EntityId, session: SessionDep, settings: SettingsDep,
               principal: CurrentOrganizer, year: Year = None) -> ComplianceOut:
    """三会一课 per org of the subtree and period: held, scheduled, missing."""
    now = _now()
    return actions.compliance_calendar(session, org_id, year or now.astimezone(
        settings.zone).year, principal, now, settings.zone)


@mp_router.post("/events/{event_id}/leave", response_model=LeaveOut,
                responses=errors_answered(409))
def request_leave(event_id: EntityId, body: LeaveIn, member: CurrentMember,
                  session: SessionDep, settings: SettingsDep) -> LeaveOut:
    """请假 for a meeting the member is expected at, until it starts (409 with the reason)."""
    return actions.request_leave(session, member.id, event_id, body.reason, _now(),
                                 settings.zone)


@mp_router.get("/meetings", response_model=list[MpMeetingOut])
def my_meetings(member: CurrentMember, session: SessionDep,
                settings: SettingsDep) -> list[MpMeetingOut]:
    """The meetings the member is expected at that have not ended, with their status."""
    return actions.my_meetings(session, member.id, _now(), settings.zone)
