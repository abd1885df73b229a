"""Builds the ports a bot turn may use, over the turn's own unit of work.

Each feature that gives the bot a new port (lessons, quizzes, events …) adds
its field to :class:`bots.Services` and its adapter here, and nowhere else.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.events.signups import EventSignupsPort
from app.lessons.port import LessonsPort
from app.members.repository import MemberProfiles
from app.points.port import PointsPort
from app.quiz_play.port import QuizPlayPort
from app.rawsql import RawSQL
from bots import Services
from bots.ports import WordFilter

DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")


def conversation_services(session: Session, sql: RawSQL, words: WordFilter, *,
                          zone: ZoneInfo = DEFAULT_ZONE, public_url: str | None = None) -> Services:
    if public_url is None:
        # Lesson links in news replies must be absolute; HONGXIN_PUBLIC_URL says where
        # /lessons is served. (The gateway could pass it in its config instead.)
        from app.settings import get_settings

        public_url = get_settings().public_url
    return Services(profiles=MemberProfiles(sql), words=words,
                    events=EventSignupsPort(session, zone),
                    lessons=LessonsPort(session, zone, public_url),
                    quiz=QuizPlayPort(session, zone),
                    points=PointsPort(session, zone))
