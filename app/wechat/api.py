"""The outbound WeChat API client: one small async class, one method per endpoint.

:class:`WeChatAPI` wraps a shared :class:`httpx.AsyncClient` (owned by the lifespan,
passed in) and the credentials of *one* app: build one instance for the official
account and another for the mini-program (``jscode2session`` and subscribe messages
use the mini-program's AppID and token).

Every call goes through the same path:

1. take a valid token from the :class:`TokenStore` (fetching one if there is none);
2. send; a non-zero ``errcode`` becomes a typed error (tree in
   :mod:`app.wechat.api_errors`, re-exported here)::

       WeChatAPIError
       ├── AccessTokenInvalid   40001 / 40014 / 42001
       ├── TransientError       -1 / 45009 / 45011 / HTTP 5xx / timeout / network
       └── PermanentError       InvalidCredentials, StableTokenUnsupported,
                                UserUnsubscribed (43004), ResponseWindowClosed (45015),
                                InvalidOpenID (40003), OutOfResponseQuota (45047),
                                InvalidArgument (47001, 47003, ...), others

3. on :class:`AccessTokenInvalid` the token is refreshed once through
   ``TokenStore.refresh(fetch, stale)`` (so concurrent callers holding the same stale
   token cause a single fetch) and the call is retried once;
4. :class:`TransientError` retries the whole call with exponential backoff
   (:class:`RetryPolicy`, tenacity); permanent errors are raised at once.

Tokens come from ``/cgi-bin/stable_token``; when that endpoint is refused as
unsupported (HTTP 404/405/501 or errcode 48001) the client remembers it and uses
``/cgi-bin/token`` instead.

Secrets: the AppSecret, the access token, ``session_key`` and ``js_code`` never reach
a log line or an exception message. httpx logs request URLs (with the token in the
query) at INFO, so constructing a client installs :func:`install_log_redaction` on
the ``httpx`` logger.
"""

from __future__ import annotations

import json
import logging
import time
from asyncio import Lock
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from app.wechat.api_errors import (
    AccessTokenInvalid,
    InvalidArgument,
    InvalidCredentials,
    InvalidOpenID,
    OutOfResponseQuota,
    PermanentError,
    ResponseWindowClosed,
    StableTokenUnsupported,
    TransientError,
    UserUnsubscribed,
    WeChatAPIError,
    error_for,
    redact,
)

__all__ = [
    "DEFAULT_API_BASE",
    "AccessTokenInvalid",
    "InvalidArgument",
    "InvalidCredentials",
    "InvalidOpenID",
    "JsCodeSession",
    "MemoryTokenStore",
    "MiniProgramLink",
    "NewsArticle",
    "OutOfResponseQuota",
    "PermanentError",
    "QRCode",
    "ResponseWindowClosed",
    "RetryPolicy",
    "StableTokenUnsupported",
    "TokenFetcher",
    "TokenStore",
    "TransientError",
    "UserInfo",
    "UserTag",
    "UserUnsubscribed",
    "WeChatAPI",
    "WeChatAPIError",
    "install_log_redaction",
    "template_value",
]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

DEFAULT_API_BASE = "https://api.weixin.qq.com"
TEMPLATE_VALUE_LIMIT = 20
# The most openids ``user/info/batchget`` takes in one call.
USER_INFO_BATCH = 100
# The most openids ``tags/members/batchtagging`` (and ``batchuntagging``) take in one call.
TAG_BATCH = 50
# Status codes and errcodes with which a stand-in or proxy says "no stable_token here".
_STABLE_UNSUPPORTED_STATUS = frozenset({404, 405, 501})
_STABLE_UNSUPPORTED_ERRCODES = frozenset({48001})

TokenFetcher = Callable[[], Awaitable[tuple[str, int]]]
"""Fetches a brand-new token from the platform: ``(access_token, expires_in_seconds)``."""


# --------------------------------------------------------------------------- tokens


