"""The compliance calendar of 三会一课: which statutory meetings each org held, per period.

What is required of whom (:data:`REQUIREMENTS`): a 党支部 holds a 支部党员大会
and a 党课 each quarter, a 支委会 and a 主题党日 each month; a 党小组 holds a
党小组会 each month. 党委 and 党总支 have no fixed meetings of their own here
(their 委员会 meetings are not part of 三会一课), and an org without a kind is
not judged. A meeting counts for the org it was placed in (not its parent's),
in the period its start falls in, on the service's clock; cancelled ones do
not count. A period with nothing held is ``missing`` once it has closed, ``due``
while it runs, ``upcoming`` before; one with a meeting yet to come is
``scheduled``.

A week before a period closes with a required meeting neither held nor
scheduled, the org's 书记 (for a 党小组, its 党小组长: the roster duty of a bound
member of that org) is reminded once (:func:`remind_secretaries`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from app.events.kinds import LABELS
from app.events.notices import local_time
from app.models import Event, Org, RosterEntry
from app.orgs.scope import OrgScope, require_org_in_scope
from app.outbox.service import enqueue
from app.wechat.api import template_value
from bots import texts

Frequency = Literal["month", "quarter"]
Status = Literal["held", "scheduled", "missing", "due", "upcoming"]

REQUIREMENTS: dict[str, tuple[tuple[str, Frequency], ...]] = {
    "branch": (("branch_assembly", "quarter"), ("committee", "month"),
               ("party_lecture", "quarter"), ("theme_day", "month")),
    "group": (("group_meeting", "month"),),
}
# Whom a reminder goes to, by the org's kind.
SECRETARY_DUTY = {"branch": "书记", "group": "党小组长"}
REMIND_BEFORE_CLOSE = timedelta(days=7)
REMINDER_KIND = "compliance_reminder"


@dataclass(frozen=True, slots=True)
class Period:
    key: str  # 2026-03, 2026Q1
    label: str  # 2026年3月, 2026年第一季度
    starts_on: date
    ends_on: date  # exclusive
    months: tuple[int, ...]  # the months (1–12) it spans

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        return (datetime.combine(self.starts_on, datetime.min.time(), zone),
                datetime.combine(self.ends_on, datetime.min.time(), zone))


_QUARTERS = "一二三四"


def month(year: int, number: int) -> Period:
    ends = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    return Period(f"{year}-{number:02d}", f"{year}年{number}月", date(year, number, 1), ends,
                  (number,))


def quarter(year: int, number: int) -> Period:
    first = 3 * (number - 1) + 1
    ends = date(year + 1, 1, 1) if number == 4 else date(year, first + 3, 1)
    return Period(f"{year}Q{number}", f"{year}年第{_QUARTERS[number - 1]}季度",
                  date(year, first, 1), ends, (first, first + 1, first + 2))


def period_of(day: date, frequency: Frequency) -> Period:
    if frequency == "month":
        return month(day.year, day.month)
    return quarter(day.year, (day.month - 1) // 3 + 1)


def periods(year: int, frequency: Frequency) -> list[Period]:
    if frequency == "month":
        return [month(year, n) for n in range(1, 13)]
    return [quarter(year, n) for n in range(1, 5)]


@dataclass(frozen=True, slots=True)
class Requirement:
    kind: str
    label: str
    period: str
    period_label: str
    held: int
    scheduled: int
    status: Status


@dataclass(frozen=True, slots=True)
class OrgCompliance:
    org_id: int
    name: str
    kind: str
    held: int  # periods with the required meeting held
    missing: int  # closed periods without it
    items: list[Requirement]


def _status(held: int, scheduled: int, period: Period, today: date) -> Status:
    if held:
        return "held"
    if scheduled:
        return "scheduled"
    if period.ends_on <= today:
        return "missing"
    return "due" if period.starts_on <= today else "upcoming"


Tally = dict[tuple[int, str, int], tuple[int, int]]
"""(org id, meeting kind, month 1–12) → (held, scheduled)."""


def _tally(session: Session, orgs: Select[int], year: int, now: datetime,
           zone: ZoneInfo) -> Tally:
    """Count the year's meetings per org, kind and local month, in the database.

    The month comes from comparisons with the twelve local month starts, so the
    database hands back a few counts instead of every meeting's time.
    """
    starts = [month(year, number).bounds(zone)[0] for number in range(1, 13)]
    year_end = month(year, 12).bounds(zone)[1]
    month_number = case(*[(Event.starts_at < starts[n], n) for n in range(1, 12)], else_=12)
    held = case((Event.starts_at <= now, 1), else_=0)
    rows = session.execute(
        select(Event.org_id, Event.kind, month_number, held, func.count())
        .where(Event.org_id.in_(orgs), Event.kind.in_(_all_kinds()),
               Event.status != "cancelled", Event.starts_at >= starts[0],
               Event.starts_at < year_end)
        .group_by(Event.org_id, Event.kind, month_number, held))
    tally: dict[tuple[int, str, int], list[int]] = defaultdict(lambda: [0, 0])
    for org_id, kind, number, was_held, count in rows:
        tally[(int(org_id), kind, int(number))][0 if was_held else 1] += int(count)
    return {key: (held_count, scheduled) for key, (held_count, scheduled) in tally.items()}


def _counts(tally: Tally, org_id: int, kind: str, period: Period) -> tuple[int, int]:
    held = scheduled = 0
    for number in period.months:
        found = tally.get((org_id, kind, number))
        if found:
            held, scheduled = held + found[0], scheduled + found[1]
    return held, scheduled


def calendar(session: Session, scope: OrgScope, org_id: int, year: int, now: datetime,
             zone: ZoneInfo) -> list[OrgCompliance]:
    """The calendar of ``year`` for every org of ``org_id``'s subtree that has requirements."""
    root = require_org_in_scope(session, scope, org_id)
    judged = (Org.path.startswith(root.path, autoescape=True), Org.kind.in_(list(REQUIREMENTS)))
    orgs = session.execute(select(Org.id, Org.name, Org.kind).where(*judged)
                           .order_by(Org.path)).all()
    tally = _tally(session, select(Org.id).where(*judged), year, now, zone)
    today = now.astimezone(zone).date()
    calendars = {often: periods(year, often) for often in ("month", "quarter")}
    result = []
    for org in orgs:
        items = []
        for kind, often in REQUIREMENTS[org.kind]:
            for period in calendars[often]:
                held, scheduled = _counts(tally, org.id, kind, period)
                items.append(Requirement(kind, LABELS[kind], period.key, period.label, held,
                                         scheduled, _status(held, scheduled, period, today)))
        result.append(OrgCompliance(
            org.id, org.name, org.kind, held=sum(i.status == "held" for i in items),
            missing=sum(i.status == "missing" for i in items), items=items))
    return result


