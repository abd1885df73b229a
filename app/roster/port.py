""":class:`bots.ports.Roster` over the turn's session: binding, and erasing a member.

Binding takes one conditional UPDATE (``WHERE member_id IS NULL``) and the
unique ``member_id`` column, so two members racing for one entry, or one
member for two entries, cannot both win.
"""

from __future__ import annotations

import secrets
import unicodedata
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.models.member import Member
from app.models.miniprogram import MiniProgramSession
from app.models.org import Org, RosterEntry
from app.models.outbox import OutboxMessage
from app.models.subscription import SubscribeCredit
from app.outbox.service import PENDING, WITHDRAWN
from app.points.claims import forget_member_claims
from app.ratelimit import counter as ratelimit
from bots.ports import BindResult, RosterCard

# A member binds once; a handful of typos is human, more is someone guessing who is on the roster.
BIND_ATTEMPTS = ratelimit.Limit("roster_bind", max_hits=5, window=timedelta(hours=1))
# What an erased member's openid becomes: unique, and no longer anybody's.
ERASED_PREFIX = "erased:"


def same_name(left: str, right: str) -> bool:
    def folded(name: str) -> str:
        return "".join(unicodedata.normalize("NFKC", name).split()).casefold()

    return folded(left) == folded(right)


def org_full_name(session: Session, org_id: int) -> str:
    """``机关党委/第一党支部``: the names along the org's path, in one query."""
    org = session.get(Org, org_id)
    if org is None:
        return ""
    ids = [int(part) for part in org.path.strip("/").split("/")]
    names = {row.id: row.name for row in session.execute(
        select(Org.id, Org.name).where(Org.id.in_(ids)))}
    return "/".join(names.get(org_id, "") for org_id in ids)


def card(session: Session, entry: RosterEntry) -> RosterCard:
    return RosterCard(entry.name, entry.phone, org_full_name(session, entry.org_id), entry.status)


def bound_entry(session: Session, member_id: int) -> RosterEntry | None:
    return session.scalars(select(RosterEntry).where(RosterEntry.member_id == member_id)).first()


def bind_member(session: Session, member_id: int, name: str, phone: str,
                now: datetime) -> BindResult:
    """Bind ``member_id`` to the entry with this phone and name (see BindOutcome)."""
    mine = bound_entry(session, member_id)
    if mine is not None:
        return BindResult("already_bound", card(session, mine))
    if not ratelimit.hit(session, BIND_ATTEMPTS, f"member:{member_id}", now).allowed:
        return BindResult("rate_limited")
    entry = session.scalars(select(RosterEntry).where(RosterEntry.phone == phone)).first()
    if entry is None or not same_name(entry.name, name):
        return BindResult("no_match")
    taken = session.execute(
        update(RosterEntry).where(RosterEntry.id == entry.id, RosterEntry.member_id.is_(None))
        .values(member_id=member_id, bound_at=now).returning(RosterEntry.id)
        .execution_options(synchronize_session=False)).first()
    if taken is None:
        return BindResult("taken", card(session, entry))
    # Organizers' lists show members by name: the roster's is the one to show.
    session.execute(update(Member).where(Member.id == member_id)
                    .values(name=entry.name, phone=entry.phone)
                    .execution_options(synchronize_session=False))
    session.refresh(entry)
    return BindResult("bound", card(session, entry))


def erase_member(session: Session, member_id: int) -> None:
    """Forget who the member is: personal fields, binding, sessions, queued messages.

    The member row, with its ledger, sign-ups and quiz history, stays so totals
    and statistics still add up, but under an openid nobody has, so nothing
    leads back to the person; their next message starts a new member.
    """
    session.execute(update(RosterEntry).where(RosterEntry.member_id == member_id)
                    .values(member_id=None, bound_at=None)
                    .execution_options(synchronize_session=False))
    session.execute(update(Member).where(Member.id == member_id).values(
        openid=ERASED_PREFIX + secrets.token_hex(16), name=None, phone=None, branch=None,
        conversation=None, subscribed=False, daily_push=False, unionid=None, mp_openid=None,
    ).execution_options(synchronize_session=False))
    # A member merged into this one kept its mini-program openid as its own.
    tombstones = session.scalars(select(Member.id).where(Member.merged_into_id == member_id))
    for tombstone in tombstones.all():
        session.execute(update(Member).where(Member.id == tombstone)
                        .values(openid=ERASED_PREFIX + secrets.token_hex(16))
                        .execution_options(synchronize_session=False))
    session.execute(delete(SubscribeCredit).where(SubscribeCredit.member_id == member_id)
                    .execution_options(synchronize_session=False))
    session.execute(delete(MiniProgramSession).where(MiniProgramSession.member_id == member_id)
                    .execution_options(synchronize_session=False))
    forget_member_claims(session, member_id)
    session.execute(update(OutboxMessage).where(OutboxMessage.member_id == member_id,
                                                OutboxMessage.status == PENDING)
                    .values(status=WITHDRAWN).execution_options(synchronize_session=False))


class RosterPort:
    def __init__(self, session: Session) -> None:
        self._session = session

    def binding(self, member_id: int) -> RosterCard | None:
        entry = bound_entry(self._session, member_id)
        return card(self._session, entry) if entry is not None else None

    def bind(self, member_id: int, name: str, phone: str, now: datetime) -> BindResult:
        return bind_member(self._session, member_id, name, phone, now)

    def erase(self, member_id: int, now: datetime) -> None:
        del now  # nothing is dated: the erased fields are gone, not marked
        erase_member(self._session, member_id)
