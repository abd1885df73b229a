from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class SubscribeCredit(Base):
    """One-time subscribe messages a member accepted in the mini-program, per template.

    ``wx.requestSubscribeMessage`` grants one message per acceptance. ``remaining``
    is taken one at a time by a conditional UPDATE (``remaining > 0``), and the
    CHECK makes the database refuse a negative count, so two dispatchers can
    never spend one credit twice.
    """

    __tablename__ = "subscribe_credits"
    __table_args__ = (CheckConstraint("remaining >= 0", name="remaining_not_negative"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           primary_key=True)
    template_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    remaining: Mapped[int]
    updated_at: Mapped[datetime]
