"""CSV banks: UTF-8 (with or without BOM) or GB18030, comma- or tab-separated."""

from __future__ import annotations

import csv
import io

from quizzes.fields import RawRow
from quizzes.model import RowError
from quizzes.readers.decode import decode_text
from quizzes.readers.table import read_table

__all__ = ["read_csv"]


def read_csv(data: bytes | str) -> tuple[list[RawRow], list[RowError]]:
    """Raw rows of a CSV file; row numbers count records, as a spreadsheet does."""
    text = decode_text(data)
    if isinstance(text, RowError):
        return [], [text]
    first_line = text.split("\n", 1)[0]
    # Excel's "Unicode text" export is tab-separated.
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        return [], [RowError(None, None, f"CSV 格式有误：{exc}")]
    return read_table(records)
