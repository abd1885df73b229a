""":class:`bots.ports.Lessons` over the turn's session."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.lessons import service
from app.lessons.catalogue import series_names
from app.lessons.links import ReadingLinks
from app.models.lesson import Lesson
from bots.ports import LessonCard


class LessonsPort:
    def __init__(self, session: Session, zone: ZoneInfo, links: ReadingLinks) -> None:
        self._session = session
        self._zone = zone
        self._links = links

    def _card(self, lesson: Lesson, number: int, series: dict[int, str] | None = None
              ) -> LessonCard:
        names = series if series is not None else (
            series_names(self._session) if lesson.series_id is not None else {})
        return LessonCard(id=lesson.id, number=number, title=lesson.title,
                          summary=lesson.summary, url=self._links.page(lesson.id),
                          cover_url=lesson.cover_url or "",
                          series=names.get(lesson.series_id or 0, ""))

    def today(self, now: datetime) -> LessonCard | None:
        day = now.astimezone(self._zone).date()
        lesson = service.todays_lesson(self._session, day)
        if lesson is None:
            return None
        return self._card(lesson, service.lesson_number(self._session, lesson))

    def catalogue(self, now: datetime) -> list[LessonCard]:
        day = now.astimezone(self._zone).date()
        names = series_names(self._session)
        return [self._card(lesson, number, names) for number, lesson
                in enumerate(service.published_lessons(self._session, day), start=1)]

    def by_number(self, number: int, now: datetime) -> LessonCard | None:
        lesson = service.lesson_by_number(self._session, now.astimezone(self._zone).date(),
                                          number)
        return None if lesson is None else self._card(lesson, number)

    def search(self, words: str, now: datetime, limit: int) -> list[LessonCard]:
        day = now.astimezone(self._zone).date()
        return [self._card(lesson, number) for number, lesson
                in service.search_titles(self._session, words, day, limit)]

    def reading_link(self, member_id: int, lesson_id: int) -> str:
        return self._links.for_member(lesson_id, member_id)
