"""The official account's user tags (标签): orgs' tags, synced when a notice is sent, and
each notice's own tag for its mass send.

**Org tags.** Each org a notice goes to has a tag (created at its first notice, its id kept in
``Org.wechat_tag_id``) holding the followers bound in the org's subtree, so that
one mass send to the tag reaches the subtree. The sync is lazy: binding,
unbinding, moving a member to another org or unfollowing changes nothing on the
platform until the next notice to the org, whose send tags those newly in
(``batchtagging``, 50 a call) and untags those who left (``batchuntagging``),
knowing whom it tagged before from :class:`~app.models.WeChatTagMember`. Both
calls are idempotent on the platform, so a sync that failed half-way is simply
run again by the next send.

Tag names are unique in the account and at most 30 bytes (the documentation says
30 characters in one place and 30 bytes in another: we keep to bytes), so a tag
is named after its org with the org's id after it: ``第一党支部·12``. A tag that
exists already (45157: created by a send whose answer we never recorded) is
found again by that name. Org tags are for the admins' own use in the platform's
back office (a mass send or a menu by org); a notice is not mass-sent to them,
because a tag holds the whole subtree, members reached one by one included.

**Notice tags.** A notice's mass send goes to a tag of its own, ``通知#{notice id}``,
holding exactly the members no other channel reached. (No ``·`` in it: an org
tag's name always ends in ``·`` and the org's id, so an org named 通知 cannot take a
notice's tag for its own, nor the other way round.) The platform runs a mass
send as a job after answering, so the tag is not deleted right away but at a
later notice's mass step, once its notice was sent more than
:data:`NOTICE_TAG_KEPT` ago; the notice records when (``mass_tag_deleted_at``).
An account has at most 100 tags (45056 when creating past them): old notice
tags are deleted before a new one is created.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.dialect import insert_many_or_ignore
from app.models import Member, Notice, Org, RosterEntry, WeChatTagMember
from app.wechat.api import TAG_BATCH, PermanentError, WeChatAPI, WeChatAPIError

log = logging.getLogger("hongxin.notices")

TAG_NAME_MAX_BYTES = 30
TAG_NAME_EXISTS = 45157
NO_SUCH_TAG = 45159
TOO_MANY_TAGS = 45056
NOTICE_TAG_KEPT = timedelta(days=1)


def tag_name(org: Org) -> str:
    suffix = f"·{org.id}"
    name = org.name
    while name and len((name + suffix).encode()) > TAG_NAME_MAX_BYTES:
        name = name[:-1]
    return name + suffix


@dataclass(frozen=True, slots=True)
class TagSync:
    """What one org's tag needs: its id (None: not created yet), and who goes in or out."""

    org_id: int
    tag_id: int | None
    name: str
    tag: Sequence[tuple[int, str]]  # (member id, openid)
    untag: Sequence[tuple[int, str]]


def planned(session: Session, org: Org) -> TagSync:
    """The followers bound in ``org``'s subtree against those its tag holds."""
    wanted = dict(session.execute(
        select(Member.id, Member.openid)
        .join(RosterEntry, RosterEntry.member_id == Member.id)
        .join(Org, Org.id == RosterEntry.org_id)
        .where(Org.path.startswith(org.path, autoescape=True), Member.subscribed.is_(True))
    ).all())
    held: dict[int, str] = {}
    if org.wechat_tag_id is not None:
        held = dict(session.execute(
            select(Member.id, Member.openid)
            .join(WeChatTagMember, WeChatTagMember.member_id == Member.id)
            .where(WeChatTagMember.org_id == org.id)).all())
    return TagSync(org.id, org.wechat_tag_id, tag_name(org),
                   tag=sorted((m, o) for m, o in wanted.items() if m not in held),
                   untag=sorted((m, o) for m, o in held.items() if m not in wanted))


