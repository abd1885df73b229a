"""All ORM models, imported here so ``Base.metadata`` is complete for Alembic."""

from app.models.access_token import AccessTokenRow
from app.models.base import Base
from app.models.callback import InboundMessage
from app.models.console import ConsoleRole, ConsoleSignInLink
from app.models.event import Event, Signup
from app.models.lesson import Lesson, LessonCover, LessonRead, LessonScheduleDay, LessonSeries
from app.models.meeting import Attendance, Meeting, MeetingPhoto
from app.models.member import Member
from app.models.miniprogram import MiniProgramSession
from app.models.moderation import SensitiveWord, SensitiveWordsRevision
from app.models.notice import Notice, NoticeMassMember, NoticeTarget, WeChatTagMember
from app.models.org import Org, RosterEntry
from app.models.outbox import OutboxMessage
from app.models.points import (
    PointsBalance,
    PointsClaim,
    PointsEntry,
    PointsPeriodTotal,
    PointsRuleSet,
    PointsTotalCount,
    PointsWeekTotal,
)
from app.models.quiz import (
    BankQuestion,
    Contest,
    QuizAnswer,
    QuizAttempt,
    QuizBank,
    QuizWeekTotal,
)
from app.models.ratelimit import RateLimitCounter
from app.models.subscription import SubscribeCredit
from app.models.token import ApiToken, ConsoleSession

__all__ = [
    "AccessTokenRow",
    "ApiToken",
    "Attendance",
    "BankQuestion",
    "Base",
    "ConsoleRole",
    "ConsoleSession",
    "ConsoleSignInLink",
    "Contest",
    "Event",
    "InboundMessage",
    "Lesson",
    "LessonCover",
    "LessonRead",
    "LessonScheduleDay",
    "LessonSeries",
    "Meeting",
    "MeetingPhoto",
    "Member",
    "MiniProgramSession",
    "Notice",
    "NoticeMassMember",
    "NoticeTarget",
    "Org",
    "OutboxMessage",
    "PointsBalance",
    "PointsClaim",
    "PointsEntry",
    "PointsPeriodTotal",
    "PointsRuleSet",
    "PointsTotalCount",
    "PointsWeekTotal",
    "QuizAnswer",
    "QuizAttempt",
    "QuizBank",
    "QuizWeekTotal",
    "RateLimitCounter",
    "RosterEntry",
    "SensitiveWord",
    "SensitiveWordsRevision",
    "Signup",
    "SubscribeCredit",
    "WeChatTagMember",
]
