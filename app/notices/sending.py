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
2. **mass send** (the platform): for each target org with members left, its
   tag is synced (:mod:`app.notices.tags`) and the text mass-sent to the tag
   (``message/mass/sendall``, ``clientmsgid`` ``hongxin-notice-{id}-{org}``).
3. **record** (one unit of work): the members the mass send covered are
   recorded as reached over ``mass`` (the reason they were not reached one by
   one kept with the row), those it could not cover as failed with why, and
   the notice as sent.

**The monthly mass budget.** A service account's follower receives at most 4
mass messages a calendar month; the platform drops the rest for them. Counted
here from the notices' mass sends this month (in ``HONGXIN_TIMEZONE``) to tags
whose subtree holds the member's org; a member past it is not reached, and says so.

**Doubles.** A tag holds the whole subtree, so the mass send also reaches the
members already reached one by one (who read the notice twice) and counts
against their monthly four. The platform's mass send to a list of openids
(``message/mass/send``) would avoid that; the tag is what the console asked for.

**Sending again** a notice stuck in ``sending`` (the process died between the
steps) finishes it: the rows' dedup keys skip the members who have one, and
the platform answers a mass send's repeated ``clientmsgid`` with 45065, taken
as sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import Database
from app.errors import Conflict
from app.models import Member, Notice, Org, OutboxMessage
from app.notices import service, tags
from app.orgs.scope import OrgScope
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


@dataclass(frozen=True, slots=True)
class Channels:
    """The settings that decide the channels."""

    template_id: str | None
    subscribe_template_id: str | None
    zone: ZoneInfo


@dataclass(frozen=True, slots=True)
class MassGroup:
    """One target org: its tag to sync and the members its mass send must cover."""

    org_id: int
    tag: tags.TagSync
    members: dict[int, str]  # member id -> why no channel reached them one by one


@dataclass(frozen=True, slots=True)
class Planned:
    notice_id: int
    text: str
    payload: dict[str, Any]
    groups: list[MassGroup]
    queued: int


@dataclass(frozen=True, slots=True)
class MassOutcome:
    org_id: int
    tag_id: int | None
    msg_id: int | None
    error: str | None  # Chinese, when the mass send did not go out


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


def _mass_paths_this_month(session: Session, notice_id: int, now: datetime,
                           zone: ZoneInfo) -> list[str]:
    """The org paths of this month's mass sends, one per send, other notices than this one."""
    local = now.astimezone(zone)
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    sends = session.scalars(select(Notice.mass_sends).where(
        Notice.id != notice_id, Notice.sent_at >= month_start)).all()
    org_ids = [int(sent["org_id"]) for sends_ in sends for sent in sends_ or []
               if isinstance(sent, dict) and not sent.get("error") and "org_id" in sent]
    paths = dict(session.execute(select(Org.id, Org.path).where(Org.id.in_(org_ids)))
                 .all()) if org_ids else {}
    return [paths[org_id] for org_id in org_ids if org_id in paths]


