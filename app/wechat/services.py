"""Builds the ports a bot turn may use, over the turn's own unit of work.

Each feature that gives the bot a new port (lessons, quizzes, events …) adds
its field to :class:`bots.Services` and its adapter here, and nowhere else.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.members.repository import MemberProfiles
from app.rawsql import RawSQL
from bots import Services
from bots.ports import WordFilter


def conversation_services(session: Session, sql: RawSQL, words: WordFilter) -> Services:
    del session  # features that need the ORM use it; the profile port is plain SQL
    return Services(profiles=MemberProfiles(sql), words=words)
