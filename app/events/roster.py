"""Who signed up for an event, as JSON rows, CSV (UTF-8 with BOM) or XLSX.

Exports hold names and phones: they are built in memory and streamed to the
organizer who asked, never written to disk or to the log.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app.events.schemas import SignupOut
from app.events.signups import CANCELLED, CONFIRMED, WAITLISTED
from app.models import Event, Member, Signup

View = Literal["all", "confirmed", "waitlisted", "checked_in", "cancelled"]

STATUS_LABELS = {CONFIRMED: "已报名", WAITLISTED: "候补", CANCELLED: "已取消"}
HEADER = ["序号", "姓名", "电话", "支部", "状态", "候补顺位", "报名时间", "签到时间"]
# A spreadsheet runs cells that start with these as formulas (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
        conditions.append(Member.name.contains(query.search, autoescape=True))
    return conditions


def roster(session: Session, event: Event, query: RosterQuery) -> tuple[int, list[SignupOut]]:
    conditions = _filters(event.id, query)
    total = session.scalar(
        select(func.count()).select_from(Signup).join(Member, Member.id == Signup.member_id)
        .where(*conditions)
    ) or 0
    statement = (
        select(Signup, Member).join(Member, Member.id == Signup.member_id).where(*conditions)
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
    items = [
        SignupOut(
            id=signup.id, member_id=member.id, name=member.name, phone=member.phone,
            branch=member.branch, status=signup.status,
            waitlist_position=positions.get(signup.id),
            signed_up_at=signup.created_at, checked_in_at=signup.checked_in_at,
        )
        for signup, member in rows
    ]
    return int(total), items


def _cell(value: str | None) -> str:
    text = value or ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def table(items: list[SignupOut], zone: ZoneInfo) -> list[list[str]]:
    return [
        [str(number), _cell(item.name), _cell(item.phone), _cell(item.branch),
         STATUS_LABELS[item.status],
         str(item.waitlist_position) if item.waitlist_position else "",
         _local(item.signed_up_at, zone), _local(item.checked_in_at, zone)]
        for number, item in enumerate(items, start=1)
    ]


def to_csv(items: list[SignupOut], zone: ZoneInfo) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(table(items, zone))
    # The BOM is what makes Excel on Windows read the file as UTF-8, not GBK.
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(items: list[SignupOut], zone: ZoneInfo, title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "报名名单"
    sheet.append([title])
    sheet.append(HEADER)
    for row in table(items, zone):
        sheet.append(row)
    for column, width in zip("ABCDEFGH", (6, 12, 15, 20, 8, 9, 17, 17), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
