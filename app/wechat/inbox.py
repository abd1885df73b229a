"""Claims on delivered callbacks: WeChat's retries are acted on once and get the same reply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import InboundMessage

_inbound = InboundMessage.__table__


class ReplayedNonce(Exception):
    """A (timestamp, nonce) pair already used with a different body."""


@dataclass(frozen=True, slots=True)
class EarlierDelivery:
    reply: str  # "" when the first delivery answered "success"


def claim(
    session: Session, *, dedup_key: str, nonce_key: str, body_digest: str, now: datetime
) -> EarlierDelivery | None:
    """Claim the message, or return the reply given to its earlier delivery.

    Insert-or-ignore on the unique keys decides, so two deliveries racing in
    two processes cannot both win; on PostgreSQL the loser waits for the
    winner's transaction and then reads its reply.
    """
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    inserted = session.execute(
        insert(_inbound)
        .values(dedup_key=dedup_key, nonce_key=nonce_key, body_digest=body_digest,
                received_at=now, reply=None)
        .on_conflict_do_nothing()
        # rowcount is not reported for INSERT by every driver; a returned row is.
        .returning(_inbound.c.dedup_key)
    ).first()
    if inserted is not None:
        return None
    earlier = session.execute(
        select(_inbound.c.dedup_key, _inbound.c.nonce_key, _inbound.c.body_digest, _inbound.c.reply)
        .where(or_(_inbound.c.dedup_key == dedup_key, _inbound.c.nonce_key == nonce_key))
    ).all()
    if any(row.nonce_key == nonce_key and row.body_digest != body_digest for row in earlier):
        raise ReplayedNonce(nonce_key)
    for row in earlier:
        if row.dedup_key == dedup_key:
            return EarlierDelivery(row.reply or "")
    # Same nonce and body under another key cannot happen for a real message:
    # the body decides the key. Treat it as the replay it is.
    raise ReplayedNonce(nonce_key)


def record_reply(session: Session, dedup_key: str, reply: str) -> None:
    session.execute(update(_inbound).where(_inbound.c.dedup_key == dedup_key).values(reply=reply))
