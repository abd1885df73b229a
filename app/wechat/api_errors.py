"""Errors raised by :mod:`app.wechat.api`, one class per way a caller must react.

The platform answers most failures with HTTP 200 and ``{"errcode": N, "errmsg": "..."}``;
:func:`error_for` turns that ``errcode`` (or an HTTP status, or a network failure)
into one of these classes::

    WeChatAPIError                 errcode, errmsg, status_code, path
    ├── AccessTokenInvalid         40001, 40014, 42001: refresh the token once, retry once
    ├── TransientError             -1, 45009, 45011, HTTP 5xx, timeouts, network errors,
    │                              unreadable bodies: retried with backoff
    └── PermanentError             everything else: retrying cannot help
        ├── InvalidCredentials     40001/40013/40125/40164 *from a token endpoint*:
        │                          wrong AppID/AppSecret or server IP not whitelisted
        ├── StableTokenUnsupported stable_token refused (HTTP 404/405/501, 48001):
        │                          the client falls back to /cgi-bin/token
        ├── UserUnsubscribed       43004: the member has unfollowed the account
        ├── ResponseWindowClosed   45015: no message from the member in the last 48 h
        ├── InvalidOpenID          40003
        ├── OutOfResponseQuota     45047: too many customer-service messages in the window
        └── InvalidArgument        40037, 40008, 45002, 45008, 47001, 47003, ...:
                                   our request is wrong (a template field too long, ...)

Messages never contain the access token or the AppSecret: the client builds them
from :func:`redact`-ed URLs and scrubs ``errmsg`` before raising.
"""

from __future__ import annotations

import re

__all__ = [
    "ACCESS_TOKEN_ERRCODES",
    "TRANSIENT_ERRCODES",
    "AccessTokenInvalid",
    "InvalidArgument",
    "InvalidCredentials",
    "InvalidOpenID",
    "OutOfResponseQuota",
    "PermanentError",
    "ResponseWindowClosed",
    "StableTokenUnsupported",
    "TransientError",
    "UserUnsubscribed",
    "WeChatAPIError",
    "error_for",
    "redact",
]

ACCESS_TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
# 45009/45011 are quota limits: the contract asks for them to be retried with backoff.
TRANSIENT_ERRCODES = frozenset({-1, 45009, 45011})
CREDENTIAL_ERRCODES = frozenset({40001, 40013, 40125, 40164, 41002, 41004})

_SECRET_QUERY = re.compile(r"((?:access_token|secret|js_code)=)[^&\s\"']+", re.IGNORECASE)


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with ``access_token=…``/``secret=…``/``js_code=…`` values and ``secrets`` masked."""
    text = _SECRET_QUERY.sub(r"\1***", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class WeChatAPIError(Exception):
    """A WeChat API call failed.

    ``errcode`` is the platform's code, or ``None`` when there was no JSON answer
    (HTTP error, timeout, network); ``status_code`` is the HTTP status when one came.
    """

    def __init__(
        self,
        errcode: int | None,
        errmsg: str,
        *,
        path: str = "",
        status_code: int | None = None,
    ) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        self.path = path
        self.status_code = status_code
        where = f"{path}: " if path else ""
        what = f"errcode {errcode}" if errcode is not None else f"HTTP {status_code}"
        if errcode is None and status_code is None:
            what = "no response"
        super().__init__(f"{where}{what}: {errmsg}")


class AccessTokenInvalid(WeChatAPIError):
    """The access token was refused (invalid, expired or replaced elsewhere)."""


class TransientError(WeChatAPIError):
    """The platform was busy or unreachable; the same call may succeed later."""


class PermanentError(WeChatAPIError):
    """The platform refused the call for a reason a retry cannot change."""


class InvalidCredentials(PermanentError):
    """A token endpoint refused the AppID/AppSecret (or the caller's IP)."""


class StableTokenUnsupported(PermanentError):
    """``/cgi-bin/stable_token`` is not offered here; use ``/cgi-bin/token``."""


class UserUnsubscribed(PermanentError):
    """43004: the member does not follow the account (any more)."""


class ResponseWindowClosed(PermanentError):
    """45015: the 48-hour customer-service window is closed; use a template message."""


class InvalidOpenID(PermanentError):
    """40003: the openid is not one of this account's followers."""


class OutOfResponseQuota(PermanentError):
    """45047: the customer-service message budget of this window is used up."""


class InvalidArgument(PermanentError):
    """The request itself is malformed or breaks a platform rule."""


_PERMANENT_BY_ERRCODE: dict[int, type[PermanentError]] = {
    43004: UserUnsubscribed,
    45015: ResponseWindowClosed,
    40003: InvalidOpenID,
    45047: OutOfResponseQuota,
    40008: InvalidArgument,
    40016: InvalidArgument,
    40017: InvalidArgument,
    40037: InvalidArgument,
    44002: InvalidArgument,
    45002: InvalidArgument,
    45008: InvalidArgument,
    47001: InvalidArgument,
    47003: InvalidArgument,
}


def error_for(
    errcode: int, errmsg: str, *, path: str = "", token_endpoint: bool = False
) -> WeChatAPIError:
    """The exception for a non-zero ``errcode`` returned by ``path``.

    ``token_endpoint`` marks calls that *fetch* a token: there 40001 means a wrong
    AppSecret, not a stale token, and refreshing would loop.
    """
    cls: type[WeChatAPIError]
    if token_endpoint and errcode in CREDENTIAL_ERRCODES:
        cls = InvalidCredentials
    elif errcode in ACCESS_TOKEN_ERRCODES:
        cls = AccessTokenInvalid
    elif errcode in TRANSIENT_ERRCODES:
        cls = TransientError
    else:
        cls = _PERMANENT_BY_ERRCODE.get(errcode, PermanentError)
    return cls(errcode, errmsg, path=path)
