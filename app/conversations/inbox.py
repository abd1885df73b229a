"""Claims on delivered callbacks: WeChat's retries are acted on once and get the same reply."""

from __future__ import annotations

from dataclasses import dataclass

from app import callback_sql
from app.callback_sql import Claim
from app.rawsql import RawSQL
from bots import MemberView


class ReplayedNonce(Exception):
    """A (timestamp, nonce) pair already used with a different body."""


@dataclass(frozen=True, slots=True)
class EarlierDelivery:
    reply: str  # "" when the first delivery answered "success"


def claim(sql: RawSQL, request: Claim) -> MemberView | EarlierDelivery:
    """Claim the message and touch its member, or return the reply given to its earlier delivery.

    A delivery that lost the claim to an earlier one reads that one's reply (on
    PostgreSQL after waiting for its transaction).
    """
    member = callback_sql.claim_and_touch_member(sql, request)
    if member is not None:
        return member
    dedup_key, nonce_key, body_digest = request.dedup_key, request.nonce_key, request.body_digest
    earlier = callback_sql.earlier_deliveries(sql, dedup_key, nonce_key)
    if any(row.nonce_key == nonce_key and row.body_digest != body_digest for row in earlier):
        raise ReplayedNonce(nonce_key)
    for row in earlier:
        if row.dedup_key == dedup_key:
            return EarlierDelivery(row.reply or "")
    # Same nonce and body under another key cannot come from the platform:
    # the body decides the key. Treat it as the replay it is.
    raise ReplayedNonce(nonce_key)


def record_reply(sql: RawSQL, dedup_key: str, reply: str) -> None:
    callback_sql.record_reply(sql, dedup_key, reply)
