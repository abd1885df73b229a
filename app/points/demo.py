"""Demo deeds and claims for ``hongxin demo-data``, so the queue, the index and a 一人一册 show.

The demo's party members get a member of their own, bound to their roster
entry, that no WeChat user is (``demo:<phone>``, unsubscribed, so nothing is
ever sent to it). Deeds are ledger lines with fixed references and claims are
found by their text, so a second run adds nothing.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.member import Member
from app.models.org import RosterEntry
from app.models.points import PointsClaim
from app.points import claims
from app.points.rules import DEED_CATEGORIES
from app.points.service import award_by_rule

DEMO_OPENID = "demo:"
RECORDED_BY = "示范数据"
# (roster phone, category, points or None for the rule's, days ago, note)
DEEDS = (
    ("13800000101", "先锋作用", 10, 20, "带领党员突击队完成防汛值守"),
    ("13800000102", "志愿服务", None, 12, "社区敬老院志愿服务"),
    ("13800000103", "建言献策", None, 30, "提出优化办事流程的建议并被采纳"),
    ("13800000106", "结对帮扶", None, 45, "结对帮扶困难群众一户"),
    ("13800000107", "志愿服务", 8, 8, "无偿献血"),
    ("13800000111", "先锋作用", 10, 3, "冬季消防安全检查带头人"),
)
# (roster phone, text, days ago)
CLAIMS = (
    ("13800000102", "周末参加社区垃圾分类宣传 3 小时", 2),
    ("13800000108", "为支部整理学习资料汇编", 5),
    ("13800000112", "帮助独居老人修理水管", 1),
)


def _demo_member(session: Session, phone: str, now: datetime) -> int | None:
    """The member bound to the demo entry with ``phone``, created when it has none."""
    entry = session.scalars(select(RosterEntry).where(RosterEntry.phone == phone)).first()
    if entry is None:
        return None
    if entry.member_id is None:
        member = Member(openid=f"{DEMO_OPENID}{phone}", first_seen_at=now,
                        last_interaction_at=now, subscribed=False, daily_push=False,
                        name=entry.name)
        session.add(member)
        session.flush()
        entry.member_id, entry.bound_at = member.id, now
        session.flush()
    return entry.member_id


def load_demo_points(session: Session, now: datetime, zone: ZoneInfo) -> tuple[int, int]:
    """Add the demo deeds and claims that are missing: (deeds, claims) added."""
    today = now.astimezone(zone).date()
    deeds = 0
    for number, (phone, category, points, days, note) in enumerate(DEEDS, start=1):
        member_id = _demo_member(session, phone, now)
        if member_id is None:
            continue
        moment = datetime.combine(today - timedelta(days=days), time(12), zone)
        activity = DEED_CATEGORIES[category]
        given = award_by_rule(session, member_id=member_id, activity=activity,
                              reference=f"demo:deed:{number}", recorded_by=RECORDED_BY,
                              note=note, occurred_at=moment, zone=zone, points=points,
                              recorded_at=now)
        deeds += given > 0
    added_claims = 0
    for phone, text, days in CLAIMS:
        member_id = _demo_member(session, phone, now)
        if member_id is None or session.scalar(select(PointsClaim.id).where(
                PointsClaim.member_id == member_id, PointsClaim.text == text)) is not None:
            continue
        claims.submit(session, member_id=member_id, text=text, category=None,
                      occurred_on=today - timedelta(days=days), source="chat", now=now,
                      zone=zone)
        added_claims += 1
    return deeds, added_claims
