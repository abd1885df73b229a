"""Bank files built to cost a reader as much as possible: small on disk, big when read.

The XLSX ones are real workbooks from openpyxl whose worksheet part is then
rewritten, streamed into the archive, so that building them never holds the
big content in memory either.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator

from openpyxl import Workbook

HEADER = ["题型", "题目", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "难度", "标签"]
SHEET_PART = "xl/worksheets/sheet1.xml"
_SHEET_OPEN = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               "<sheetData>")
_SHEET_CLOSE = "</sheetData></worksheet>"


def identical_rows_csv(count: int) -> bytes:
    """A valid header and ``count`` copies of one valid question."""
    row = "单选,党的最高领导机关是什么？,党的全国代表大会和它所产生的中央委员会,党支部,,,A,,,"
    return ("\n".join([",".join(HEADER), *[row] * count]) + "\n").encode()


def _cell(column: int, row: int, text: str) -> str:
    letter = "ABCDEFGHIJ"[column]
    return f'<c r="{letter}{row}" t="inlineStr"><is><t>{text}</t></is></c>'


def _row(number: int, values: Iterable[str]) -> str:
    cells = "".join(_cell(i, number, value) for i, value in enumerate(values) if value)
    return f'<row r="{number}">{cells}</row>'


def _question(n: int) -> list[str]:
    return ["单选", f"第{n}题：题干", "甲", "乙", "", "", "A", "", "", ""]


def _workbook_with_sheet(parts: Iterator[str]) -> bytes:
    book = Workbook()
    book.active.title = "题库"
    template = io.BytesIO()
    book.save(template)
    out = io.BytesIO()
    with (zipfile.ZipFile(template) as source,
          zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target):
        for info in source.infolist():
            if info.filename != SHEET_PART:
                target.writestr(info, source.read(info))
        with target.open(SHEET_PART, "w", force_zip64=True) as sheet:
            for part in parts:
                sheet.write(part.encode())
    return out.getvalue()


def xlsx_with_huge_cell(megabytes: int) -> bytes:
    """A header, one question, and a row whose stem is ``megabytes`` MB of one letter."""
    def parts() -> Iterator[str]:
        yield _SHEET_OPEN + _row(1, HEADER) + _row(2, _question(2))
        yield '<row r="3"><c r="A3" t="inlineStr"><is><t>单选</t></is></c>'
        yield '<c r="B3" t="inlineStr"><is><t>'
        chunk = "x" * (1024 * 1024)
        for _ in range(megabytes):
            yield chunk
        yield "</t></is></c></row>" + _SHEET_CLOSE
    return _workbook_with_sheet(parts())


def xlsx_with_blank_rows(questions: int, blank_rows: int,
                         then_questions: int = 0) -> bytes:
    """Questions, ``blank_rows`` empty row elements, then maybe more questions."""
    def parts() -> Iterator[str]:
        yield _SHEET_OPEN + _row(1, HEADER)
        yield "".join(_row(n, _question(n)) for n in range(2, questions + 2))
        first_blank = questions + 2
        for start in range(first_blank, first_blank + blank_rows, 10_000):
            stop = min(start + 10_000, first_blank + blank_rows)
            # Without r= a row is numbered after the one before it, as openpyxl reads it.
            yield "<row/>" * (stop - start)
        after = first_blank + blank_rows
        yield "".join(_row(n, _question(n)) for n in range(after, after + then_questions))
        yield _SHEET_CLOSE
    return _workbook_with_sheet(parts())


def xlsx_with_far_row(questions: int, far_row: int) -> bytes:
    """Questions, then one question at row ``far_row``: readers fill the gap with empty rows."""
    def parts() -> Iterator[str]:
        yield _SHEET_OPEN + _row(1, HEADER)
        yield "".join(_row(n, _question(n)) for n in range(2, questions + 2))
        yield _row(far_row, _question(far_row)) + _SHEET_CLOSE
    return _workbook_with_sheet(parts())
