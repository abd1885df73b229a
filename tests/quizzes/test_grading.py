"""Grading and reading members' answers, table-driven."""

from __future__ import annotations

import pytest

from quizzes import AnswerProblem, OptionShuffle, Question, QuestionType, grade, parse_answer

SINGLE = Question(QuestionType.SINGLE, "单选", "B", options=("甲", "乙", "丙", "丁"))
MULTIPLE = Question(QuestionType.MULTIPLE, "多选", "ACD", options=("甲", "乙", "丙", "丁"))
TRUE = Question(QuestionType.TRUEFALSE, "判断对", "对")
FALSE = Question(QuestionType.TRUEFALSE, "判断错", "错")
FILL = Question(QuestionType.FILL, "填空", "南湖|嘉兴南湖|Nanhu Lake")

CASES = [
    # question, raw, correct, given, problem
    (SINGLE, "B", True, "B", None),
    (SINGLE, " b ", True, "B", None),
    (SINGLE, "Ｂ", True, "B", None),
    (SINGLE, "ｂ。", True, "B", None),
    (SINGLE, "BB", True, "B", None),
    (SINGLE, "A", False, "A", None),
    (SINGLE, "AB", False, "AB", AnswerProblem.TOO_MANY_LETTERS),
    (SINGLE, "E", False, "E", AnswerProblem.UNKNOWN_LETTER),
    (SINGLE, "乙", False, "乙", AnswerProblem.NOT_LETTERS),
    (SINGLE, "B1", False, "B1", AnswerProblem.NOT_LETTERS),
    (SINGLE, "   ", False, "", AnswerProblem.EMPTY),
    (MULTIPLE, "ACD", True, "ACD", None),
    (MULTIPLE, "dca", True, "ACD", None),
    (MULTIPLE, "a c d", True, "ACD", None),
    (MULTIPLE, "Ａ、Ｃ、Ｄ", True, "ACD", None),
    (MULTIPLE, "A,C,D,D", True, "ACD", None),
    (MULTIPLE, "A，C；D", True, "ACD", None),
    (MULTIPLE, "AC", False, "AC", None),
    (MULTIPLE, "A", False, "A", None),
    (MULTIPLE, "ABCD", False, "ABCD", None),
    (MULTIPLE, "ACDE", False, "ACDE", AnswerProblem.UNKNOWN_LETTER),
    (TRUE, "对", True, "对", None),
    (TRUE, "正确", True, "对", None),
    (TRUE, "√", True, "对", None),
    (TRUE, "T", True, "对", None),
    (TRUE, "true", True, "对", None),
    (TRUE, "错", False, "错", None),
    (FALSE, "×", True, "错", None),
    (FALSE, "错误", True, "错", None),
    (FALSE, "f", True, "错", None),
    (FALSE, "FALSE", True, "错", None),
    (FALSE, "A", False, "A", AnswerProblem.NOT_TRUE_FALSE),
    (FALSE, "", False, "", AnswerProblem.EMPTY),
    (FILL, "南湖", True, "南湖", None),
    (FILL, " 嘉兴 南湖。", True, "嘉兴 南湖。", None),
    (FILL, "《南湖》", True, "《南湖》", None),
    (FILL, "nanhu lake", True, "nanhu lake", None),
    (FILL, "ＮＡＮＨＵ　ＬＡＫＥ", True, "ＮＡＮＨＵ　ＬＡＫＥ", None),
    (FILL, "湖", False, "湖", None),
    (FILL, "南湖 嘉兴南湖", False, "南湖 嘉兴南湖", None),
    (FILL, " 。", False, "。", AnswerProblem.EMPTY),
]


@pytest.mark.parametrize(("question", "raw", "correct", "given", "problem"), CASES)
def test_grade(
    question: Question, raw: str, correct: bool, given: str, problem: AnswerProblem | None
) -> None:
    result = grade(question, raw)

    assert (result.correct, result.given, result.problem) == (correct, given, problem)
    assert result.well_formed is (problem is None)
    assert result.expected == question.display_answer


@pytest.mark.parametrize(("question", "raw", "correct", "given", "problem"), CASES)
def test_parse_answer_agrees_with_grade(
    question: Question, raw: str, correct: bool, given: str, problem: AnswerProblem | None
) -> None:
    parsed = parse_answer(question, raw)

    assert parsed.problem is problem
    assert parsed.ok is (problem is None)
    if parsed.ok and question.type is not QuestionType.FILL:
        assert parsed.value == given
    if not parsed.ok:
        assert parsed.value == ""


def test_expected_display_forms() -> None:
    assert [grade(q, "x").expected for q in (SINGLE, MULTIPLE, TRUE, FALSE, FILL)] == [
        "B",
        "ACD",
        "对",
        "错",
        "南湖",
    ]


def test_grading_with_shuffled_options_uses_the_letters_shown() -> None:
    # Presented: A=丁(D) B=丙(C) C=乙(B) D=甲(A)
    shuffle = OptionShuffle.from_letters("DCBA")

    assert shuffle.present(MULTIPLE) == ("丁", "丙", "乙", "甲")
    result = grade(MULTIPLE, "a b d", shuffle=shuffle)
    assert (result.correct, result.expected, result.given) == (True, "ABD", "ABD")
    assert not grade(MULTIPLE, "ACD", shuffle=shuffle).correct
    assert grade(SINGLE, "C", shuffle=shuffle).correct
    assert grade(SINGLE, "B", shuffle=shuffle).expected == "C"


def test_truefalse_grading_ignores_an_empty_shuffle() -> None:
    assert grade(TRUE, "对", shuffle=OptionShuffle(())).correct


def test_a_shuffle_of_another_size_is_refused() -> None:
    with pytest.raises(ValueError, match="shuffle"):
        grade(SINGLE, "A", shuffle=OptionShuffle.identity(3))
