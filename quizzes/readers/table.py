"""Rows of cells with a header row (CSV and XLSX) to raw rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from quizzes.fields import (
    REQUIRED_FIELDS,
    Field,
    RawRow,
    accepted_headers,
    header_field,
    is_chinese_header,
)
from quizzes.limits import Limits
from quizzes.model import RowError
from quizzes.normalize import cell_text

__all__ = ["EMPTY_FILE", "Header", "read_header", "read_table"]

EMPTY_FILE = "文件是空的，第 1 行应当是表头"


@dataclass(frozen=True, slots=True)
class Header:
    """What row 1 says: where each recognised column is, and what is wrong with it."""

    positions: tuple[tuple[int, Field], ...]
    columns: Mapping[Field, str]
    errors: tuple[RowError, ...]

    @property
    def recognised(self) -> int:
        return len(self.positions)


def read_header(cells: Sequence[object]) -> Header:
    """Recognise the header cells; missing required columns name what was found instead."""
    texts = [cell_text(cell) for cell in cells]
    positions: list[tuple[int, Field]] = []
    written: dict[Field, str] = {}
    errors: list[RowError] = []
    for index, text in enumerate(texts):
        field = header_field(text) if text else None
        if field is None:
            continue
        if field in written:
            errors.append(RowError(1, text, f"与前面的「{written[field]}」列重复"))
            continue
        written[field] = text
        positions.append((index, field))
    chinese = not written or any(is_chinese_header(text) for text in written.values())
    columns = {
        field: written.get(field, field.chinese if chinese else field.value) for field in Field
    }
    found = "、".join(text for text in texts if text) or "（第 1 行是空的）"
    for field in REQUIRED_FIELDS:
        if field not in written:
            accepted = "、".join(accepted_headers(field))
            errors.append(RowError(
                1, columns[field],
                f"缺少必填列「{columns[field]}」（可以写作：{accepted}）；第 1 行的列：{found}"))
    return Header(tuple(positions), columns, tuple(errors))


def read_table(
    rows: Iterable[Sequence[object]], limits: Limits
) -> Iterator[RawRow | RowError]:
    """Raw rows numbered as in a spreadsheet (header = row 1), or header errors.

    Rows whose recognised cells are all blank are skipped: sheets often carry
    pre-numbered empty rows or trailing formatting. ``limits.max_blank_rows``
    of them in a row end the table.
    """
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        yield RowError(None, None, EMPTY_FILE)
        return
    header = read_header(first)
    if header.errors:
        yield from header.errors
        return
    blank_run = 0
    for number, cells in enumerate(iterator, start=2):
        width = len(cells)
        values = {field: cell_text(cells[i]) for i, field in header.positions if i < width}
        if any(values.values()):
            blank_run = 0
            yield RawRow(number, values, header.columns)
        else:
            blank_run += 1
            if blank_run >= limits.max_blank_rows:
                return
