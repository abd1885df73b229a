"""Editing lessons: their fields, their 专题 (series) and which lesson goes out on which day.

The console's forms call these; each raises :class:`~app.errors.InvalidInput`
naming the field, with a Chinese message the console shows beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.dialect import insert_on_conflict
from app.errors import InvalidInput, NotFound
from app.lessons.service import get_lesson, published_lessons, todays_lesson
from app.models.lesson import Lesson, LessonScheduleDay, LessonSeries

__all__ = ["DayPlan", "LessonFields", "SeriesGroup", "create_series", "delete_series",
           "lesson_plan", "lessons_in_order", "published_by_series", "save_lesson", "schedule",
           "series_by_id", "series_list", "series_names"]

SERIES_NAME_MAX = 40


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, errors=[{"field": field, "message": message}])


# ------------------------------------------------------------------ series

def series_list(session: Session) -> Sequence[LessonSeries]:
    return session.scalars(select(LessonSeries).order_by(LessonSeries.id)).all()


def series_names(session: Session) -> dict[int, str]:
    return {row.id: row.name for row in session.execute(select(LessonSeries.id, LessonSeries.name))}


def series_by_id(session: Session, series_id: int) -> LessonSeries:
    found = session.get(LessonSeries, series_id)
    if found is None:
        raise NotFound(f"no lesson series {series_id}")
    return found


def create_series(session: Session, name: str, description: str, now: datetime
                  ) -> LessonSeries:
    """A new 专题; its name is shown as 《name》, so the brackets are dropped if typed."""
    name = name.strip().strip("《》").strip()
    if not name:
        raise _invalid("name", "请填写专题名称。")
    if len(name) > SERIES_NAME_MAX:
        raise _invalid("name", f"专题名称最多 {SERIES_NAME_MAX} 个字。")
    if len(description) > 200:
        raise _invalid("description", "专题简介最多 200 个字。")
    series = LessonSeries(name=name, description=description.strip(), created_at=now)
    try:
        with session.begin_nested():
            session.add(series)
            session.flush()
    except IntegrityError:
        raise _invalid("name", f"已有名为《{name}》的专题。") from None
    return series


def delete_series(session: Session, series_id: int) -> None:
    """Remove a 专题; its lessons stay, without a series."""
    session.delete(series_by_id(session, series_id))
    session.flush()


@dataclass(frozen=True, slots=True)
class SeriesGroup:
    """A 专题 (None: lessons of no series) and its published lessons with their numbers."""

    series: LessonSeries | None
    lessons: list[tuple[int, Lesson]]


def published_by_series(session: Session, today: date) -> list[SeriesGroup]:
    """Published lessons grouped by 专题 (series in the order they were created, lessons
    of no series last), numbered as the chat's ``课程`` numbers them."""
    groups: dict[int | None, list[tuple[int, Lesson]]] = {}
    for number, lesson in enumerate(published_lessons(session, today), start=1):
        groups.setdefault(lesson.series_id, []).append((number, lesson))
    listed = [SeriesGroup(series, groups[series.id]) for series in series_list(session)
              if series.id in groups]
    if None in groups:
        listed.append(SeriesGroup(None, groups[None]))
    return listed


# ------------------------------------------------------------------ lessons

@dataclass(frozen=True, slots=True)
class LessonFields:
    """A lesson's editable fields, as the console's form gives them once parsed."""

    title: str
    summary: str
    body: str
    publish_date: date
    series_id: int | None
    tags: list[str]


def save_lesson(session: Session, lesson_id: int | None, fields: LessonFields,
                now: datetime) -> Lesson:
    """Create (``lesson_id`` None) or update a lesson."""
    if fields.series_id is not None and session.get(LessonSeries, fields.series_id) is None:
        raise _invalid("series_id", "所选专题已不存在，请重新选择。")
    if lesson_id is None:
        lesson = Lesson(created_at=now, link=None, cover_url=None)
        session.add(lesson)
    else:
        lesson = get_lesson(session, lesson_id)
    lesson.title, lesson.summary, lesson.body = fields.title, fields.summary, fields.body
    lesson.publish_date, lesson.series_id = fields.publish_date, fields.series_id
    lesson.tags = list(fields.tags)
    session.flush()
    return lesson


def lessons_in_order(session: Session, series_id: int | None = None) -> Sequence[Lesson]:
    """Every lesson, scheduled ones included, newest publish date first."""
    query = select(Lesson).order_by(Lesson.publish_date.desc(), Lesson.id.desc())
    if series_id is not None:
        query = query.where(Lesson.series_id == series_id)
    return session.scalars(query).all()


# ------------------------------------------------------------------ the daily schedule

@dataclass(frozen=True, slots=True)
class DayPlan:
    """What ``学习`` and the daily push show on ``day``; ``chosen`` when the schedule says so,
    otherwise the rotation's pick (None when nothing is published by then)."""

    day: date
    lesson: Lesson | None
    chosen: bool


def schedule(session: Session, day: date, lesson_id: int | None) -> None:
    """Choose the lesson for ``day``, or (None) leave the day to the rotation."""
    if lesson_id is None:
        session.execute(delete(LessonScheduleDay).where(LessonScheduleDay.day == day))
        return
    lesson = session.get(Lesson, lesson_id)
    if lesson is None:
        raise _invalid("lesson_id", "所选课程已不存在，请重新选择。")
    if lesson.publish_date > day:
        raise _invalid("lesson_id", f"《{lesson.title}》{lesson.publish_date:%Y-%m-%d} 才发布，"
                                    f"不能安排在 {day:%m月%d日}；请先修改它的发布日期。")
    session.execute(insert_on_conflict(session, LessonScheduleDay)
                    .values(day=day, lesson_id=lesson_id)
                    .on_conflict_do_update(index_elements=["day"],
                                           set_={"lesson_id": lesson_id}))


def lesson_plan(session: Session, first: date, days: int) -> list[DayPlan]:
    """Day by day from ``first``: the lesson that goes out and whether it was chosen."""
    last = first + timedelta(days=days - 1)
    chosen = set(session.scalars(select(LessonScheduleDay.day).where(
        LessonScheduleDay.day.between(first, last))))
    plans = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        plans.append(DayPlan(day, todays_lesson(session, day), day in chosen))
    return plans

