"""Reading a member's answer and grading it: pure functions that never raise
for anything a member can type.

Single choice needs the exact letter; multiple choice the exact set of
letters (order, repeats, separators and full-width forms do not matter);
true/false any accepted spelling (对/错, 正确/错误, T/F, √/×, …); fill any
accepted answer after :func:`quizzes.normalize.fill_key` (full-width folded,
case-insensitive, spaces and edge punctuation ignored).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from quizzes.model import Question, QuestionType
from quizzes.normalize import fill_key, parse_letters, parse_truefalse
from quizzes.shuffling import OptionShuffle

__all__ = ["AnswerProblem", "GradeResult", "ParsedAnswer", "grade", "parse_answer"]


class AnswerProblem(enum.StrEnum):
    """Why a member's message is not an answer, so the chat can say how to answer."""

    EMPTY = "empty"
    """Nothing (or only punctuation) was sent."""
    NOT_LETTERS = "not_letters"
    """A choice question was answered with something other than option letters."""
    UNKNOWN_LETTER = "unknown_letter"
    """A letter beyond the question's options, e.g. ``E`` for options A–D."""
    TOO_MANY_LETTERS = "too_many_letters"
    """Several letters for a single-choice question."""
    NOT_TRUE_FALSE = "not_true_false"
    """A true/false question was answered with something other than 对/错."""


@dataclass(frozen=True, slots=True)
class ParsedAnswer:
    """A member's answer in normalised form, or why it is not one.

    ``value`` is ``"AC"`` (choice, in the letters the member saw), ``"对"`` or
    ``"错"`` (true/false), or the trimmed text (fill); ``""`` when not ``ok``.
    """

    value: str
    problem: AnswerProblem | None = None

    @property
    def ok(self) -> bool:
        """True when the message is a well-formed answer to the question."""
        return self.problem is None


@dataclass(frozen=True, slots=True)
class GradeResult:
    """The verdict on one answer.

    ``expected`` and ``given`` are display forms in the letters the member
    saw: ``"ACD"``, ``"对"``, or the first accepted fill answer; ``given``
    is the member's trimmed message when it was not a well-formed answer.
    """

    correct: bool
    expected: str
    given: str
    problem: AnswerProblem | None = None

    @property
    def well_formed(self) -> bool:
        """False when the member's message was not an answer at all."""
        return self.problem is None


def parse_answer(question: Question, raw: str) -> ParsedAnswer:
    """Read ``"a c"``, ``"ＡＣ"``, ``"A、C"``, ``"对"``, ``"√"`` … for ``question``."""
    text = raw.strip()
    if question.type is QuestionType.FILL:
        return ParsedAnswer(text) if fill_key(text) else ParsedAnswer("", AnswerProblem.EMPTY)
    if not text:
        return ParsedAnswer("", AnswerProblem.EMPTY)
    if question.type is QuestionType.TRUEFALSE:
        verdict = parse_truefalse(text)
        if verdict is None:
            return ParsedAnswer("", AnswerProblem.NOT_TRUE_FALSE)
        return ParsedAnswer(verdict)
    letters = parse_letters(text)
    if letters is None:
        return ParsedAnswer("", AnswerProblem.NOT_LETTERS)
    if any(letter not in question.option_letters for letter in letters):
        return ParsedAnswer("", AnswerProblem.UNKNOWN_LETTER)
    if question.type is QuestionType.SINGLE and len(letters) > 1:
        return ParsedAnswer("", AnswerProblem.TOO_MANY_LETTERS)
    return ParsedAnswer(letters)


def grade(question: Question, raw: str, *, shuffle: OptionShuffle | None = None) -> GradeResult:
    """Grade a member's raw message against ``question``.

    With ``shuffle``, the member answered in the shuffled letters they were
    shown; ``expected`` is then given in those letters too. A message that is
    not a well-formed answer is graded wrong, with ``problem`` saying why.
    """
    if shuffle is not None and len(shuffle.order) != len(question.options):
        raise ValueError("the shuffle does not belong to this question")
    expected = question.display_answer
    if shuffle is not None and question.type.is_choice:
        expected = shuffle.to_presented(question.answer)
    parsed = parse_answer(question, raw)
    if not parsed.ok:
        return GradeResult(False, expected, raw.strip(), parsed.problem)
    if question.type is QuestionType.FILL:
        key = fill_key(parsed.value)
        correct = any(key == fill_key(accepted) for accepted in question.accepted_answers)
    elif question.type.is_choice and shuffle is not None:
        correct = shuffle.to_original(parsed.value) == question.answer
    else:
        correct = parsed.value == question.answer
    return GradeResult(correct, expected, parsed.value)
