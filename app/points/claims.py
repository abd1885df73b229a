"""Members' claims of offline deeds (``申报``): submitted, then approved or rejected once.

A decision is one conditional UPDATE (``WHERE status = 'pending'``): of two
organizers approving the same claim at once, one finds it pending and awards
it, the other is told it was already decided. The award's reference,
``claim:<id>``, is unique in the ledger besides. The member is told the
outcome through the outbox, in the same transaction as the decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.errors import Conflict, NotFound
from app.models.org import Org, RosterEntry
from app.models.points import PointsClaim, PointsEntry
from app.outbox.service import enqueue
from app.points.deeds import bound_entry, occurred_moment, refuse, size_deed
from app.points.rules import DEED_CATEGORIES
from app.points.service import award_by_rule
from app.wechat.api import template_value
from bots import texts

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
STATUSES = (PENDING, APPROVED, REJECTED)
MAX_TEXT = 500
MAX_PHOTOS = 9
OUTCOME_KIND = "points_claim"


def _clean_text(text: str) -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        raise refuse("text", "申报内容不能为空，请写明做了什么、何时何地")
    if len(cleaned) > MAX_TEXT:
        raise refuse("text", f"申报内容不能超过 {MAX_TEXT} 字")
    return cleaned


def submit(session: Session, *, member_id: int, text: str, category: str | None,
           occurred_on: date | None, source: str, now: datetime, zone: ZoneInfo) -> PointsClaim:
    """A bound member's claim, pending an organizer's decision."""
    cleaned = _clean_text(text)
    if category is not None and category not in DEED_CATEGORIES:
        raise refuse("category", f"事迹类别须为 {'、'.join(DEED_CATEGORIES)} 之一")
    bound_entry(session, member_id, field="member")
    day = occurred_on or now.astimezone(zone).date()
    occurred_moment(day, now, zone)
    claim = PointsClaim(member_id=member_id, text=cleaned, category=category, photos=[],
                        source=source, status=PENDING, occurred_on=day, created_at=now)
    session.add(claim)
    session.flush()
    return claim


def attach_photo(session: Session, *, member_id: int, claim_id: int, url: str,
                 media_id: str) -> bool:
    """Add a photo to the member's own pending claim; False when it cannot take one more."""
    claim = session.get(PointsClaim, claim_id)
    if claim is None or claim.member_id != member_id or claim.status != PENDING:
        return False
    if len(claim.photos) >= MAX_PHOTOS:
        return False
    claim.photos = [*claim.photos, {"url": url[:500], "media_id": media_id[:128]}]
    session.flush()
    return True


def forget_member_claims(session: Session, member_id: int) -> None:
    """Delete the member's claims (their words and photos) when the member is erased (注销).

    Points already awarded stay on the ledger, as every erased member's do.
    """
    session.execute(delete(PointsClaim).where(PointsClaim.member_id == member_id)
                    .execution_options(synchronize_session=False))


def member_claims(session: Session, member_id: int, limit: int = 50) -> Sequence[PointsClaim]:
    return session.scalars(select(PointsClaim).where(PointsClaim.member_id == member_id)
                           .order_by(PointsClaim.id.desc()).limit(limit)).all()


@dataclass(frozen=True, slots=True)
class ClaimView:
    claim: PointsClaim
    name: str
    org_id: int


def list_claims(session: Session, *, status: str | None, within: str | None,
                limit: int, offset: int) -> list[ClaimView]:
    """Claims by the members of the org subtree ``within`` (every org when None), oldest first."""
    if status is not None and status not in STATUSES:
        raise refuse("status", f"状态须为 {'、'.join(STATUSES)} 之一")
    query = (select(PointsClaim, RosterEntry.name, RosterEntry.org_id)
             .join(RosterEntry, RosterEntry.member_id == PointsClaim.member_id)
             .order_by(PointsClaim.created_at, PointsClaim.id).limit(limit).offset(offset))
    if status is not None:
        query = query.where(PointsClaim.status == status)
    if within is not None:
        query = query.join(Org, Org.id == RosterEntry.org_id).where(
            Org.path.startswith(within, autoescape=True))
    return [ClaimView(claim, name, org_id) for claim, name, org_id in session.execute(query)]


