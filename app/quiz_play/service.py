"""Quiz attempts: drawing a paper, asking, grading once, scoring and 错题.

The chat (through :class:`app.quiz_play.port.QuizPlayPort`) and the
mini-program API call these same functions. Rules:

* ``答题`` resumes the member's open attempt, or draws a new one: during a
  running contest from the contest's bank (``question_count`` questions, at
  most ``max_attempts`` attempts), otherwise :data:`ATTEMPT_SIZE` questions
  from the active bank. Options are shuffled per attempt.
* An attempt idle for :data:`IDLE_TIMEOUT` expires; answering it then says so.
* ``(attempt_id, position)`` is unique in ``quiz_answers``: an answer is graded
  and awarded once, and repeating it returns the stored grade.
* A message that is not an answer to the question (``E`` for options A–D) is
  not graded; the member is asked again.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

import quizzes
from app.dialect import insert_on_conflict, insert_or_ignore
from app.errors import TooManyRequests
from app.models.points import PointsEntry
from app.models.quiz import (
    BankQuestion,
    Contest,
    QuizAnswer,
    QuizAttempt,
    QuizBank,
    QuizWeekTotal,
)
from app.points.rules import Activity
from app.points.service import award, week_of
from bots.ports import QuizQuestion, QuizScore, QuizStartProblem, QuizVerdict, WrongAnswer

ATTEMPT_SIZE = 5
IDLE_TIMEOUT = timedelta(minutes=30)
# The mini-program can be scripted; the chat is paced by WeChat itself.
ANSWERS_PER_MINUTE = 30
# Message delivery and typing on a phone take a moment; do not fail a member for it.
LATE_GRACE_SECONDS = 3

__all__ = [
    "ATTEMPT_SIZE",
    "IDLE_TIMEOUT",
    "answer",
    "answer_rate_limited",
    "check_answer_rate",
    "current_question",
    "question_row",
    "quit_attempt",
    "start",
    "to_question",
    "wrong_answers",
]


def to_question(row: BankQuestion) -> quizzes.Question:
    return quizzes.Question(
        type=quizzes.QuestionType(row.type), stem=row.stem, answer=row.answer,
        options=tuple(row.options), explanation=row.explanation,
        difficulty=row.difficulty, tags=tuple(row.tags),
    )


def _shuffle(attempt: QuizAttempt, position: int) -> quizzes.OptionShuffle | None:
    letters = attempt.shuffles[position - 1]
    return quizzes.OptionShuffle.from_letters(letters) if letters else None


def _view(attempt: QuizAttempt, position: int, row: BankQuestion,
          contest: str = "") -> QuizQuestion:
    question = to_question(row)
    shuffle = _shuffle(attempt, position)
    options = shuffle.present(question) if shuffle is not None else question.options
    return QuizQuestion(attempt_id=attempt.id, position=position,
                        total=len(attempt.question_ids), type=question.type.value,
                        stem=question.stem, options=options, contest=contest)


def question_row(session: Session, attempt: QuizAttempt, position: int) -> BankQuestion:
    row = session.get(BankQuestion, attempt.question_ids[position - 1])
    assert row is not None  # bank questions are never deleted while attempts point at them
    return row


def current_question(session: Session, attempt: QuizAttempt) -> QuizQuestion | None:
    """The next unanswered question of an open attempt."""
    if attempt.status != "open" or attempt.answered >= len(attempt.question_ids):
        return None
    position = attempt.answered + 1
    return _view(attempt, position, question_row(session, attempt, position))


def _expire_if_idle(attempt: QuizAttempt, now: datetime) -> bool:
    if attempt.status == "open" and attempt.last_activity_at < now - IDLE_TIMEOUT:
        attempt.status = "expired"
        attempt.finished_at = now
        return True
    return attempt.status != "open"


def _running_contest(session: Session, now: datetime) -> Contest | None:
    return session.scalars(
        select(Contest).where(Contest.starts_at <= now, Contest.ends_at > now)
        .order_by(Contest.id.desc()).limit(1)
    ).first()


def start(
    session: Session, member_id: int, now: datetime, *, size: int = ATTEMPT_SIZE,
    rng: random.Random | None = None,
) -> QuizQuestion | QuizStartProblem:
    """Resume the member's open attempt or draw a new paper; see the module docstring."""
    open_attempt = session.scalars(
        select(QuizAttempt).where(QuizAttempt.member_id == member_id,
                                  QuizAttempt.status == "open")
        .order_by(QuizAttempt.id.desc()).limit(1)
    ).first()
    if open_attempt is not None and not _expire_if_idle(open_attempt, now):
        question = current_question(session, open_attempt)
        if question is not None:
            return question
    contest = _running_contest(session, now)
    bank_id: int | None
    if contest is not None:
        used = session.scalar(select(func.count()).where(
            QuizAttempt.member_id == member_id, QuizAttempt.contest_id == contest.id)) or 0
        if used >= contest.max_attempts:
            return "contest_used_up"
        bank_id, size = contest.bank_id, contest.question_count
    else:
        bank_id = session.scalar(select(QuizBank.id).where(QuizBank.is_active))
        if bank_id is None:
            return "no_bank"
    # Sampling ids keeps a 10,000-question bank cheap: only the drawn rows are loaded.
    ids = list(session.scalars(select(BankQuestion.id).where(BankQuestion.bank_id == bank_id)
                               .order_by(BankQuestion.position)))
    if not ids:
        return "no_bank"
    # Unpredictable draws and orders: a member must not be able to replay a seed.
    rng = rng or random.SystemRandom()
    drawn = rng.sample(ids, min(size, len(ids)))
    rows = {row.id: row for row in session.scalars(
        select(BankQuestion).where(BankQuestion.id.in_(drawn)))}
    shuffles = [quizzes.shuffle_options(to_question(rows[qid]), rng).letters for qid in drawn]
    attempt = QuizAttempt(member_id=member_id, bank_id=bank_id,
                          contest_id=contest.id if contest else None, question_ids=drawn,
                          shuffles=shuffles, answered=0, correct=0, status="open",
                          started_at=now, last_activity_at=now)
    session.add(attempt)
    session.flush()
    return _view(attempt, 1, rows[drawn[0]], contest.title if contest else "")


