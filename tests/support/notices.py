"""A small party for notice tests: orgs, bound members in every reachable state."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.orm import Session

from app.db import Database
from app.fakewechat import DEV_APPS
from app.models import RosterEntry
from app.orgs.service import create_org
from app.outbox import credits
from app.outbox.dispatcher import DispatchConfig, Dispatcher
from app.wechat.api import WeChatAPI
from app.wechat.token_store import DatabaseTokenStore
from tests.support.factories import create_member

MP_TEMPLATE = "mp-notice-tmpl"


@dataclass
class NoticeParty:
    orgs: dict[str, int] = field(default_factory=dict)
    members: dict[str, int] = field(default_factory=dict)
    openids: dict[str, str] = field(default_factory=dict)


def _bind(session: Session, party: NoticeParty, name: str, org: str, number: int,
          **member: object) -> None:
    now = datetime.now(UTC)
    openid = f"o_notice_{number:02d}"
    created = create_member(session, openid=openid, name=name, **member)
    session.add(RosterEntry(name=name, phone=f"1370000{number:04d}", org_id=party.orgs[org],
                            status="正式党员", member_id=created.id, bound_at=now,
                            created_at=now, updated_at=now))
    session.flush()
    party.members[name] = created.id
    party.openids[name] = openid


def seed_party(session: Session) -> NoticeParty:
    """机关党委 → 第一党支部 (→ 第一党小组) and 第二党支部, with members who are:

    * 窗口内 (第一党支部): wrote an hour ago: a customer-service message;
    * 窗口外 (第一党支部) and 小组员 (第一党小组): follow, wrote days ago: no template is
      configured, so the mass send covers them;
    * 小程序 (第一党支部): does not follow, has one subscribe credit: a subscribe message;
    * 已取关 (第一党支部): does not follow, no mini-program: not reached;
    * 二支部 (第二党支部): wrote an hour ago, outside the first branch.
    """
    now = datetime.now(UTC)
    party = NoticeParty()
    committee = create_org(session, "机关党委", now)
    first = create_org(session, "第一党支部", now, parent_id=committee.id)
    party.orgs = {"机关党委": committee.id, "第一党支部": first.id,
                  "第一党小组": create_org(session, "第一党小组", now, parent_id=first.id).id,
                  "第二党支部": create_org(session, "第二党支部", now, parent_id=committee.id).id}
    recent, old = now - timedelta(hours=1), now - timedelta(days=3)
    _bind(session, party, "窗口内", "第一党支部", 1, last_interaction_at=recent)
    _bind(session, party, "窗口外", "第一党支部", 2, last_interaction_at=old)
    _bind(session, party, "小组员", "第一党小组", 3, last_interaction_at=old)
    _bind(session, party, "小程序", "第一党支部", 4, last_interaction_at=old, subscribed=False,
          mp_openid="mp_notice_04")
    _bind(session, party, "已取关", "第一党支部", 5, last_interaction_at=old, subscribed=False)
    _bind(session, party, "二支部", "第二党支部", 6, last_interaction_at=recent)
    credits.add(session, party.members["小程序"], MP_TEMPLATE, 1, now)
    return party


def dispatch(database: Database, url: str, template_id: str | None = None) -> None:
    """Send every due outbox row to the platform at ``url``, as the scheduler would, with
    the dev apps' credentials (the official account's and the mini-program's)."""
    (appid, secret), (mp_appid, mp_secret) = list(DEV_APPS.items())[:2]

    async def run() -> None:
        async with httpx.AsyncClient(timeout=5) as http:
            api = WeChatAPI(http, app_id=appid, app_secret=secret, base_url=url,
                            token_store=DatabaseTokenStore(database, appid))
            mp_api = WeChatAPI(http, app_id=mp_appid, app_secret=mp_secret, base_url=url,
                               token_store=DatabaseTokenStore(database, mp_appid))
            config = DispatchConfig(rate_per_second=None, template_id=template_id,
                                    subscribe_template_id=MP_TEMPLATE)
            await Dispatcher(database, api, config, mp_api=mp_api).drain()

    asyncio.run(run())
