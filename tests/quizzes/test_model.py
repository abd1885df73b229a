"""Value objects: immutability, invariants, results and the error tree."""

from __future__ import annotations

import dataclasses

import pytest

import quizzes
from quizzes import (
    Bank,
    BankFormat,
    BankRejectedError,
    InvalidQuestionError,
    LoadResult,
    Question,
    QuestionType,
    QuizError,
    RowError,
)

GOOD = Question(QuestionType.SINGLE, "题干", "B", options=("甲", "乙"))


@pytest.mark.parametrize(
    "cls",
    [
        quizzes.Question,
        quizzes.Bank,
        quizzes.Paper,
        quizzes.RowError,
        quizzes.LoadResult,
        quizzes.GradeResult,
        quizzes.ParsedAnswer,
        quizzes.OptionShuffle,
    ],
)
def test_value_objects_are_frozen_with_slots(cls: type) -> None:
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    assert params.frozen
    assert "__slots__" in vars(cls)


def test_questions_cannot_be_changed_and_are_hashable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        GOOD.answer = "A"  # type: ignore[misc]
    assert len({GOOD, dataclasses.replace(GOOD)}) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"stem": " "},
        {"answer": "C"},
        {"answer": "AB"},
        {"answer": ""},
        {"options": ("甲",), "answer": "A"},
        {"options": ("甲", " "), "answer": "A"},
        {"options": tuple("ABCDEFG"), "answer": "A"},
        {"type": QuestionType.MULTIPLE, "answer": "A"},
        {"type": QuestionType.MULTIPLE, "answer": "BA"},
        {"type": QuestionType.TRUEFALSE, "answer": "对"},
        {"type": QuestionType.TRUEFALSE, "options": (), "answer": "是"},
        {"type": QuestionType.FILL, "options": (), "answer": "甲||乙"},
        {"type": QuestionType.FILL, "options": (), "answer": " 甲"},
        {"difficulty": 0},
        {"tags": ("",)},
        {"type": "single"},
    ],
)
def test_question_invariants(fields: dict[str, object]) -> None:
    with pytest.raises(InvalidQuestionError):
        dataclasses.replace(GOOD, **fields)  # type: ignore[arg-type]


def test_load_result_holds_a_bank_or_errors() -> None:
    bank = Bank((GOOD,), BankFormat.CSV)
    error = RowError(2, "答案", "答案不能为空")

    assert LoadResult(bank).unwrap() is bank
    with pytest.raises(BankRejectedError, match="1 处错误") as caught:
        LoadResult(None, (error,)).unwrap()
    assert caught.value.errors == (error,)
    with pytest.raises(ValueError, match="either"):
        LoadResult(None)
    with pytest.raises(ValueError, match="either"):
        LoadResult(bank, (error,))


def test_question_type_labels() -> None:
    assert [t.label for t in QuestionType] == ["单选", "多选", "判断", "填空"]
    assert [t.is_choice for t in QuestionType] == [True, True, False, False]


def test_error_tree_matches_its_drawing() -> None:
    assert issubclass(quizzes.BankRejectedError, QuizError)
    assert issubclass(quizzes.UnsupportedFormatError, QuizError)
    assert issubclass(quizzes.UnsupportedFormatError, ValueError)
    assert issubclass(quizzes.InvalidQuestionError, ValueError)
    assert issubclass(quizzes.NotEnoughQuestionsError, quizzes.DrawError)
    assert issubclass(quizzes.DrawError, QuizError)
    doc = quizzes.errors.__doc__ or ""
    exceptions = [name for name in quizzes.__all__ if name.endswith("Error") and name != "RowError"]
    for name in exceptions:
        assert name in doc, name
