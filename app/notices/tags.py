"""Orgs as the official account's user tags (标签), synced when a notice is sent.

Each org a notice goes to has a tag (created at its first notice, its id kept in
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
found again by that name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.dialect import insert_many_or_ignore
from app.models import Member, Org, RosterEntry, WeChatTagMember
from app.wechat.api import TAG_BATCH, PermanentError, WeChatAPI

TAG_NAME_MAX_BYTES = 30
TAG_NAME_EXISTS = 45157


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


async def _tag_id(api: WeChatAPI, sync: TagSync) -> int:
    if sync.tag_id is not None:
        return sync.tag_id
    try:
        return await api.create_tag(sync.name)
    except PermanentError as exc:
        if exc.errcode != TAG_NAME_EXISTS:
            raise
        found = next((tag.id for tag in await api.get_tags() if tag.name == sync.name), None)
        if found is None:
            raise
        return found


async def push(api: WeChatAPI, sync: TagSync) -> int:
    """Bring the tag on the platform in line; its id. Raises the platform's refusal."""
    tag_id = await _tag_id(api, sync)
    for start in range(0, len(sync.tag), TAG_BATCH):
        await api.tag_members(tag_id, [openid for _, openid in sync.tag[start:start + TAG_BATCH]])
    for start in range(0, len(sync.untag), TAG_BATCH):
        await api.untag_members(tag_id,
                                [openid for _, openid in sync.untag[start:start + TAG_BATCH]])
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
