"""Micro-lessons: the daily rotation, the numbered list and reading them.

Rotation rule (what ``学习`` shows on a day ``D``): the lesson an admin chose
for ``D`` in the console's schedule, if any; otherwise, among lessons published
on or before ``D``, the one published on ``D`` itself if there is one (the
newest such); otherwise the published lessons taken in turn, one a day, in order of
(publish date, id): lesson number ``D.toordinal() % count``. Every member sees
the same lesson on the same day, and the daily push agrees with the chat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.dialect import insert_or_ignore
from app.errors import NotFound
from app.lessons.links import ReadingLinks
from app.models.lesson import Lesson, LessonRead, LessonScheduleDay
from app.models.member import Member
from app.points.rules import Activity
from app.points.service import award

__all__ = [
    "Reading",
    "create_lesson",
    "get_lesson",
    "get_published_lesson",
    "lesson_by_number",
    "lesson_number",
    "list_lessons",
    "mark_read",
    "open_lesson",
    "open_page",
    "published_lessons",
    "read_by",
    "record_reading",
    "search_titles",
    "todays_lesson",
]


def published_lessons(session: Session, today: date) -> Sequence[Lesson]:
    """Lessons published on or before ``today``, oldest first: ``课程 N`` is the N-th."""
    return session.scalars(
        select(Lesson).where(Lesson.publish_date <= today).order_by(Lesson.publish_date, Lesson.id)
    ).all()


def todays_lesson(session: Session, today: date) -> Lesson | None:
    """The lesson of the day by the rotation rule in the module docstring, or None."""
    chosen = session.scalars(
        select(Lesson).join(LessonScheduleDay, LessonScheduleDay.lesson_id == Lesson.id)
        .where(LessonScheduleDay.day == today, Lesson.publish_date <= today)
    ).first()
    if chosen is not None:
        return chosen
    fresh = session.scalars(
        select(Lesson).where(Lesson.publish_date == today).order_by(Lesson.id.desc()).limit(1)
    ).first()
    if fresh is not None:
        return fresh
    count = session.scalar(select(func.count()).where(Lesson.publish_date <= today)) or 0
    if count == 0:
        return None
    return session.scalars(
        select(Lesson).where(Lesson.publish_date <= today)
        .order_by(Lesson.publish_date, Lesson.id)
        .offset(today.toordinal() % count).limit(1)
    ).first()


def lesson_by_number(session: Session, today: date, number: int) -> Lesson | None:
    """The ``number``-th published lesson (1-based), as numbered by ``课程``."""
    if number < 1:
        return None
    return session.scalars(
        select(Lesson).where(Lesson.publish_date <= today)
        .order_by(Lesson.publish_date, Lesson.id).offset(number - 1).limit(1)
    ).first()


def list_lessons(session: Session, *, limit: int = 100, offset: int = 0) -> Sequence[Lesson]:
    """Every lesson, newest publish date first (admin view, including scheduled ones)."""
    return session.scalars(
        select(Lesson).order_by(Lesson.publish_date.desc(), Lesson.id.desc())
        .limit(limit).offset(offset)
    ).all()


def get_lesson(session: Session, lesson_id: int) -> Lesson:
    lesson = session.get(Lesson, lesson_id)
    if lesson is None:
        raise NotFound(f"no lesson {lesson_id}")
    return lesson


def create_lesson(
    session: Session,
    *,
    title: str,
    summary: str,
    body: str,
    publish_date: date,
    now: datetime,
    link: str | None = None,
    cover_url: str | None = None,
    tags: Sequence[str] = (),
) -> Lesson:
    lesson = Lesson(title=title, summary=summary, body=body, publish_date=publish_date,
                    link=link, cover_url=cover_url, tags=list(tags), created_at=now)
    session.add(lesson)
    session.flush()
    return lesson


def mark_read(session: Session, member_id: int, lesson_id: int, now: datetime,
              zone: ZoneInfo) -> int:
    """Count a reading once per (member, lesson); return the points it earned (0 on a re-read).

    Callers count a reading only when the lesson is actually opened: the page
    behind a member's link (:func:`open_page`) or the mini-program's explicit
    ``POST …/read``, never when a lesson is merely offered.
    """
    first = session.execute(
        insert_or_ignore(session, LessonRead)
        .values(member_id=member_id, lesson_id=lesson_id, read_at=now)
        .returning(LessonRead.id)
    ).first()
    if first is None:
        return 0
    return award(session, member_id, Activity.LESSON_READ, f"lesson:{lesson_id}", now, zone)


def lesson_number(session: Session, lesson: Lesson) -> int:
    """The lesson's place in the ``课程`` list (lessons ordered by publish date, then id)."""
    before = session.scalar(select(func.count()).where(
        (Lesson.publish_date < lesson.publish_date)
        | ((Lesson.publish_date == lesson.publish_date) & (Lesson.id < lesson.id))))
    return int(before or 0) + 1


