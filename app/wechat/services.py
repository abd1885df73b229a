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
from app.roster.port import RosterPort
from bots import Services
from bots.ports import WordFilter


def conversation_services(session: Session, sql: RawSQL, words: WordFilter, *,
                          zone: ZoneInfo, public_url: str) -> Services:
    """``public_url``: where /lessons is served; news replies need absolute links."""
    return Services(profiles=MemberProfiles(sql), words=words,
                    events=EventSignupsPort(session, zone),
                    lessons=LessonsPort(session, zone, public_url),
                    quiz=QuizPlayPort(session, zone),
                    points=PointsPort(session, zone),
                    roster=RosterPort(session))
