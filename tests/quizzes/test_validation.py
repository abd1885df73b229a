"""Every kind of row problem, located by row and column, with its Chinese message."""

from __future__ import annotations

import csv
import io

import pytest

import quizzes
from quizzes import RowError

HEADER = ["题型", "题目", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "难度", "标签"]
GOOD_ROW = {"题型": "单选", "题目": "一道正确的题", "选项A": "甲", "选项B": "乙", "答案": "A"}


def to_csv(*rows: dict[str, str], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def errors_of(text: str) -> list[tuple[int | None, str | None, str]]:
    result = quizzes.load_csv(text)
    assert result.bank is None
    return [(e.row, e.column, e.message) for e in result.errors]


def choice(**cells: str) -> dict[str, str]:
    return {"题型": "单选", "题目": "题干", "选项A": "甲", "选项B": "乙", "答案": "A"} | cells


MSG_TYPE = "题型必须是 单选、多选、判断 或 填空"
MSG_LETTERS = "答案必须是选项字母，例如 B 或 ACD"
MSG_TF = "判断题的答案必须是 对 或 错（也可以写 正确/错误、true/false、T/F、√/×）"
MSG_FILL = "填空题至少要有一个答案，多个可接受的答案用 | 分隔"
MSG_LEVEL = "难度必须是 1 到 5 的整数"

ROW_CASES = {
    "unknown type": (choice(题型="问答"), [("题型", MSG_TYPE)]),
    "blank type": (choice(题型=""), [("题型", MSG_TYPE)]),
    "empty stem": (choice(题目="  "), [("题目", "题目不能为空")]),
    "single with one option": (
        choice(选项B=""),
        [("选项B", "单选题至少需要 2 个选项")],
    ),
    "multiple without options": (
        {"题型": "多选", "题目": "题干", "答案": "AB"},
        [
            ("选项A", "多选题至少需要 2 个选项"),
            ("答案", "答案 A 没有对应的选项"),
            ("答案", "答案 B 没有对应的选项"),
        ],
    ),
    "gap in options": (
        choice(选项B="", 选项C="丙"),
        [("选项B", "选项B 为空，但后面的 选项C 有内容")],
    ),
    "answer letter without option": (
        choice(选项C="丙", 选项D="丁", 答案="E"),
        [("答案", "答案 E 没有对应的选项")],
    ),
    "single with two letters": (
        choice(答案="A,B"),
        [("答案", "单选题只能有一个答案，这里填了 AB；多个答案请把题型改为 多选")],
    ),
    "multiple with one letter": (
        choice(题型="多选", 答案="b"),
        [("答案", "多选题至少要有 2 个正确答案；只有一个正确答案请把题型改为 单选")],
    ),
    "answer not letters": (choice(答案="甲"), [("答案", MSG_LETTERS)]),
    "empty answer": (choice(答案=""), [("答案", "答案不能为空")]),
    "truefalse not recognised": (
        {"题型": "判断", "题目": "题干", "答案": "也许"},
        [("答案", MSG_TF)],
    ),
    "truefalse with options": (
        {"题型": "判断", "题目": "题干", "选项A": "对", "选项B": "错", "答案": "A"},
        [("选项A", "判断题不需要填写选项"), ("答案", MSG_TF)],
    ),
    "fill with options": (
        {"题型": "填空", "题目": "题干", "选项B": "乙", "答案": "甲"},
        [("选项B", "填空题不需要填写选项")],
    ),
    "fill with no answer": ({"题型": "填空", "题目": "题干", "答案": ""}, [("答案", MSG_FILL)]),
    "fill with separators only": (
        {"题型": "填空", "题目": "题干", "答案": " | ｜ "},
        [("答案", MSG_FILL)],
    ),
    "difficulty too high": (choice(难度="6"), [("难度", MSG_LEVEL)]),
    "difficulty zero": (choice(难度="0"), [("难度", MSG_LEVEL)]),
    "difficulty not integer": (choice(难度="2.5"), [("难度", MSG_LEVEL)]),
    "difficulty words": (choice(难度="简单"), [("难度", MSG_LEVEL)]),
    "several problems in one row": (
        {"题型": "单选", "题目": "", "选项A": "甲", "答案": "C", "难度": "9"},
        [
            ("题目", "题目不能为空"),
            ("选项B", "单选题至少需要 2 个选项"),
            ("答案", "答案 C 没有对应的选项"),
            ("难度", MSG_LEVEL),
        ],
    ),
}


@pytest.mark.parametrize(("row", "expected"), ROW_CASES.values(), ids=ROW_CASES.keys())
def test_row_problem(row: dict[str, str], expected: list[tuple[str, str]]) -> None:
    text = to_csv(GOOD_ROW, row)

    assert errors_of(text) == [(3, column, message) for column, message in expected]


@pytest.mark.parametrize(
    ("type_text", "answer", "stored"),
    [
        ("单选", "Ｂ", "B"),
        ("单选题", " b ", "B"),
        ("Single", "B", "B"),
        ("单项选择题", "B.", "B"),
        ("多选", "C a", "AC"),
        ("多选题", "ＡＣ", "AC"),
        ("multiple", "a、c、c", "AC"),
        ("MULTIPLE", "A;C", "AC"),
        ("多项选择", "c/a", "AC"),
    ],
)
def test_choice_answers_are_normalised(type_text: str, answer: str, stored: str) -> None:
    text = to_csv(choice(题型=type_text, 选项C="丙", 答案=answer))

    [question] = quizzes.load_csv(text).unwrap()

    assert question.answer == stored


@pytest.mark.parametrize(
    ("answer", "stored"),
    [
        ("对", "对"),
        ("正确", "对"),
        ("TRUE", "对"),
        ("t", "对"),
        ("√", "对"),
        ("Ｔ", "对"),
        ("错", "错"),
        ("错误", "错"),
        ("false", "错"),
        ("F", "错"),
        ("×", "错"),
    ],
)
def test_truefalse_spellings(answer: str, stored: str) -> None:
    for type_text in ("判断", "truefalse", "True_False", "判断题"):
        text = to_csv({"题型": type_text, "题目": "题干", "答案": answer})
        [question] = quizzes.load_csv(text).unwrap()
        assert question.answer == stored


def test_fill_alternatives_are_trimmed_and_deduplicated() -> None:
    text = to_csv({"题型": "填空", "题目": "题干", "答案": " 延安 |延安市||延安 ｜ "})

    [question] = quizzes.load_csv(text).unwrap()

    assert question.accepted_answers == ("延安", "延安市")
    assert question.display_answer == "延安"


def test_optional_fields_are_read() -> None:
    text = to_csv(choice(解析=" 因为如此。 ", 难度=" ５ ", 标签="党史；党章; 党史;;"))

    [question] = quizzes.load_csv(text).unwrap()

    assert (question.explanation, question.difficulty, question.tags) == (
        "因为如此。",
        5,
        ("党史", "党章"),
    )


def test_each_duplicate_stem_is_reported_once_naming_the_first_row() -> None:
    text = to_csv(
        choice(题目="党的最高领导机关是什么？"),
        choice(题目="另一道题"),
        choice(题目=" 党的最高领导机关是什么？"),
        {"题型": "判断", "题目": "党的最高领导机关 是什么？", "答案": "错"},
    )

    assert errors_of(text) == [
        (4, "题目", "题目与第 2 行重复"),
        (5, "题目", "题目与第 2 行重复"),
    ]


def test_duplicate_stems_differing_only_in_width_and_case() -> None:
    text = to_csv(choice(题目="What is CPC？"), choice(题目="what is ＣＰＣ?"))

    assert [row for row, _, _ in errors_of(text)] == [3]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["题型", "题目", "选项A", "选项B"], [(1, "答案", "缺少必填列「答案」")]),
        (
            ["type", "Option_A", "answer"],
            [(1, "question", "缺少必填列「question」")],
        ),
        (
            ["备注", "序号"],
            [
                (1, "题型", "缺少必填列「题型」"),
                (1, "题目", "缺少必填列「题目」"),
                (1, "答案", "缺少必填列「答案」"),
            ],
        ),
        (
            ["题型", "题目", "答案", " Answer "],
            [(1, "Answer", "与前面的「答案」列重复")],
        ),
    ],
)
def test_header_problems_are_on_row_one(
    header: list[str], expected: list[tuple[int, str, str]]
) -> None:
    text = ",".join(header) + "\n单选,题干,A\n"

    # A missing column's message goes on to list the names accepted and found.
    assert [(row, column, message.split("（")[0]) for row, column, message in errors_of(text)] \
        == expected


