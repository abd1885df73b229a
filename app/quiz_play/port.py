""":class:`bots.ports.QuizPlay` over the turn's session."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.quiz_play import service
from bots.ports import QuizQuestion, QuizScore, QuizStartProblem, QuizVerdict, WrongAnswer


class QuizPlayPort:
    def __init__(self, session: Session, zone: ZoneInfo) -> None:
        self._session = session
        self._zone = zone

    def start(self, member_id: int, now: datetime) -> QuizQuestion | QuizStartProblem:
        return service.start(self._session, member_id, now)

    def answer(self, member_id: int, attempt_id: int, position: int, text: str,
               now: datetime) -> QuizVerdict | None:
        return service.answer(self._session, member_id, attempt_id, position, text, now,
                              self._zone)

    def quit(self, member_id: int, attempt_id: int, now: datetime) -> QuizScore | None:
        return service.quit_attempt(self._session, member_id, attempt_id, now)

    def wrong_answers(self, member_id: int, limit: int) -> list[WrongAnswer]:
        return list(service.wrong_answers(self._session, member_id, limit))
