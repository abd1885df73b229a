"""GIFT and Aiken specifics: what maps to what, and errors located by line."""

from __future__ import annotations

import pytest

import quizzes
from quizzes import Question, QuestionType
from tests.quizzes.files import DATA


def located(result: quizzes.LoadResult) -> list[tuple[int | None, str | None, str]]:
    assert result.bank is None
    return [(e.row, e.column, e.message) for e in result.errors]


def test_gift_errors_are_located_by_line() -> None:
    result = quizzes.load_gift((DATA / "bad.gift").read_bytes())

    assert located(result) == [
        (2, "题型", "不支持 GIFT 匹配题（->）"),
        (7, "题型", "不支持 GIFT 数值题（{#…}）"),
        (9, "题型", "不支持 GIFT 问答题（空的 {}）"),
        (11, "答案", "没有找到答案部分 {…}"),
        (13, "选项F", "最多支持 6 个选项（A–F），这道题有 7 个"),
        (15, "答案", "一道题只能有一个答案部分 {…}；题目里的花括号请写成 \\{ \\}"),
        (17, "答案", "答案不能为空"),
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "党的根本宗旨是全心全意为人民服务。{T}",
            Question(QuestionType.TRUEFALSE, "党的根本宗旨是全心全意为人民服务。", "对"),
        ),
        (
            "答案可以写成 FALSE。{FALSE#反馈#反馈}",
            Question(QuestionType.TRUEFALSE, "答案可以写成 FALSE。", "错"),
        ),
        (
            "::题目名::简答{=延安 =%100%延安市 =%20%陕北}",
            Question(QuestionType.FILL, "简答", "延安|延安市"),
        ),
        (
            "党的一大在{~北京 =上海 ~广州}召开。",
            Question(
                QuestionType.SINGLE, "党的一大在____召开。", "B", options=("北京", "上海", "广州")
            ),
        ),
        (
            "多选{~%33.3%甲 ~%33.3%乙 ~%33.4%丙 ~%-50%丁}",
            Question(QuestionType.MULTIPLE, "多选", "ABC", options=("甲", "乙", "丙", "丁")),
        ),
        (
            "[markdown]转义\\#号{=一\\~二 ~三\\\\四}",
            Question(QuestionType.SINGLE, "转义#号", "A", options=("一~二", "三\\四")),
        ),
        (
            "换行{=第一行\\n第二行 ~乙####解析\\n第二行}",
            Question(
                QuestionType.SINGLE,
                "换行",
                "A",
                options=("第一行\n第二行", "乙"),
                explanation="解析\n第二行",
            ),
        ),
    ],
    ids=["true", "false-feedback", "short-answer", "missing-word", "weights", "escapes", "newline"],
)
def test_gift_question_kinds(source: str, expected: Question) -> None:
    assert tuple(quizzes.load_gift(source).unwrap()) == (expected,)


def test_aiken_errors_are_located_by_line() -> None:
    result = quizzes.load_aiken((DATA / "bad_aiken.txt").read_bytes())

    assert located(result) == [
        (1, "答案", "选项后面缺少 ANSWER: 行"),
        (5, "答案", "答案 E 没有对应的选项"),
        (9, "答案", "ANSWER 行前面缺少题目和选项"),
        (12, "选项B", "选项应当按 A、B、C… 的顺序排列，这里应当是 B"),
        (13, "选项A", "题目后面缺少 A. B. … 选项"),
    ]


def test_aiken_more_than_six_options() -> None:
    lines = ["题干", *(f"{letter}. 选项{letter}" for letter in "ABCDEFG"), "ANSWER: A"]

    result = quizzes.load_aiken("\n".join(lines))

    assert located(result) == [
        (8, "选项F", "选项应当按 A、B、C… 的顺序排列，这里应当是 ANSWER 行"),
        (9, "答案", "ANSWER 行前面缺少题目和选项"),
    ]


def test_aiken_gb18030_file() -> None:
    text = (DATA / "bank_aiken.txt").read_text(encoding="utf-8")

    bank = quizzes.load_bank(text.encode("gb18030"), "题库.txt").unwrap()

    assert len(bank) == 3
