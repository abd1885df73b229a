"""Rows of cells with a header row (CSV and XLSX) to raw rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from quizzes.fields import REQUIRED_FIELDS, Field, RawRow, header_field, is_chinese_header
from quizzes.model import RowError
from quizzes.normalize import cell_text

__all__ = ["read_table"]


def read_table(rows: Iterable[Sequence[object]]) -> tuple[list[RawRow], list[RowError]]:
    """Raw rows numbered as in a spreadsheet (header = row 1), or header errors.

    Rows whose recognised cells are all blank are skipped: sheets often carry
    pre-numbered empty rows or trailing formatting.
    """
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        return [], [RowError(None, None, "文件是空的，第 1 行应当是表头")]
    positions, columns, errors = _read_header([cell_text(cell) for cell in header])
    if errors:
        return [], errors
    raws: list[RawRow] = []
    for number, cells in enumerate(iterator, start=2):
        width = len(cells)
        values = {field: cell_text(cells[i]) for i, field in positions if i < width}
        if any(values.values()):
            raws.append(RawRow(number, values, columns))
    return raws, []


def _read_header(
    cells: list[str],
) -> tuple[list[tuple[int, Field]], Mapping[Field, str], list[RowError]]:
    positions: list[tuple[int, Field]] = []
    written: dict[Field, str] = {}
    errors: list[RowError] = []
    for index, text in enumerate(cells):
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
    for field in REQUIRED_FIELDS:
        if field not in written:
            errors.append(RowError(1, columns[field], f"缺少必填列「{columns[field]}」"))
    return positions, columns, errors
