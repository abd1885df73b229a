"""Sample data files and XLSX builders shared by the quizzes tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

DATA = Path(__file__).parent / "data"


def build_xlsx(rows: Sequence[Sequence[object]], *, extra_sheet: bool = False) -> bytes:
    """An XLSX file whose first sheet holds ``rows``."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "题库"
    for row in rows:
        sheet.append(list(row))
    if extra_sheet:
        other = workbook.create_sheet("说明")
        other.append(["题型", "题目", "答案"])
        other.append(["问答", "第二个工作表不会被读取", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_rows(name: str) -> list[list[str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))