def _too_late(session: Session, attempt: QuizAttempt, now: datetime) -> bool:
    """In a contest with a time limit per question, was this answer sent too late?"""
    if attempt.contest_id is None:
        return False
    contest = session.get(Contest, attempt.contest_id)
    if contest is None or contest.seconds_per_question is None:
        return False
    # The clock starts when the question is sent: the start or the previous answer.
    allowed = timedelta(seconds=contest.seconds_per_question + LATE_GRACE_SECONDS)
    return now - attempt.last_activity_at > allowed


def _attempt(session: Session, member_id: int, attempt_id: int) -> QuizAttempt | None:
    return session.scalars(select(QuizAttempt).where(
        QuizAttempt.id == attempt_id, QuizAttempt.member_id == member_id)).first()


def _points_for(session: Session, member_id: int, reference: str) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
        PointsEntry.member_id == member_id, PointsEntry.reference == reference)) or 0)


def _score(session: Session, attempt: QuizAttempt) -> QuizScore:
    points = session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
        PointsEntry.member_id == attempt.member_id,
        PointsEntry.reference.like(f"quiz:{attempt.id}:%")))
    return QuizScore(attempt_id=attempt.id, answered=attempt.answered, correct=attempt.correct,
                     total=len(attempt.question_ids), points=int(points or 0),
                     status=attempt.status)


def _stored_verdict(session: Session, attempt: QuizAttempt, stored: QuizAnswer) -> QuizVerdict:
    row = question_row(session, attempt, stored.position)
    question, shuffle = to_question(row), _shuffle(attempt, stored.position)
    expected = (shuffle.to_presented(question.answer) if shuffle is not None
                else question.display_answer)
    finished = attempt.status != "open"
    return QuizVerdict(
        position=stored.position, correct=stored.correct, expected=expected,
        explanation=question.explanation,
        points=_points_for(session, attempt.member_id, f"quiz:{attempt.id}:{stored.position}"),
        next_question=None if finished else current_question(session, attempt),
        score=_score(session, attempt) if finished else None,
    )


def count_in_week(session: Session, member_id: int, *, correct: bool, answered_at: datetime,
                  zone: ZoneInfo) -> None:
    """Add one answer to the member's quiz totals for the week it was given in; called
    in the transaction that stores the answer, by whatever stores one."""
    week = insert_on_conflict(session, QuizWeekTotal).values(
        member_id=member_id, week=week_of(answered_at, zone), answers=1,
        correct=1 if correct else 0)
    session.execute(week.on_conflict_do_update(
        index_elements=[QuizWeekTotal.member_id, QuizWeekTotal.week],
        set_={"answers": QuizWeekTotal.answers + week.excluded.answers,
              "correct": QuizWeekTotal.correct + week.excluded.correct}))


