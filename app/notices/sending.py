"""Sending a notice: each member over the channel the planner allows, the rest by a mass send.

One :func:`send_notice` runs in three steps, none of which holds a database
connection while the platform is called:

1. **plan** (one unit of work): every bound member in the target gets the
   outbox planner's channel (:func:`app.outbox.planner.plan`): customer-service
   within the 48-hour window and its budget, else a template message
   (``HONGXIN_REMINDER_TEMPLATE_ID``, fields from the title, the time and the
   sender), else a mini-program subscribe message while credits last. Those
   rows are queued (``notice:{id}:{member_id}``) for the dispatcher, which
   sends them and records their outcome. Members no such channel reaches but
   who follow the account are left to the mass send; those who do not follow
   (and have no credits) are recorded as not reached, with the reason.
2. **mass send** (the platform): the tags of notices sent more than a day
   before are deleted (:mod:`app.notices.tags`), the members left are put in
   the notice's own tag ``通知#{id}`` (``batchtagging``, 50 a call), to which the
   text is mass-sent once (``message/mass/sendall``, ``clientmsgid``
   ``hongxin-notice-{id}``), and the target orgs' tags are synced (for the
   admins' own use in the platform's back office). The tag holds exactly the members left, so no one
   reached one by one reads the notice twice or spends a mass message on it; a
   tag rather than a list of openids (``message/mass/send``) because only a tag
   mass send works for subscription accounts too.
3. **record** (one unit of work): the members the mass send covered are
   recorded as reached over ``mass`` (the reason they were not reached one by
   one kept with the row), those it could not cover as failed with why, the
   mass send on the notice (``mass_tag_id``, ``mass_sends``: tag, msg id,
   error), the deleted tags, and the notice as sent.

**The monthly mass budget.** A service account's follower receives at most 4
mass messages a calendar month; the platform drops the rest for them. Counted
per member from the ``mass`` rows the member has this month (in
``HONGXIN_TIMEZONE``): what the member actually received by mass send; a member
past it is not reached, and says so.

**Sending again** a notice stuck in ``sending`` (the process died between the
steps) finishes it without doubles: the rows' dedup keys skip the members who
have one; the members an earlier try left to the mass send were written down
(:class:`~app.models.NoticeMassMember`) before any was tagged, and stay on the
mass send rather than being planned again, since that try's mass send may have
reached them; the tag is found again by its name (45157), and the platform
answers the repeated ``clientmsgid`` with 45065: sent, to those the earlier try
left to it; anyone this try adds (bound since) is recorded as not reached.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.auth.tokens import Principal
from app.db import Database
from app.dialect import insert_many_or_ignore
from app.errors import Conflict
from app.models import Member, Notice, NoticeMassMember, OutboxMessage
from app.notices import service, tags
from app.outbox.planner import CUSTOM_BUDGET, Reach, plan
from app.outbox.reach import load_recipients
from app.outbox.service import (
    FAILED,
    SENT,
    UNSENDABLE,
    enqueue_for_members,
    record_settled_for_members,
)
from app.wechat.api import WeChatAPI, WeChatAPIError

log = logging.getLogger("hongxin.notices")

MASS_PER_MONTH = 4
CLIENTMSGID_EXISTS = 45065
MASS_QUOTA_USED = 45028
MASS = "mass"
MISSED_EARLIER_MASS_SEND = "群发已由此前中断的一次发送发出，此后才需群发的成员未能收到"


@dataclass(frozen=True, slots=True)
class Channels:
    """The settings that decide the channels."""

    template_id: str | None
    subscribe_template_id: str | None
    zone: ZoneInfo


@dataclass(frozen=True, slots=True)
class MassPlan:
    """The notice's mass send: its tag (id None: not created yet) and whom it must cover."""

    tag_id: int | None
    tag_name: str
    members: dict[int, tuple[str, str]]  # member id -> (openid, why not reached one by one)
    # Those an earlier try of this notice left to the mass send already.
    earlier: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Planned:
    notice_id: int
    text: str
    payload: dict[str, Any]
    org_tags: list[tags.TagSync]
    mass: MassPlan
    expired_tags: list[tags.ExpiredTag]
    queued: int


