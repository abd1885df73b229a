"""Learning the unionid of official-account members, in the background.

A callback has 5 seconds and the platform's ``user/info`` is a round trip of
its own, so the callback never asks: this scheduler job does, for followers
whose unionid is not known yet, up to 100 per ``user/info/batchget`` call and
a few calls per run. A member the platform gives no unionid (the account is
not bound to an open-platform account, or the member unfollowed) is asked
again after :data:`RECHECK_AFTER`. A unionid that a mini-program member
already has merges the two (app/members/merge.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.db import Database
from app.members.merge import link_unionid, run_linking
from app.models.member import ACCOUNT, Member
from app.wechat.api import (
    USER_INFO_BATCH,
    PermanentError,
    UserInfo,
    WeChatAPI,
    WeChatAPIError,
)

__all__ = ["RECHECK_AFTER", "LookupRun", "learn_unionids"]

log = logging.getLogger("hongxin.members")

RECHECK_AFTER = timedelta(days=7)
# Each run asks about at most this many batches, so one run stays short and a
# backlog (say after an upgrade) is worked through over several runs.
MAX_BATCHES_PER_RUN = 5


@dataclass(slots=True)
class LookupRun:
    asked: int = 0
    linked: int = 0
    without_unionid: int = 0


def members_to_look_up(session: Session, now: datetime, limit: int) -> list[tuple[int, str]]:
    """Followers without a known unionid, not asked since :data:`RECHECK_AFTER`."""
    rows = session.execute(
        select(Member.id, Member.openid)
        .where(Member.origin == ACCOUNT, Member.unionid.is_(None),
               Member.merged_into_id.is_(None), Member.subscribed.is_(True),
               or_(Member.unionid_checked_at.is_(None),
                   Member.unionid_checked_at < now - RECHECK_AFTER))
        .order_by(Member.id).limit(limit)
    ).all()
    return [(member_id, openid) for member_id, openid in rows]


def mark_checked(session: Session, member_ids: Sequence[int], now: datetime) -> None:
    session.execute(update(Member).where(Member.id.in_(member_ids))
                    .values(unionid_checked_at=now)
                    .execution_options(synchronize_session=False))


async def learn_unionids(database: Database, api: WeChatAPI, now: datetime, zone: ZoneInfo,
                         *, batches: int = MAX_BATCHES_PER_RUN) -> LookupRun:
    """Ask the platform for up to ``batches`` × 100 followers' unionids and record them."""
    run = LookupRun()
    for _ in range(batches):
        asked = await database.run(partial(members_to_look_up, now=now, limit=USER_INFO_BATCH))
        if not asked:
            break
        try:
            found = await _ask(api, [openid for _member_id, openid in asked])
        except WeChatAPIError as exc:
            log.warning("unionid lookup stopped: %s", exc)
            break
        by_openid = {info.openid: info for info in found}
        without = [member_id for member_id, openid in asked
                   if by_openid.get(openid) is None or by_openid[openid].unionid is None]
        if without:
            await database.run(partial(mark_checked, member_ids=without, now=now))
        for member_id, openid in asked:
            unionid = by_openid[openid].unionid if openid in by_openid else None
            if unionid is not None:
                await run_linking(database.run, partial(
                    link_unionid, member_id=member_id, unionid=unionid, now=now, zone=zone))
                run.linked += 1
        run.asked += len(asked)
        run.without_unionid += len(without)
        if len(asked) < USER_INFO_BATCH:
            break
    return run


async def _ask(api: WeChatAPI, openids: list[str]) -> list[UserInfo]:
    """One batch call; when the platform refuses the batch (one bad openid fails it
    all), each openid on its own, and an openid refused alone is left out."""
    try:
        return await api.user_info_batch(openids)
    except PermanentError:
        pass
    found = []
    for openid in openids:
        try:
            found.append(await api.user_info(openid))
        except PermanentError:
            continue
    return found
