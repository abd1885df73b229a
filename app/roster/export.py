"""The roster as XLSX in the import's own layout, so it can be edited and imported again."""

from __future__ import annotations

from collections.abc import Sequence

from app import exports
from app.models.org import RosterEntry
from app.roster.reading import CHINESE

HEADER = [*CHINESE.values(), "绑定微信"]


def roster_xlsx(entries: Sequence[RosterEntry], org_names: dict[int, str]) -> bytes:
    rows = [
        [entry.name, entry.phone, org_names.get(entry.org_id, ""), entry.status,
         entry.joined_on.isoformat() if entry.joined_on else "", entry.duty,
         "是" if entry.member_id is not None else "否"]
        for entry in entries
    ]
    return exports.to_xlsx(exports.Sheet(HEADER, rows, sheet_name="花名册",
                                         column_widths=(10, 14, 30, 12, 12, 10, 9)))
