"""Plain ``create_<thing>(session, **overrides)`` factories for tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ApiToken, Event, Member

_numbers = itertools.count(1)


def create_member(session: Session, **overrides: Any) -> Member:
    now = datetime.now(UTC)
    values: dict[str, Any] = {"openid": f"o_factory_{next(_numbers)}", "first_seen_at": now,
                              "last_interaction_at": now, "subscribed": True,
                              "daily_push": False, **overrides}
    member = Member(**values)
    session.add(member)
    session.flush()
    return member


def create_event(session: Session, **overrides: Any) -> Event:
    """An event; ``organizer="alice"`` assigns it to the organizer token named alice,
    which must exist already (events are assigned to token ids)."""
    now = datetime.now(UTC)
    if overrides.get("organizer") and "organizer_token_id" not in overrides:
        overrides["organizer_token_id"] = session.scalars(
            select(ApiToken.id).where(ApiToken.name == overrides["organizer"],
                                      ApiToken.role == "organizer")).one()
    values: dict[str, Any] = {"title": "主题党日", "description": "", "location": "党员活动室",
                              "starts_at": now + timedelta(days=7), "capacity": 10,
                              "seats_taken": 0, "remind_before_minutes": 60,
                              "organizer": None, "status": "scheduled", "created_at": now,
                              "updated_at": now, **overrides}
    event = Event(**values)
    session.add(event)
    session.flush()
    return event