@dataclass(frozen=True, slots=True)
class MassOutcome:
    tag_id: int | None
    msg_id: int | None
    error: str | None  # Chinese, when the mass send did not go out
    org_tags: list[tuple[tags.TagSync, int]]  # the org tags synced, with their ids
    tags_deleted: list[int]  # the notices whose tags are gone
    sent_before: bool = False  # an earlier try's mass send went out (45065)


def why_not_one_by_one(reach: Reach, now: datetime, channels: Channels) -> str:
    """Why the planner found no channel for this member, in Chinese."""
    parts = []
    if not reach.subscribed:
        parts.append("未关注公众号")
    elif reach.window_open(now):
        parts.append(f"本窗口的 {CUSTOM_BUDGET} 条客服消息已用完")
    else:
        parts.append("48 小时客服消息窗口已关闭")
    if reach.subscribed and not channels.template_id:
        parts.append("未配置模板消息")
    if not reach.mini_program:
        parts.append("未使用过小程序，不能收订阅消息")
    elif not channels.subscribe_template_id:
        parts.append("未配置小程序订阅消息模板")
    else:
        parts.append("小程序订阅消息次数已用完")
    return "，".join(parts)


def _mass_received_this_month(session: Session, member_ids: list[int], notice_id: int,
                              now: datetime, zone: ZoneInfo) -> dict[int, int]:
    """How many mass messages each member received this month, by the outbox rows that
    record them (other notices' than this one)."""
    if not member_ids:
        return {}
    local = now.astimezone(zone)
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return dict(session.execute(
        select(OutboxMessage.member_id, func.count())
        .where(OutboxMessage.member_id.in_(member_ids), OutboxMessage.channel == MASS,
               OutboxMessage.status == SENT, OutboxMessage.sent_at >= month_start,
               ~OutboxMessage.dedup_key.startswith(service.key_prefix(notice_id),
                                                   autoescape=True))
        .group_by(OutboxMessage.member_id)).all())


def plan_notice(session: Session, *, notice_id: int, principal: Principal, channels: Channels,
                now: datetime) -> Planned:
    """Step 1: queue who can be reached one by one, record who cannot at all, and keep
    the rest for the mass send."""
    notice = service.notice_for(session, notice_id, principal)
    if notice.status == service.SENT_NOTICE:
        raise Conflict("这条通知已经发送过了，不能重复发送。")
    notice.status = service.SENDING_NOTICE
    label = service.target_label(session, notice)
    payload = service.payload(notice, label, now, channels.zone)
    prefix = service.key_prefix(notice.id)
    members = dict(session.execute(service.target_members(session, notice)).all())
    done = set(session.scalars(select(OutboxMessage.member_id).where(
        OutboxMessage.dedup_key.startswith(prefix, autoescape=True))))
    # Left to the mass send by an earlier try: they stay there, whatever the planner
    # says now, since that try's mass send may have reached them already.
    kept = {member_id: reason for member_id, reason in session.execute(
        select(NoticeMassMember.member_id, NoticeMassMember.reason)
        .where(NoticeMassMember.notice_id == notice.id)) if member_id not in done}
    recipients = load_recipients(
        session, [m for m in members if m is not None and m not in done and m not in kept],
        subscribe_template_id=channels.subscribe_template_id)
    received = _mass_received_this_month(session, list(recipients), notice.id, now,
                                         channels.zone)
    one_by_one: list[int] = []
    left: dict[int, str] = {}
    unreachable: dict[str, list[int]] = {}  # reason -> members
    for member_id, recipient in recipients.items():
        chosen = plan(recipient.reach, now, template_id=channels.template_id,
                      subscribe_template_id=channels.subscribe_template_id,
                      has_template_data=True)
        if chosen.channel is not None:
            one_by_one.append(member_id)
            continue
        why = why_not_one_by_one(recipient.reach, now, channels)
        count = received.get(member_id, 0)
        if not recipient.reach.subscribed:
            reason = why
        elif count >= MASS_PER_MONTH:
            reason = (f"{why}；本月已收到 {count} 条群发消息，"
                      f"达到服务号每人每月 {MASS_PER_MONTH} 条的上限")
        else:
            left[member_id] = why
            continue
        unreachable.setdefault(reason, []).append(member_id)
    # One statement per reason (a handful), not one per member, however large the org.
    for reason, member_ids in unreachable.items():
        record_settled_for_members(session, member_ids=member_ids, key_prefix=prefix,
                                   kind=service.KIND, payload=payload, status=UNSENDABLE,
                                   channel=None, reason=reason, now=now)
    queued = enqueue_for_members(
        session, members=select(Member.id).where(Member.id.in_(one_by_one)), key_prefix=prefix,
        kind=service.KIND, payload=payload, due_at=now, now=now) if one_by_one else 0
    # Written before anyone is tagged: the tag never holds a member not recorded here.
    insert_many_or_ignore(session, NoticeMassMember.__table__, [
        {"notice_id": notice.id, "member_id": member_id, "reason": why}
        for member_id, why in left.items()])
    covered = {**kept, **left}
    # The planned members' openids came with their reach; only a resumed send's kept ones
    # are read again.
    openids = {member_id: recipients[member_id].openid for member_id in left}
    if kept:
        openids.update(session.execute(select(Member.id, Member.openid)
                                       .where(Member.id.in_(list(kept)))).all())
    mass = MassPlan(notice.mass_tag_id, tags.notice_tag_name(notice.id),
                    {member_id: (openids[member_id], why)
                     for member_id, why in sorted(covered.items()) if member_id in openids},
                    frozenset(kept))
    org_tags = [tags.planned(session, org) for org in service.target_orgs(session, notice)]
    return Planned(notice.id, payload["text"], payload, org_tags, mass,
                   tags.expired_notice_tags(session, now), queued)


