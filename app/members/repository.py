"""Member rows on the callback's hot path, in SQLAlchemy Core.

Every callback touches its member, so this is one statement: an upsert that
also returns what the conversation needs, instead of a SELECT then an INSERT
or UPDATE (and no ORM unit-of-work bookkeeping per message).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import Member
from bots import MemberView

_members = Member.__table__
_PROFILE_FIELDS = frozenset({"name", "phone", "branch"})


def touch_member(session: Session, openid: str, now: datetime, *, opens_window: bool) -> MemberView:
    """Create or update the member behind ``openid`` and return their current state.

    ``opens_window``: the message lets us send customer-service messages for the
    next 48 hours, so it moves ``last_interaction_at``.
    """
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(_members).values(
        openid=openid, first_seen_at=now, last_interaction_at=now, subscribed=True,
        daily_push=False,
    )
    changes: dict[str, Any] = (
        {"last_interaction_at": statement.excluded.last_interaction_at}
        if opens_window
        else {"openid": statement.excluded.openid}  # a no-op update, so RETURNING still yields the row
    )
    statement = statement.on_conflict_do_update(index_elements=["openid"], set_=changes).returning(
        _members.c.id, _members.c.name, _members.c.phone, _members.c.branch,
        _members.c.subscribed, _members.c.daily_push, _members.c.conversation,
    )
    row = session.execute(statement).one()
    return MemberView(
        id=row.id, openid=openid, name=row.name, phone=row.phone, branch=row.branch,
        subscribed=row.subscribed, daily_push=row.daily_push, conversation=row.conversation,
    )


def save_conversation(session: Session, member_id: int, conversation: dict[str, Any] | None) -> None:
    session.execute(
        update(_members).where(_members.c.id == member_id).values(conversation=conversation)
    )


class MemberProfiles:
    """:class:`bots.ports.MemberProfiles` over the current unit of work."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def set_profile_field(self, member_id: int, field: str, value: str) -> None:
        if field not in _PROFILE_FIELDS:
            raise ValueError(f"not a profile field: {field}")
        self._session.execute(
            update(_members).where(_members.c.id == member_id).values({field: value})
        )

    def set_subscribed(self, member_id: int, subscribed: bool) -> None:
        self._session.execute(
            update(_members).where(_members.c.id == member_id).values(subscribed=subscribed)
        )
