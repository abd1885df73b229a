"""Periods the 先锋指数 is read for: a year (``2026``), a quarter (``2026Q4``), a month
(``2026-11``).

A ledger line counts in the three periods its month belongs to; each period's
totals are kept under its label (see :class:`~app.models.PointsPeriodTotal`).
"""

from __future__ import annotations

import re

from app.errors import InvalidInput

_PERIOD = re.compile(r"(\d{4})(?:-?Q([1-4])|-(\d{2}))?")


def period_labels(month: int) -> tuple[str, str, str]:
    """The year, quarter and month labels of ``month`` (``yyyymm``)."""
    year, number = divmod(month, 100)
    return str(year), f"{year}Q{(number - 1) // 3 + 1}", f"{year}-{number:02d}"


def parse_period(text: str) -> str:
    """The canonical label of ``2026``, ``2026Q4``/``2026-Q4`` or ``2026-11``; 422 otherwise."""
    found = _PERIOD.fullmatch(text.strip().upper())
    month = int(found.group(3)) if found and found.group(3) else None
    if found is None or not 2000 <= int(found.group(1)) <= 2100 or (
            month is not None and not 1 <= month <= 12):
        raise InvalidInput("统计期间无效", errors=[{
            "field": "period",
            "message": "统计期间应为年（2026）、季度（2026Q4）或月份（2026-11）"}])
    year = found.group(1)
    if found.group(2):
        return f"{year}Q{found.group(2)}"
    return f"{year}-{month:02d}" if month is not None else year