class TokenStore(Protocol):
    """Where the access token lives, shared by every caller that should share it.

    The platform keeps one valid token per app: whoever fetches replaces it for all,
    so the store, not the caller, decides whether a fetch is needed.
    """

    async def get(self) -> str | None:
        """The cached token if it is still valid (with a safety margin), else ``None``."""
        ...

    async def refresh(self, fetch: TokenFetcher, stale: str | None) -> str:
        """A valid token: calls ``fetch`` unless another caller already replaced ``stale``.

        ``stale`` is the token the caller saw refused (or ``None`` when it had none);
        implementations serialise refreshes so a burst of refusals fetches once.
        """
        ...


class MemoryTokenStore:
    """A :class:`TokenStore` for one process: an ``asyncio.Lock`` around a cached token.

    The token is considered valid until ``margin`` seconds before the platform says
    it expires (at most half of its lifetime, so very short test TTLs still work).
    """

    def __init__(
        self, *, margin: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._margin = margin
        self._clock = clock
        self._lock = Lock()
        self._token: str | None = None
        self._valid_until = 0.0

    def _current(self) -> str | None:
        if self._token is not None and self._clock() < self._valid_until:
            return self._token
        return None

    async def get(self) -> str | None:
        return self._current()

    async def refresh(self, fetch: TokenFetcher, stale: str | None) -> str:
        async with self._lock:
            current = self._current()
            if current is not None and current != stale:
                return current
            token, expires_in = await fetch()
            lifetime = max(expires_in - self._margin, expires_in / 2)
            self._token, self._valid_until = token, self._clock() + lifetime
            return token

    def __repr__(self) -> str:
        return f"MemoryTokenStore(cached={self._current() is not None})"


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How transient errors are retried: ``attempts`` in all, exponential waits."""

    attempts: int = 3
    wait_initial: float = 0.5
    wait_max: float = 5.0


@dataclass(frozen=True, slots=True)
class NewsArticle:
    """One article of a customer-service ``news`` message (the platform shows one)."""

    title: str
    description: str
    url: str
    picurl: str = ""


@dataclass(frozen=True, slots=True)
class MiniProgramLink:
    """Where a template message jumps to inside a mini-program."""

    appid: str
    pagepath: str = ""


@dataclass(frozen=True, slots=True)
class QRCode:
    """A parametric QR code; ``expire_seconds`` is ``None`` for a permanent one."""

    ticket: str
    url: str
    expire_seconds: int | None


@dataclass(frozen=True, slots=True)
class JsCodeSession:
    """The answer of ``jscode2session``; ``session_key`` is a secret and stays out of repr."""

    openid: str
    session_key: str = field(repr=False)
    unionid: str | None = None


@dataclass(frozen=True, slots=True)
class UserInfo:
    """What ``user/info`` says of one official-account openid that matters to Hongxin.

    ``unionid`` is given only for followers, and only when the account is bound
    to an open-platform account.
    """

    openid: str
    subscribed: bool
    unionid: str | None


@dataclass(frozen=True, slots=True)
class UserTag:
    """A user tag of the official account (标签), as ``tags/get`` lists it."""

    id: int
    name: str


def _user_info(item: Mapping[str, Any]) -> UserInfo | None:
    openid, unionid = item.get("openid"), item.get("unionid")
    if not isinstance(openid, str):
        return None
    return UserInfo(openid=openid, subscribed=item.get("subscribe") == 1,
                    unionid=unionid if isinstance(unionid, str) and unionid else None)


def template_value(text: str, limit: int = TEMPLATE_VALUE_LIMIT) -> str:
    """``text`` fitted to the platform's template-field rules: one line, ``limit`` chars.

    Since 2023 template keyword values must not contain line breaks and ``thing``
    fields take at most 20 characters; longer text ends in ``…``.
    """
    one_line = " ".join(text.split())
    if len(one_line) <= limit:
        return one_line
    return one_line[: limit - 1] + "…"


# --------------------------------------------------------------------------- logging


class _RedactingFilter(logging.Filter):
    """Masks ``access_token=``/``secret=``/``js_code=`` values in records it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_REDACTING_FILTER = _RedactingFilter()


def install_log_redaction(logger_name: str = "httpx") -> None:
    """Mask tokens and secrets in ``logger_name``'s records (idempotent)."""
    target = logging.getLogger(logger_name)
    if _REDACTING_FILTER not in target.filters:
        target.addFilter(_REDACTING_FILTER)


# --------------------------------------------------------------------------- client


class WeChatAPI:
    """Async client for one WeChat app (official account or mini-program)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        app_id: str,
        app_secret: str,
        base_url: str = DEFAULT_API_BASE,
        token_store: TokenStore | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._http = http
        self.app_id = app_id
        self._secret = app_secret
        self._base = base_url.rstrip("/")
        self._store: TokenStore = token_store if token_store is not None else MemoryTokenStore()
        self._retry = retry if retry is not None else RetryPolicy()
        self._stable_token_supported = True
        install_log_redaction()

    def __repr__(self) -> str:
        return f"WeChatAPI(app_id={self.app_id!r}, base_url={self._base!r})"

    # ---------------------------------------------------------------- tokens

    async def get_access_token(self) -> str:
        """A valid access token from the store, fetching one when there is none."""
        return await self._retrying(self._token)

    async def _token(self) -> str:
        token = await self._store.get()
        if token is not None:
            return token
        return await self._store.refresh(self.fetch_access_token, None)

    async def fetch_access_token(self) -> tuple[str, int]:
        """Fetch a token from the platform (no cache): ``(access_token, expires_in)``.

        Prefers ``stable_token``; after it is refused as unsupported, ``token``.
        This is the ``fetch`` a :class:`TokenStore` is given.
        """
        if self._stable_token_supported:
            try:
                return await self._fetch_stable_token()
            except StableTokenUnsupported as exc:
                logger.warning("stable_token unsupported (%s); using /cgi-bin/token", exc)
                self._stable_token_supported = False
        return await self._fetch_plain_token()

    async def _fetch_stable_token(self) -> tuple[str, int]:
        """https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html"""
        path = "/cgi-bin/stable_token"
        body = {
            "grant_type": "client_credential",
            "appid": self.app_id,
            "secret": self._secret,
            "force_refresh": False,
        }
        try:
            data = await self._request("POST", path, json_body=body, token_endpoint=True)
        except PermanentError as exc:
            if (
                exc.status_code in _STABLE_UNSUPPORTED_STATUS
                or exc.errcode in _STABLE_UNSUPPORTED_ERRCODES
            ):
                raise StableTokenUnsupported(
                    exc.errcode, exc.errmsg, path=path, status_code=exc.status_code
                ) from None
            raise
        return _token_pair(data, path)

    async def _fetch_plain_token(self) -> tuple[str, int]:
        """https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html"""
        path = "/cgi-bin/token"
        params = {"grant_type": "client_credential", "appid": self.app_id, "secret": self._secret}
        data = await self._request("GET", path, params=params, token_endpoint=True)
        return _token_pair(data, path)

    # ---------------------------------------------------------------- messages

    async def send_custom_text(self, openid: str, content: str) -> None:
        """Customer-service text message (only within 48 h of the member's last message).

        https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
        """
        body = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        await self._call("POST", "/cgi-bin/message/custom/send", json_body=body)

    async def send_custom_news(self, openid: str, article: NewsArticle) -> None:
        """Customer-service news message: one article card opening ``article.url``.

        https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
        """
        item = {
            "title": article.title,
            "description": article.description,
            "url": article.url,
            "picurl": article.picurl,
        }
        body = {"touser": openid, "msgtype": "news", "news": {"articles": [item]}}
        await self._call("POST", "/cgi-bin/message/custom/send", json_body=body)

    async def send_template(
        self,
        openid: str,
        template_id: str,
        data: Mapping[str, str],
        *,
        url: str | None = None,
        miniprogram: MiniProgramLink | None = None,
        client_msg_id: str | None = None,
    ) -> int:
        """Template message; returns the platform's ``msgid``.

        Values must follow the keyword rules (``thing``: at most 20 characters, no
        line breaks, ...): see :func:`template_value`. ``client_msg_id`` makes a retry
        of the same message a no-op on the platform for 10 minutes.

        https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
        """
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {key: {"value": value} for key, value in data.items()},
        }
        if url is not None:
            body["url"] = url
        if miniprogram is not None:
            body["miniprogram"] = {"appid": miniprogram.appid, "pagepath": miniprogram.pagepath}
        if client_msg_id is not None:
            body["client_msg_id"] = client_msg_id
        answer = await self._call("POST", "/cgi-bin/message/template/send", json_body=body)
        msgid = answer.get("msgid", 0)
        return msgid if isinstance(msgid, int) else 0

    async def send_subscribe(
        self,
        openid: str,
        template_id: str,
        data: Mapping[str, str],
        *,
        page: str | None = None,
        miniprogram_state: str | None = None,
        lang: str | None = None,
    ) -> None:
        """Mini-program subscribe message (needs the mini-program's token).

        https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html
        """
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {key: {"value": value} for key, value in data.items()},
        }
        optional = {"page": page, "miniprogram_state": miniprogram_state, "lang": lang}
        body.update({key: value for key, value in optional.items() if value is not None})
        await self._call("POST", "/cgi-bin/message/subscribe/send", json_body=body)

    # ---------------------------------------------------------------- menu, QR codes

    async def create_menu(self, buttons: Sequence[Mapping[str, Any]]) -> None:
        """Replace the custom menu with ``buttons`` (1–3, each with up to 5 sub_button).

        https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Creating_Custom-Defined_Menu.html
        """
        await self._call("POST", "/cgi-bin/menu/create", json_body={"button": list(buttons)})

    async def get_menu(self) -> dict[str, Any]:
        """The current custom menu as the platform returns it (``{"menu": {"button": …}}``).

        https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Querying_Custom_Menus.html
        """
        return await self._call("GET", "/cgi-bin/menu/get")

    async def create_qrcode(self, scene_str: str, expire_seconds: int | None = 2_592_000) -> QRCode:
        """A QR code carrying ``scene_str`` (1–64 chars); ``expire_seconds=None`` is permanent.

        Temporary codes live at most 30 days (2 592 000 s); permanent ones are limited
        to 100 000 per account.

        https://developers.weixin.qq.com/doc/offiaccount/Account_Management/Generating_a_Parametric_QR_Code.html
        """
        body: dict[str, Any] = {"action_info": {"scene": {"scene_str": scene_str}}}
        if expire_seconds is None:
            body["action_name"] = "QR_LIMIT_STR_SCENE"
        else:
            body["action_name"] = "QR_STR_SCENE"
            body["expire_seconds"] = expire_seconds
        path = "/cgi-bin/qrcode/create"
        answer = await self._call("POST", path, json_body=body)
        ticket, url = answer.get("ticket"), answer.get("url")
        if not isinstance(ticket, str) or not isinstance(url, str):
            raise TransientError(None, "answer without ticket/url", path=path, status_code=200)
        expires = answer.get("expire_seconds")
        return QRCode(
            ticket=ticket, url=url, expire_seconds=expires if isinstance(expires, int) else None
        )

    # ---------------------------------------------------------------- followers

    async def user_info(self, openid: str) -> UserInfo:
        """One follower's subscription state and unionid.

        https://developers.weixin.qq.com/doc/offiaccount/User_Management/Get_users_basic_information_UnionID.html
        """
        path = "/cgi-bin/user/info"
        answer = await self._call("GET", path, params={"openid": openid, "lang": "zh_CN"})
        info = _user_info(answer)
        if info is None:
            raise TransientError(None, "answer without openid", path=path, status_code=200)
        return info

    async def user_info_batch(self, openids: Sequence[str]) -> list[UserInfo]:
        """Up to 100 followers' subscription states and unionids in one call.

        https://developers.weixin.qq.com/doc/offiaccount/User_Management/Get_users_basic_information_UnionID.html
        """
        if not 1 <= len(openids) <= USER_INFO_BATCH:
            raise ValueError(f"user_info_batch takes 1 to {USER_INFO_BATCH} openids")
        body = {"user_list": [{"openid": openid, "lang": "zh_CN"} for openid in openids]}
        answer = await self._call("POST", "/cgi-bin/user/info/batchget", json_body=body)
        items = answer.get("user_info_list")
        if not isinstance(items, list):
            return []
        found = (_user_info(item) for item in items if isinstance(item, dict))
        return [info for info in found if info is not None]

    # ---------------------------------------------------------------- user tags, mass send

    async def create_tag(self, name: str) -> int:
        """Create a user tag (at most 30 bytes, unique in the account: 45157 otherwise); its id.

        https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html
        """
        path = "/cgi-bin/tags/create"
        answer = await self._call("POST", path, json_body={"tag": {"name": name}})
        tag = answer.get("tag")
        tag_id = tag.get("id") if isinstance(tag, dict) else None
        if not isinstance(tag_id, int):
            raise TransientError(None, "answer without tag.id", path=path, status_code=200)
        return tag_id

    async def get_tags(self) -> list[UserTag]:
        """Every user tag of the account.

        https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html
        """
        answer = await self._call("GET", "/cgi-bin/tags/get")
        items = answer.get("tags")
        if not isinstance(items, list):
            return []
        return [UserTag(item["id"], item["name"]) for item in items
                if isinstance(item, dict) and isinstance(item.get("id"), int)
                and isinstance(item.get("name"), str)]

    async def delete_tag(self, tag_id: int) -> None:
        """Delete a user tag; its followers lose it (45159: no such tag; 45057: more than
        100,000 followers, untag them first).

        https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html
        """
        await self._call("POST", "/cgi-bin/tags/delete", json_body={"tag": {"id": tag_id}})

    async def tag_members(self, tag_id: int, openids: Sequence[str]) -> None:
        """Put up to 50 followers in a tag (a follower already in it stays as is).

        https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html
        """
        await self._tagging("/cgi-bin/tags/members/batchtagging", tag_id, openids)

    async def untag_members(self, tag_id: int, openids: Sequence[str]) -> None:
        """Take up to 50 followers out of a tag.

        https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html
        """
        await self._tagging("/cgi-bin/tags/members/batchuntagging", tag_id, openids)

    async def _tagging(self, path: str, tag_id: int, openids: Sequence[str]) -> None:
        if not 1 <= len(openids) <= TAG_BATCH:
            raise ValueError(f"tagging takes 1 to {TAG_BATCH} openids")
        await self._call("POST", path, json_body={"openid_list": list(openids), "tagid": tag_id})

    async def mass_send_text(self, tag_id: int, content: str, *, clientmsgid: str) -> int:
        """A text to every follower in a tag (群发); returns the platform's ``msg_id``.

        A subscription account may mass-send once a day; a service account's followers
        each receive at most 4 mass messages a month (the platform drops the rest for
        them). ``clientmsgid`` makes a repeat within 24 hours a 45065 instead of a second
        message.

        https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Batch_Sends_and_Originality_Checks.html
        """
        body = {"filter": {"is_to_all": False, "tag_id": tag_id},
                "text": {"content": content}, "msgtype": "text", "clientmsgid": clientmsgid}
        path = "/cgi-bin/message/mass/sendall"
        answer = await self._call("POST", path, json_body=body)
        msg_id = answer.get("msg_id")
        if not isinstance(msg_id, int):
            raise TransientError(None, "answer without msg_id", path=path, status_code=200)
        return msg_id

    # ---------------------------------------------------------------- mini-program login

    async def jscode2session(self, js_code: str) -> JsCodeSession:
        """Exchange a mini-program ``wx.login`` code for the member's openid.

        Call it on the mini-program's client (its AppID and AppSecret). A code works once.

        https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html
        """
        path = "/sns/jscode2session"
        params = {
            "appid": self.app_id,
            "secret": self._secret,
            "js_code": js_code,
            "grant_type": "authorization_code",
        }
        answer = await self._retrying(lambda: self._request("GET", path, params=params))
        openid, session_key = answer.get("openid"), answer.get("session_key")
        if not isinstance(openid, str) or not isinstance(session_key, str):
            raise TransientError(
                None, "answer without openid/session_key", path=path, status_code=200
            )
        unionid = answer.get("unionid")
        return JsCodeSession(
            openid=openid,
            session_key=session_key,
            unionid=unionid if isinstance(unionid, str) else None,
        )

    # ---------------------------------------------------------------- plumbing

    async def _call(
        self, method: str, path: str, *, json_body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """A token-bearing call with one refresh on a refused token and transient retries."""

        async def once() -> dict[str, Any]:
            token = await self._token()  # not get_access_token: no nested retries
            try:
                return await self._request(method, path, params=params, json_body=json_body,
                                           token=token)
            except AccessTokenInvalid as exc:
                logger.info("%s refused the access token (%s); refreshing", path, exc.errcode)
                token = await self._store.refresh(self.fetch_access_token, token)
                return await self._request(method, path, params=params, json_body=json_body,
                                           token=token)

        return await self._retrying(once)

    async def _retrying(self, operation: Callable[[], Awaitable[_T]]) -> _T:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retry.attempts),
            wait=wait_exponential(multiplier=self._retry.wait_initial, max=self._retry.wait_max),
            retry=retry_if_exception_type(TransientError),
            before_sleep=_log_retry,
            reraise=True,
        )

        # tenacity awaits only coroutine *functions*; a lambda returning an awaitable
        # would be called once and its awaitable handed back unawaited.
        async def attempt() -> _T:
            return await operation()

        return await retrying(attempt)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        token: str | None = None,
        token_endpoint: bool = False,
    ) -> dict[str, Any]:
        query = dict(params or {})
        if token is not None:
            query["access_token"] = token
        content = None
        headers = {}
        if json_body is not None:
            # The platform reads UTF-8 JSON; \\u escapes would also work but bloat
            # Chinese text past the platform's byte limits.
            content = json.dumps(json_body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json; charset=utf-8"
        try:
            response = await self._http.request(
                method, self._base + path, params=query, content=content, headers=headers
            )
        except httpx.TimeoutException as exc:
            raise TransientError(None, f"timeout ({type(exc).__name__})", path=path) from None
        except httpx.HTTPError as exc:
            # ``from None``: httpx exceptions carry the request URL, token included.
            detail = redact(f"{type(exc).__name__}: {exc}", token, self._secret)
            raise TransientError(None, detail, path=path) from None
        status = response.status_code
        if status >= 500:
            raise TransientError(None, "server error", path=path, status_code=status)
        if status != 200:
            raise PermanentError(None, "unexpected HTTP status", path=path, status_code=status)
        try:
            # jscode2session answers with Content-Type text/plain: parse the bytes.
            data = json.loads(response.content)
        except ValueError:
            raise TransientError(
                None, "answer is not JSON", path=path, status_code=status
            ) from None
        if not isinstance(data, dict):
            raise TransientError(None, "answer is not an object", path=path, status_code=status)
        errcode = data.get("errcode", 0)
        if isinstance(errcode, int) and errcode != 0:
            errmsg = redact(str(data.get("errmsg", "")), token, self._secret)
            raise error_for(errcode, errmsg, path=path, token_endpoint=token_endpoint)
        return data


def _token_pair(data: Mapping[str, Any], path: str) -> tuple[str, int]:
    token, expires_in = data.get("access_token"), data.get("expires_in")
    if not isinstance(token, str) or not token or not isinstance(expires_in, int):
        raise TransientError(None, "answer without access_token/expires_in", path=path)
    return token, expires_in


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    logger.warning("retrying after attempt %d: %s", state.attempt_number, error)
