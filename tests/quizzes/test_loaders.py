"""Every format loads the sample banks in data/ into the expected questions."""

from __future__ import annotations

import codecs

import pytest

import quizzes
from quizzes import BankFormat, LoadResult, QuestionType, RowError
from tests.quizzes.conftest import XlsxFactory
from tests.quizzes.expected import AIKEN_BANK, GIFT_BANK, TABULAR_BANK
from tests.quizzes.files import DATA, csv_rows

BANK_CSV = (DATA / "bank.csv").read_text(encoding="utf-8")
assert BANK_CSV.encode("utf-8") != BANK_CSV.encode("gb18030"), "the sample must test GB18030"


def typed_rows() -> list[list[object]]:
    """bank.csv as Excel would store it: numbers in number cells, blanks as None."""
    rows: list[list[object]] = [list(csv_rows("bank.csv")[0])]
    for row in csv_rows("bank.csv")[1:]:
        cells: list[object] = [cell or None for cell in row]
        for index in (0, 9):  # 序号, 难度
            if cells[index]:
                cells[index] = int(str(cells[index]))
        rows.append(cells)
    return rows


def questions(result: LoadResult) -> tuple[quizzes.Question, ...]:
    assert result.errors == ()
    return result.unwrap().questions


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("bank.csv", BANK_CSV.encode("utf-8")),
        ("bank.csv", codecs.BOM_UTF8 + BANK_CSV.encode("utf-8")),
        ("bank.csv", BANK_CSV.encode("gb18030")),
        ("bank.csv", BANK_CSV.replace(",", "\t").encode("utf-16")),
        ("BANK.CSV", BANK_CSV.replace("\n", "\r\n").encode("utf-8")),
        ("bank_english.csv", (DATA / "bank_english.csv").read_bytes()),
        ("bank.json", (DATA / "bank.json").read_bytes()),
        ("bank.json", codecs.BOM_UTF8 + (DATA / "bank.json").read_bytes()),
    ],
    ids=[
        "utf8",
        "utf8-bom",
        "gb18030",
        "utf16-tab",
        "crlf-upper-ext",
        "english",
        "json",
        "json-bom",
    ],
)
def test_tabular_files_load_the_sample_bank(filename: str, data: bytes) -> None:
    result = quizzes.load_bank(data, filename)

    assert questions(result) == TABULAR_BANK


def test_gb18030_bytes_are_not_utf8() -> None:
    with pytest.raises(UnicodeDecodeError):
        BANK_CSV.encode("gb18030").decode("utf-8")


def test_csv_accepts_text() -> None:
    assert questions(quizzes.load_csv(BANK_CSV)) == TABULAR_BANK


def test_xlsx_reads_typed_cells_from_the_first_sheet_only(make_xlsx: XlsxFactory) -> None:
    data = make_xlsx(typed_rows(), extra_sheet=True)

    result = quizzes.load_bank(data, "题库.xlsx")

    assert questions(result) == TABULAR_BANK
    assert result.unwrap().format is BankFormat.XLSX


def test_xlsx_boolean_and_float_cells(make_xlsx: XlsxFactory) -> None:
    rows = [
        ["题型", "题目", "答案", "难度"],
        ["判断", "Excel 里输入 TRUE 会变成布尔单元格。", True, 2.0],
        ["判断", "FALSE 也一样。", False, None],
        ["填空", "党的一大召开于____年。", 1921, None],
    ]

    bank = quizzes.load_xlsx(make_xlsx(rows)).unwrap()

    assert [(q.answer, q.difficulty) for q in bank] == [("对", 2), ("错", None), ("1921", None)]


def test_gift_sample() -> None:
    result = quizzes.load_bank((DATA / "bank.gift").read_bytes(), "moodle.gift")

    assert questions(result) == GIFT_BANK
    assert result.unwrap().format is BankFormat.GIFT


def test_aiken_sample() -> None:
    result = quizzes.load_bank((DATA / "bank_aiken.txt").read_bytes(), "aiken.txt")

    assert questions(result) == AIKEN_BANK
    assert result.unwrap().format is BankFormat.AIKEN


def test_txt_holding_gift_is_read_as_gift() -> None:
    result = quizzes.load_bank((DATA / "bank.gift").read_bytes(), "moodle-export.txt")

    assert questions(result) == GIFT_BANK


