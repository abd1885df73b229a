"""The console's sign-in: a token once, then a signed, HttpOnly, SameSite=Strict cookie.

The cookie carries the SHA-256 of the API token (never the token) and a random
CSRF token, signed with itsdangerous. Each request looks the hash up again, so
revoking the token ends its console sessions too. The signing key is derived
from the official account's app secret (a secret every deployment already
keeps), so every process and restart agrees on it without another setting.

Forms that change something carry the CSRF token in a hidden field; together
with SameSite=Strict a page on another site can neither read nor forge it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, ClassVar

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.tokens import Role, hash_token
from app.deps import Principal, SessionDep, SettingsDep
from app.errors import AppError, Forbidden
from app.models import ApiToken
from app.settings import Settings

COOKIE = "hongxin_console"
# Before sign-in there is no session to hold a CSRF token, so the sign-in form
# gets its own short-lived one (login CSRF: signing a victim into our account).
LOGIN_COOKIE = "hongxin_console_login"
LOGIN_MAX_AGE_SECONDS = 3600
MAX_AGE_SECONDS = 12 * 3600
LOGIN_PATH = "/console/login"


class LoginRequired(AppError):
    """Not signed in (or the session expired): go to the sign-in page."""

    status: ClassVar[int] = 303
    code: ClassVar[str] = "login_required"

    def __init__(self) -> None:
        super().__init__("sign in to use the console", headers={"Location": LOGIN_PATH})


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    principal: Principal
    csrf: str


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    key = hmac.new(settings.wechat_app_secret.get_secret_value().encode(),
                   b"hongxin console session v1", hashlib.sha256).hexdigest()
    return URLSafeTimedSerializer(key, salt="console-session")


def principal_for_token(session: Session, settings: Settings, token_hash: str
                        ) -> Principal | None:
    bootstrap = settings.admin_token.get_secret_value() if settings.admin_token else None
    if bootstrap and hmac.compare_digest(hash_token(bootstrap), token_hash):
        return Principal(Role.ADMIN, "admin")
    stored = find_token_by_hash(session, token_hash)
    return None if stored is None else Principal(Role(stored[0]), stored[1])


def find_token_by_hash(session: Session, token_hash: str) -> tuple[str, str] | None:
    row = session.execute(
        select(ApiToken.role, ApiToken.name).where(ApiToken.token_hash == token_hash,
                                                   ApiToken.revoked_at.is_(None))
    ).first()
    return None if row is None else (str(row[0]), str(row[1]))


def sign_in(session: Session, settings: Settings, token: str) -> tuple[str, Principal] | None:
    """A cookie value for a valid token, or None."""
    token_hash = hash_token(token.strip())
    principal = principal_for_token(session, settings, token_hash)
    if principal is None:
        return None
    value = _serializer(settings).dumps({"h": token_hash, "c": secrets.token_urlsafe(24)})
    return value, principal


def login_nonce(settings: Settings) -> tuple[str, str]:
    """A fresh nonce for the sign-in form and the signed cookie value that vouches for it."""
    nonce = secrets.token_urlsafe(24)
    return nonce, _serializer(settings).dumps({"login": nonce})


def login_nonce_matches(settings: Settings, cookie: str | None, sent: str) -> bool:
    if not cookie or not sent:
        return False
    try:
        data = _serializer(settings).loads(cookie, max_age=LOGIN_MAX_AGE_SECONDS)
    except BadSignature:
        return False
    expected = data.get("login") if isinstance(data, dict) else None
    return isinstance(expected, str) and hmac.compare_digest(expected.encode(), sent.encode())


def current_user(request: Request, session: SessionDep, settings: SettingsDep) -> ConsoleUser:
    raw = request.cookies.get(COOKIE)
    if not raw:
        raise LoginRequired
    try:
        data = _serializer(settings).loads(raw, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        raise LoginRequired from None
    if not isinstance(data, dict) or not isinstance(data.get("h"), str) \
            or not isinstance(data.get("c"), str):
        raise LoginRequired
    principal = principal_for_token(session, settings, data["h"])
    if principal is None:
        raise LoginRequired
    return ConsoleUser(principal, data["c"])


ConsoleUserDep = Annotated[ConsoleUser, Depends(current_user)]


async def checked_form(request: Request, user: ConsoleUserDep) -> dict[str, str]:
    """The posted form, once its CSRF token matches the session's."""
    form = await request.form()
    sent = form.get("csrf")
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), user.csrf.encode()):
        raise Forbidden("the form is stale or did not come from this console; reload the page")
    return {key: value for key, value in form.items() if isinstance(value, str)}


CheckedForm = Annotated[dict[str, str], Depends(checked_form)]
