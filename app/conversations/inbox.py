"""Claims on delivered callbacks: WeChat's retries are acted on once and get the same reply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.members.repository import touch_member, touch_member_if
from app.rawsql import RawSQL
from bots import MemberView


class ReplayedNonce(Exception):
    """A (timestamp, nonce) pair already used with a different body."""


@dataclass(frozen=True, slots=True)
class EarlierDelivery:
    reply: str  # "" when the first delivery answered "success"


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


def claim(
    sql: RawSQL, *, dedup_key: str, nonce_key: str, body_digest: str, now: datetime,
    openid: str, opens_window: bool,
) -> MemberView | EarlierDelivery:
    """Claim the message and touch its member, or return the reply given to its earlier delivery.

    Insert-or-ignore on the unique keys decides, so two deliveries racing in
    two processes cannot both win; on PostgreSQL the loser waits for the
    winner's transaction and then reads its reply. A new delivery costs one
    statement there: the claim runs as a CTE of the member upsert.
    """
    keys = {"dedup_key": dedup_key, "nonce_key": nonce_key}
    member: MemberView | None
    if sql.is_postgres:
        member = touch_member_if(sql, _CLAIM, {**keys, "body_digest": body_digest,
                                               "received_at": now},
                                 openid, now, opens_window=opens_window)
    elif sql.one(_CLAIM, {**keys, "body_digest": body_digest,
                          "received_at": sql.time(now)}) is not None:
        member = touch_member(sql, openid, now, opens_window=opens_window)
    else:
        member = None
    if member is not None:
        return member
    earlier = sql.execute(_EARLIER, keys).fetchall()
    if any(row[1] == nonce_key and row[2] != body_digest for row in earlier):
        raise ReplayedNonce(nonce_key)
    for row in earlier:
        if row[0] == dedup_key:
            return EarlierDelivery(row[3] or "")
    # Same nonce and body under another key cannot come from the platform:
    # the body decides the key. Treat it as the replay it is.
    raise ReplayedNonce(nonce_key)


def record_reply(sql: RawSQL, dedup_key: str, reply: str) -> None:
    # Nothing reads its result, so it can travel with the commit (see RawSQL.defer).
    sql.defer(_RECORD_REPLY, {"reply": reply, "dedup_key": dedup_key})