def get_published_lesson(session: Session, lesson_id: int, today: date) -> Lesson:
    """A lesson members may open: scheduled ones stay hidden until their day."""
    lesson = session.get(Lesson, lesson_id)
    if lesson is None or lesson.publish_date > today:
        raise NotFound(f"no lesson {lesson_id}")
    return lesson


def search_titles(session: Session, words: str, today: date,
                  limit: int) -> list[tuple[int, Lesson]]:
    """(number, lesson) for published lessons whose title contains ``words``."""
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    found = session.scalars(
        select(Lesson).where(Lesson.publish_date <= today,
                             Lesson.title.like(f"%{escaped}%", escape="\\"))
        .order_by(Lesson.publish_date.desc(), Lesson.id.desc()).limit(limit)
    ).all()
    return [(lesson_number(session, lesson), lesson) for lesson in found]


@dataclass(frozen=True, slots=True)
class Reading:
    """A lesson as shown to a member: its ``课程`` number and whether they have read it."""

    lesson: Lesson
    number: int
    read: bool


def open_lesson(session: Session, member_id: int, lesson_id: int | None, now: datetime,
                zone: ZoneInfo) -> Reading:
    """A published lesson (today's when ``lesson_id`` is None); showing it counts nothing."""
    today = now.astimezone(zone).date()
    if lesson_id is None:
        lesson = todays_lesson(session, today)
        if lesson is None:
            raise NotFound("no lesson has been published yet")
    else:
        lesson = get_published_lesson(session, lesson_id, today)
    return Reading(lesson, lesson_number(session, lesson), read_by(session, member_id, lesson.id))


def record_reading(session: Session, member_id: int, lesson_id: int, now: datetime,
                   zone: ZoneInfo) -> int:
    """The member opened a published lesson: count it (once); the points it earned."""
    lesson = get_published_lesson(session, lesson_id, now.astimezone(zone).date())
    return mark_read(session, member_id, lesson.id, now, zone)

def read_by(session: Session, member_id: int, lesson_id: int) -> bool:
    """Whether the member's reading of this lesson has been counted."""
    return session.scalar(select(LessonRead.id).where(
        LessonRead.member_id == member_id, LessonRead.lesson_id == lesson_id)) is not None


@dataclass(frozen=True, slots=True)
class Page:
    """A lesson page as served: the lesson, and the points the visit earned its reader."""

    lesson: Lesson
    points: int
    counted: bool  # the link named a member and the reading is recorded


def open_page(session: Session, lesson_id: int, token: str | None, links: ReadingLinks,
              now: datetime, zone: ZoneInfo) -> Page:
    """``/lessons/{id}``: the lesson, counting the reading of the member the link names.

    A link without a valid token (forwarded to a friend, opened after it
    expired, typed by hand) still shows the lesson; it just counts for nobody.
    """
    lesson = get_published_lesson(session, lesson_id, now.astimezone(zone).date())
    member_id = links.member(lesson_id, token) if token else None
    # A member who erased their data (注销) keeps old links in the chat history.
    if member_id is None or session.get(Member, member_id) is None:
        return Page(lesson, 0, counted=False)
    return Page(lesson, mark_read(session, member_id, lesson_id, now, zone), counted=True)
