"""Claims on delivered callbacks: WeChat's retries are acted on once and get the same reply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.members.repository import (
    MEMBER_COLUMNS,
    guarded_touch,
    member_from_row,
    touch_member,
    touch_members,
)
from app.rawsql import Opening, RawSQL, Together
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
# The claims of several callbacks and the upserts of their members, in one statement.
# Rows are taken in key order, so that two processes' batches take the same rows
# in the same order (fewer deadlocks; a victim runs again). The batch's units share
# no key.
_CLAIM_TOGETHER = """
WITH input AS (
    SELECT * FROM ROWS FROM (json_to_recordset(:rows::json) AS (
        dedup_key text, nonce_key text, body_digest text, received_at timestamptz, openid text
    )) WITH ORDINALITY AS i(dedup_key, nonce_key, body_digest, received_at, openid, position)
), claimed AS (
    INSERT INTO inbound_messages (dedup_key, nonce_key, body_digest, received_at, reply)
    SELECT dedup_key, nonce_key, body_digest, received_at, NULL FROM input ORDER BY dedup_key
    ON CONFLICT DO NOTHING
    RETURNING dedup_key
), touched AS ({touch})
SELECT input.position, {member_columns} FROM touched JOIN input USING (openid)
WHERE input.dedup_key IN (SELECT dedup_key FROM claimed)
"""
_CLAIMS_TOGETHER = {
    opens_window: Together(
        _CLAIM_TOGETHER.format(
            touch=touch_members(
                "SELECT openid, received_at, received_at, true, true FROM input "
                "WHERE dedup_key IN (SELECT dedup_key FROM claimed) ORDER BY openid",
                opens_window=opens_window),
            member_columns=", ".join(f"touched.{column}" for column in MEMBER_COLUMNS.split(", "))),
        columns=("dedup_key", "nonce_key", "body_digest", "received_at", "openid"))
    for opens_window in (True, False)
}


def claim_opening(
    *, dedup_key: str, nonce_key: str, body_digest: str, now: datetime, openid: str,
    opens_window: bool,
) -> Opening:
    """PostgreSQL: the claim and the member upsert in one statement, to send ahead."""
    guard_params = {"dedup_key": dedup_key, "nonce_key": nonce_key, "body_digest": body_digest,
                    "received_at": now}
    return guarded_touch(_CLAIM, guard_params, openid, now, opens_window=opens_window,
                         keys=(f"openid:{openid}", f"dedup:{dedup_key}", f"nonce:{nonce_key}"),
                         together=_CLAIMS_TOGETHER[opens_window])


def claim(
    sql: RawSQL, *, dedup_key: str, nonce_key: str, body_digest: str, now: datetime,
    openid: str, opens_window: bool, opening: Opening | None = None,
) -> MemberView | EarlierDelivery:
    """Claim the message and touch its member, or return the reply given to its earlier delivery.

    Insert-or-ignore on the unique keys decides, so two deliveries racing in
    two processes cannot both win; on PostgreSQL the loser waits for the
    winner's transaction and then reads its reply. A new delivery costs one
    statement there (the claim runs as a CTE of the member upsert), which
    :func:`claim_opening` builds and the caller may have sent ahead (``opening``).
    """
    keys = {"dedup_key": dedup_key, "nonce_key": nonce_key}
    member: MemberView | None
    if sql.is_postgres:
        opening = opening or claim_opening(
            dedup_key=dedup_key, nonce_key=nonce_key, body_digest=body_digest, now=now,
            openid=openid, opens_window=opens_window)
        row = sql.one_opening(opening)
        member = None if row is None else member_from_row(sql, openid, row)
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
    # Nothing reads its result, so it can travel with the unit's release (see RawSQL.defer).
    sql.defer(_RECORD_REPLY, {"reply": reply, "dedup_key": dedup_key})
