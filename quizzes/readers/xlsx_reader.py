"""XLSX banks: the first sheet with a header row, read with openpyxl in streaming mode.

``read_only=True`` with ``values_only`` rows keeps memory flat however long
the sheet; ``data_only=True`` gives formulas' cached values. Workbooks often
open with a 说明 (instructions) sheet, so the bank is the first sheet whose
row 1 names every required column, and every problem names its sheet.

Before openpyxl sees the file, the sizes the archive declares for its parts
are added up against ``limits.max_bytes``: a small upload can unpack to
gigabytes, and Python's zip reader never unpacks more than the declared size.

Opening a workbook read-only, openpyxl looks for each sheet's
``<dimension>`` and, when there is none (openpyxl's own write-only mode
writes none), parses the whole sheet to find out: millions of empty rows
were read before the first row could be. The sheets here are opened without
that look (:class:`_SheetWithoutSize`); rows are read without dimensions
anyway, and reading stops at the limits.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Generator, Iterator, Sequence
from dataclasses import replace
from typing import Any

from openpyxl.reader.excel import ExcelReader
from openpyxl.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from quizzes.fields import RawRow
from quizzes.limits import Limits
from quizzes.model import RowError
from quizzes.readers.table import EMPTY_FILE, Header, read_header, read_table

__all__ = ["read_xlsx"]

UNREADABLE = "无法读取 XLSX 文件：文件已损坏，或不是 Excel 2007 及以后的格式（.xls 请另存为 .xlsx）"
_MIB = 1024 * 1024

# Any: openpyxl ships no type information for its read-only worksheet.
_Sheet = Any


def read_xlsx(data: bytes, limits: Limits) -> Generator[RawRow | RowError, None, None]:
    """Raw rows of the bank's worksheet as they are read, or located errors."""
    problem = _archive_problem(data, limits)
    if problem is not None:
        yield problem
        return
    try:
        workbook = _open_workbook(data)
    # openpyxl reports a malformed package with whatever the zip, XML and
    # its own parsers raise (KeyError, ValueError, BadZipFile, ParseError, …);
    # an upload must get an answer, not a 500.
    except Exception:
        yield RowError(None, None, UNREADABLE)
        return
    try:
        yield from _read_workbook(workbook.worksheets, limits)
    except Exception:  # same reason: read-only mode parses lazily
        yield RowError(None, None, UNREADABLE)
    finally:
        workbook.close()


class _SheetWithoutSize(ReadOnlyWorksheet):  # type: ignore[misc]
    """A read-only sheet that does not parse itself at opening to learn its size."""

    def _get_size(self) -> None:
        return None


class _WorkbookReader(ExcelReader):  # type: ignore[misc]
    """openpyxl's read-only workbook reader, with sheets that open without parsing."""

    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target in self.valid_files and "chartsheet" not in rel.Type:
                worksheet = _SheetWithoutSize(self.wb, sheet.name, rel.target,
                                              self.shared_strings)
                self.wb._sheets.append(worksheet)


def _open_workbook(data: bytes) -> Workbook:
    reader = _WorkbookReader(io.BytesIO(data), read_only=True, data_only=True)
    reader.read()
    workbook: Workbook = reader.wb
    return workbook


def _archive_problem(data: bytes, limits: Limits) -> RowError | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return RowError(None, None, UNREADABLE)
    if unpacked > limits.max_bytes:
        return RowError(None, None, f"XLSX 文件解压后有 {unpacked / _MIB:.0f} MB，超过 "
                        f"{limits.max_megabytes} 的上限；请删去多余的工作表、图片或空行，"
                        "或分成几个文件导入")
    return None


def _read_workbook(sheets: Sequence[_Sheet], limits: Limits) -> Iterator[RawRow | RowError]:
    if not sheets:
        yield RowError(None, None, "XLSX 文件里没有工作表")
        return
    chosen, header = _bank_sheet(sheets)
    name = str(chosen.title)
    if header is None:
        yield RowError(None, None, EMPTY_FILE, name)
        return
    if header.errors:
        yield from (replace(error, sheet=name) for error in header.errors)
        if len(sheets) > 1:
            names = "、".join(f"「{sheet.title}」" for sheet in sheets)
            yield RowError(None, None, f"工作簿里有工作表 {names}，没有一张的第 1 行是完整的表头")
        return
    for item in read_table(_rows(chosen), limits):
        yield replace(item, sheet=name)


def _bank_sheet(sheets: Sequence[_Sheet]) -> tuple[_Sheet, Header | None]:
    """The first sheet whose header is complete; else the one whose header is nearest."""
    best: tuple[_Sheet, Header | None] = (sheets[0], None)
    for sheet in sheets:
        header = _header_of(sheet)
        if header is None:
            continue
        if not header.errors:
            return sheet, header
        if best[1] is None or header.recognised > best[1].recognised:
            best = (sheet, header)
    if best[1] is None or best[1].recognised == 0:
        return sheets[0], _header_of(sheets[0])
    return best


def _header_of(sheet: _Sheet) -> Header | None:
    rows = _rows(sheet)
    try:
        first = next(rows, None)
    finally:
        rows.close()
    return None if first is None else read_header(first)


def _rows(sheet: _Sheet) -> Generator[Sequence[object], None, None]:
    # Some exporters write a wrong <dimension>; without it openpyxl neither
    # pads nor truncates rows, and read_table copes with short ones.
    sheet.reset_dimensions()
    rows: Iterator[Sequence[object]] = sheet.iter_rows(values_only=True)
    yield from rows
