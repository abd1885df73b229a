"""The callback's own statements, as hand-written SQL on the session's driver connection.

Every callback claims its delivery, touches its member and stores its reply;
many also save the member's conversation. The same statements through
SQLAlchemy (built once, run through the session) made a callback cost much
more CPU than these strings run by :class:`app.rawsql.RawSQL` (bench/NOTES.md
has the A/B), so these few stay hand-written, here in the database layer.
Everything else is ordinary SQLAlchemy.

On PostgreSQL a new delivery costs one statement: the claim runs as a CTE of
the member upsert. The stored reply and the saved conversation are deferred
(see :meth:`RawSQL.defer`): they travel with the COMMIT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from app.rawsql import RawSQL
from bots import MemberView

# What the conversation needs of a member, in _member_view's order.
_MEMBER_COLUMNS = "id, name, phone, branch, subscribed, daily_push, conversation"
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
_TOUCH = {opens: _UPSERT.format(rows=_ROW, change=change, returning=_MEMBER_COLUMNS)
          for opens, change in _CHANGE.items()}
_SAVE_CONVERSATION = "UPDATE members SET conversation = :conversation WHERE id = :id"
_SET_FIELD = {field: f"UPDATE members SET {field} = :value WHERE id = :id"  # noqa: S608 - fixed names
              for field in ("name", "phone", "branch", "subscribed")}

_CLAIM = """
INSERT INTO inbound_messages (dedup_key, nonce_key, body_digest, received_at, reply)
VALUES (:dedup_key, :nonce_key, :body_digest, :received_at, NULL)
ON CONFLICT DO NOTHING
RETURNING dedup_key
"""
_EARLIER = """
SELECT dedup_key, nonce_key, body_digest, reply FROM inbound_messages
WHERE dedup_key = :dedup_key OR nonce_key = :nonce_key
"""
_RECORD_REPLY = "UPDATE inbound_messages SET reply = :reply WHERE dedup_key = :dedup_key"


@dataclass(frozen=True, slots=True)
class Delivered:
    """An earlier delivery that has the same dedup key or the same nonce."""

    dedup_key: str
    nonce_key: str
    body_digest: str
    reply: str | None  # None while that delivery is being handled


def claim_and_touch_member(
    sql: RawSQL, *, dedup_key: str, nonce_key: str, body_digest: str, now: datetime,
    openid: str, opens_window: bool,
) -> MemberView | None:
    """Claim the delivery and touch its member; None when an earlier delivery holds the claim.

    Insert-or-ignore on the unique keys decides, so two deliveries racing in
    two processes cannot both win; on PostgreSQL the loser waits for the
    winner's transaction.
    """
    keys = {"dedup_key": dedup_key, "nonce_key": nonce_key, "body_digest": body_digest}
    if sql.is_postgres:
        # PostgreSQL takes the datetime as it is (see RawSQL.time).
        row = sql.one(_touch_after_claim(opens_window),
                      {**keys, "received_at": now, "openid": openid, "now": now, "yes": True})
        return None if row is None else _member_view(sql, openid, row)
    if sql.one(_CLAIM, {**keys, "received_at": sql.time(now)}) is None:
        return None
    row = sql.one(_TOUCH[opens_window], {"openid": openid, "now": sql.time(now), "yes": True})
    assert row is not None  # an upsert with RETURNING always yields the row
    return _member_view(sql, openid, row)


@lru_cache(maxsize=2)
def _touch_after_claim(opens_window: bool) -> str:
    rows = "SELECT :openid, :now, :now, :yes, :yes WHERE EXISTS (SELECT 1 FROM claimed)"
    return f"WITH claimed AS ({_CLAIM}) " + _UPSERT.format(
        rows=rows, change=_CHANGE[opens_window], returning=_MEMBER_COLUMNS)


def _member_view(sql: RawSQL, openid: str, row: tuple[Any, ...]) -> MemberView:
    member_id, name, phone, branch, subscribed, daily_push, conversation = row
    return MemberView(
        id=member_id, openid=openid, name=name, phone=phone, branch=branch,
        subscribed=bool(subscribed), daily_push=bool(daily_push),
        conversation=sql.from_json(conversation),
    )


def earlier_deliveries(sql: RawSQL, dedup_key: str, nonce_key: str) -> list[Delivered]:
    rows = sql.execute(_EARLIER, {"dedup_key": dedup_key, "nonce_key": nonce_key}).fetchall()
    return [Delivered(*row) for row in rows]


def record_reply(sql: RawSQL, dedup_key: str, reply: str) -> None:
    sql.defer(_RECORD_REPLY, {"reply": reply, "dedup_key": dedup_key})


def save_conversation(sql: RawSQL, member_id: int, conversation: dict[str, Any] | None) -> None:
    sql.defer(_SAVE_CONVERSATION, {"conversation": sql.json(conversation), "id": member_id})


def set_member_field(sql: RawSQL, member_id: int, field: str, value: str | bool) -> None:
    """``field``: name, phone, branch or subscribed."""
    sql.defer(_SET_FIELD[field], {"value": value, "id": member_id})
