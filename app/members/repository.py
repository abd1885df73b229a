"""Member rows on the callback's hot path.

Every callback touches its member, so that is one statement: an upsert that
also returns what the conversation needs, instead of a SELECT followed by an
INSERT or UPDATE. It is plain SQL (see app/rawsql.py for why).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from app.rawsql import RawSQL
from bots import MemberView

# What the conversation needs of a member, in member_from_row's order.
MEMBER_COLUMNS = "id, name, phone, branch, subscribed, daily_push, conversation"
_UPSERT = """
INSERT INTO members (openid, first_seen_at, last_interaction_at, subscribed, daily_push)
{rows}
ON CONFLICT (openid) DO UPDATE SET {change}
RETURNING {returning}
"""
# New members get the daily lesson push (opt-out, see the 20261205 migration).
_ROW = "VALUES (:openid, :now, :now, :yes, :yes)"
# Only some messages open the 48-hour customer-service window; the others must
# still return the row, hence the no-op update.
_CHANGE = {True: "last_interaction_at = excluded.last_interaction_at",
           False: "openid = excluded.openid"}
_TOUCH = {opens: _UPSERT.format(rows=_ROW, change=change, returning=MEMBER_COLUMNS)
          for opens, change in _CHANGE.items()}
_SAVE_CONVERSATION = "UPDATE members SET conversation = :conversation WHERE id = :id"
_SET_FIELD = {field: f"UPDATE members SET {field} = :value WHERE id = :id"  # noqa: S608 - fixed names
              for field in ("name", "phone", "branch", "subscribed")}


def touch_member(sql: RawSQL, openid: str, now: datetime, *, opens_window: bool) -> MemberView:
    """Create or update the member behind ``openid`` and return their current state."""
    row = sql.one(_TOUCH[opens_window], _params(sql, openid, now))
    assert row is not None  # an upsert with RETURNING always yields the row
    return member_from_row(sql, openid, row)


def touch_member_if(
    sql: RawSQL, guard: str, guard_params: dict[str, Any], openid: str, now: datetime, *,
    opens_window: bool,
) -> MemberView | None:
    """:func:`touch_member`, in the same statement as ``guard`` and only if it returns a row.

    ``guard`` is a data-modifying statement with RETURNING, run as a CTE (PostgreSQL
    only): the callback's claim, so that a new delivery costs one round trip.
    """
    # PostgreSQL takes the datetime as it is (see RawSQL.time).
    params = {**guard_params, "openid": openid, "now": now, "yes": True}
    row = sql.one(_touch_after_guard(guard, opens_window), params)
    return None if row is None else member_from_row(sql, openid, row)


@lru_cache(maxsize=8)
def _touch_after_guard(guard: str, opens_window: bool) -> str:
    rows = "SELECT :openid, :now, :now, :yes, :yes WHERE EXISTS (SELECT 1 FROM guard)"
    return f"WITH guard AS ({guard}) " + _UPSERT.format(
        rows=rows, change=_CHANGE[opens_window], returning=MEMBER_COLUMNS)


def _params(sql: RawSQL, openid: str, now: datetime) -> dict[str, Any]:
    return {"openid": openid, "now": sql.time(now), "yes": True}


def member_from_row(sql: RawSQL, openid: str, row: tuple[Any, ...]) -> MemberView:
    member_id, name, phone, branch, subscribed, daily_push, conversation = row
    return MemberView(
        id=member_id, openid=openid, name=name, phone=phone, branch=branch,
        subscribed=bool(subscribed), daily_push=bool(daily_push),
        conversation=sql.from_json(conversation),
    )


def save_conversation(sql: RawSQL, member_id: int, conversation: dict[str, Any] | None) -> None:
    sql.defer(_SAVE_CONVERSATION, {"conversation": sql.json(conversation), "id": member_id})


class MemberProfiles:
    """:class:`bots.ports.MemberProfiles` inside the current unit of work."""

    def __init__(self, sql: RawSQL) -> None:
        self._sql = sql

    def set_profile_field(self, member_id: int, field: str, value: str) -> None:
        if field not in ("name", "phone", "branch"):
            raise ValueError(f"not a profile field: {field}")
        self._sql.execute(_SET_FIELD[field], {"value": value, "id": member_id})

    def set_subscribed(self, member_id: int, subscribed: bool) -> None:
        self._sql.execute(_SET_FIELD["subscribed"], {"value": subscribed, "id": member_id})
