"""The public API is exactly this list; changing it is a deliberate act."""

from __future__ import annotations

import quizzes

EXPORTED = [
    "MAX_OPTIONS",
    "AnswerProblem",
    "Bank",
    "BankFormat",
    "BankRejectedError",
    "DrawError",
    "GradeResult",
    "InvalidQuestionError",
    "Limits",
    "LoadResult",
    "NotEnoughQuestionsError",
    "OptionShuffle",
    "Paper",
    "ParsedAnswer",
    "Question",
    "QuestionType",
    "QuizError",
    "RowError",
    "UnsupportedFormatError",
    "draw_paper",
    "grade",
    "load_aiken",
    "load_bank",
    "load_csv",
    "load_gift",
    "load_json",
    "load_xlsx",
    "parse_answer",
    "shuffle_options",
    "write_template",
]


def test_all_is_pinned() -> None:
    assert quizzes.__all__ == EXPORTED


def test_every_exported_name_exists() -> None:
    for name in quizzes.__all__:
        assert getattr(quizzes, name) is not None, name


def test_no_other_public_names() -> None:
    public = {
        name
        for name, value in vars(quizzes).items()
        if not name.startswith("_") and not isinstance(value, type(quizzes))
    }
    assert public == set(EXPORTED)