async def created_or_found(api: WeChatAPI, tag_id: int | None, name: str) -> int:
    """The tag's id: ``tag_id`` when known, else a new tag, or the one already named so
    (45157: created by a try whose answer we never recorded)."""
    if tag_id is not None:
        return tag_id
    try:
        return await api.create_tag(name)
    except PermanentError as exc:
        if exc.errcode != TAG_NAME_EXISTS:
            raise
        found = next((tag.id for tag in await api.get_tags() if tag.name == name), None)
        if found is None:
            raise
        return found


async def _in_batches(call: Callable[[int, Sequence[str]], Awaitable[None]], tag_id: int,
                      openids: Sequence[str]) -> None:
    """``call`` (tagging or untagging, idempotent on the platform) :data:`TAG_BATCH` a time."""
    for start in range(0, len(openids), TAG_BATCH):
        await call(tag_id, list(openids[start:start + TAG_BATCH]))


async def tag_all(api: WeChatAPI, tag_id: int, openids: Sequence[str]) -> None:
    """Put the followers in the tag."""
    await _in_batches(api.tag_members, tag_id, openids)


async def push(api: WeChatAPI, sync: TagSync) -> int:
    """Bring the tag on the platform in line; its id. Raises the platform's refusal."""
    tag_id = await created_or_found(api, sync.tag_id, sync.name)
    await tag_all(api, tag_id, [openid for _, openid in sync.tag])
    await _in_batches(api.untag_members, tag_id, [openid for _, openid in sync.untag])
    return tag_id


def record(session: Session, sync: TagSync, tag_id: int, now: datetime) -> None:
    """Remember the tag's id and whom it now holds."""
    session.execute(update(Org).where(Org.id == sync.org_id).values(wechat_tag_id=tag_id)
                    .execution_options(synchronize_session=False))
    insert_many_or_ignore(session, WeChatTagMember.__table__, [
        {"org_id": sync.org_id, "member_id": member_id, "tagged_at": now}
        for member_id, _openid in sync.tag])
    gone = [member_id for member_id, _openid in sync.untag]
    if gone:
        session.execute(delete(WeChatTagMember).where(WeChatTagMember.org_id == sync.org_id,
                                                      WeChatTagMember.member_id.in_(gone))
                        .execution_options(synchronize_session=False))


# ------------------------------------------------------------------ notice tags


def notice_tag_name(notice_id: int) -> str:
    return f"通知#{notice_id}"


@dataclass(frozen=True, slots=True)
class ExpiredTag:
    notice_id: int
    tag_id: int


def expired_notice_tags(session: Session, now: datetime) -> list[ExpiredTag]:
    """The tags of notices sent more than :data:`NOTICE_TAG_KEPT` ago, not yet deleted."""
    rows = session.execute(select(Notice.id, Notice.mass_tag_id).where(
        Notice.mass_tag_id.is_not(None), Notice.mass_tag_deleted_at.is_(None),
        Notice.sent_at < now - NOTICE_TAG_KEPT).order_by(Notice.id)).all()
    return [ExpiredTag(notice_id, tag_id) for notice_id, tag_id in rows if tag_id is not None]


async def delete_expired(api: WeChatAPI, expired: Sequence[ExpiredTag]) -> list[int]:
    """Delete the tags on the platform; the notices whose tag is gone (deleted now, or by
    someone in the back office: 45159). One that fails stays for the next notice."""
    gone = []
    for tag in expired:
        try:
            await api.delete_tag(tag.tag_id)
        except WeChatAPIError as exc:
            if exc.errcode != NO_SUCH_TAG:
                log.warning("notice %d: its tag %d could not be deleted: %s", tag.notice_id,
                            tag.tag_id, exc)
                continue
        gone.append(tag.notice_id)
    return gone


def record_deleted(session: Session, notice_ids: Sequence[int], now: datetime) -> None:
    if notice_ids:
        session.execute(update(Notice).where(Notice.id.in_(list(notice_ids)))
                        .values(mass_tag_deleted_at=now)
                        .execution_options(synchronize_session=False))