def _mass_refusal(exc: WeChatAPIError) -> str:
    if exc.errcode == MASS_QUOTA_USED:
        return "公众号的群发次数已用完，群发未能发出"
    if exc.errcode is None:
        return "微信接口暂时无法连接，群发未能发出"
    return f"微信接口拒绝了群发（错误码 {exc.errcode}）"


async def _sync_org_tags(api: WeChatAPI, planned: Planned) -> list[tuple[tags.TagSync, int]]:
    """Keep the target orgs' tags in line for the back office; a failure costs no member
    the notice, and the next send tries again."""
    synced = []
    for sync in planned.org_tags:
        try:
            synced.append((sync, await tags.push(api, sync)))
        except WeChatAPIError as exc:
            log.warning("notice %d: the tag of org %d could not be synced: %s",
                        planned.notice_id, sync.org_id, exc)
    return synced


async def _send_to_notice_tag(api: WeChatAPI, planned: Planned
                              ) -> tuple[int | None, int | None, str | None, bool]:
    """(tag id, msg id, Chinese error, sent by an earlier try): the notice's tag filled
    with exactly the members left, then one mass send to it."""
    mass = planned.mass
    try:
        tag_id = await tags.created_or_found(api, mass.tag_id, mass.tag_name)
    except WeChatAPIError as exc:
        log.warning("notice %d: its tag could not be created: %s", planned.notice_id, exc)
        if exc.errcode == tags.TOO_MANY_TAGS:
            return None, None, "公众号的用户标签已达 100 个上限，群发未能发出", False
        return None, None, _tag_refusal(exc), False
    try:
        await tags.tag_all(api, tag_id, [openid for openid, _why in mass.members.values()])
    except WeChatAPIError as exc:
        log.warning("notice %d: its tag %d could not be filled: %s", planned.notice_id,
                    tag_id, exc)
        return tag_id, None, _tag_refusal(exc), False
    try:
        msg_id: int | None = await api.mass_send_text(
            tag_id, planned.text, clientmsgid=f"hongxin-notice-{planned.notice_id}")
    except WeChatAPIError as exc:
        if exc.errcode != CLIENTMSGID_EXISTS:
            log.warning("notice %d: mass send refused: %s", planned.notice_id, exc)
            return tag_id, None, _mass_refusal(exc), False
        return tag_id, None, None, True
    return tag_id, msg_id, None, False


