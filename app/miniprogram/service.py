"""Mini-program sessions: ``wx.login`` code → openid → member → our own bearer token.

The token is random and only its SHA-256 is stored, like admin tokens: a leaked
database does not log anyone in. ``session_key`` from WeChat is not kept, since
nothing here decrypts the mini-program's encrypted user data.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.dialect import insert_or_ignore
from app.members.merge import link_unionid, live_member
from app.models.member import MINI_PROGRAM, Member
from app.models.miniprogram import MiniProgramSession
from app.ratelimit import counter as ratelimit

SESSION_LIFETIME = timedelta(days=30)
# Every login costs a jscode2session call against the mini-program's quota. A member
# logs in about once a month (SESSION_LIFETIME), but a branch meeting behind one
# office NAT brings many first logins from one address at once: 60 in 10 minutes
# leaves room for that and holds a looping client to 6 calls a minute.
LOGINS_PER_ADDRESS = ratelimit.Limit("mp_login", max_hits=60, window=timedelta(minutes=10))
# A mini-program login does not open the official account's 48-hour window, so a
# member first seen here starts with the window long closed.
_WINDOW_CLOSED = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class IssuedSession:
    token: str
    member_id: int
    expires_at: datetime


def count_login(session: Session, address: str, now: datetime) -> ratelimit.Verdict:
    """Count a login attempt from ``address``; call it before asking WeChat."""
    return ratelimit.hit(session, LOGINS_PER_ADDRESS, address, now)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def member_for_openid(session: Session, openid: str, now: datetime) -> Member:
    """The live member behind the mini-program ``openid``, created on first sight.

    Insert-or-ignore, so two first logins at once make one member. A member
    merged away since (see app/members/merge.py) gives its survivor.
    """
    found = session.scalars(select(Member).where(Member.mp_openid == openid)).first()
    if found is None:
        session.execute(
            insert_or_ignore(session, Member).values(
                openid=openid, mp_openid=openid, origin=MINI_PROGRAM, first_seen_at=now,
                last_interaction_at=_WINDOW_CLOSED, subscribed=False, daily_push=False)
        )
        found = session.scalars(select(Member).where(Member.openid == openid)).one()
        if found.mp_openid is None and found.merged_into_id is None:
            found.mp_openid = openid  # a member from before mini-program openids were kept
            session.flush()
    # No lock: the login writes only its session row, which a merge moves or
    # member_for_token follows; open_session's link locks what it changes.
    member = live_member(session, found.id)
    assert member is not None  # members are never deleted
    return member


def open_session(session: Session, openid: str, now: datetime, *, unionid: str | None,
                 zone: ZoneInfo) -> IssuedSession:
    """Log the member behind ``openid`` in and return a new bearer token.

    With a ``unionid`` from the platform, a member of the official account with
    the same one becomes this member (merged, see app/members/merge.py).
    """
    member = member_for_openid(session, openid, now)
    if unionid:
        member = link_unionid(session, member.id, unionid, now, zone)
    token = secrets.token_urlsafe(32)
    expires_at = now + SESSION_LIFETIME
    session.add(MiniProgramSession(token_hash=_digest(token), member_id=member.id,
                                   created_at=now, expires_at=expires_at))
    session.flush()
    return IssuedSession(token=token, member_id=member.id, expires_at=expires_at)


def member_for_token(session: Session, token: str, now: datetime) -> Member | None:
    """The member a live token belongs to, or None for unknown or expired tokens.

    Read ``FOR SHARE``: a merge waits until this request is done, so nothing the
    request writes for the member is left behind on a tombstone.
    """
    member_id = session.scalar(
        select(MiniProgramSession.member_id)
        .where(MiniProgramSession.token_hash == _digest(token),
               MiniProgramSession.expires_at > now)
    )
    if member_id is None:
        return None
    return live_member(session, member_id, share=True)
