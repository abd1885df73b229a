"""What the meetings API (attendance, 请假, minutes, compliance) takes and gives."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.events.schemas import EventOut

AttendanceStatus = Literal["present", "leave", "absent", "expected"]


class AttendanceOut(BaseModel):
    member_id: int
    name: str | None
    org: str | None
    duty: str | None
    status: AttendanceStatus = Field(description="present 出席, leave 请假, absent 缺席 "
                                                 "(after the end), expected 未签到 (before it)")
    status_label: str
    reason: str | None = Field(description="the reason given with 请假")
    checked_in_at: datetime | None
    checked_in_by: str | None
    leave_at: datetime | None


class AttendanceCounts(BaseModel):
    expected: int
    present: int
    leave: int
    absent: int
    pending: int = Field(description="expected attendees not yet checked in (before the end)")


class AttendancePage(BaseModel):
    event: EventOut
    final: bool = Field(description="the meeting has ended: no one is 未签到 any more")
    counts: AttendanceCounts
    items: list[AttendanceOut]


class MeetingCheckinOut(BaseModel):
    outcome: Literal["checked_in", "already_checked_in", "undone"]
    message: str
    checked_in_at: datetime | None


class LeaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=1000)


class LeaveOut(BaseModel):
    outcome: Literal["granted"]
    message: str


class PhotoOut(BaseModel):
    id: int
    content_type: str
    size: int
    url: str


class MinutesOut(BaseModel):
    event_id: int
    text: str | None
    recorded_by: str | None
    recorded_at: datetime | None
    photos: list[PhotoOut]


class RequirementOut(BaseModel):
    kind: str
    label: str
    period: str = Field(description="2026-03 for a month, 2026Q1 for a quarter")
    period_label: str
    held: int
    scheduled: int
    status: Literal["held", "scheduled", "missing", "due", "upcoming"]


class OrgComplianceOut(BaseModel):
    org_id: int
    name: str
    kind: str
    held: int
    missing: int
    items: list[RequirementOut]


class ComplianceOut(BaseModel):
    org_id: int
    year: int
    orgs: list[OrgComplianceOut]


class MpMeetingOut(BaseModel):
    id: int
    kind: str
    kind_label: str
    title: str
    location: str
    starts_at: datetime
    starts_at_local: str
    my_status: AttendanceStatus = Field(description="present, leave, or expected (not yet)")
    leave_reason: str | None
    may_ask_for_leave: bool
