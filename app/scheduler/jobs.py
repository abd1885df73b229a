"""What the scheduler runs. Each job opens its own unit of work and may run in
several processes at once: dedup keys and the outbox's claims make that safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.lessons.service import todays_lesson
from app.models import InboundMessage, Member, OutboxMessage
from app.outbox.service import SENT, UNSENDABLE, WITHDRAWN, enqueue
from app.ratelimit import counter as ratelimit
from app.wechat.api import template_value
from bots import texts

log = logging.getLogger("hongxin.scheduler")

# WeChat retries a callback within about 15 seconds; two days is ample for the
# dedup claims and keeps the table small.
INBOUND_RETENTION = timedelta(days=2)
# Finished outbox rows are kept a while for `hongxin outbox` and the budget count
# (which needs only the last 48 hours).
OUTBOX_RETENTION = timedelta(days=30)

HousekeepingHook = Callable[[Session, datetime], int]
"""Deletes or closes something stale at ``now``; returns how many rows it touched."""

HOUSEKEEPING_HOOKS: dict[str, HousekeepingHook] = {}


def register_housekeeping(name: str, hook: HousekeepingHook) -> None:
    """Run ``hook`` with every housekeeping pass (e.g. expiring abandoned quiz attempts)."""
    HOUSEKEEPING_HOOKS[name] = hook


def housekeeping(session: Session, now: datetime) -> dict[str, int]:
    """Delete old retry-dedup claims, finished outbox rows and dead rate-limit counters;
    run the registered hooks."""
    done: dict[str, int] = {}
    result = session.execute(
        delete(InboundMessage).where(InboundMessage.received_at < now - INBOUND_RETENTION)
        .execution_options(synchronize_session=False)
    )
    done["inbound_messages"] = int(getattr(result, "rowcount", 0) or 0)
    result = session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.status.in_((SENT, UNSENDABLE, WITHDRAWN)),
               OutboxMessage.due_at < now - OUTBOX_RETENTION)
        .execution_options(synchronize_session=False)
    )
    done["outbox"] = int(getattr(result, "rowcount", 0) or 0)
    done["rate_limit_counters"] = ratelimit.purge(session, now)
    for name, hook in HOUSEKEEPING_HOOKS.items():
        done[name] = hook(session, now)
    return done


def daily_lesson_key(today: date, member_id: int) -> str:
    return f"daily-lesson:{today.isoformat()}:{member_id}"


def queue_daily_lesson(session: Session, today: date, now: datetime) -> int:
    """Queue today's lesson for every member who sent 订阅; returns how many rows are new."""
    lesson = todays_lesson(session, today)
    if lesson is None:
        log.info("no lesson for %s; nothing pushed", today.isoformat())
        return 0
    payload: dict[str, Any] = {
        "text": texts.daily_lesson_push(lesson.title, lesson.summary, lesson.link),
        "template_data": {
            "thing1": template_value(lesson.title),
            "time2": today.strftime("%Y年%m月%d日"),
            "thing3": template_value(lesson.summary or lesson.title),
        },
    }
    if lesson.link:
        payload["url"] = lesson.link
        payload["articles"] = [{"title": lesson.title, "description": lesson.summary,
                                "url": lesson.link, "picurl": ""}]
    members = session.scalars(
        select(Member.id).where(Member.daily_push.is_(True), Member.subscribed.is_(True))
    ).all()
    queued = sum(
        enqueue(session, dedup_key=daily_lesson_key(today, member_id), kind="daily_lesson",
                member_id=member_id, payload=payload, due_at=now, now=now)
        for member_id in members
    )
    log.info("daily lesson %d queued for %d members", lesson.id, queued)
    return queued
