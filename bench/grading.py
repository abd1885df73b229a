"""Grading throughput: quizzes.grade over a realistic mix, and graded answers through the service.

Baseline, in the same run over the same inputs: a bare string comparison of
the upper-cased message with the key (what a naive bot would do, wrong for
"a c", "ＡＣ" or "正确"). ``pure`` is :func:`quizzes.grade` with the attempt's
option shuffle; ``service`` answers whole attempts through
:func:`app.quiz_play.service.answer` on SQLite (draw, grade once, ledger),
one unit of work per answer as the chat does.
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import quizzes
from app import migrations
from app.db import Database
from app.quiz_banks.service import activate_bank, store_bank
from app.quiz_play import service as play
from bots.ports import QuizQuestion
from tests.support.factories import create_member

GRADES = 200_000
SERVICE_ANSWERS = 500
QT = quizzes.QuestionType
QUESTIONS = (
    quizzes.Question(QT.SINGLE, "单选", "B", ("甲", "乙", "丙", "丁")),
    quizzes.Question(QT.MULTIPLE, "多选", "ACD", ("甲", "乙", "丙", "丁")),
    quizzes.Question(QT.TRUEFALSE, "判断", "对"),
    quizzes.Question(QT.FILL, "填空", "南湖|嘉兴南湖"),
)
TYPICAL = {"single": "A", "multiple": "AC", "truefalse": "对", "fill": "南湖"}
ANSWERS = ("B", "b", "A", "ACD", "a c d", "ＡＣ", "对", "正确", "错", "南湖", " 嘉兴南湖。", "红船")


def _inputs(count: int) -> list[tuple[quizzes.Question, quizzes.OptionShuffle | None, str]]:
    rng = random.Random(7)
    out = []
    for _ in range(count):
        question = rng.choice(QUESTIONS)
        shuffle = quizzes.shuffle_options(question, rng) if question.options else None
        out.append((question, shuffle, rng.choice(ANSWERS)))
    return out


def _pure(count: int) -> tuple[float, float]:
    inputs = _inputs(count)
    started = time.perf_counter()
    for question, _shuffle, text in inputs:
        _ = text.strip().upper() == question.answer
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    for question, shuffle, text in inputs:
        quizzes.grade(question, text, shuffle=shuffle)
    ours = time.perf_counter() - started
    return count / baseline, count / ours


def _service(answers: int) -> float:
    zone = ZoneInfo("Asia/Shanghai")
    bank = quizzes.Bank(tuple(
        quizzes.Question(q.type, f"{q.stem}{n}", q.answer, q.options) for n in range(50)
        for q in QUESTIONS), quizzes.BankFormat.JSON)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'grading.db'}"
        migrations.upgrade(url)
        database = Database(url)
        try:
            now = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
            with database.unit_of_work() as session:
                stored = store_bank(session, bank, name="bench", filename="bench", now=now)
                activate_bank(session, stored.id, now)
                member_id = create_member(session).id
            done = 0
            started = time.perf_counter()
            while done < answers:
                with database.unit_of_work() as session:
                    asked = play.start(session, member_id, now)
                current: QuizQuestion | None = None if isinstance(asked, str) else asked
                while current is not None:
                    now += timedelta(seconds=1)
                    text = TYPICAL[current.type]
                    with database.unit_of_work() as session:
                        verdict = play.answer(session, member_id, current.attempt_id,
                                              current.position, text, now, zone)
                    assert verdict is not None
                    assert verdict.problem is None
                    current = verdict.next_question
                    done += 1
            return done / (time.perf_counter() - started)
        finally:
            database.close()


def main() -> dict[str, float]:
    baseline, pure = _pure(GRADES)
    service = _service(SERVICE_ANSWERS)
    figures = {"baseline_per_second": baseline, "grades_per_second": pure,
               "ratio": baseline / pure, "service_answers_per_second": service}
    print(f"grading: {pure:,.0f} grades/s with quizzes.grade (baseline string compare "
          f"{baseline:,.0f}/s, {figures['ratio']:.0f}x slower for real normalisation); "
          f"through the service on SQLite {service:,.0f} answers/s")
    return figures


if __name__ == "__main__":
    main()
