"""Loading the facts the planner needs for a set of members, in one or two queries."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Member, OutboxMessage, SubscribeCredit
from app.outbox.planner import Channel, Reach


@dataclass(frozen=True, slots=True)
class Recipient:
    member_id: int
    openid: str
    reach: Reach
    mp_openid: str | None = None


def load_recipients(session: Session, member_ids: Collection[int], *,
                    subscribe_template_id: str | None = None) -> dict[int, Recipient]:
    """The members with these ids, each with what decides how to reach them now.

    Subscribe-message credits are counted for ``subscribe_template_id`` only.
    """
    if not member_ids:
        return {}
    ids = list(member_ids)
    # The platform's window restarts with every message from the member, and so
    # does its budget: count only what was sent since the last one.
    used = dict(session.execute(
        select(OutboxMessage.member_id, func.count())
        .join(Member, Member.id == OutboxMessage.member_id)
        .where(OutboxMessage.member_id.in_(ids),
               OutboxMessage.channel == Channel.CUSTOM.value,
               OutboxMessage.status == "sent",
               OutboxMessage.sent_at >= Member.last_interaction_at)
        .group_by(OutboxMessage.member_id)
    ).all())
    credits: dict[int, int] = {}
    if subscribe_template_id:
        credits = dict(session.execute(
            select(SubscribeCredit.member_id, SubscribeCredit.remaining)
            .where(SubscribeCredit.member_id.in_(ids),
                   SubscribeCredit.template_id == subscribe_template_id)).all())
    rows = session.execute(
        select(Member.id, Member.openid, Member.subscribed, Member.last_interaction_at,
               Member.daily_push, Member.mp_openid)
        .where(Member.id.in_(ids))
    )
    return {
        member_id: Recipient(member_id, openid,
                             Reach(subscribed=subscribed, last_interaction_at=last,
                                   custom_sent_in_window=used.get(member_id, 0),
                                   daily_push=daily_push, mini_program=mp_openid is not None,
                                   subscribe_credits=credits.get(member_id, 0)),
                             mp_openid)
        for member_id, openid, subscribed, last, daily_push, mp_openid in rows
    }
