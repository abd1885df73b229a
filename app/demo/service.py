"""``hongxin demo-data``: demo lessons and an active quiz bank, safe to run again and again.

Lessons are matched by title and the bank by name, so a second run adds
nothing; the demo bank is activated only when no bank is active yet, so it
never replaces a bank an admin chose.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

import quizzes
from app.demo.content import BANK_NAME, LESSONS, QUESTIONS
from app.lessons.service import create_lesson
from app.models.lesson import Lesson
from app.models.quiz import READY, QuizBank
from app.quiz_banks.service import activate_bank, active_bank, store_bank


@dataclass(frozen=True, slots=True)
class DemoResult:
    lessons_added: int
    bank_added: bool
    bank_activated: bool


def demo_bank() -> quizzes.Bank:
    return quizzes.load_json(json.dumps(list(QUESTIONS), ensure_ascii=False)).unwrap()


def load_demo(session: Session, now: datetime, zone: ZoneInfo) -> DemoResult:
    today = now.astimezone(zone).date()
    existing = set(session.scalars(select(Lesson.title)))
    added = 0
    # Published on the days up to today, so 学习 and 课程 have something at once.
    for offset, lesson in enumerate(reversed(LESSONS)):
        if lesson["title"] in existing:
            continue
        create_lesson(session, title=lesson["title"], summary=lesson["summary"],
                      body=lesson["body"], tags=lesson["tags"],
                      publish_date=today - timedelta(days=offset), now=now)
        added += 1
    bank = session.scalars(select(QuizBank).where(QuizBank.name == BANK_NAME, READY)
                           .order_by(QuizBank.version.desc())).first()
    bank_added = bank is None
    if bank is None:
        bank = store_bank(session, demo_bank(), name=BANK_NAME, filename="demo.json", now=now)
    activated = False
    if active_bank(session) is None:
        activate_bank(session, bank.id, now)
        activated = True
    return DemoResult(added, bank_added, activated)
