"""Files built to exhaust a reader get a short, located refusal, as early as it can come.

Each hostile file is generated here, small on disk and big once read. That
reading stopped early shows in what the result says (the limit named, the
rows never read), not in timings.
"""

from __future__ import annotations

import csv
import io

import pytest

import quizzes
from quizzes import Limits
from tests.quizzes.files import build_xlsx
from tests.support.hostile_files import (
    HEADER,
    identical_rows_csv,
    xlsx_with_blank_rows,
    xlsx_with_far_row,
    xlsx_with_huge_cell,
)


def question(n: int, **cells: object) -> list[object]:
    row: dict[str, object] = {"题型": "单选", "题目": f"第{n}题", "选项A": "甲", "选项B": "乙",
                              "答案": "A"} | cells
    return [row.get(name, "") for name in HEADER]


def to_csv(rows: list[list[object]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue()


def test_identical_rows_are_reported_once_each_and_the_list_is_capped() -> None:
    data = identical_rows_csv(6_000)

    result = quizzes.load_bank(data, "attack.csv")

    assert result.bank is None
    assert result.error_count == 5_999  # every copy after the first, once
    assert len(result.errors) == 200 and result.unlisted_errors == 5_799
    assert [e.row for e in result.errors] == list(range(3, 203))
    assert {e.message for e in result.errors} == {"题目与第 2 行重复"}


def test_the_listed_errors_are_the_first_in_file_order_file_level_first() -> None:
    rows = [question(n, 答案="Z") for n in range(2, 40)]
    # The CSV reader's own complaint comes last, with no row.
    text = to_csv(rows) + "单选," + "长" * 200_000 + "\n"
    limits = Limits(max_errors=5)

    result = quizzes.load_csv(text, limits)

    assert [e.row for e in result.errors] == [None, 2, 3, 4, 5]
    assert result.error_count == len(rows) + 1


def test_a_workbook_unpacking_past_the_limit_is_refused_before_it_is_parsed() -> None:
    data = xlsx_with_huge_cell(200)
    assert len(data) < 2 * 1024 * 1024

    result = quizzes.load_bank(data, "bomb.xlsx")

    # One file-level problem naming the limit: had openpyxl parsed the sheet,
    # the rows before the huge cell would have been read and the cell reported.
    assert [(e.row, e.column) for e in result.errors] == [(None, None)]
    assert "64 MB" in result.errors[0].message and "解压后" in result.errors[0].message


def test_a_cell_past_the_cell_limit_is_located_and_named() -> None:
    data = xlsx_with_huge_cell(1)

    result = quizzes.load_bank(data, "long.xlsx")

    [error] = result.errors
    assert (error.row, error.column, error.sheet) == (3, "题目", "题库")
    assert "10000 个字的上限" in error.message


def test_cells_are_limited_in_every_format() -> None:
    limits = Limits(max_cell_chars=20)
    text = to_csv([question(2, 解析="长" * 21)])

    [error] = quizzes.load_csv(text, limits).errors

    assert (error.row, error.column) == (2, "解析")
    assert "21 个字" in error.message and "20 个字的上限" in error.message
    json_text = '[{"type": "single", "question": "' + "长" * 21 + '", "answer": "A"}]'
    [json_error] = quizzes.load_json(json_text, limits).errors
    assert (json_error.row, json_error.column) == (2, "question")


def test_a_csv_cell_past_the_csv_modules_own_limit_gets_a_chinese_message() -> None:
    text = to_csv([question(2)]) + "单选," + "长" * 200_000 + ",甲,乙,,,A,,,\n"

    [error] = quizzes.load_csv(text).errors

    assert "CSV 格式有误" in error.message and "每格最多 10000 个字" in error.message


def test_reading_stops_at_the_first_row_over_the_question_limit() -> None:
    text = to_csv([question(n) for n in range(2, 27)])

    result = quizzes.load_csv(text, Limits(max_questions=10))

    [error] = result.errors
    assert error.row == 12 and "10 道的上限" in error.message and "没有读取" in error.message


def test_a_file_past_the_byte_limit_is_refused_whatever_its_format() -> None:
    limits = Limits(max_bytes=1000)
    text = to_csv([question(n) for n in range(2, 40)])

    for name in ("big.csv", "big.json", "big.txt"):
        [error] = quizzes.load_bank(text.encode(), name, limits=limits).errors
        assert error.row is None and "上限" in error.message


def test_a_run_of_blank_rows_ends_the_sheet() -> None:
    data = xlsx_with_blank_rows(questions=3, blank_rows=1_500, then_questions=2)

    ended = quizzes.load_xlsx(data, Limits(max_blank_rows=1_000))
    read_on = quizzes.load_xlsx(data, Limits(max_blank_rows=2_000))

    assert len(ended.unwrap()) == 3
    assert len(read_on.unwrap()) == 5


def test_millions_of_empty_rows_cost_no_more_than_the_blank_run() -> None:
    data = xlsx_with_blank_rows(questions=3, blank_rows=5_000_000)
    assert len(data) < 1024 * 1024

    assert len(quizzes.load_bank(data, "empty-rows.xlsx").unwrap()) == 3


def test_a_far_away_row_does_not_make_the_reader_walk_to_it() -> None:
    data = xlsx_with_far_row(questions=3, far_row=5_000_000)

    assert len(quizzes.load_bank(data, "far.xlsx").unwrap()) == 3


def test_blank_lines_end_a_csv_file_too() -> None:
    text = to_csv([question(2)]) + "\n" * 5 + to_csv([question(3)]).split("\n", 1)[1]

    assert len(quizzes.load_csv(text, Limits(max_blank_rows=3)).unwrap()) == 1
    assert len(quizzes.load_csv(text, Limits(max_blank_rows=10)).unwrap()) == 2


def test_the_bank_sheet_is_the_first_with_a_header_and_errors_name_it() -> None:
    book = build_xlsx([HEADER, question(2, 答案="Z")], extra_sheet=False)
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(book))
    notes = workbook.create_sheet("说明", 0)
    notes.append(["请在「题库」工作表中填写题目"])
    notes.append(["每行一道题"])
    out = io.BytesIO()
    workbook.save(out)

    [error] = quizzes.load_xlsx(out.getvalue()).errors

    assert (error.row, error.column, error.sheet) == (2, "答案", "题库")
    assert str(error).startswith("工作表「题库」第 2 行「答案」：")


def test_a_workbook_without_any_header_names_its_sheets() -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "说明"
    workbook.active.append(["说明文字"])
    workbook.create_sheet("题目").append(["题干", "选项A", "选项B"])
    out = io.BytesIO()
    workbook.save(out)

    errors = quizzes.load_xlsx(out.getvalue()).errors

    assert {e.sheet for e in errors if e.row == 1} == {"题目"}
    assert any("「说明」、「题目」" in e.message for e in errors if e.row is None)


@pytest.mark.parametrize(
    "header",
    [
        ["题目类型", "题干", "A", "B", "正确答案", "答案解析"],
        ["类型", "试题", "选项A", "选项B", "参考答案", "解释"],
        ["试题类型", "题目内容", "A选项", "B选项", "标准答案", "试题解析", "难易度", "知识点"],
    ],
)
def test_common_header_synonyms_are_accepted(header: list[str]) -> None:
    rows = [header, ["单选", "党的根本宗旨是什么？", "全心全意为人民服务", "发展经济", "A", "党章"]]
    out = io.StringIO()
    csv.writer(out).writerows(rows)

    [q] = quizzes.load_csv(out.getvalue()).unwrap()

    assert (q.stem, q.options, q.answer) == ("党的根本宗旨是什么？",
                                             ("全心全意为人民服务", "发展经济"), "A")


def test_the_content_hash_follows_the_questions_not_the_file() -> None:
    rows = [question(n) for n in range(2, 6)]
    from_csv = quizzes.load_csv(to_csv(rows)).unwrap()
    from_xlsx = quizzes.load_xlsx(build_xlsx([HEADER, *rows])).unwrap()
    changed = quizzes.load_csv(to_csv([*rows[:-1], question(5, 答案="B")])).unwrap()

    assert from_csv.content_hash == from_xlsx.content_hash
    assert from_csv.content_hash != changed.content_hash
