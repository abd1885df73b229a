from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class InboundMessage(Base):
    """One callback WeChat delivered, claimed before any work is done on it.

    ``dedup_key`` is the MsgId (events: FromUserName + CreateTime + Event), so a
    retry finds the claim and gets ``reply`` back instead of being acted on again.
    ``nonce_key`` (timestamp + nonce) with ``body_digest`` refuses replays: the
    plain-mode signature does not cover the body, so a captured signature must
    not be reusable with another body.
    """

    __tablename__ = "inbound_messages"

    dedup_key: Mapped[str] = mapped_column(String(160), primary_key=True)
    nonce_key: Mapped[str] = mapped_column(String(96), unique=True)
    body_digest: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(index=True)
    # None while the first delivery is being handled; "" means the body "success".
    reply: Mapped[str | None] = mapped_column(Text)
