"""A small 党委 with two branches and a little of everything the dashboard counts.

``populate`` builds it through the services where they exist (lesson reads,
points, sign-ups) and as plain rows where a whole quiz run would only add
noise (quiz answers). The numbers the tests expect are worked out in
:data:`EXPECTED` next to the data, so a reader can check them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.events.signups import sign_up
from app.lessons.service import create_lesson, mark_read
from app.models import (
    Attendance,
    BankQuestion,
    Meeting,
    QuizAnswer,
    QuizAttempt,
    RosterEntry,
    Signup,
)
from app.orgs.service import create_org
from app.points.rules import Activity
from app.points.service import award
from app.quiz_banks.service import import_bank
from app.quiz_play.service import count_in_week
from tests.support.factories import create_event, create_member
from tests.support.quizbanks import bank_csv

ZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class World:
    committee: int
    first: int
    second: int
    members: dict[str, int]


def _entry(session: Session, name: str, phone: str, org_id: int, member_id: int | None,
           now: datetime) -> None:
    session.add(RosterEntry(name=name, phone=phone, org_id=org_id, status="正式党员",
                            member_id=member_id, bound_at=now if member_id else None,
                            created_at=now, updated_at=now))


def _answers(session: Session, member_id: int, question_ids: list[int],
             correct: list[bool], at: datetime) -> None:
    attempt = QuizAttempt(member_id=member_id, bank_id=session.scalar(
        select(BankQuestion.bank_id).where(BankQuestion.id == question_ids[0])),
        question_ids=question_ids, shuffles=[], answered=len(correct),
        correct=sum(correct), status="finished", started_at=at, last_activity_at=at,
        finished_at=at)
    session.add(attempt)
    session.flush()
    for position, right in enumerate(correct, start=1):
        session.add(QuizAnswer(attempt_id=attempt.id, member_id=member_id, position=position,
                               question_id=question_ids[position - 1],
                               given="A" if right else "B", correct=right, answered_at=at))
        count_in_week(session, member_id, correct=right, answered_at=at, zone=ZONE)
    session.flush()


def populate(session: Session, now: datetime) -> World:
    """Members A1, A2 (第一党支部), B1 (第二党支部) and U (not on the roster).

    This week: A1, A2, B1 and U read lesson 1; last week A1 read lesson 2.
    Quiz answers this week: A1 2 of 3 right, B1 0 of 1, U 1 of 2.
    Events this week: 第一党支部's activity (A1 and A2 signed up, A1 checked in),
    第二党支部's 支部党员大会, a meeting (B1 expected and checked in).
    Points: 1 a reading, 3 a check-in.
    """
    committee = create_org(session, "机关党委", now)
    first = create_org(session, "第一党支部", now, parent_id=committee.id)
    second = create_org(session, "第二党支部", now, parent_id=committee.id)
    members = {name: create_member(session, name=name).id for name in ("A1", "A2", "B1", "U")}
    _entry(session, "A1", "13800000001", first.id, members["A1"], now)
    _entry(session, "A2", "13800000002", first.id, members["A2"], now)
    _entry(session, "B1", "13800000003", second.id, members["B1"], now)
    _entry(session, "C1", "13800000004", second.id, None, now)
    session.flush()

    today = now.astimezone(ZONE).date()
    lessons = [create_lesson(session, title=f"第{n}课", summary="", body="",
                             publish_date=today - timedelta(days=30), now=now).id
               for n in (1, 2)]
    this_week = now - timedelta(minutes=5)
    last_week = now - timedelta(days=7)
    for name in ("A1", "A2", "B1", "U"):
        mark_read(session, members[name], lessons[0], this_week, ZONE)
    mark_read(session, members["A1"], lessons[1], last_week, ZONE)

    bank = import_bank(session, bank_csv(5), "dashboard.csv", now=now)
    questions = list(session.scalars(select(BankQuestion.id)
                                     .where(BankQuestion.bank_id == bank.id)))
    _answers(session, members["A1"], questions[:3], [True, True, False], this_week)
    _answers(session, members["B1"], questions[:1], [False], this_week)
    _answers(session, members["U"], questions[:2], [True, False], this_week)

    starts = now - timedelta(minutes=30)
    activity = create_event(session, title="第一支部志愿服务", org_id=first.id, starts_at=starts,
                            created_at=now - timedelta(days=1))
    assembly = create_event(session, title="第二支部党员大会", org_id=second.id,
                            kind="branch_assembly", starts_at=starts,
                            created_at=now - timedelta(days=1))
    signed_at = now - timedelta(hours=2)
    for name in ("A1", "A2"):
        sign_up(session, members[name], activity.id, signed_at, ZONE)
    session.execute(update(Signup).where(Signup.member_id == members["A1"],
                                         Signup.event_id == activity.id)
                    .values(checked_in_at=this_week, checked_in_by="test"))
    # A meeting's members are expected, not signed up: B1's attendance row, checked in.
    session.add(Meeting(event_id=assembly.id, created_at=signed_at))
    session.add(Attendance(event_id=assembly.id, member_id=members["B1"], status="present",
                           checked_in_at=this_week, checked_in_by="test", created_at=signed_at))
    for name, event_id in (("A1", activity.id), ("B1", assembly.id)):
        award(session, members[name], Activity.EVENT_CHECKIN, f"event:{event_id}", this_week,
              ZONE)
    session.flush()
    return World(committee.id, first.id, second.id, members)


# (figure, row label) -> value, for the whole organisation and for 第一党支部's scope.
EXPECTED = {
    "everything": {"学习人次": 5, "学习人数": 4, "答题人数": 3, "答题数": 6,
                   "答题正确率（%）": 50.0, "活动与会议场次": 2, "报名/应到人次": 3, "签到人次": 2,
                   "出勤率（%）": 66.7, "发放积分": 11},
    "first": {"学习人次": 3, "学习人数": 2, "答题人数": 1, "答题数": 3,
              "答题正确率（%）": 66.7, "活动与会议场次": 1, "报名/应到人次": 2, "签到人次": 1,
              "出勤率（%）": 50.0, "发放积分": 6},
}
