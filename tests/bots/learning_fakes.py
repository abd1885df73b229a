"""In-memory fakes of the lessons, quiz and points ports, built on the quizzes library."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

import quizzes
from bots.ports import (
    LessonCard,
    PointsLine,
    PointsSummary,
    QuizQuestion,
    QuizScore,
    QuizStartProblem,
    QuizVerdict,
    WrongAnswer,
)

QUESTIONS = (
    quizzes.Question(quizzes.QuestionType.SINGLE, "单选一", "B", ("甲", "乙", "丙"), "乙是对的"),
    quizzes.Question(quizzes.QuestionType.MULTIPLE, "多选二", "AC", ("甲", "乙", "丙", "丁")),
    quizzes.Question(quizzes.QuestionType.TRUEFALSE, "判断三", "对"),
    quizzes.Question(quizzes.QuestionType.FILL, "填空四", "南湖|嘉兴南湖", explanation="南湖红船"),
)


@dataclass
class FakeLessons:
    lessons: list[LessonCard] = field(default_factory=list)

    def add(self, title: str, series: str = "") -> LessonCard:
        number = len(self.lessons) + 1
        card = LessonCard(id=100 + number, number=number, title=title, summary=f"{title}摘要",
                          url=f"https://hx.example/lessons/{100 + number}", series=series)
        self.lessons.append(card)
        return card

    def today(self, now: datetime) -> LessonCard | None:
        return self.lessons[now.toordinal() % len(self.lessons)] if self.lessons else None

    def catalogue(self, now: datetime) -> list[LessonCard]:
        return list(self.lessons)

    def by_number(self, number: int, now: datetime) -> LessonCard | None:
        return self.lessons[number - 1] if 1 <= number <= len(self.lessons) else None

    def search(self, words: str, now: datetime, limit: int) -> list[LessonCard]:
        return [lesson for lesson in self.lessons if words in lesson.title][:limit]

    def reading_link(self, member_id: int, lesson_id: int) -> str:
        return f"https://hx.example/lessons/{lesson_id}?reader={member_id}"


@dataclass
class _Attempt:
    questions: tuple[quizzes.Question, ...]
    shuffles: tuple[quizzes.OptionShuffle, ...]
    graded: dict[int, bool] = field(default_factory=dict)
    status: str = "open"


@dataclass
class FakeQuiz:
    questions: tuple[quizzes.Question, ...] = QUESTIONS
    active: bool = True
    seed: int = 3
    attempts: dict[int, _Attempt] = field(default_factory=dict)
    wrong: list[WrongAnswer] = field(default_factory=list)

    def _view(self, attempt_id: int, position: int) -> QuizQuestion:
        attempt = self.attempts[attempt_id]
        question = attempt.questions[position - 1]
        return QuizQuestion(attempt_id, position, len(attempt.questions), question.type.value,
                            question.stem, attempt.shuffles[position - 1].present(question)
                            if question.options else ())

    def start(self, member_id: int, now: datetime) -> QuizQuestion | QuizStartProblem:
        if not self.active:
            return "no_bank"
        for attempt_id, attempt in self.attempts.items():
            if attempt.status == "open":
                return self._view(attempt_id, len(attempt.graded) + 1)
        rng = random.Random(self.seed)
        shuffles = tuple(quizzes.shuffle_options(q, rng) for q in self.questions)
        attempt_id = len(self.attempts) + 1
        self.attempts[attempt_id] = _Attempt(self.questions, shuffles)
        return self._view(attempt_id, 1)

    def _score(self, attempt_id: int) -> QuizScore:
        attempt = self.attempts[attempt_id]
        correct = sum(attempt.graded.values())
        full = 5 if attempt.status == "finished" and correct == len(attempt.questions) else 0
        return QuizScore(attempt_id, len(attempt.graded), correct, len(attempt.questions),
                         correct + full, attempt.status)

    def answer(self, member_id: int, attempt_id: int, position: int, text: str,
               now: datetime) -> QuizVerdict | None:
        attempt = self.attempts.get(attempt_id)
        if attempt is None or attempt.status != "open":
            return None
        question, shuffle = attempt.questions[position - 1], attempt.shuffles[position - 1]
        result = quizzes.grade(question, text, shuffle=shuffle if question.options else None)
        if not result.well_formed:
            assert result.problem is not None
            return QuizVerdict(position, problem=result.problem.value,
                               next_question=self._view(attempt_id, position))
        attempt.graded[position] = result.correct
        if not result.correct:
            self.wrong.insert(0, WrongAnswer(question.stem, question.options,
                                             question.display_answer, result.given,
                                             question.explanation, now))
        last = position == len(attempt.questions)
        if last:
            attempt.status = "finished"
        return QuizVerdict(position, result.correct, result.expected, question.explanation,
                           1 if result.correct else 0,
                           next_question=None if last else self._view(attempt_id, position + 1),
                           score=self._score(attempt_id) if last else None)

    def quit(self, member_id: int, attempt_id: int, now: datetime) -> QuizScore | None:
        attempt = self.attempts.get(attempt_id)
        if attempt is None or attempt.status != "open":
            return None
        attempt.status = "quit"
        return self._score(attempt_id)

    def wrong_answers(self, member_id: int, limit: int) -> list[WrongAnswer]:
        return self.wrong[:limit]


@dataclass
class FakePoints:
    total: int = 0
    rank: int = 0
    members: int = 0
    recent: tuple[PointsLine, ...] = ()

    def summary(self, member_id: int, now: datetime) -> PointsSummary:
        return PointsSummary(self.total, self.rank, self.members, self.recent)
