"""Builds the ports a bot turn may use, over the turn's own unit of work.

Each feature that gives the bot a new port (lessons, quizzes, events …) adds
its field to :class:`bots.Services` and its adapter here, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.console.port import ConsoleAccessPort
from app.events.attendance import MeetingsPort
from app.events.signups import EventSignupsPort
from app.lessons.links import ReadingLinks
from app.lessons.port import LessonsPort
from app.lessons.push import DailyPushPort
from app.members.repository import MemberProfiles
from app.moderation.words import SessionWordFilter
from app.points.claims_port import PointsClaimsPort
from app.points.port import PointsPort, declared_summary
from app.quiz_play.port import QuizPlayPort
from app.rawsql import DeclaredStatement, RawSQL
from app.roster.port import RosterPort
from bots import Services


@dataclass(frozen=True, slots=True)
class DeclaredReads:
    """The reads a turn declares before it runs (:meth:`bots.Bot.reads_ahead`), as statements.

    On PostgreSQL they may go out with the batch's claims, in one round trip.
    """

    points: DeclaredStatement | None = None

    @classmethod
    def of(cls, services: Iterable[str], openid: str) -> DeclaredReads:
        return cls(points=declared_summary(openid) if "points" in services else None)

    @property
    def statements(self) -> tuple[DeclaredStatement, ...]:
        return () if self.points is None else (self.points,)


def bot_services(session: Session, sql: RawSQL, *, zone: ZoneInfo, links: ReadingLinks,
                 member_id: int, declared: DeclaredReads) -> Services:
    """``links``: the lesson pages' absolute, member-signed addresses for news replies;
    ``declared``: the reads the turn of member ``member_id`` declared."""
    points = None if declared.points is None else (member_id, declared.points)
    return Services(profiles=MemberProfiles(sql), words=SessionWordFilter(session),
                    events=EventSignupsPort(session, zone),
                    lessons=LessonsPort(session, zone, links),
                    quiz=QuizPlayPort(session, zone),
                    points=PointsPort(session, zone, points),
                    push=DailyPushPort(session, zone),
                    roster=RosterPort(session),
                    meetings=MeetingsPort(session, zone),
                    claims=PointsClaimsPort(session, zone),
                    console=ConsoleAccessPort(session, links.public_url))
