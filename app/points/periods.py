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


def labels_covering(first_month: int, last_month: int) -> list[str]:
    """The fewest year, quarter and month labels that together hold exactly the months
    ``first_month`` to ``last_month`` (``yyyymm``, both included)."""
    labels: list[str] = []
    year, month = divmod(first_month, 100)
    while year * 100 + month <= last_month:
        months_left = (last_month // 100 - year) * 12 + last_month % 100 - month + 1
        if month == 1 and months_left >= 12:
            labels.append(str(year))
            year += 1
            continue
        if month % 3 == 1 and months_left >= 3:
            labels.append(f"{year}Q{(month - 1) // 3 + 1}")
            step = 3
        else:
            labels.append(f"{year}-{month:02d}")
            step = 1
        year, month = year + (month - 1 + step) // 12, (month - 1 + step) % 12 + 1
    return labels
