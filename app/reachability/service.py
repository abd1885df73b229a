"""The outbox planner's answer for one member, with the facts behind it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.errors import NotFound
from app.orgs.scope import EVERYTHING, OrgScope, require_member_in_scope
from app.outbox.planner import CUSTOM_BUDGET, plan, plan_daily_lesson
from app.outbox.reach import load_recipients
from app.reachability.schemas import Reachability


def reachability(session: Session, member_id: int, now: datetime,
                 template_id: str | None, subscribe_template_id: str | None,
                 scope: OrgScope = EVERYTHING) -> Reachability:
    require_member_in_scope(session, scope, member_id)
    recipient = load_recipients(session, [member_id],
                                subscribe_template_id=subscribe_template_id).get(member_id)
    if recipient is None:
        raise NotFound(f"no member {member_id}")
    reach = recipient.reach
    # Asked for a message that has template fields, as reminders do.
    chosen = plan(reach, now, template_id=template_id,
                  subscribe_template_id=subscribe_template_id, has_template_data=True)
    window_open = reach.window_open(now)
    daily = plan_daily_lesson(reach, now)
    return Reachability(
        member_id=member_id,
        reachable=chosen.channel is not None,
        channel=chosen.channel.value if chosen.channel is not None else None,
        reason=chosen.reason,
        subscribed=reach.subscribed,
        window_open=window_open,
        window_closes_at=reach.window_closes_at(),
        customer_service_used=reach.custom_sent_in_window if window_open else 0,
        customer_service_left=(max(CUSTOM_BUDGET - reach.custom_sent_in_window, 0)
                               if window_open else 0),
        template_configured=bool(template_id),
        mini_program=reach.mini_program,
        subscribe_configured=bool(subscribe_template_id),
        subscribe_credits=reach.subscribe_credits,
        daily_push=reach.daily_push,
        daily_push_reachable=daily.channel is not None,
        daily_push_reason=daily.reason,
    )
