from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class RateLimitCounter(Base):
    """How often one subject acted in its current window; see :mod:`app.ratelimit.counter`.

    One row per limit and subject, reused when its window runs out, so the table
    holds at most the members and addresses active in the last day.
    """

    __tablename__ = "rate_limit_counters"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    # SHA-256 of the member id or client address: the table never holds an address.
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(index=True)
    hits: Mapped[int]