def answer(
    session: Session, member_id: int, attempt_id: int, position: int, text: str,
    now: datetime, zone: ZoneInfo,
) -> QuizVerdict | None:
    """Grade ``text`` as the answer to question ``position``, once; None when closed."""
    attempt = _attempt(session, member_id, attempt_id)
    if attempt is None or not 1 <= position <= len(attempt.question_ids):
        return None
    stored = session.scalars(select(QuizAnswer).where(
        QuizAnswer.attempt_id == attempt.id, QuizAnswer.position == position)).first()
    if stored is not None:
        return _stored_verdict(session, attempt, stored)
    if _expire_if_idle(attempt, now):
        session.flush()
        return None
    if position != attempt.answered + 1:
        return QuizVerdict(position=position, problem="not_current",
                           next_question=current_question(session, attempt))
    row = question_row(session, attempt, position)
    question, shuffle = to_question(row), _shuffle(attempt, position)
    timed_out = _too_late(session, attempt, now)
    # A late answer counts as unanswered, whatever it says.
    result = quizzes.grade(question, "" if timed_out else text, shuffle=shuffle)
    if timed_out:
        result = quizzes.GradeResult(False, result.expected, "")
    elif not result.well_formed:
        assert result.problem is not None
        return QuizVerdict(position=position, problem=result.problem.value,
                           next_question=_view(attempt, position, row))
    given = (shuffle.to_original(result.given) if shuffle is not None and question.type.is_choice
             else result.given)
    inserted = session.execute(
        insert_or_ignore(session, QuizAnswer)
        .values(attempt_id=attempt.id, member_id=member_id, position=position,
                question_id=row.id, given=given[:500], correct=result.correct, answered_at=now)
        .returning(QuizAnswer.id)
    ).first()
    if inserted is None:  # a concurrent delivery of the same answer won the race
        session.expire(attempt)
        stored = session.scalars(select(QuizAnswer).where(
            QuizAnswer.attempt_id == attempt.id, QuizAnswer.position == position)).one()
        return _stored_verdict(session, attempt, stored)
    count_in_week(session, member_id, correct=result.correct, answered_at=now, zone=zone)
    total = len(attempt.question_ids)
    finished = position == total
    session.execute(
        update(QuizAttempt).where(QuizAttempt.id == attempt.id).values(
            answered=QuizAttempt.answered + 1,
            correct=QuizAttempt.correct + (1 if result.correct else 0),
            last_activity_at=now,
            status="finished" if finished else "open",
            finished_at=now if finished else None,
        ).execution_options(synchronize_session=False)
    )
    session.refresh(attempt)
    points = 0
    if result.correct:
        points = award(session, member_id, Activity.ANSWER_CORRECT,
                       f"quiz:{attempt.id}:{position}", now, zone)
    if finished and attempt.correct == total:
        award(session, member_id, Activity.QUIZ_FULL_MARKS, f"quiz:{attempt.id}:full", now, zone)
    return QuizVerdict(
        position=position, correct=result.correct, expected=result.expected,
        explanation=question.explanation, points=points, timed_out=timed_out,
        next_question=None if finished else current_question(session, attempt),
        score=_score(session, attempt) if finished else None,
    )


def quit_attempt(session: Session, member_id: int, attempt_id: int,
                 now: datetime) -> QuizScore | None:
    """End an open attempt early, scoring what was answered; None when it was not open."""
    attempt = _attempt(session, member_id, attempt_id)
    if attempt is None or _expire_if_idle(attempt, now):
        session.flush()
        return None
    attempt.status = "quit"
    attempt.finished_at = now
    session.flush()
    return _score(session, attempt)


def wrong_answers(session: Session, member_id: int, limit: int = 5) -> Sequence[WrongAnswer]:
    """The member's latest wrong answers, newest first, exactly as the member saw them.

    Options, the right answer and the member's answer are given in the shuffled
    order and letters of the attempt the question was asked in: a review in the
    bank's own order would call the member's ``A`` a ``C``.
    """
    rows = session.execute(
        select(QuizAnswer, BankQuestion, QuizAttempt)
        .join(BankQuestion, BankQuestion.id == QuizAnswer.question_id)
        .join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
        .where(QuizAnswer.member_id == member_id, QuizAnswer.correct.is_(False))
        .order_by(QuizAnswer.answered_at.desc(), QuizAnswer.id.desc()).limit(limit)
    ).all()
    return [_as_seen(stored, to_question(row), _shuffle(attempt, stored.position))
            for stored, row, attempt in rows]


def _as_seen(stored: QuizAnswer, question: quizzes.Question,
             shuffle: quizzes.OptionShuffle | None) -> WrongAnswer:
    options, expected, given = question.options, question.display_answer, stored.given
    if shuffle is not None and question.type.is_choice:
        options = shuffle.present(question)
        expected = shuffle.to_presented(question.answer)
        given = _presented(shuffle, given)
    return WrongAnswer(stem=question.stem, options=options, expected=expected, given=given,
                       explanation=question.explanation, answered_at=stored.answered_at)


def _presented(shuffle: quizzes.OptionShuffle, given: str) -> str:
    """The stored answer (bank letters) in the letters shown; "" for an unanswered one."""
    try:
        return shuffle.to_presented(given)
    except ValueError:  # not letters of this question: show it as it was stored
        return given


def check_answer_rate(session: Session, member_id: int, now: datetime) -> None:
    """Refuse more than :data:`ANSWERS_PER_MINUTE` answers a minute (429)."""
    recent = session.scalar(select(func.count()).where(
        QuizAnswer.member_id == member_id,
        QuizAnswer.answered_at > now - timedelta(minutes=1))) or 0
    if recent >= ANSWERS_PER_MINUTE:
        raise TooManyRequests("too many answers; wait a minute",
                              headers={"Retry-After": "60"})


def answer_rate_limited(
    session: Session, member_id: int, attempt_id: int, position: int, text: str,
    now: datetime, zone: ZoneInfo,
) -> QuizVerdict | None:
    """:func:`answer` for scriptable clients: 429 beyond :data:`ANSWERS_PER_MINUTE`."""
    check_answer_rate(session, member_id, now)
    return answer(session, member_id, attempt_id, position, text, now, zone)
