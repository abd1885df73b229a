"""Notices: compose, read in scope, and count who each one reached.

A notice goes to the bound members of its target orgs' subtrees, or to every
bound member (``everyone``, for admins not limited to an org). Nested targets
are kept as the outermost: a 党委 and one of its 支部 is the 党委.

Admins and organizers write and send notices. An org-scoped token (either role)
targets orgs inside its subtree only and sees only the notices whose every
target lies there (404 for the others, as :mod:`app.orgs.scope` does). An
organizer not limited to an org is treated as the events treat one: it may
write to any org but sees only the notices it wrote itself (403 for another's,
as :func:`app.events.service.event_for` answers).

Who a notice reached lives in the outbox (kind ``notice``, dedup
``notice:{id}:{member_id}``), whatever carried it: the dispatcher's rows
(customer-service, template or subscribe message) and the rows
:mod:`app.notices.sending` records for the mass send and for those it could not
reach. The counts of a notice are one GROUP BY over its rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, not_, select, true
from sqlalchemy.orm import Session

from app.auth.tokens import Principal
from app.errors import Forbidden, InvalidInput, NotFound
from app.events.notices import local_time
from app.models import Notice, NoticeTarget, Org, OutboxMessage, RosterEntry
from app.orgs.scope import OrgScope
from app.outbox.service import FAILED, PENDING, SENDING, SENT, UNSENDABLE, WITHDRAWN
from app.wechat.api import template_value
from bots import texts

KIND = "notice"
TITLE_MAX, BODY_MAX = 40, 500
DRAFT, SENDING_NOTICE, SENT_NOTICE = "draft", "sending", "sent"
EVERYONE_LABEL = "全体党员"
LABEL_ORGS = 3
CHANNELS = {"custom": "客服消息", "template": "模板消息", "subscribe": "订阅消息",
            "mass": "群发"}
_CJK = re.compile(r"[\u4e00-\u9fff]")


def key_prefix(notice_id: int) -> str:
    return f"notice:{notice_id}:"


# ------------------------------------------------------------------ composing


@dataclass(frozen=True, slots=True)
class Composed:
    """A notice as written, before it is checked."""

    title: str
    body: str
    org_ids: Sequence[int] = ()
    everyone: bool = False


def _outermost(orgs: list[Org]) -> list[Org]:
    """The orgs none of whose ancestors is among them: their subtrees cover the rest."""
    return [org for org in orgs
            if not any(other.id != org.id and org.path.startswith(other.path) for other in orgs)]


def check(session: Session, principal: Principal, composed: Composed) -> list[Org]:
    """The target orgs (outermost first by path) of a valid notice; 422 naming each field."""
    errors: list[dict[str, str]] = []
    title, body = composed.title.strip(), composed.body.strip()
    if not 1 <= len(title) <= TITLE_MAX:
        errors.append({"field": "title", "message": f"标题需为 1–{TITLE_MAX} 个字"})
    if not 1 <= len(body) <= BODY_MAX:
        errors.append({"field": "body", "message": f"正文需为 1–{BODY_MAX} 个字"})
    orgs: list[Org] = []
    if composed.everyone:
        if not may_send_to_everyone(principal):
            errors.append({"field": "everyone", "message":
                           "只有不限定组织的管理员可以向全体党员发通知，请选择本组织或下级组织"})
    elif not composed.org_ids:
        errors.append({"field": "org_ids", "message": "请至少选择一个组织"})
    for org_id in dict.fromkeys(composed.org_ids) if not composed.everyone else ():
        org = session.get(Org, org_id)
        # An org outside the scope is answered as one that does not exist.
        if org is None or not principal.scope.covers_path(org.path):
            errors.append({"field": "org_ids", "message": f"没有编号为 {org_id} 的组织"})
        else:
            orgs.append(org)
    if errors:
        raise InvalidInput("通知内容有误：" + "；".join(e["message"] for e in errors),
                           errors=errors)
    return sorted(_outermost(orgs), key=lambda org: org.path)


def create_notice(session: Session, principal: Principal, composed: Composed,
                  now: datetime) -> Notice:
    """Store a draft notice to send later (after a preview)."""
    orgs = check(session, principal, composed)
    notice = Notice(title=composed.title.strip(), body=composed.body.strip(),
                    everyone=composed.everyone, created_by=principal.name,
                    created_by_token_id=principal.token_id, status=DRAFT, created_at=now,
                    mass_sends=[])
    session.add(notice)
    session.flush()
    session.add_all(NoticeTarget(notice_id=notice.id, org_id=org.id) for org in orgs)
    session.flush()
    return notice


def may_send_to_everyone(principal: Principal) -> bool:
    return principal.is_admin and principal.scope.is_everything


# ------------------------------------------------------------------ reading in scope


def _in_scope(scope: OrgScope) -> ColumnElement[bool]:
    """A condition on :class:`Notice`: every target lies inside the scope."""
    if scope.is_everything:
        return true()
    targets = select(NoticeTarget.org_id).where(NoticeTarget.notice_id == Notice.id)
    return and_(Notice.everyone.is_(False), exists(targets),
                not_(exists(targets.where(NoticeTarget.org_id.not_in(scope.org_ids())))))


def visible(principal: Principal) -> ColumnElement[bool]:
    """A condition on :class:`Notice`: the notices ``principal`` may see and send."""
    if principal.is_admin or not principal.scope.is_everything:
        return _in_scope(principal.scope)
    # An organizer with no org to be scoped by: its own notices only.
    if principal.token_id is None:
        return false()
    return Notice.created_by_token_id == principal.token_id


def notice_for(session: Session, notice_id: int, principal: Principal) -> Notice:
    """The notice when ``principal`` may see it: 404 when missing or outside a scoped
    principal's subtree, 403 when an unscoped organizer's notice is another's."""
    found = session.get(Notice, notice_id)
    if found is None:
        raise NotFound(f"no notice {notice_id}")
    if session.scalar(select(exists().where(Notice.id == notice_id, visible(principal)))):
        return found
    if not principal.scope.is_everything:
        raise NotFound(f"no notice {notice_id}")
    raise Forbidden("this notice was written by another organizer")


