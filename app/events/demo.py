"""Demo events for ``hongxin demo-data``: three upcoming events, added once by title."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Event

# (title, location, days ahead, local start, capacity, deadline days before, description)
DEMO_EVENTS = (
    ("主题党日：重温入党誓词", "党员活动室（三楼）", 3, time(14, 30), 30, None,
     "集体重温入党誓词，交流学习体会。请佩戴党员徽章。"),
    ("志愿服务：社区垃圾分类宣传", "幸福里社区服务中心", 5, time(9, 0), 10, 1,
     "在社区开展垃圾分类宣传与引导，请着志愿者马甲。"),
    ("党史学习分享会", "图书馆报告厅", 8, time(19, 0), 5, None,
     "每人分享一段党史故事，时间约 5 分钟。"),
)


def load_demo_events(session: Session, now: datetime, zone: ZoneInfo,
                     organizer: str = "demo") -> int:
    """Add the demo events not yet present (by title); return how many were added."""
    present = set(session.scalars(select(Event.title)))
    added = 0
    today = now.astimezone(zone).date()
    for title, location, days, start, capacity, deadline_days, description in DEMO_EVENTS:
        if title in present:
            continue
        starts_at = datetime.combine(today + timedelta(days=days), start, zone)
        deadline = starts_at - timedelta(days=deadline_days) if deadline_days else None
        session.add(Event(title=title, description=description, location=location,
                          starts_at=starts_at, capacity=capacity, seats_taken=0,
                          signup_deadline=deadline, remind_before_minutes=60,
                          organizer=organizer, status="scheduled", created_at=now,
                          updated_at=now))
        added += 1
    session.flush()
    return added
