""":class:`bots.ports.PointsClaims` over the turn's session."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.org import RosterEntry
from app.points import claims
from bots.ports import ClaimReceipt


class PointsClaimsPort:
    def __init__(self, session: Session, zone: ZoneInfo) -> None:
        self._session = session
        self._zone = zone

    def submit(self, member_id: int, text: str, now: datetime) -> ClaimReceipt:
        bound = self._session.scalar(select(RosterEntry.id).where(
            RosterEntry.member_id == member_id))
        if bound is None:
            return ClaimReceipt("unbound")
        if len(" ".join(text.split())) > claims.MAX_TEXT:
            return ClaimReceipt("too_long")
        claim = claims.submit(self._session, member_id=member_id, text=text, category=None,
                              occurred_on=None, source="chat", now=now, zone=self._zone)
        return ClaimReceipt("submitted", claim.id)

    def attach_photo(self, member_id: int, claim_id: int, url: str, media_id: str) -> bool:
        return claims.attach_photo(self._session, member_id=member_id, claim_id=claim_id,
                                   url=url, media_id=media_id)
