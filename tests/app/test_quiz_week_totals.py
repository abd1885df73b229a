"""The quiz week totals the answers' writer keeps equal the answers recounted, whatever
wrote them: answers across a week's end, a repeated answer, a merge of two members."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

import quizzes
from app.db import Database
from app.members.merge import merge
from app.models import Member, QuizAnswer, QuizAttempt, QuizWeekTotal
from app.quiz_banks.service import activate_bank, import_bank
from app.quiz_play import service as play
from tests.support.factories import create_member
from tests.support.quizbanks import bank_csv
from tests.support.units import run_unit

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 4, tzinfo=UTC)
# Sunday 29 November 23:50 and Monday 30 November 00:10 in Shanghai: two weeks, and
# both still Sunday in UTC.
SUNDAY_NIGHT = datetime(2026, 11, 29, 23, 50, tzinfo=ZONE)
MONDAY_MORNING = datetime(2026, 11, 30, 0, 10, tzinfo=ZONE)
SINGLE_CHOICE = [["单选", f"题{n}：单选题干", "甲", "乙", "丙", "丁", "B", "", 1, ""]
                 for n in range(6)]


def kept(session: Session) -> dict[tuple[int, date], tuple[int, int]]:
    return {(row.member_id, row.week): (row.answers, row.correct)
            for row in session.scalars(select(QuizWeekTotal))}


def recounted(session: Session) -> dict[tuple[int, date], tuple[int, int]]:
    """Each member's answers and right answers, by the Monday of the week given in."""
    answers: Counter[tuple[int, date]] = Counter()
    right: Counter[tuple[int, date]] = Counter()
    for member_id, answered_at, correct in session.execute(
            select(QuizAnswer.member_id, QuizAnswer.answered_at, QuizAnswer.correct)):
        local = answered_at.astimezone(ZONE).date()
        week = (member_id, date.fromordinal(local.toordinal() - local.weekday()))
        answers[week] += 1
        right[week] += 1 if correct else 0
    return {week: (count, right[week]) for week, count in answers.items()}


def _answer(session: Session, member_id: int, at: datetime, *, right: bool) -> None:
    """Answer the member's current question (starting a quiz when none is open)."""
    if session.scalars(select(QuizAttempt.id).where(
            QuizAttempt.member_id == member_id, QuizAttempt.status == "open")).first() is None:
        play.start(session, member_id, at, size=5)
    attempt = session.scalars(select(QuizAttempt).where(
        QuizAttempt.member_id == member_id, QuizAttempt.status == "open")).one()
    position = attempt.answered + 1
    question = play.to_question(play.question_row(session, attempt, position))
    letters = attempt.shuffles[position - 1]
    expected = (quizzes.OptionShuffle.from_letters(letters).to_presented(question.answer)
                if letters else question.display_answer)
    given = expected if right else next(letter for letter in "ABCD" if letter != expected)
    verdict = play.answer(session, member_id, attempt.id, position, given, at, ZONE)
    assert verdict is not None and verdict.problem is None
    if not right:  # the same answer delivered again is graded once, and counted once
        play.answer(session, member_id, attempt.id, position, given, at, ZONE)


def _members_who_answered(session: Session) -> dict[str, int]:
    bank = import_bank(session, bank_csv(0, extra=SINGLE_CHOICE), "weeks.csv", now=NOW)
    activate_bank(session, bank.id, NOW)
    ids = {name: create_member(session).id for name in ("甲", "乙", "丙")}
    _answer(session, ids["甲"], SUNDAY_NIGHT, right=True)
    _answer(session, ids["甲"], MONDAY_MORNING, right=False)
    _answer(session, ids["甲"], MONDAY_MORNING, right=True)
    for right in (True, False, False):
        _answer(session, ids["乙"], NOW, right=right)
    _answer(session, ids["丙"], MONDAY_MORNING, right=False)
    return ids


def test_quiz_week_totals_equal_the_answers_recounted(database: Database) -> None:
    ids = run_unit(database, _members_who_answered)

    totals, answers = run_unit(database, lambda session: (kept(session), recounted(session)))
    assert totals == answers
    # Not trivially equal: one attempt across two weeks, a repeated wrong answer.
    assert answers == {(ids["甲"], date(2026, 11, 23)): (1, 1),
                       (ids["甲"], date(2026, 11, 30)): (2, 1),
                       (ids["乙"], date(2026, 11, 16)): (3, 1),
                       (ids["丙"], date(2026, 11, 30)): (1, 0)}

    # One person's two members merged: the survivor's weeks hold both.
    def merge_first_and_third(session: Session) -> None:
        survivor, loser = (session.get_one(Member, ids[name]) for name in ("甲", "丙"))
        merge(session, survivor, loser, NOW, ZONE)

    run_unit(database, merge_first_and_third)
    totals, answers = run_unit(database, lambda session: (kept(session), recounted(session)))
    assert totals == answers
    assert totals[ids["甲"], date(2026, 11, 30)] == (3, 1)
    assert ids["丙"] not in {member for member, _week in totals}
