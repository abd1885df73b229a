"""Demo events are added once, upcoming, in the service's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import Database
from app.events.demo import DEMO_EVENTS, load_demo_events
from app.models import Event
from tests.support.units import run_unit

ZONE = ZoneInfo("Asia/Shanghai")


def test_demo_events_are_idempotent_and_upcoming(database: Database) -> None:
    now = datetime.now(UTC)
    assert run_unit(database, lambda s: load_demo_events(s, now, ZONE)) == len(DEMO_EVENTS)
    assert run_unit(database, lambda s: load_demo_events(s, now, ZONE)) == 0

    def events(session: Session) -> list[Event]:
        return list(session.scalars(select(Event)))

    stored = run_unit(database, events)
    assert len(stored) == len(DEMO_EVENTS)
    assert all(event.starts_at > now for event in stored)
    assert {event.starts_at.astimezone(ZONE).hour for event in stored} == {14, 9, 19}
