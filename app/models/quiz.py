from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class QuizBank(Base):
    """One imported version of a question bank (题库).

    Importing under an existing ``name`` adds the next ``version``; old versions
    stay so past attempts keep their questions. The partial unique index lets
    at most one bank be active at a time, whatever the number of processes.

    ``state`` is ``importing`` while an import writes its questions in short
    transactions, ``ready`` once it is complete: every reader sees ready
    banks only (:data:`READY`), so a bank appears whole or not at all.
    ``content_hash`` is :attr:`quizzes.Bank.content_hash`, to recognise a
    file imported before.
    """

    __tablename__ = "quiz_banks"
    __table_args__ = (
        UniqueConstraint("name", "version"),
        Index("ix_quiz_banks_one_active", "is_active", unique=True,
              sqlite_where=text("is_active"), postgresql_where=text("is_active")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    source_filename: Mapped[str] = mapped_column(String(200), default="")
    question_count: Mapped[int]
    is_active: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    activated_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16), default="ready", server_default="ready")
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)


READY = QuizBank.state == "ready"
"""The condition every query for banks members or admins see must carry."""


class BankQuestion(Base):
    """A question of a bank, stored as the quizzes library validated it.

    ``answer`` uses the bank's own letters; members see options shuffled per
    attempt, so this column is never sent out before the question is answered.
    """

    __tablename__ = "bank_questions"
    __table_args__ = (UniqueConstraint("bank_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("quiz_banks.id", ondelete="CASCADE"))
    position: Mapped[int]
    type: Mapped[str] = mapped_column(String(16))
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSON)
    answer: Mapped[str] = mapped_column(String(500))
    explanation: Mapped[str] = mapped_column(Text, default="")
    difficulty: Mapped[int | None]
    tags: Mapped[list[str]] = mapped_column(JSON)


class Contest(Base):
    """A knowledge contest (知识竞赛) over one bank for a time window."""

    __tablename__ = "contests"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    bank_id: Mapped[int] = mapped_column(ForeignKey("quiz_banks.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    question_count: Mapped[int] = mapped_column(default=10)
    seconds_per_question: Mapped[int | None]
    max_attempts: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]


class QuizAttempt(Base):
    """One member's run through a drawn paper.

    ``question_ids`` and ``shuffles`` (bank letters in presented order, e.g.
    ``"CADB"``) fix the paper when it is drawn, so an attempt survives restarts
    and reads the same from the chat and the mini-program. ``status``: open,
    finished, quit or expired.
    """

    __tablename__ = "quiz_attempts"
    __table_args__ = (Index("ix_quiz_attempts_member_id_status", "member_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    bank_id: Mapped[int] = mapped_column(ForeignKey("quiz_banks.id"))
    contest_id: Mapped[int | None] = mapped_column(ForeignKey("contests.id"), index=True)
    question_ids: Mapped[list[int]] = mapped_column(JSON)
    shuffles: Mapped[list[str]] = mapped_column(JSON)
    answered: Mapped[int] = mapped_column(default=0)
    correct: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="open")
    started_at: Mapped[datetime]
    last_activity_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class QuizAnswer(Base):
    """The graded answer to one question of an attempt; unique per position, so a
    repeated answer (a retry, a double tap) is never graded twice."""

    __tablename__ = "quiz_answers"
    __table_args__ = (
        UniqueConstraint("attempt_id", "position"),
        Index("ix_quiz_answers_member_id_answered_at", "member_id", "answered_at"),
        # The dashboard's quiz figures: the period's answers from the index alone.
        Index("ix_quiz_answers_dashboard", "answered_at", "member_id", "correct"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    position: Mapped[int]
    # Indexed for the console's per-question statistics.
    question_id: Mapped[int] = mapped_column(ForeignKey("bank_questions.id"), index=True)
    given: Mapped[str] = mapped_column(Text)
    correct: Mapped[bool]
    answered_at: Mapped[datetime]


class QuizWeekTotal(Base):
    """A member's quiz answers in one week, kept by the answers' writer.

    ``week`` is the Monday the week starts on in the service's time zone (as the
    dashboard's weeks are); ``answers`` and ``correct`` count the member's answers
    given in the week. One row per member and week, so that a week's quiz takers
    are its rows, counted without sorting every answer for the distinct members.
    """

    __tablename__ = "quiz_week_totals"
    # Everyone's weeks are the weeks' whole ranges of this index alone; a scoped
    # caller's members are looked up by the primary key.
    __table_args__ = (Index("ix_quiz_week_totals_dashboard", "week", "member_id", "answers",
                            "correct"),)

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    week: Mapped[date] = mapped_column(primary_key=True)
    answers: Mapped[int] = mapped_column(default=0)
    correct: Mapped[int] = mapped_column(default=0)
