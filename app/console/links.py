"""One-time console sign-in links sent in chat (``后台``): five minutes, one use.

The link's code is 256 random bits; only its SHA-256 is stored. Opening the
link shows a button and only pressing it (a POST) uses the code up, so a chat
client or a scanner that fetches links ahead of the person cannot spend it.
Using it is one conditional UPDATE (``used_at IS NULL`` and not expired), so
two presses racing each other open one session at most.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.auth.tokens import Principal, hash_token
from app.console import roles
from app.console.pages import SIGN_IN_FAILURES
from app.console.session import open_session
from app.models import ApiToken, ConsoleSignInLink
from app.ratelimit import counter as ratelimit
from app.roster.port import bound_entry, org_full_name
from app.settings import Settings
from bots.ports import ConsoleLink

LINK_LIFETIME = timedelta(minutes=5)
LINK_PATH = "/console/login/link"
# Used and expired links are kept a day for a look at what happened, then swept.
_KEEP_SPENT = timedelta(days=1)


def issue(session: Session, member_id: int, public_url: str, now: datetime) -> ConsoleLink:
    """A new link for the role the member's roster entry holds (see ConsoleLinkOutcome)."""
    entry = bound_entry(session, member_id)
    if entry is None:
        return ConsoleLink("not_bound")
    token = roles.live_token_of_entry(session, entry.id)
    if token is None:
        return ConsoleLink("no_role")
    session.execute(delete(ConsoleSignInLink)
                    .where(ConsoleSignInLink.expires_at < now - _KEEP_SPENT))
    code = secrets.token_urlsafe(32)
    session.add(ConsoleSignInLink(code_hash=hash_token(code), token_id=token.id,
                                  created_at=now, expires_at=now + LINK_LIFETIME))
    session.flush()
    org = org_full_name(session, token.org_id) if token.org_id is not None else ""
    return ConsoleLink("issued", f"{public_url.rstrip('/')}{LINK_PATH}/{code}", token.role,
                       org, int(LINK_LIFETIME.total_seconds() // 60))


def usable(session: Session, code: str, now: datetime) -> bool:
    """Whether the code would still open a session (without using it up)."""
    found = session.scalar(
        select(ConsoleSignInLink.id).join(ApiToken, ApiToken.id == ConsoleSignInLink.token_id)
        .where(ConsoleSignInLink.code_hash == hash_token(code),
               ConsoleSignInLink.used_at.is_(None), ConsoleSignInLink.expires_at > now,
               ApiToken.revoked_at.is_(None)))
    return found is not None


def redeem(session: Session, settings: Settings, code: str, now: datetime
           ) -> tuple[str, Principal] | None:
    """Use the code up and open a console session for its role; None when it is unknown,
    used, expired or its role was taken away."""
    spent = session.execute(
        update(ConsoleSignInLink)
        .where(ConsoleSignInLink.code_hash == hash_token(code),
               ConsoleSignInLink.used_at.is_(None), ConsoleSignInLink.expires_at > now)
        .values(used_at=now).returning(ConsoleSignInLink.token_id)
        .execution_options(synchronize_session=False)).first()
    if spent is None:
        return None
    token = session.get(ApiToken, spent.token_id)
    if token is None:
        return None
    return open_session(session, settings, token.token_hash, now)


def sign_in(session: Session, settings: Settings, code: str, address: str, now: datetime
            ) -> str | ratelimit.Verdict | None:
    """The session cookie's value for a usable code, None for a spent or unknown one, or
    the refusing verdict once ``address`` failed too often (as the token form counts)."""
    verdict = ratelimit.hit(session, SIGN_IN_FAILURES, address, now)
    if not verdict.allowed:
        return verdict
    signed = redeem(session, settings, code, now)
    if signed is None:
        return None
    ratelimit.give_back(session, SIGN_IN_FAILURES, address, now)
    return signed[0]
