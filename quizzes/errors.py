"""Exceptions raised by :mod:`quizzes`.

Loading a bank never raises for a bad *file*: a loader returns a
:class:`~quizzes.LoadResult` listing every located problem
(:class:`~quizzes.RowError`). Exceptions are kept for mistakes of the
*caller* and for the few operations that cannot return a value::

    QuizError                       base class of everything below
    ├── BankRejectedError           LoadResult.unwrap() on a result with errors
    ├── UnsupportedFormatError      an unknown format name given to load_bank()
    │                               (also a ValueError)
    ├── InvalidQuestionError        a Question built by hand breaks an invariant
    │                               (also a ValueError)
    └── DrawError                   a paper cannot be drawn
        └── NotEnoughQuestionsError fewer matching questions than requested

Messages meant for members or admins (row errors, not-enough-questions) are in
Simplified Chinese; messages about programming mistakes are in English.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quizzes.model import RowError

__all__ = [
    "BankRejectedError",
    "DrawError",
    "InvalidQuestionError",
    "NotEnoughQuestionsError",
    "QuizError",
    "UnsupportedFormatError",
]


class QuizError(Exception):
    """Base class of every exception raised by :mod:`quizzes`."""


class BankRejectedError(QuizError):
    """A bank file had problems; ``errors`` lists the first of them, ``count`` all."""

    def __init__(self, errors: tuple[RowError, ...], count: int | None = None) -> None:
        self.errors = errors
        self.count = len(errors) if count is None else count
        first = f"；第一处：{errors[0]}" if errors else ""
        super().__init__(f"题库有 {self.count} 处错误，未导入任何题目{first}")


class UnsupportedFormatError(QuizError, ValueError):
    """``load_bank`` was given a format name it does not know."""


class InvalidQuestionError(QuizError, ValueError):
    """A :class:`~quizzes.Question` was constructed with inconsistent fields."""


class DrawError(QuizError):
    """A paper could not be drawn from the given questions."""


class NotEnoughQuestionsError(DrawError):
    """Fewer questions match the filters than the paper needs."""

    def __init__(self, requested: int, available: int) -> None:
        self.requested = requested
        self.available = available
        super().__init__(f"符合条件的题目只有 {available} 道，不够抽取 {requested} 道")