def _claim_in_scope(session: Session, claim_id: int, within: str | None) -> PointsClaim:
    claim = session.get(PointsClaim, claim_id)
    if claim is None:
        raise NotFound(f"no claim {claim_id}")
    if within is not None:
        bound_entry(session, claim.member_id, within=within)
    return claim


def _decide(session: Session, claim_id: int, values: dict[str, Any]) -> None:
    result = session.execute(
        update(PointsClaim).where(PointsClaim.id == claim_id, PointsClaim.status == PENDING)
        .values(**values).execution_options(synchronize_session=False))
    if not getattr(result, "rowcount", 0):
        raise Conflict("该申报已被处理，无需重复审核")


def _tell(session: Session, claim: PointsClaim, text: str, outcome: str, now: datetime,
          zone: ZoneInfo) -> None:
    enqueue(session, dedup_key=f"points-claim:{claim.id}", kind=OUTCOME_KIND,
            member_id=claim.member_id,
            payload={"text": text, "template_data": {
                "thing1": template_value(f"积分申报：{claim.text}"),
                "time2": now.astimezone(zone).strftime("%Y年%m月%d日 %H:%M"),
                "thing3": template_value(outcome)}},
            due_at=now, now=now)


def approve(session: Session, claim_id: int, *, category: str | None, points: int | None,
            hours: float | None, reason: str, by: str, now: datetime, zone: ZoneInfo,
            within: str | None = None) -> PointsClaim:
    """Award the claim once, by its category's rule (or the points an organizer gives)."""
    claim = _claim_in_scope(session, claim_id, within)
    if claim.status != PENDING:
        raise Conflict("该申报已被处理，无需重复审核")
    chosen = category or claim.category or "其他"
    moment = occurred_moment(claim.occurred_on, now, zone)
    bound_entry(session, claim.member_id)
    sized = size_deed(session, member_id=claim.member_id, category=chosen, points=points,
                      hours=hours, occurred_at=moment, zone=zone, now=now)
    reason = " ".join(reason.split())[:200]
    _decide(session, claim_id, {"status": APPROVED, "decided_at": now, "decided_by": by[:80],
                                "reason": reason or None, "category": chosen})
    given = award_by_rule(session, member_id=claim.member_id, activity=sized.activity,
                          reference=f"claim:{claim_id}", recorded_by=by,
                          note=f"申报：{claim.text}"[:200], occurred_at=moment, zone=zone,
                          points=sized.points, recorded_at=now)
    entry_id = session.scalar(select(PointsEntry.id).where(
        PointsEntry.member_id == claim.member_id, PointsEntry.activity == sized.activity.value,
        PointsEntry.reference == f"claim:{claim_id}"))
    session.execute(update(PointsClaim).where(PointsClaim.id == claim_id)
                    .values(points=given, entry_id=entry_id)
                    .execution_options(synchronize_session=False))
    session.refresh(claim)
    _tell(session, claim, texts.claim_approved(claim.text, given), "已通过", now, zone)
    return claim


def reject(session: Session, claim_id: int, *, reason: str, by: str, now: datetime,
           zone: ZoneInfo, within: str | None = None) -> PointsClaim:
    """Turn the claim down with a reason the member is told."""
    claim = _claim_in_scope(session, claim_id, within)
    reason = " ".join(reason.split())
    if not reason:
        raise refuse("reason", "请填写不通过的理由，党员会收到这条说明")
    if len(reason) > 200:
        raise refuse("reason", "理由不能超过 200 字")
    _decide(session, claim_id, {"status": REJECTED, "decided_at": now, "decided_by": by[:80],
                                "reason": reason})
    session.refresh(claim)
    _tell(session, claim, texts.claim_rejected(claim.text, reason), "未通过", now, zone)
    return claim
