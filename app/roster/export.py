"""The roster as XLSX in the import's own layout, so it can be edited and imported again."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook

from app.models.org import RosterEntry
from app.roster.reading import CHINESE

HEADER = [*CHINESE.values(), "绑定微信"]
# A cell starting with one of these is a formula to Excel (and to openpyxl).
_FORMULA_START = ("=", "+", "-", "@")


def safe_cell(value: str | None) -> str:
    text = value or ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def roster_xlsx(entries: Sequence[RosterEntry], org_names: dict[int, str]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "花名册"
    sheet.append(HEADER)
    for entry in entries:
        sheet.append([
            safe_cell(entry.name), entry.phone, safe_cell(org_names.get(entry.org_id, "")),
            entry.status, entry.joined_on.isoformat() if entry.joined_on else "",
            safe_cell(entry.duty), "是" if entry.member_id is not None else "否",
        ])
    for column, width in zip("ABCDEFG", (10, 14, 30, 12, 12, 10, 9), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
