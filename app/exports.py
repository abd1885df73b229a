"""The one writer for every CSV and XLSX download: sign-up lists, contest results, rosters.

Exports carry text that members typed (names, branches) and that admins typed
(titles). A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or
``@`` (and, in some versions, a tab or carriage return before one) as a
formula: ``=HYPERLINK("http://x","点此")`` in a branch becomes a live link, and
worse formulas can reach other files or the network (CSV injection). So every
cell of every export, titles and headers included, goes through
:func:`cell_text`, which puts an apostrophe in front of such text, and XLSX
cells are always typed as strings, never as formulas.

Long digit strings (mobile numbers, ID numbers) are another trap: Excel reads
``13912345678`` in a CSV as a number and shows ``1.39E+10``. In CSV they are
written grouped with spaces (``139 1234 5678``), which Excel keeps as text and
people read more easily; in XLSX a string cell already stays text.

Exports hold personal data: they are built in memory and handed to whoever
asked, never written to disk or to the log.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

__all__ = ["CSV_MEDIA_TYPE", "XLSX_MEDIA_TYPE", "Sheet", "Value", "cell_text", "to_csv", "to_xlsx"]

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Value = str | int | float | None

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel keeps up to 11 significant digits in its General format before it switches
# to scientific notation, and drops leading zeros: shorter numbers survive.
_LONGEST_SAFE_DIGITS = 10


def cell_text(value: str | None) -> str:
    """``value`` as a spreadsheet shows it and never runs it."""
    text = value or ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _grouped_digits(text: str) -> str:
    """``13912345678`` as ``139 1234 5678``: three digits, then fours."""
    if len(text) <= _LONGEST_SAFE_DIGITS or not (text.isascii() and text.isdigit()):
        return text
    groups = [text[:3]] + [text[i:i + 4] for i in range(3, len(text), 4)]
    return " ".join(groups)


@dataclass(frozen=True, slots=True)
class Sheet:
    """A table to export: an optional title line, a header and rows.

    Numbers (int, float) stay numbers; everything else is text.
    """

    header: Sequence[str]
    rows: Iterable[Sequence[Value]]
    title: str | None = None
    sheet_name: str = "Sheet1"
    column_widths: Sequence[int] = field(default=())


def to_csv(sheet: Sheet) -> bytes:
    """UTF-8 with a BOM, which is what makes Excel on Windows read it as UTF-8, not GBK.

    The title line is left out: a CSV is read back by programs that expect the
    header first.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell_text(name) for name in sheet.header])
    for row in sheet.rows:
        writer.writerow([_csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(value: Value) -> str:
    if isinstance(value, int | float):
        return str(value)
    return _grouped_digits(cell_text(value))


def to_xlsx(sheet: Sheet, *more: Sheet) -> bytes:
    """One workbook, a worksheet per :class:`Sheet` in the order given."""
    book = Workbook(write_only=True)
    for each in (sheet, *more):
        _write_sheet(book, each)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_sheet(book: Workbook, sheet: Sheet) -> None:
    page = book.create_sheet(title=sheet.sheet_name)
    for column, width in enumerate(sheet.column_widths):
        page.column_dimensions[get_column_letter(column + 1)].width = width

    def cells(values: Iterable[Value]) -> list[WriteOnlyCell | int | float]:
        return [value if isinstance(value, int | float) else _string_cell(page, value)
                for value in values]

    if sheet.title is not None:
        page.append(cells([sheet.title]))
    page.append(cells(sheet.header))
    for row in sheet.rows:
        page.append(cells(row))


def _string_cell(page: Any, value: str | None) -> WriteOnlyCell:
    # Any: openpyxl's write-only worksheet class is not part of its typed surface.
    cell = WriteOnlyCell(page, value=cell_text(value))
    # openpyxl types any text starting with "=" as a formula; this one is text.
    cell.data_type = "s"
    return cell

