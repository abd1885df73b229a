"""The console's sign-in: a token once, then a signed, HttpOnly, SameSite=Strict cookie.

The cookie carries a random session secret (never the token), signed with
itsdangerous; the server keeps the secret's SHA-256 in ``console_sessions``
with the digest of the token signed in with and the session's CSRF token.
Every request looks the session up and checks that token again, so revoking
it ends its console sessions at once, and signing out deletes the row, so a
copied cookie is worthless afterwards. The signing key is derived from the
official account's app secret (a secret every deployment already keeps), so
every process and restart agrees on it without another setting.

The cookie is ``Secure`` whenever ``HONGXIN_PUBLIC_URL`` is https (and when
the request itself came over https), whatever the proxy in front forwards.

Forms that change something carry the CSRF token in a hidden field; together
with SameSite=Strict a page on another site can neither read nor forge it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, ClassVar

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.auth.tokens import Principal, hash_token, principal_for_hash
from app.console.refusals import ConsoleForbidden
from app.deps import SessionDep, SettingsDep
from app.errors import AppError, Forbidden
from app.models import ConsoleSession
from app.settings import Settings

COOKIE = "hongxin_console"
# Before sign-in there is no session to hold a CSRF token, so the sign-in form
# gets its own short-lived one (login CSRF: signing a victim into our account).
LOGIN_COOKIE = "hongxin_console_login"
LOGIN_MAX_AGE_SECONDS = 3600
MAX_AGE_SECONDS = 12 * 3600
LOGIN_PATH = "/console/login"
CSRF_HEADER = "X-CSRF-Token"


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


def _principal(session: Session, settings: Settings, token_hash: str, now: datetime
               ) -> Principal | None:
    bootstrap = settings.admin_token.get_secret_value() if settings.admin_token else None
    return principal_for_hash(session, token_hash, bootstrap, now)


def sign_in(session: Session, settings: Settings, token: str) -> tuple[str, Principal] | None:
    """A cookie value for a new session of a valid token, or None."""
    return open_session(session, settings, hash_token(token.strip()), datetime.now(UTC))


def open_session(session: Session, settings: Settings, token_hash: str, now: datetime
                 ) -> tuple[str, Principal] | None:
    """A cookie value for a new session of the live token with this digest, or None."""
    principal = _principal(session, settings, token_hash, now)
    if principal is None:
        return None
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= now))
    secret = secrets.token_urlsafe(32)
    session.add(ConsoleSession(secret_hash=hash_token(secret), token_hash=token_hash,
                               csrf=secrets.token_urlsafe(24), created_at=now,
                               expires_at=now + timedelta(seconds=MAX_AGE_SECONDS)))
    session.flush()
    return _serializer(settings).dumps({"s": secret}), principal


def sign_out(session: Session, settings: Settings, cookie: str | None) -> None:
    """End the session this cookie belongs to, for good."""
    secret = _session_secret(settings, cookie)
    if secret is not None:
        session.execute(delete(ConsoleSession)
                        .where(ConsoleSession.secret_hash == hash_token(secret)))


def _session_secret(settings: Settings, cookie: str | None) -> str | None:
    if not cookie:
        return None
    try:
        data = _serializer(settings).loads(cookie, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return None
    secret = data.get("s") if isinstance(data, dict) else None
    return secret if isinstance(secret, str) else None


def secure_cookies(request: Request, settings: Settings) -> bool:
    """Whether cookies must be ``Secure``: the public address is https, or this request was."""
    return settings.public_url.startswith("https://") or request.url.scheme == "https"


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
    secret = _session_secret(settings, request.cookies.get(COOKIE))
    if secret is None:
        raise LoginRequired
    now = datetime.now(UTC)
    found = session.execute(
        select(ConsoleSession.token_hash, ConsoleSession.csrf)
        .where(ConsoleSession.secret_hash == hash_token(secret),
               ConsoleSession.expires_at > now)
    ).first()
    if found is None:
        raise LoginRequired
    principal = _principal(session, settings, found.token_hash, now)
    if principal is None:
        raise LoginRequired
    return ConsoleUser(principal, found.csrf)


ConsoleUserDep = Annotated[ConsoleUser, Depends(current_user)]


async def checked_form(request: Request, user: ConsoleUserDep) -> dict[str, str]:
    """The posted form, once its CSRF token matches the session's."""
    form = await request.form()
    # A plain form carries the token in a hidden field; htmx sends it as a header.
    sent = form.get("csrf") or request.headers.get(CSRF_HEADER)
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), user.csrf.encode()):
        raise Forbidden("the form is stale or did not come from this console; reload the page")
    return {key: value for key, value in form.items() if isinstance(value, str)}


CheckedForm = Annotated[dict[str, str], Depends(checked_form)]


def console_admin(user: ConsoleUserDep) -> ConsoleUser:
    """The signed-in user, when an admin; others get a Chinese refusal."""
    if not user.principal.is_admin:
        raise ConsoleForbidden("这个页面只有管理员可以使用。如需使用，请联系党组织管理员。",
                               "/console")
    return user


ConsoleAdminDep = Annotated[ConsoleUser, Depends(console_admin)]


def console_unscoped_admin(user: ConsoleAdminDep) -> ConsoleUser:
    """The signed-in admin, when not limited to an org: for content every org shares."""
    if not user.principal.scope.is_everything:
        raise ConsoleForbidden("只有不限定组织的管理员可以修改题库：题库由所有组织共用。"
                               "如需修改，请联系上级党组织的管理员。", "/console/quiz-banks")
    return user


ConsoleUnscopedAdminDep = Annotated[ConsoleUser, Depends(console_unscoped_admin)]