def _tag_refusal(exc: WeChatAPIError) -> str:
    if exc.errcode is None:
        return "微信接口暂时无法连接，通知的用户标签未能建好，群发未能发出"
    return f"通知的用户标签未能建好（错误码 {exc.errcode}），群发未能发出"


async def mass_send(api: WeChatAPI, planned: Planned) -> MassOutcome:
    """Step 2: delete old notices' tags, mass-send to the notice's own tag when anyone is
    left to cover, then sync the org tags."""
    # First, so that the tags they free make room for this notice's; the notice's own tag
    # before the org tags, which are a convenience and must not take the last free place.
    deleted = await tags.delete_expired(api, planned.expired_tags)
    tag_id = msg_id = error = None
    sent_before = False
    if planned.mass.members:
        tag_id, msg_id, error, sent_before = await _send_to_notice_tag(api, planned)
    return MassOutcome(tag_id, msg_id, error, await _sync_org_tags(api, planned), deleted,
                       sent_before)


def record_sent(session: Session, *, planned: Planned, outcome: MassOutcome,
                now: datetime) -> None:
    """Step 3: who the mass send covered, who it could not, and the notice as sent."""
    prefix = service.key_prefix(planned.notice_id)
    for sync, tag_id in outcome.org_tags:
        tags.record(session, sync, tag_id, now)
    tags.record_deleted(session, outcome.tags_deleted, now)
    error = outcome.error
    by_reason: dict[tuple[str, bool], list[int]] = {}
    for member_id, (_openid, why) in planned.mass.members.items():
        # An earlier try's mass send went to the tag as it was then: without those this
        # try left to it.
        missed = outcome.sent_before and member_id not in planned.mass.earlier
        by_reason.setdefault((why, missed), []).append(member_id)
    for (why, missed), member_ids in by_reason.items():
        status, reason = (SENT, why) if error is None and not missed else (
            FAILED, f"{why}；{error or MISSED_EARLIER_MASS_SEND}")
        record_settled_for_members(
            session, member_ids=member_ids, key_prefix=prefix, kind=service.KIND,
            payload=planned.payload, status=status, channel=MASS if status == SENT else None,
            reason=reason, now=now)
    session.execute(delete(NoticeMassMember)
                    .where(NoticeMassMember.notice_id == planned.notice_id)
                    .execution_options(synchronize_session=False))
    notice = session.get(Notice, planned.notice_id)
    if notice is not None:
        notice.status = service.SENT_NOTICE
        notice.sent_at = notice.sent_at or now
        if outcome.tag_id is not None:
            notice.mass_tag_id = outcome.tag_id
        if planned.mass.members:
            notice.mass_sends = [*(notice.mass_sends or []), {
                "tag_id": outcome.tag_id, "msg_id": outcome.msg_id, "error": outcome.error,
                "members": len(planned.mass.members)}]


async def send_notice(database: Database, api: WeChatAPI, notice_id: int, principal: Principal,
                      channels: Channels, now: datetime) -> None:
    """Send a draft notice (or finish one left in ``sending``); see the module docs."""
    planned = await database.run(partial(plan_notice, notice_id=notice_id, principal=principal,
                                         channels=channels, now=now))
    outcome = await mass_send(api, planned)
    await database.run(partial(record_sent, planned=planned, outcome=outcome, now=now))


async def send_and_show(database: Database, api: WeChatAPI, notice_id: int, principal: Principal,
                        channels: Channels, now: datetime) -> service.NoticeView:
    """:func:`send_notice`, then the notice as it stands."""
    await send_notice(database, api, notice_id, principal, channels, now)
    return await database.run(partial(service.show, notice_id=notice_id, principal=principal,
                                      zone=channels.zone, now=now))


def channels_of(template_id: str | None, subscribe_template_id: str | None,
                zone: ZoneInfo) -> Channels:
    return Channels(template_id or None, subscribe_template_id or None, zone)