def target_orgs(session: Session, notice: Notice) -> list[Org]:
    """The orgs whose subtrees the notice goes to: its targets, or every root org."""
    if notice.everyone:
        return list(session.scalars(select(Org).where(Org.parent_id.is_(None))
                                    .order_by(Org.path)))
    return list(session.scalars(
        select(Org).join(NoticeTarget, NoticeTarget.org_id == Org.id)
        .where(NoticeTarget.notice_id == notice.id).order_by(Org.path)))


def label_of(orgs: Sequence[Org]) -> str:
    """The sender line under the text: the orgs by name, or the first with how many, so
    that the text stays within the platform's size limit however many were ticked."""
    if len(orgs) > LABEL_ORGS:
        return f"{orgs[0].name}等 {len(orgs)} 个组织"
    return "、".join(org.name for org in orgs)


def target_label(session: Session, notice: Notice) -> str:
    if notice.everyone:
        return EVERYONE_LABEL
    return label_of(target_orgs(session, notice)) or "（组织已删除）"


def target_members(session: Session, notice: Notice) -> Select[int | None, str]:
    """``(member id, roster org path)`` of the bound members the notice goes to."""
    query = (select(RosterEntry.member_id, Org.path)
             .join(Org, Org.id == RosterEntry.org_id)
             .where(RosterEntry.member_id.is_not(None)))
    if notice.everyone:
        return query
    paths = [org.path for org in target_orgs(session, notice)]
    if not paths:
        return query.where(false())
    return query.where(_under_any(paths))


def _under_any(paths: list[str]) -> ColumnElement[bool]:
    condition: ColumnElement[bool] = false()
    for path in paths:
        condition = condition | Org.path.startswith(path, autoescape=True)
    return condition


def list_notices(session: Session, principal: Principal, limit: int = 50) -> list[Notice]:
    return list(session.scalars(select(Notice).where(visible(principal))
                                .order_by(Notice.created_at.desc(), Notice.id.desc())
                                .limit(limit)))


# ------------------------------------------------------------------ the message


def message_text(title: str, body: str, label: str) -> str:
    """The customer-service (and mass) text a member reads in the chat."""
    return texts.org_notice(title, body, label)


def template_fields(title: str, label: str, at: datetime, zone: ZoneInfo) -> dict[str, str]:
    """The template (and subscribe) message's fields, as the reminder template has them:
    the title, the time, the sender; each one line of at most 20 characters."""
    return {"thing1": template_value(title), "time2": local_time(at, zone),
            "thing3": template_value(label)}


def payload(notice: Notice, label: str, at: datetime, zone: ZoneInfo) -> dict[str, Any]:
    return {"text": message_text(notice.title, notice.body, label),
            "template_data": template_fields(notice.title, label, at, zone),
            "notice_id": notice.id}


# ------------------------------------------------------------------ counting


