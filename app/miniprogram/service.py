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

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.dialect import insert_or_ignore
from app.models.member import Member
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
    """The member behind ``openid``, created on first sight (insert-or-ignore, race-free)."""
    session.execute(
        insert_or_ignore(session, Member).values(
            openid=openid, first_seen_at=now, last_interaction_at=_WINDOW_CLOSED,
            subscribed=False, daily_push=False)
    )
    return session.scalars(select(Member).where(Member.openid == openid)).one()


def open_session(session: Session, openid: str, now: datetime) -> IssuedSession:
    """Log the member behind ``openid`` in and return a new bearer token."""
    member = member_for_openid(session, openid, now)
    token = secrets.token_urlsafe(32)
    expires_at = now + SESSION_LIFETIME
    session.add(MiniProgramSession(token_hash=_digest(token), member_id=member.id,
                                   created_at=now, expires_at=expires_at))
    session.flush()
    return IssuedSession(token=token, member_id=member.id, expires_at=expires_at)


def member_for_token(session: Session, token: str, now: datetime) -> Member | None:
    """The member a live token belongs to, or None for unknown or expired tokens."""
    return session.scalars(
        select(Member).join(MiniProgramSession, MiniProgramSession.member_id == Member.id)
        .where(MiniProgramSession.token_hash == _digest(token),
               MiniProgramSession.expires_at > now)
    ).first()
