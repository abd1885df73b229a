"""Demo 组织生活 for ``hongxin demo-data``: a quarter of meetings with attendance and minutes.

The demo roster's party members (``app.roster.demo``) are bound to demo members
of their own (``o_demo_…``, not following the account, so nothing is ever sent
to them); one 预备党员 per branch is left unbound, for trying ``绑定`` in
``hongxin chat``. Each 支部 then has the last three months of 三会一课 (a 党课
missing in one branch, so the compliance calendar has a gap to show), each
past meeting with its attendance (出席, one 请假, one 缺席) and minutes, and one
meeting next week whose notices are queued. Meetings are found by org and
title, members by openid, so a second run adds nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.events import meetings
from app.events.kinds import LABELS
from app.models import Attendance, Event, Meeting, Member, Org, RosterEntry
from app.roster.demo import BRANCHES, COMMITTEE

DEMO_OPENID = "o_demo_"
# Left unbound, so a demo user can bind as them.
UNBOUND_STATUS = "预备党员"
BOUND_STATUSES = ("正式党员",)
# (kind, days before the first of this month or after today, local start, topic)
PAST = (
    ("committee", 3, time(9, 0), "研究部署季度工作"),
    ("theme_day", 2, time(14, 30), "重温入党誓词"),
    ("branch_assembly", 2, time(15, 0), "季度支部党员大会"),
    ("party_lecture", 1, time(19, 0), "书记讲党课：学习党章"),
    ("committee", 2, time(9, 0), "讨论发展党员工作"),
    ("theme_day", 1, time(14, 30), "走进社区志愿服务"),
    ("committee", 1, time(9, 0), "研究年终总结"),
)


def _months_back(today: date, months: int, day: int) -> date:
    month = today.month - months
    year = today.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, day)


def _bind_demo_members(session: Session, org_ids: list[int], now: datetime) -> None:
    entries = session.scalars(
        select(RosterEntry).where(RosterEntry.org_id.in_(org_ids),
                                  RosterEntry.member_id.is_(None),
                                  RosterEntry.status.in_(BOUND_STATUSES))).all()
    for entry in entries:
        member = Member(openid=f"{DEMO_OPENID}{entry.phone}", name=entry.name, phone=entry.phone,
                        first_seen_at=now, last_interaction_at=now, subscribed=False,
                        daily_push=False)
        session.add(member)
        session.flush()
        entry.member_id, entry.bound_at = member.id, now
    session.flush()


def _past_meeting(session: Session, org: Org, kind: str, title: str, starts_at: datetime,
                  now: datetime) -> None:
    event = Event(kind=kind, org_id=org.id, title=title, location="党员活动室",
                  description="", starts_at=starts_at, capacity=1, seats_taken=0,
                  remind_before_minutes=60, status="scheduled", created_at=now, updated_at=now)
    session.add(event)
    session.flush()
    session.add(Meeting(event_id=event.id, created_at=now, attendance_closed_at=now,
                        minutes=f"{org.name}{LABELS[kind]}：{title}。会议传达学习了上级精神，"
                                "结合支部实际进行了讨论，明确了下一步工作安排。",
                        minutes_by="demo", minutes_at=starts_at + timedelta(hours=2)))
    members = session.scalars(meetings.expected_members(session, event)).all()
    for index, member_id in enumerate(sorted(m for m in members if m is not None)):
        status = ("leave" if index == 1 else "absent" if index == 2 and kind != "committee"
                  else "present")
        session.add(Attendance(
            event_id=event.id, member_id=member_id, status=status,
            reason="外出培训" if status == "leave" else None,
            leave_at=starts_at - timedelta(days=1) if status == "leave" else None,
            checked_in_at=starts_at + timedelta(minutes=3) if status == "present" else None,
            checked_in_by="console:demo" if status == "present" else None, created_at=now))


def load_demo_meetings(session: Session, now: datetime, zone: ZoneInfo) -> int:
    """Add the demo meetings that are missing; returns how many were added."""
    committee = session.scalar(select(Org).where(Org.name == COMMITTEE,
                                                 Org.parent_id.is_(None)))
    if committee is None:
        return 0
    orgs = list(session.scalars(select(Org).where(Org.parent_id == committee.id,
                                                  Org.name.in_(BRANCHES)).order_by(Org.id)))
    _bind_demo_members(session, [org.id for org in orgs], now)
    today = now.astimezone(zone).date()
    added = 0
    for branch_index, org in enumerate(orgs):
        present = set(session.scalars(select(Event.title).where(Event.org_id == org.id)))
        for number, (kind, months, start, topic) in enumerate(PAST):
            if kind == "party_lecture" and branch_index == len(orgs) - 1:
                continue  # the calendar's gap: this branch held no 党课 this quarter
            title = f"{LABELS[kind]}：{topic}"
            if title in present:
                continue
            day = _months_back(today, months, 8 + 3 * (number % 4) + branch_index)
            _past_meeting(session, org, kind, title,
                          datetime.combine(day, start, zone), now)
            added += 1
        title = f"{LABELS['branch_assembly']}：学习贯彻全会精神"
        if title not in present:
            event = Event(kind="branch_assembly", org_id=org.id, title=title,
                          location="党员活动室", description="", capacity=1, seats_taken=0,
                          starts_at=datetime.combine(today + timedelta(days=7 + branch_index),
                                                     time(15, 0), zone),
                          remind_before_minutes=60, status="scheduled", created_at=now,
                          updated_at=now)
            session.add(event)
            session.flush()
            meetings.open_meeting(session, event, now, zone)
            added += 1
    session.flush()
    return added
