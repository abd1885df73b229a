"""What the events API takes and gives."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.events.kinds import EventKind

# A JSON number is a token id; a JSON string is a token name, accepted when exactly one
# live organizer token has it.
TokenId = Annotated[int, Field(ge=1, le=2**63 - 1)]
TokenName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Organizer = Annotated[TokenId | TokenName, Field(
    description="The organizer token the event is assigned to: its id (a number, as "
                "`hongxin token list` shows it) or its name (a string, accepted only when "
                "exactly one live organizer token has that name; otherwise 422 on "
                "`organizer`). Only that token (and admins) see the event; `null` "
                "unassigns it.",
    examples=[3, "张老师"])]
OrgId = Annotated[int, Field(
    ge=1, le=2**63 - 1,
    description="The org the event belongs to (`GET /api/admin/orgs`); tokens scoped to "
                "an org see the events of its subtree. A scoped token's events default "
                "to its own org.")]
Kind = Annotated[EventKind, Field(
    description="`activity` (open sign-up) or a meeting kind of 组织生活: "
                "branch_assembly, committee, group_meeting, party_lecture, theme_day, "
                "life_meeting, democratic_review.")]

# The contract asks for ISO 8601 with an offset; a time typed without one is what
# an admin means on the local clock, so it is read in the service's zone rather
# than refused.
EventTime = Annotated[datetime, Field(
    description="ISO 8601, e.g. `2026-12-20T09:00:00+08:00`. A time with an offset "
                "(or `Z`) is taken as given; one without, e.g. `2026-12-20T09:00`, is "
                "read in `HONGXIN_TIMEZONE` (default Asia/Shanghai).",
    examples=["2026-12-20T09:00:00+08:00", "2026-12-20T09:00"],
)]


def in_zone(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """``moment`` with ``zone`` attached when it came without an offset."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=zone)


class _LocalTimes(BaseModel):
    def in_zone(self, zone: ZoneInfo) -> Self:
        """A copy whose times without an offset are read in ``zone``; given fields stay given."""
        given = ("starts_at", "signup_deadline")
        times: dict[str, datetime | None] = {
            name: in_zone(getattr(self, name), zone)
            for name in given if name in self.model_fields_set}
        return self.model_copy(update=times)


class EventCreate(_LocalTimes):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=5000)
    location: str = Field(min_length=1, max_length=100)
    starts_at: EventTime
    capacity: int = Field(ge=1, le=100_000)
    signup_deadline: EventTime | None = None
    remind_before_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    organizer: Organizer | None = None
    kind: Kind = "activity"
    org_id: OrgId | None = None


class EventPatch(_LocalTimes):
    """Only the fields given change; ``starts_at`` moves the event and its reminders."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=5000)
    location: str | None = Field(default=None, min_length=1, max_length=100)
    starts_at: EventTime | None = None
    capacity: int | None = Field(default=None, ge=1, le=100_000)
    signup_deadline: EventTime | None = None
    remind_before_minutes: int | None = Field(default=None, ge=0, le=7 * 24 * 60)
    organizer: Organizer | None = None
    kind: Kind | None = None
    org_id: OrgId | None = None


class EventOut(BaseModel):
    id: int
    kind: EventKind
    org_id: int | None
    title: str
    description: str
    location: str
    starts_at: datetime
    starts_at_local: str
    capacity: int
    confirmed: int
    seats_left: int
    waitlisted: int
    checked_in: int
    signup_deadline: datetime | None
    remind_before_minutes: int
    organizer: str | None
    organizer_token_id: int | None
    status: Literal["scheduled", "cancelled"]


class SignupOut(BaseModel):
    id: int
    member_id: int
    name: str | None
    phone: str | None
    branch: str | None = Field(description="a bound member's roster org (full name); "
                                           "otherwise the 支部 the member typed")
    org_id: int | None = Field(None, description="a bound member's roster org")
    status: Literal["confirmed", "waitlisted", "cancelled"]
    waitlist_position: int | None
    signed_up_at: datetime
    checked_in_at: datetime | None
    # "chat", "miniprogram" or "console:<organizer>".
    checked_in_by: str | None = None


class SignupPage(BaseModel):
    event: EventOut
    total: int
    items: list[SignupOut]


class CheckinOut(BaseModel):
    outcome: str
    points: int
    checked_in_at: datetime | None


class MpEventOut(BaseModel):
    id: int
    title: str
    location: str
    starts_at: datetime
    starts_at_local: str
    capacity: int
    seats_left: int
    signup_deadline: datetime | None
    my_status: Literal["confirmed", "waitlisted"] | None = None
    waitlist_position: int | None = None
    checked_in: bool = False


class MpSignupOut(BaseModel):
    outcome: Literal["confirmed", "waitlisted", "already_confirmed", "already_waitlisted"]
    message: str
    event: MpEventOut
    waitlist_position: int | None


class MpCancelOut(BaseModel):
    outcome: Literal["cancelled"]
    message: str