def test_missing_column_names_the_headers_found_and_those_accepted() -> None:
    text = "序号,题目类别,题面,正确选项\n1,单选,题干,A\n"

    [first, *_] = errors_of(text)

    assert first[:2] == (1, "题型")
    assert "第 1 行的列：序号、题目类别、题面、正确选项" in first[2]
    assert "可以写作：题型、题目类型" in first[2] and "type" in first[2]


def test_columns_are_named_as_the_author_wrote_them() -> None:
    text = " Type ,QUESTION,Option_A,option_b,ANSWER,难度\nsingle,题干,甲,,a,7\n"

    assert errors_of(text) == [
        (2, "option_b", "单选题至少需要 2 个选项"),
        (2, "难度", MSG_LEVEL),
    ]


def test_english_header_names_missing_option_columns_in_english() -> None:
    text = "type,question,answer\nsingle,stem,A\n"

    assert errors_of(text) == [
        (2, "option_a", "单选题至少需要 2 个选项"),
        (2, "answer", "答案 A 没有对应的选项"),
    ]


def test_unknown_columns_are_ignored() -> None:
    text = "序号,题型,题目,答案,出题人\n1,判断,题干,对,张三\n"

    [question] = quizzes.load_csv(text).unwrap()

    assert question.stem == "题干"


def test_row_error_reads_as_chinese() -> None:
    assert (
        str(RowError(3, "答案", "答案 E 没有对应的选项"))
        == "第 3 行「答案」：答案 E 没有对应的选项"
    )
    assert str(RowError(None, None, "文件里没有题目")) == "文件里没有题目"
