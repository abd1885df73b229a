"""Plain ``create_<thing>(session, **overrides)`` factories for tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.models import Member

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
