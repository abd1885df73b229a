""":class:`bots.ports.Points` over the turn's session."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app import callback_sql
from app.points import service
from app.points.rules import activity_label
from app.rawsql import DeclaredStatement
from bots.ports import PointsLine, PointsSummary

RECENT_LINES = 5


def declared_summary(openid: str) -> DeclaredStatement:
    """The read :meth:`PointsPort.summary` makes, declared before the turn runs."""
    return callback_sql.points_standing_by_openid(openid, RECENT_LINES)


def points_summary(session: Session, member_id: int, zone: ZoneInfo,
                   declared: DeclaredStatement | None = None) -> PointsSummary:
    found = service.summary(session, member_id, RECENT_LINES, declared)
    recent = tuple(
        PointsLine(at=at.astimezone(zone), label=activity_label(activity), delta=delta)
        for at, activity, delta in found.recent
    )
    return PointsSummary(total=found.total, rank=found.rank, members=found.members,
                         recent=recent)


class PointsPort:
    """``declared``: the turn's member's id and :func:`declared_summary` of them."""

    def __init__(self, session: Session, zone: ZoneInfo,
                 declared: tuple[int, DeclaredStatement] | None = None) -> None:
        self._session = session
        self._zone = zone
        self._declared = declared

    def summary(self, member_id: int, now: datetime) -> PointsSummary:
        del now  # totals are as of the turn's transaction
        # Another member's standing, or the turn's asked again, is read the usual way.
        if self._declared is None or self._declared[0] != member_id:
            return points_summary(self._session, member_id, self._zone)
        return points_summary(self._session, member_id, self._zone, self._declared[1])