def reason_in_chinese(reason: str | None, errcode: int | None) -> str:
    """Why a row did not reach its member, as an organizer reads it.

    Rows this slice records carry a Chinese reason already; the dispatcher's say
    it in English for operators, and are translated here by what they name.
    """
    text = reason or ""
    if _CJK.search(text):
        return text
    lowered = text.lower()
    if errcode == 43004 or "follow" in lowered:
        return "成员已取消关注公众号"
    if "credits" in lowered:
        return "小程序订阅消息次数已用完"
    if "gave up" in lowered or "time passed" in lowered:
        return "多次尝试发送均未成功，已放弃"
    if "window closed" in lowered or errcode == 45015:
        return "48 小时客服消息窗口已关闭，且没有其他可用渠道"
    if "budget" in lowered or errcode == 45047:
        return "本窗口的客服消息已达上限，且没有其他可用渠道"
    if errcode is not None:
        return f"微信接口拒绝了这条消息（错误码 {errcode}）"
    return "发送失败，原因未记录"


@dataclass(slots=True)
class Reached:
    """How a notice did: reached by channel, still on the way, and why the others not."""

    by_channel: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))
    on_the_way: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def reached(self) -> int:
        return sum(self.by_channel.values())

    @property
    def not_reached(self) -> int:
        return sum(self.reasons.values())

    @property
    def total(self) -> int:
        return self.reached + self.on_the_way + self.not_reached


def reached(session: Session, notice_id: int) -> Reached:
    """The counts of one notice: one GROUP BY over its outbox rows."""
    found = Reached()
    rows = session.execute(
        select(OutboxMessage.status, OutboxMessage.channel, OutboxMessage.last_error,
               OutboxMessage.last_errcode, func.count())
        .where(OutboxMessage.kind == KIND,
               OutboxMessage.dedup_key.startswith(key_prefix(notice_id), autoescape=True))
        .group_by(OutboxMessage.status, OutboxMessage.channel, OutboxMessage.last_error,
                  OutboxMessage.last_errcode))
    for status, channel, error, errcode, count in rows:
        if status == SENT and channel in found.by_channel:
            found.by_channel[channel] += count
        elif status in (PENDING, SENDING):
            found.on_the_way += count
        elif status in (UNSENDABLE, FAILED, WITHDRAWN):
            why = reason_in_chinese(error, errcode)
            found.reasons[why] = found.reasons.get(why, 0) + count
    found.reasons = dict(sorted(found.reasons.items(), key=lambda item: -item[1]))
    return found


# ------------------------------------------------------------------ one notice, described


@dataclass(frozen=True, slots=True)
class NoticeView:
    """A notice as the console and the API show it: what a member reads, and how it did."""

    id: int
    title: str
    body: str
    everyone: bool
    targets: list[dict[str, Any]]
    target_label: str
    status: str
    created_by: str
    created_at: datetime
    sent_at: datetime | None
    text: str  # the customer-service (and mass) text
    template_data: dict[str, str]
    counts: Reached
    # The last mass send's record (see :class:`~app.models.Notice`), None when none was
    # needed; ``tag_deleted`` whether the notice's tag is gone again.
    mass_send: dict[str, Any] | None = None


def describe(session: Session, notice: Notice, zone: ZoneInfo, now: datetime) -> NoticeView:
    label = target_label(session, notice)
    shown_at = notice.sent_at or now
    return NoticeView(
        id=notice.id, title=notice.title, body=notice.body, everyone=notice.everyone,
        targets=[{"id": org.id, "name": org.name}
                 for org in ([] if notice.everyone else target_orgs(session, notice))],
        target_label=label, status=notice.status, created_by=notice.created_by,
        created_at=notice.created_at, sent_at=notice.sent_at,
        text=message_text(notice.title, notice.body, label),
        template_data=template_fields(notice.title, label, shown_at, zone),
        counts=reached(session, notice.id),
        mass_send={**notice.mass_sends[-1], "tag_deleted": notice.mass_tag_deleted_at is not None}
        if notice.mass_sends else None)


def preview(session: Session, principal: Principal, composed: Composed, zone: ZoneInfo,
            now: datetime) -> tuple[str, dict[str, str]]:
    """What a member would read, for a notice being written (nothing is stored)."""
    if composed.everyone:
        label = EVERYONE_LABEL
    else:
        orgs = [org for org_id in composed.org_ids
                if (org := session.get(Org, org_id)) is not None
                and principal.scope.covers_path(org.path)]
        label = label_of(sorted(_outermost(orgs), key=lambda org: org.path)) or "（请选择组织）"
    title = composed.title.strip()[:TITLE_MAX] or "（标题）"
    body = composed.body.strip()[:BODY_MAX] or "（正文）"
    return message_text(title, body, label), template_fields(title, label, now, zone)


def show(session: Session, notice_id: int, principal: Principal, zone: ZoneInfo,
         now: datetime) -> NoticeView:
    return describe(session, notice_for(session, notice_id, principal), zone, now)


def show_all(session: Session, principal: Principal, zone: ZoneInfo, now: datetime
             ) -> list[NoticeView]:
    return [describe(session, notice, zone, now)
            for notice in list_notices(session, principal)]