@pytest.mark.parametrize(
    ("fmt", "filename"),
    [("csv", "upload.bin"), (BankFormat.JSON, "bank.csv"), ("GIFT", "")],
)
def test_explicit_format_wins_over_the_extension(fmt: str, filename: str) -> None:
    source = {"csv": "bank.csv", "json": "bank.json", "gift": "bank.gift"}[fmt.lower()]

    result = quizzes.load_bank((DATA / source).read_bytes(), filename, format=fmt)

    assert result.ok


def test_unknown_format_name_is_a_programming_error() -> None:
    with pytest.raises(quizzes.UnsupportedFormatError, match="docx"):
        quizzes.load_bank(b"", "a.csv", format="docx")


@pytest.mark.parametrize(
    ("filename", "fragment"),
    [("bank.pdf", ".pdf"), ("bank", "无扩展名"), ("bank.xls", "另存为 .xlsx")],
)
def test_unknown_extension_is_a_file_error(filename: str, fragment: str) -> None:
    result = quizzes.load_bank(BANK_CSV.encode(), filename)

    assert result.bank is None
    [error] = result.errors
    assert (error.row, error.column) == (None, None)
    assert fragment in error.message


@pytest.mark.parametrize(
    ("loader", "data", "fragment"),
    [
        (quizzes.load_csv, b"\x80\x80\xff", "编码"),
        (quizzes.load_csv, b"", "文件是空的"),
        (quizzes.load_csv, "题型,题目,答案\n".encode(), "没有题目"),
        (quizzes.load_csv, "题型,题目,答案\n,,\n\n".encode(), "没有题目"),
        (quizzes.load_xlsx, BANK_CSV.encode(), "XLSX"),
        (quizzes.load_xlsx, b"PK\x05\x06" + b"\0" * 18, "XLSX"),
        (quizzes.load_json, b'{"type": "single"}', "列表"),
        (quizzes.load_json, b'[{"type": ', "JSON 格式有误"),
        (quizzes.load_json, b"[]", "没有题目"),
        (quizzes.load_gift, b"// only a comment\n", "没有题目"),
        (quizzes.load_aiken, b"\n\n", "没有题目"),
    ],
)
def test_unusable_files_give_one_file_error(loader: object, data: bytes, fragment: str) -> None:
    assert callable(loader)
    result: LoadResult = loader(data)

    assert result.bank is None
    [error] = result.errors
    assert error.row is None
    assert fragment in error.message


def test_empty_xlsx_sheet(make_xlsx: XlsxFactory) -> None:
    result = quizzes.load_xlsx(make_xlsx([]))

    assert result.errors == (RowError(None, None, "文件是空的，第 1 行应当是表头", "题库"),)


def test_any_bad_row_rejects_the_whole_file() -> None:
    text = BANK_CSV + "8,单选,坏题一,甲,乙,,,C,,,,\n9,判断,坏题二,,,,,也许,,,,\n"

    result = quizzes.load_csv(text)

    assert result.bank is None
    assert [(e.row, e.column) for e in result.errors] == [(9, "答案"), (10, "答案")]
    with pytest.raises(quizzes.BankRejectedError) as caught:
        result.unwrap()
    assert caught.value.errors == result.errors


def test_rows_keep_spreadsheet_numbers_across_multiline_cells() -> None:
    text = '题型,题目,选项A,选项B,答案\n单选,"第一行\n第二行",甲,乙,A\n单选,第三题,甲,乙,Z\n'

    result = quizzes.load_csv(text)

    assert [(e.row, e.column) for e in result.errors] == [(3, "答案")]


def test_json_rows_count_like_a_spreadsheet() -> None:
    result = quizzes.load_json((DATA / "bad.json").read_bytes())

    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (3, None, "每道题必须是一个 JSON 对象"),
        (4, "option_a", "只能是文本或数字"),
        (5, "answer", "填空题至少要有一个答案，多个可接受的答案用 | 分隔"),
        (5, "难度", "难度必须是 1 到 5 的整数"),
        (6, "题目", "与「question」重复"),
    ]


def test_bank_keeps_file_order_and_lists_tags() -> None:
    bank = quizzes.load_csv(BANK_CSV).unwrap()

    assert [q.type for q in bank] == [
        QuestionType.SINGLE,
        QuestionType.MULTIPLE,
        QuestionType.TRUEFALSE,
        QuestionType.FILL,
        QuestionType.SINGLE,
    ]
    assert bank.tags == ("党史", "党的创建", "党章", "纪律建设")
    assert len(bank) == 5
