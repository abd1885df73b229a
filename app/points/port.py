""":class:`bots.ports.Points` over the turn's session."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.points import service
from bots.ports import PointsLine, PointsSummary

RECENT_LINES = 5


def points_summary(session: Session, member_id: int, zone: ZoneInfo) -> PointsSummary:
    found = service.summary(session, member_id, RECENT_LINES)
    recent = tuple(
        PointsLine(at=at.astimezone(zone), label=service.activity_label(activity), delta=delta)
        for at, activity, delta in found.recent
    )
    return PointsSummary(total=found.total, rank=found.rank, members=found.members,
                         recent=recent)


class PointsPort:
    def __init__(self, session: Session, zone: ZoneInfo) -> None:
        self._session = session
        self._zone = zone

    def summary(self, member_id: int, now: datetime) -> PointsSummary:
        del now  # totals are as of the turn's transaction
        return points_summary(self._session, member_id, self._zone)
