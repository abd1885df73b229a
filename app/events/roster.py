"""Who signed up for an event, as JSON rows, CSV (UTF-8 with BOM) or XLSX.

Exports hold names and phones: they are built in memory and streamed to the
organizer who asked, never written to disk or to the log. A member bound to
the roster is listed by their roster name and org; the 支部 a member typed
shows only for unbound members.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from app import exports
from app.events.schemas import SignupOut
from app.events.signups import CANCELLED, CONFIRMED, WAITLISTED
from app.models import Event, Member, RosterEntry, Signup
from app.orgs.service import full_names

View = Literal["all", "confirmed", "waitlisted", "checked_in", "cancelled"]

STATUS_LABELS = {CONFIRMED: "已报名", WAITLISTED: "候补", CANCELLED: "已取消"}
HEADER = ["序号", "姓名", "电话", "支部", "状态", "候补顺位", "报名时间", "签到时间"]
_PHONE_SEPARATORS = re.compile(r"[\s\-()（）.]")


@dataclass(frozen=True, slots=True)
class RosterQuery:
    view: View = "all"
    search: str = ""
    limit: int | None = None
    offset: int = 0


def _filters(event_id: int, query: RosterQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Signup.event_id == event_id]
    if query.view == "all":
        conditions.append(Signup.status != CANCELLED)
    elif query.view == "checked_in":
        conditions += [Signup.status == CONFIRMED, Signup.checked_in_at.is_not(None)]
    else:
        conditions.append(Signup.status == query.view)
    if query.search:
        conditions.append(_matches(query.search))
    return conditions


def phone_digits(search: str) -> str | None:
    """The digits of ``search`` if it reads as (part of) a phone number, else None.

    Organizers type numbers as they see them: ``138 0013 8000``, ``138-0013-8000``,
    full-width digits from a Chinese keyboard, or with ``+86`` in front.
    """
    text = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", search))
    if text.startswith("+86"):
        text = text[3:]
    return text if text.isascii() and text.isdigit() else None


def _matches(search: str) -> ColumnElement[bool]:
    by_name = Member.name.contains(search, autoescape=True)
    digits = phone_digits(search)
    if digits is None:
        return by_name
    stored = func.replace(func.replace(Member.phone, " ", ""), "-", "")
    return or_(by_name, stored.contains(digits, autoescape=True))


def roster(session: Session, event: Event, query: RosterQuery) -> tuple[int, list[SignupOut]]:
    conditions = _filters(event.id, query)
    total = session.scalar(
        select(func.count()).select_from(Signup).join(Member, Member.id == Signup.member_id)
        .where(*conditions)
    ) or 0
    statement = (
        select(Signup, Member, RosterEntry.name, RosterEntry.org_id)
        .join(Member, Member.id == Signup.member_id)
        .outerjoin(RosterEntry, RosterEntry.member_id == Member.id)
        .where(*conditions)
        # Confirmed first, then the waitlist in its order.
        .order_by((Signup.status != CONFIRMED), Signup.id)
        .offset(query.offset)
    )
    if query.limit is not None:
        statement = statement.limit(query.limit)
    rows = session.execute(statement).all()
    waiting_ids = list(session.scalars(
        select(Signup.id).where(Signup.event_id == event.id, Signup.status == WAITLISTED)
        .order_by(Signup.id)
    ))
    positions = {signup_id: place for place, signup_id in enumerate(waiting_ids, start=1)}
    org_names = full_names(session) if any(org_id for *_rest, org_id in rows) else {}
    items = [
        SignupOut(
            id=signup.id, member_id=member.id, name=roster_name or member.name,
            phone=member.phone,
            branch=org_names.get(org_id) if org_id is not None else member.branch,
            org_id=org_id, status=signup.status,
            waitlist_position=positions.get(signup.id),
            signed_up_at=signup.created_at, checked_in_at=signup.checked_in_at,
            checked_in_by=signup.checked_in_by,
        )
        for signup, member, roster_name, org_id in rows
    ]
    return int(total), items


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def table(items: list[SignupOut], zone: ZoneInfo) -> list[list[exports.Value]]:
    return [
        [number, item.name, item.phone, item.branch,
         STATUS_LABELS[item.status],
         item.waitlist_position,
         _local(item.signed_up_at, zone), _local(item.checked_in_at, zone)]
        for number, item in enumerate(items, start=1)
    ]


def to_csv(items: list[SignupOut], zone: ZoneInfo) -> bytes:
    return exports.to_csv(exports.Sheet(HEADER, table(items, zone)))


def to_xlsx(items: list[SignupOut], zone: ZoneInfo, title: str) -> bytes:
    return exports.to_xlsx(exports.Sheet(HEADER, table(items, zone), title=title,
                                         sheet_name="报名名单",
                                         column_widths=(6, 12, 15, 20, 8, 9, 17, 17)))
