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
from app.lessons.catalogue import create_series
from app.lessons.service import create_lesson
from app.models.lesson import Lesson, LessonSeries
from app.models.quiz import READY, QuizBank
from app.quiz_banks.service import activate_bank, active_bank, store_bank


@dataclass(frozen=True, slots=True)
class DemoResult:
    lessons_added: int
    bank_added: bool
    bank_activated: bool


def demo_bank() -> quizzes.Bank:
    return quizzes.load_json(json.dumps(list(QUESTIONS), ensure_ascii=False)).unwrap()


def _series_by_name(session: Session, names: set[str], now: datetime) -> dict[str, int]:
    """The ids of the demo's 专题, created when missing."""
    found = {row.name: row.id for row in session.execute(
        select(LessonSeries.name, LessonSeries.id).where(LessonSeries.name.in_(names)))}
    for name in sorted(names - set(found)):
        found[name] = create_series(session, name, "", now).id
    return found


def load_demo(session: Session, now: datetime, zone: ZoneInfo) -> DemoResult:
    today = now.astimezone(zone).date()
    existing = set(session.scalars(select(Lesson.title)))
    series = _series_by_name(session, {lesson["series"] for lesson in LESSONS
                                       if lesson.get("series")}, now)
    added = 0
    # Published on the days up to today, so 学习 and 课程 have something at once.
    for offset, lesson in enumerate(reversed(LESSONS)):
        if lesson["title"] in existing:
            continue
        created = create_lesson(session, title=lesson["title"], summary=lesson["summary"],
                                body=lesson["body"], tags=lesson["tags"],
                                publish_date=today - timedelta(days=offset), now=now)
        created.series_id = series[lesson["series"]] if lesson.get("series") else None
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
