"""CSV banks: UTF-8 (with or without BOM) or GB18030, comma- or tab-separated."""

from __future__ import annotations

import csv
import io
from collections.abc import Generator, Iterator

from quizzes.fields import RawRow
from quizzes.limits import Limits
from quizzes.model import RowError
from quizzes.readers.decode import decode_text
from quizzes.readers.table import read_table

__all__ = ["read_csv"]


def read_csv(data: bytes | str, limits: Limits) -> Generator[RawRow | RowError, None, None]:
    """Raw rows of a CSV file as it is read; row numbers count records, as a spreadsheet does."""
    text = decode_text(data)
    if isinstance(text, RowError):
        yield text
        return
    first_line = text.split("\n", 1)[0]
    # Excel's "Unicode text" export is tab-separated.
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    problems: list[RowError] = []

    def records() -> Iterator[list[str]]:
        try:
            yield from reader
        except csv.Error as exc:
            problems.append(_problem(exc, reader.line_num, limits))

    yield from read_table(records(), limits)
    yield from problems


def _problem(exc: csv.Error, line: int, limits: Limits) -> RowError:
    if "field limit" in str(exc):
        detail = (f"有一格超过 {csv.field_size_limit()} 个字，"
                  f"每格最多 {limits.max_cell_chars} 个字；其后的内容未读取")
    else:
        detail = str(exc)
    return RowError(None, None, f"CSV 格式有误（文件第 {line} 行）：{detail}")
