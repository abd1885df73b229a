"""The value objects of the library: questions, banks, papers and load results.

Everything here is an immutable dataclass with slots, safe to share between
threads and to use as a dictionary key.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from quizzes.errors import BankRejectedError, InvalidQuestionError

__all__ = [
    "LETTERS",
    "MAX_OPTIONS",
    "Bank",
    "BankFormat",
    "LoadResult",
    "Paper",
    "Question",
    "QuestionType",
    "RowError",
]

MAX_OPTIONS = 6
"""Options A–F, the columns 选项A … 选项F of the contract."""

LETTERS = "ABCDEF"

TRUE_ANSWER = "对"
FALSE_ANSWER = "错"
FILL_SEPARATOR = "|"


class QuestionType(enum.StrEnum):
    """The four kinds of question; the value is the English name used in files."""

    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUEFALSE = "truefalse"
    FILL = "fill"

    @property
    def label(self) -> str:
        """The Chinese name used in spreadsheets, e.g. ``单选``."""
        return _TYPE_LABELS[self]

    @property
    def is_choice(self) -> bool:
        """True for single and multiple choice, whose answers are option letters."""
        return self in (QuestionType.SINGLE, QuestionType.MULTIPLE)


_TYPE_LABELS = {
    QuestionType.SINGLE: "单选",
    QuestionType.MULTIPLE: "多选",
    QuestionType.TRUEFALSE: "判断",
    QuestionType.FILL: "填空",
}


class BankFormat(enum.StrEnum):
    """The file formats :func:`quizzes.load_bank` understands."""

    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"
    GIFT = "gift"
    AIKEN = "aiken"


@dataclass(frozen=True, slots=True)
class Question:
    """One question, already validated and normalised.

    ``answer`` uses the same syntax as the spreadsheet column 答案, in canonical
    form: ``"B"`` (single), ``"ACD"`` (multiple, sorted letters), ``"对"`` or
    ``"错"`` (true/false), or accepted answers joined by ``|`` (fill).
    ``options`` is empty for true/false and fill questions.
    """

    type: QuestionType
    stem: str
    answer: str
    options: tuple[str, ...] = ()
    explanation: str = ""
    difficulty: int | None = None
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problem = _question_problem(self)
        if problem is not None:
            raise InvalidQuestionError(problem)

    @property
    def option_letters(self) -> str:
        """The letters of the options, e.g. ``"ABCD"``; empty without options."""
        return LETTERS[: len(self.options)]

    @property
    def accepted_answers(self) -> tuple[str, ...]:
        """Fill: every accepted answer; other types: the answer alone."""
        if self.type is QuestionType.FILL:
            return tuple(self.answer.split(FILL_SEPARATOR))
        return (self.answer,)

    @property
    def display_answer(self) -> str:
        """The answer as shown to a member: ``"ACD"``, ``"对"``, or the first fill answer."""
        return self.accepted_answers[0]


def _question_problem(q: Question) -> str | None:  # noqa: PLR0912
    if not isinstance(q.type, QuestionType):
        return f"type must be a QuestionType, not {q.type!r}"
    if not q.stem.strip():
        return "stem must not be empty"
    if q.difficulty is not None and not 1 <= q.difficulty <= 5:
        return f"difficulty must be 1-5 or None, not {q.difficulty!r}"
    if any(not tag or tag != tag.strip() for tag in q.tags):
        return f"tags must be non-empty and trimmed: {q.tags!r}"
    if q.type.is_choice:
        if not 2 <= len(q.options) <= MAX_OPTIONS:
            return f"a choice question needs 2-{MAX_OPTIONS} options, got {len(q.options)}"
        if any(not option.strip() for option in q.options):
            return "options must not be empty"
        letters = q.option_letters
        if not q.answer or any(ch not in letters for ch in q.answer):
            return f"answer {q.answer!r} must be letters among {letters}"
        if q.answer != "".join(sorted(set(q.answer))):
            return f"answer {q.answer!r} must be sorted letters without repeats"
        if q.type is QuestionType.SINGLE and len(q.answer) != 1:
            return f"a single-choice answer is one letter, not {q.answer!r}"
        if q.type is QuestionType.MULTIPLE and len(q.answer) < 2:
            return f"a multiple-choice answer has at least two letters, not {q.answer!r}"
        return None
    if q.options:
        return f"a {q.type.value} question has no options"
    if q.type is QuestionType.TRUEFALSE:
        if q.answer not in (TRUE_ANSWER, FALSE_ANSWER):
            return f"a true/false answer is {TRUE_ANSWER!r} or {FALSE_ANSWER!r}, not {q.answer!r}"
        return None
    alternatives = q.answer.split(FILL_SEPARATOR)
    if any(not a or a != a.strip() for a in alternatives):
        return f"fill answers must be non-empty and trimmed: {q.answer!r}"
    return None


@dataclass(frozen=True, slots=True)
class Bank:
    """A validated question bank: questions in file order, stems unique."""

    questions: tuple[Question, ...]
    format: BankFormat

    def __len__(self) -> int:
        return len(self.questions)

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)

    @property
    def tags(self) -> tuple[str, ...]:
        """Every tag used in the bank, sorted."""
        return tuple(sorted({tag for q in self.questions for tag in q.tags}))

    @property
    def content_hash(self) -> str:
        """A SHA-256 hex digest of the questions as validated, in order.

        Two files that load to the same questions (a CSV and its XLSX, a
        re-saved file, cells differing only in surrounding spaces or answer
        spelling) have the same hash; the file format does not count.
        """
        digest = hashlib.sha256()
        for q in self.questions:
            fields = [q.type.value, q.stem, list(q.options), q.answer, q.explanation,
                      q.difficulty, list(q.tags)]
            digest.update(json.dumps(fields, ensure_ascii=False).encode())
            digest.update(b"\n")
        return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class RowError:
    """One located problem in a bank file.

    ``row`` is numbered as a spreadsheet shows it (the header is row 1, the
    first question row 2). JSON counts the same way: the n-th object is row
    n + 1. GIFT and Aiken use the line number where the question starts.
    ``row`` is ``None`` for problems with the file as a whole (unreadable,
    empty). ``column`` is the header as the user wrote it, or ``None``.
    ``sheet`` names the worksheet of an XLSX file, or is ``None``.
    """

    row: int | None
    column: str | None
    message: str
    sheet: str | None = None

    def __str__(self) -> str:
        where = [f"工作表「{self.sheet}」"] if self.sheet else []
        if self.row is not None:
            where.append(f"第 {self.row} 行")
        if self.column:
            where.append(f"「{self.column}」")
        return f"{''.join(where)}：{self.message}" if where else self.message


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What a loader returns: a bank, or the problems found and no bank.

    ``errors`` lists the first problems in file order, up to the loader's
    :attr:`~quizzes.Limits.max_errors`; ``unlisted_errors`` counts the others.
    """

    bank: Bank | None
    errors: tuple[RowError, ...] = ()
    unlisted_errors: int = 0

    def __post_init__(self) -> None:
        if (self.bank is None) == (not self.errors):
            raise ValueError("a LoadResult holds either a bank or errors, never both or neither")
        if self.unlisted_errors < 0:
            raise ValueError("unlisted_errors counts problems, it cannot be negative")

    @property
    def error_count(self) -> int:
        """Every problem found, listed or not."""
        return len(self.errors) + self.unlisted_errors

    @property
    def ok(self) -> bool:
        """True when the file loaded without any problem."""
        return self.bank is not None

    def unwrap(self) -> Bank:
        """Return the bank, or raise :class:`BankRejectedError` carrying the errors."""
        if self.bank is None:
            raise BankRejectedError(self.errors, self.error_count)
        return self.bank


@dataclass(frozen=True, slots=True)
class Paper:
    """Questions drawn for one quiz attempt, in the order they are asked."""

    questions: tuple[Question, ...]

    def __len__(self) -> int:
        return len(self.questions)

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)
