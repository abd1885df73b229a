""":class:`bots.ports.DailyPush` over the turn's session: the member's ``daily_push`` flag."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.models import Member
from app.outbox.planner import plan_daily_lesson
from app.outbox.reach import load_recipients
from bots.ports import PushState


def push_state(session: Session, member_id: int, now: datetime, zone: ZoneInfo) -> PushState:
    """Whether the member wants the daily lesson and until when it can reach them."""
    recipient = load_recipients(session, [member_id]).get(member_id)
    if recipient is None or not recipient.reach.daily_push:
        return PushState(enabled=False)
    reach = recipient.reach
    if plan_daily_lesson(reach, now).channel is None:
        return PushState(enabled=True)
    return PushState(enabled=True, reachable_until=reach.window_closes_at().astimezone(zone))


def set_daily_push(session: Session, member_id: int, enabled: bool) -> None:
    session.execute(update(Member).where(Member.id == member_id).values(daily_push=enabled)
                    .execution_options(synchronize_session=False))


class DailyPushPort:
    def __init__(self, session: Session, zone: ZoneInfo) -> None:
        self._session = session
        self._zone = zone

    def state(self, member_id: int, now: datetime) -> PushState:
        return push_state(self._session, member_id, now, self._zone)

    def set_enabled(self, member_id: int, enabled: bool, now: datetime) -> PushState:
        set_daily_push(self._session, member_id, enabled)
        return push_state(self._session, member_id, now, self._zone)