def reminder_key(org_id: int, kind: str, period: Period, member_id: int) -> str:
    return f"compliance:{org_id}:{kind}:{period.key}:{member_id}"


def remind_secretaries(session: Session, now: datetime, zone: ZoneInfo) -> int:
    """Remind each org's 书记 of a required meeting missing from a period that closes
    within a week; once per org, meeting kind and period. Returns how many were queued."""
    today = now.astimezone(zone).date()
    closing: dict[Frequency, Period] = {}
    frequencies: tuple[Frequency, ...] = ("month", "quarter")
    for often in frequencies:
        period = period_of(today, often)
        _, ends = period.bounds(zone)
        if ends - REMIND_BEFORE_CLOSE <= now < ends:
            closing[often] = period
    if not closing:
        return 0
    secretaries = session.execute(
        select(Org.id, Org.name, Org.kind, RosterEntry.member_id, RosterEntry.duty)
        .join(RosterEntry, RosterEntry.org_id == Org.id)
        .where(Org.kind.in_(list(SECRETARY_DUTY)), RosterEntry.member_id.is_not(None),
               RosterEntry.duty.in_(list(SECRETARY_DUTY.values())))).all()
    chosen = [(org_id, name, kind, member_id)
              for org_id, name, kind, member_id, duty in secretaries
              if kind is not None and member_id is not None and SECRETARY_DUTY[kind] == duty]
    if not chosen:
        return 0
    tally = _tally(session, select(Org.id).where(Org.id.in_({org for org, *_ in chosen})),
                   today.year, now, zone)
    queued = 0
    for org_id, name, org_kind, member_id in chosen:
        for kind, often in REQUIREMENTS[org_kind]:
            closes_now = closing.get(often)
            if closes_now is None or any(_counts(tally, org_id, kind, closes_now)):
                continue
            closes = local_time(closes_now.bounds(zone)[1] - timedelta(minutes=1), zone)
            queued += enqueue(
                session, dedup_key=reminder_key(org_id, kind, closes_now, member_id),
                kind=REMINDER_KIND, member_id=member_id, due_at=now, now=now,
                payload={"text": texts.compliance_reminder(name, LABELS[kind], closes_now.label,
                                                           closes),
                         "template_data": {"thing1": template_value(f"{LABELS[kind]}未召开"),
                                           "time2": closes,
                                           "thing3": template_value(name)}})
    return queued


def _all_kinds() -> list[str]:
    return [kind for needs in REQUIREMENTS.values() for kind, _ in needs]
