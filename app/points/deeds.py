"""Offline deeds (线下先锋事迹) that an organizer records for a bound member.

A deed is a ledger line like any other, awarded by the catalogue's rule for its
category (``deed_<slug>``), or by ``volunteer_hours`` when it is given in hours.
Every refusal is a 422 naming the field, in Chinese, before anything is written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidInput, NotFound
from app.models.member import Member
from app.models.org import Org, RosterEntry
from app.points import catalogue
from app.points.rules import DEED_CATEGORIES, Activity
from app.points.service import award_by_rule, room_under_caps

MAX_HOURS = 24 * 31
VOLUNTEERING = "志愿服务"


def refuse(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, errors=[{"field": field, "message": message}])


def bound_entry(session: Session, member_id: int, *, field: str = "member_id",
                within: str | None = None) -> RosterEntry:
    """The roster entry ``member_id`` is bound to, inside the org path ``within`` if given."""
    if session.get(Member, member_id) is None:
        raise refuse(field, f"没有编号为 {member_id} 的党员")
    entry = session.scalars(select(RosterEntry).where(RosterEntry.member_id == member_id)).first()
    if entry is None:
        raise refuse(field, "该成员尚未绑定党员花名册，不能记录积分事迹；"
                            "请先让其发送“绑定 姓名 手机号”")
    if within is not None:
        org = session.get_one(Org, entry.org_id)
        if not org.path.startswith(within):
            raise NotFound(f"no member {member_id} in your organisation")
    return entry


@dataclass(frozen=True, slots=True)
class DeedPoints:
    activity: Activity
    points: int
    hours: float | None


def size_deed(session: Session, *, member_id: int, category: str | None, points: int | None,
              hours: float | None, occurred_at: datetime, zone: ZoneInfo,
              now: datetime) -> DeedPoints:
    """What a deed earns by the catalogue, refused (422) when its size breaks a rule or cap."""
    if category not in DEED_CATEGORIES:
        raise refuse("category", f"事迹类别须为 {'、'.join(DEED_CATEGORIES)} 之一")
    if points is not None and hours is not None:
        raise refuse("points", "分值和时长只能填写一项")
    if hours is not None:
        if hours < 0:
            raise refuse("hours", "服务时长不能为负数")
        if hours == 0 or hours > MAX_HOURS:
            raise refuse("hours", f"服务时长须大于 0 且不超过 {MAX_HOURS} 小时")
        if category != VOLUNTEERING:
            raise refuse("hours", "只有“志愿服务”可按时长计分")
    if points is not None and points <= 0:
        raise refuse("points", "分值须为正整数；扣分请用更正")
    activity = Activity.VOLUNTEER_HOURS if hours is not None else DEED_CATEGORIES[category]
    rule = catalogue.current(session, now).rule(activity)
    size = points if points is not None else round(rule.points * (hours or 1))
    room = room_under_caps(session, member_id, activity, rule, occurred_at, zone)
    if room is not None and size > room:
        field = "hours" if hours is not None else "points"
        raise refuse(field, f"超过积分规则上限：该党员这一项在当期最多还可记 {room} 分")
    return DeedPoints(activity, size, hours)


def occurred_moment(day: date, now: datetime, zone: ZoneInfo) -> datetime:
    """Noon of ``day`` in ``zone``: inside that day, month and year whatever the clock says."""
    if day > now.astimezone(zone).date():
        raise refuse("occurred_on", "事迹日期不能晚于今天")
    return datetime.combine(day, time(12), zone)


@dataclass(frozen=True, slots=True)
class RecordedDeed:
    member_id: int
    category: str
    activity: str
    points: int
    hours: float | None
    reference: str


def record_deed(session: Session, *, member_id: int, category: str, points: int | None,
                hours: float | None, note: str, occurred_on: date, by: str, now: datetime,
                zone: ZoneInfo, within: str | None = None) -> RecordedDeed:
    """An organizer's award for a bound member's deed, checked against the catalogue."""
    note = " ".join(note.split())
    if not note:
        raise refuse("note", "请填写事迹说明")
    if len(note) > 200:
        raise refuse("note", "事迹说明不能超过 200 字")
    bound_entry(session, member_id, within=within)
    moment = occurred_moment(occurred_on, now, zone)
    sized = size_deed(session, member_id=member_id, category=category, points=points,
                      hours=hours, occurred_at=moment, zone=zone, now=now)
    reference = f"deed:{uuid.uuid4().hex}"
    given = award_by_rule(session, member_id=member_id, activity=sized.activity,
                          reference=reference, recorded_by=by, note=note, occurred_at=moment,
                          zone=zone, points=sized.points, recorded_at=now)
    return RecordedDeed(member_id, category, sized.activity.value, given, hours, reference)