def plan_notice(session: Session, *, notice_id: int, scope: OrgScope, channels: Channels,
                now: datetime) -> Planned:
    """Step 1: queue who can be reached one by one, record who cannot at all."""
    notice = service.notice_for(session, notice_id, scope)
    if notice.status == service.SENT_NOTICE:
        raise Conflict("这条通知已经发送过了，不能重复发送。")
    notice.status = service.SENDING_NOTICE
    label = service.target_label(session, notice)
    payload = service.payload(notice, label, now, channels.zone)
    prefix = service.key_prefix(notice.id)
    members = dict(session.execute(service.target_members(session, notice)).all())
    done = set(session.scalars(select(OutboxMessage.member_id).where(
        OutboxMessage.dedup_key.startswith(prefix, autoescape=True))))
    recipients = load_recipients(session, [m for m in members if m is not None and m not in done],
                                 subscribe_template_id=channels.subscribe_template_id)
    one_by_one: list[int] = []
    left: dict[int, str] = {}
    unreachable: dict[str, list[int]] = {}  # reason -> members
    mass_paths = _mass_paths_this_month(session, notice.id, now, channels.zone)
    for member_id, recipient in recipients.items():
        chosen = plan(recipient.reach, now, template_id=channels.template_id,
                      subscribe_template_id=channels.subscribe_template_id,
                      has_template_data=True)
        if chosen.channel is not None:
            one_by_one.append(member_id)
            continue
        why = why_not_one_by_one(recipient.reach, now, channels)
        path = members[member_id]
        received = sum(path.startswith(sent) for sent in mass_paths)
        if not recipient.reach.subscribed:
            reason = why
        elif received >= MASS_PER_MONTH:
            reason = (f"{why}；本月已收到 {received} 条群发消息，"
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
    groups = []
    for org in service.target_orgs(session, notice):
        covered = {member_id: why for member_id, why in left.items()
                   if members[member_id].startswith(org.path)}
        groups.append(MassGroup(org.id, tags.planned(session, org), covered))
    return Planned(notice.id, payload["text"], payload, groups, queued)


def _mass_refusal(exc: WeChatAPIError) -> str:
    if exc.errcode == MASS_QUOTA_USED:
        return "公众号的群发次数已用完，群发未能发出"
    if exc.errcode is None:
        return "微信接口暂时无法连接，群发未能发出"
    return f"微信接口拒绝了群发（错误码 {exc.errcode}）"


async def mass_send(api: WeChatAPI, planned: Planned, group: MassGroup) -> MassOutcome:
    """Step 2 for one org: sync its tag, then mass-send when anyone is left to cover."""
    try:
        tag_id = await tags.push(api, group.tag)
    except WeChatAPIError as exc:
        log.warning("notice %d: the tag of org %d could not be synced: %s", planned.notice_id,
                    group.org_id, exc)
        error = f"组织标签同步失败（错误码 {exc.errcode}），群发未能发出"
        return MassOutcome(group.org_id, None, None, error if exc.errcode is not None
                           else "微信接口暂时无法连接，组织标签未能同步，群发未能发出")
    if not group.members:
        return MassOutcome(group.org_id, tag_id, None, None)
    try:
        msg_id: int | None = await api.mass_send_text(
            tag_id, planned.text, clientmsgid=f"hongxin-notice-{planned.notice_id}-{group.org_id}")
    except WeChatAPIError as exc:
        if exc.errcode != CLIENTMSGID_EXISTS:
            log.warning("notice %d: mass send to org %d refused: %s", planned.notice_id,
                        group.org_id, exc)
            return MassOutcome(group.org_id, tag_id, None, _mass_refusal(exc))
        msg_id = None  # sent by an earlier try of this notice
    return MassOutcome(group.org_id, tag_id, msg_id, None)


def record_sent(session: Session, *, planned: Planned, outcomes: list[MassOutcome],
                now: datetime) -> None:
    """Step 3: who the mass sends covered, who they could not, and the notice as sent."""
    prefix = service.key_prefix(planned.notice_id)
    by_org = {outcome.org_id: outcome for outcome in outcomes}
    mass_sends = []
    for group in planned.groups:
        outcome = by_org[group.org_id]
        if outcome.tag_id is not None:
            tags.record(session, group.tag, outcome.tag_id, now)
        if group.members:
            mass_sends.append({"org_id": group.org_id, "tag_id": outcome.tag_id,
                               "msg_id": outcome.msg_id, "error": outcome.error})
        by_reason: dict[str, list[int]] = {}
        for member_id, why in group.members.items():
            by_reason.setdefault(why, []).append(member_id)
        for why, member_ids in by_reason.items():
            status, reason = (SENT, why) if outcome.error is None else (
                FAILED, f"{why}；{outcome.error}")
            record_settled_for_members(
                session, member_ids=member_ids, key_prefix=prefix, kind=service.KIND,
                payload=planned.payload, status=status, channel=MASS if status == SENT else None,
                reason=reason, now=now)
    notice = session.get(Notice, planned.notice_id)
    if notice is not None:
        notice.status = service.SENT_NOTICE
        notice.sent_at = notice.sent_at or now
        notice.mass_sends = [*(notice.mass_sends or []), *mass_sends]


async def send_notice(database: Database, api: WeChatAPI, notice_id: int, scope: OrgScope,
                      channels: Channels, now: datetime) -> None:
    """Send a draft notice (or finish one left in ``sending``); see the module docs."""
    planned = await database.run(partial(plan_notice, notice_id=notice_id, scope=scope,
                                         channels=channels, now=now))
    outcomes = [await mass_send(api, planned, group) for group in planned.groups]
    await database.run(partial(record_sent, planned=planned, outcomes=outcomes, now=now))


async def send_and_show(database: Database, api: WeChatAPI, notice_id: int, scope: OrgScope,
                        channels: Channels, now: datetime) -> service.NoticeView:
    """:func:`send_notice`, then the notice as it stands."""
    await send_notice(database, api, notice_id, scope, channels, now)
    return await database.run(partial(service.show, notice_id=notice_id, scope=scope,
                                      zone=channels.zone, now=now))


def channels_of(template_id: str | None, subscribe_template_id: str | None,
                zone: ZoneInfo) -> Channels:
    return Channels(template_id or None, subscribe_template_id or None, zone)
