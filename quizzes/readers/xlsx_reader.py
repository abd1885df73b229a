"""XLSX banks: the first sheet, read with openpyxl in streaming mode.

``read_only=True`` with ``values_only`` rows keeps a 10,000-question sheet to
a few seconds and flat memory; ``data_only=True`` gives formulas' cached values.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Sequence

from openpyxl import load_workbook

from quizzes.fields import RawRow
from quizzes.model import RowError
from quizzes.readers.table import read_table

__all__ = ["read_xlsx"]

UNREADABLE = "无法读取 XLSX 文件：文件已损坏，或不是 Excel 2007 及以后的格式（.xls 请另存为 .xlsx）"


def read_xlsx(data: bytes) -> tuple[list[RawRow], list[RowError]]:
    """Raw rows of the first worksheet, or a file-level error."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return [], [RowError(None, None, UNREADABLE)]
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    # openpyxl reports a malformed package with whatever the zip, XML and
    # its own parsers raise (KeyError, ValueError, BadZipFile, ParseError, …);
    # an upload must get an answer, not a 500.
    except Exception:
        return [], [RowError(None, None, UNREADABLE)]
    try:
        sheets = workbook.worksheets
        if not sheets:
            return [], [RowError(None, None, "XLSX 文件里没有工作表")]
        return read_table(_rows(sheets[0]))
    except Exception:  # same reason: read-only mode parses lazily
        return [], [RowError(None, None, UNREADABLE)]
    finally:
        workbook.close()


def _rows(sheet: object) -> Iterator[Sequence[object]]:
    # Some exporters write a wrong <dimension>; without it openpyxl neither
    # pads nor truncates rows, and read_table copes with short ones.
    sheet.reset_dimensions()  # type: ignore[attr-defined]
    rows: Iterator[Sequence[object]] = sheet.iter_rows(values_only=True)  # type: ignore[attr-defined]
    yield from rows
