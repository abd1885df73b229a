"""What the fake WeChat platform remembers: apps, tokens, members, calls and faults.

Everything lives in memory and is touched only from the server's event loop; tests
read and steer it over the ``/_fake/*`` control API (see :mod:`app.fakewechat.app`).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "DEV_APPS",
    "ERRMSG",
    "CallRecord",
    "FakeWeChatState",
    "Fault",
    "IssuedToken",
    "Member",
    "fake_account_unionid",
    "fake_openid",
    "fake_unionid",
]

# The dev credentials of app/settings.py, so `hongxin serve` and `hongxin fake-wechat`
# work together with no configuration.
DEV_APPS: Mapping[str, str] = {
    "wxdev00000000000000": "hongxin-dev-app-secret",
    "wxdevmp000000000000": "hongxin-dev-mp-secret",
}

# The platform's own wording, so logs read like the real thing.
ERRMSG: Mapping[int, str] = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40008: "invalid message type",
    40013: "invalid appid",
    40014: "invalid access_token",
    40016: "invalid button size",
    40017: "invalid button type",
    40018: "invalid button name size",
    40019: "invalid button key size",
    40020: "invalid button url size",
    40023: "invalid sub button size",
    40029: "invalid code",
    40032: "invalid openid list size",
    40037: "invalid template_id",
    40097: "invalid args",
    40125: "invalid appsecret",
    40163: "code been used",
    41001: "access_token missing",
    41008: "missing code",
    42001: "access_token expired",
    43004: "require subscribe",
    43101: "user refuse to accept the msg",
    44002: "empty post data",
    45002: "content size out of limit",
    45008: "article size out of limit",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit",
    45015: "response out of time limit or subscription is canceled",
    45028: "has no masssend quota",
    45047: "out of response count limit",
    45056: "too many tags now, no need to add new",
    45057: "can not delete the tag which has more than 100000 fans",
    45058: "can not modify the 0/1/2 tag",
    45059: "this user has too many tags",
    45065: "clientmsgid exist",
    45157: "invalid tag name",
    45158: "tag name too long",
    45159: "invalid tag id",
    46003: "menu no exist",
    47001: "data format error",
    47003: "argument invalid!",
    48001: "api unauthorized",
}

TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
# The platform's limits on user tags: tags per account, tags per follower; ids 0–2 are its own.
MAX_TAGS = 100
MAX_TAGS_PER_FOLLOWER = 20
FIRST_TAG_ID = 100
# A tag with more followers than this cannot be deleted (45057): untag them first.
MAX_FOLLOWERS_TO_DELETE_TAG = 100_000
# The platform's own tags (星标组 and the like), which cannot be changed or deleted (45058).
SYSTEM_TAG_IDS = frozenset({0, 1, 2})
# A service account's follower receives at most this many mass messages a calendar month;
# the platform drops the rest for them.
MASS_PER_MONTH = 4
# A mass send's clientmsgid is remembered this long (45065 for a repeat).
CLIENTMSGID_SECONDS = 24 * 3600
# After /cgi-bin/token issues a new token the old one keeps working this long.
PLAIN_TOKEN_GRACE_SECONDS = 300
# stable_token in normal mode renews a token this long before it expires.
STABLE_TOKEN_RENEW_SECONDS = 300


def fake_openid(js_code: str) -> str:
    """The openid the fake's ``jscode2session`` gives ``js_code`` (28 chars, like real ones)."""
    return "o" + hashlib.sha256(f"openid:{js_code}".encode()).hexdigest()[:27]


def fake_unionid(js_code: str) -> str:
    """The unionid the fake's ``jscode2session`` returns for ``js_code`` unless linked."""
    return "u" + hashlib.sha256(f"unionid:{js_code}".encode()).hexdigest()[:27]


def fake_account_unionid(openid: str) -> str:
    """The unionid the fake's ``user/info`` gives an official-account openid unless linked."""
    return "u" + hashlib.sha256(f"account-unionid:{openid}".encode()).hexdigest()[:27]


@dataclass(slots=True)
class IssuedToken:
    appid: str
    kind: str  # "token" or "stable": the platform keeps the two apart
    expires_at: float
    revoked_errcode: int | None = None  # the errcode a revoked token now gets


@dataclass(slots=True)
class Member:
    """A follower as the fake sees them; unknown openids behave as ``Member()`` defaults."""

    openid: str
    subscribed: bool = True  # False: custom/template sends get 43004
    window_open: bool = True  # False: custom sends get 45015 (48-hour window closed)
    custom_quota: int | None = None  # custom sends left before 45047; None: unlimited
    subscribe_quota: int | None = None  # subscribe sends left before 43101; None: unlimited

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Fault:
    """The next ``times`` calls to ``path`` (and to ``openid``, when given) misbehave.

    In order: wait ``delay`` seconds; then answer HTTP ``status`` if given, else
    ``{"errcode": errcode, "errmsg": ...}`` if given, else handle the call normally.
    An errcode of 40001/40014/42001 also revokes the token the call carried.
    """

    id: int
    path: str
    times: int = 1
    errcode: int | None = None
    errmsg: str | None = None
    status: int | None = None
    delay: float = 0.0
    openid: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class CallRecord:
    """One call the fake received; ``query`` and ``body`` have tokens and secrets masked."""

    id: int
    at: float
    method: str
    path: str
    query: dict[str, str]
    body: Any  # the parsed JSON body (any JSON value), raw text if not JSON, or None
    openid: str | None = None
    status: int | None = None
    errcode: int | None = None
    fault: int | None = None  # id of the fault that hit this call

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FakeWeChatState:
    """The whole memory of the fake platform.

    ``apps`` maps AppID to AppSecret (official account and mini-program alike);
    ``token_ttl`` is the ``expires_in`` of every issued token; ``clock`` is wall time.
    """

    apps: Mapping[str, str] = field(default_factory=lambda: dict(DEV_APPS))
    token_ttl: int = 7200
    clock: Callable[[], float] = time.time
    calls: list[CallRecord] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    members: dict[str, Member] = field(default_factory=dict)
    tokens: dict[str, IssuedToken] = field(default_factory=dict)
    stable_tokens: dict[str, str] = field(default_factory=dict)  # appid -> current stable token
    used_codes: set[str] = field(default_factory=set)
    menu: list[Any] | None = None
    qrcodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent_templates: dict[tuple[str, str], tuple[int, float]] = field(default_factory=dict)
    # One person's unionid, as linked by tests: by official-account openid and by js_code.
    account_unionids: dict[str, str] = field(default_factory=dict)
    code_unionids: dict[str, str] = field(default_factory=dict)
    code_openids: dict[str, str] = field(default_factory=dict)  # one mini-program openid
    tags: dict[int, str] = field(default_factory=dict)  # tag id -> name
    tag_members: dict[int, set[str]] = field(default_factory=dict)  # tag id -> openids
    # Every accepted mass send: msg_id, tag_id, content, clientmsgid, delivered, dropped.
    mass_sends: list[dict[str, Any]] = field(default_factory=list)
    mass_received: dict[str, list[float]] = field(default_factory=dict)  # openid -> times
    mass_quota: int | None = None  # mass sends the account has left (45028 at 0); None: any
    last_tag_id: int = FIRST_TAG_ID - 1  # the platform never gives a deleted tag's id again
    _next_id: int = 0

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def reset(self) -> None:
        """Forget everything but the apps and the TTL."""
        self.calls.clear()
        self.faults.clear()
        self.members.clear()
        self.tokens.clear()
        self.stable_tokens.clear()
        self.used_codes.clear()
        self.menu = None
        self.qrcodes.clear()
        self.sent_templates.clear()
        self.account_unionids.clear()
        self.code_unionids.clear()
        self.code_openids.clear()
        self.tags.clear()
        self.tag_members.clear()
        self.last_tag_id = FIRST_TAG_ID - 1
        self.mass_sends.clear()
        self.mass_received.clear()
        self.mass_quota = None

    # ------------------------------------------------------------------ members

    def member(self, openid: str) -> Member:
        return self.members.get(openid) or Member(openid)

    def set_member(self, member: Member) -> None:
        self.members[member.openid] = member

    def link_person(self, unionid: str, openids: list[str], js_codes: list[str],
                    mp_openid: str | None = None) -> None:
        """Make these official-account openids and login codes one person's; with
        ``mp_openid`` every one of the codes logs in as that mini-program openid."""
        for openid in openids:
            self.account_unionids[openid] = unionid
        for code in js_codes:
            self.code_unionids[code] = unionid
            if mp_openid is not None:
                self.code_openids[code] = mp_openid

    def code_openid(self, js_code: str) -> str:
        return self.code_openids.get(js_code) or fake_openid(js_code)

    def account_unionid(self, openid: str) -> str:
        return self.account_unionids.get(openid) or fake_account_unionid(openid)

    def code_unionid(self, js_code: str) -> str:
        return self.code_unionids.get(js_code) or fake_unionid(js_code)

    # ------------------------------------------------------------------ tags, mass send

    def tags_of(self, openid: str) -> int:
        return sum(openid in members for members in self.tag_members.values())

    def mass_deliver(self, tag_id: int, content: str, clientmsgid: str | None) -> dict[str, Any]:
        """Send to the tag's followers; those past their monthly mass messages are dropped."""
        now = self.clock()
        month = time.gmtime(now)[:2]
        delivered, dropped = [], []
        for openid in sorted(self.tag_members.get(tag_id, set())):
            if not self.member(openid).subscribed:
                continue
            received = self.mass_received.setdefault(openid, [])
            if sum(time.gmtime(at)[:2] == month for at in received) >= MASS_PER_MONTH:
                dropped.append(openid)
                continue
            received.append(now)
            delivered.append(openid)
        sent = {"msg_id": 3_000_000 + self.next_id(), "tag_id": tag_id, "content": content,
                "clientmsgid": clientmsgid, "at": now, "delivered": delivered,
                "dropped": dropped}
        self.mass_sends.append(sent)
        if self.mass_quota is not None:
            self.mass_quota -= 1
        return sent

    def mass_send_by_clientmsgid(self, clientmsgid: str) -> dict[str, Any] | None:
        now = self.clock()
        return next((sent for sent in self.mass_sends if sent["clientmsgid"] == clientmsgid
                     and now - sent["at"] < CLIENTMSGID_SECONDS), None)

    # ------------------------------------------------------------------ tokens

    def issue_token(self, appid: str) -> tuple[str, int]:
        """``/cgi-bin/token``: always a new token; older ones live 5 more minutes."""
        now = self.clock()
        for issued in self.tokens.values():
            if issued.appid == appid and issued.kind == "token":
                issued.expires_at = min(issued.expires_at, now + PLAIN_TOKEN_GRACE_SECONDS)
        return self._new_token(appid, "token"), self.token_ttl

    def issue_stable_token(self, appid: str, *, force_refresh: bool) -> tuple[str, int]:
        """``/cgi-bin/stable_token``: the current token unless forced or about to expire."""
        now = self.clock()
        current = self.stable_tokens.get(appid)
        issued = self.tokens.get(current) if current else None
        if current and issued and issued.revoked_errcode is None:
            remaining = issued.expires_at - now
            if force_refresh:
                issued.revoked_errcode = 40001
            elif remaining > min(STABLE_TOKEN_RENEW_SECONDS, self.token_ttl / 2):
                return current, int(remaining)
        token = self._new_token(appid, "stable")
        self.stable_tokens[appid] = token
        return token, self.token_ttl

    def _new_token(self, appid: str, kind: str) -> str:
        # Real tokens are ~150 chars of [A-Za-z0-9_-]; length matters to storage code.
        token = secrets.token_urlsafe(96)
        self.tokens[token] = IssuedToken(appid, kind, self.clock() + self.token_ttl)
        return token

    def check_token(self, token: str | None) -> int:
        """0 when ``token`` may call the API, else the errcode the platform answers."""
        if not token:
            return 41001
        issued = self.tokens.get(token)
        if issued is None:
            return 40001
        if issued.revoked_errcode is not None:
            return issued.revoked_errcode
        if self.clock() >= issued.expires_at:
            return 42001
        return 0

    def revoke_token(self, token: str | None, errcode: int) -> None:
        issued = self.tokens.get(token) if token else None
        if issued is not None and issued.revoked_errcode is None:
            issued.revoked_errcode = errcode

    def expire_all_tokens(self, errcode: int = 42001) -> int:
        """Revoke every token (they now answer ``errcode``); returns how many were live."""
        count = 0
        for issued in self.tokens.values():
            if issued.revoked_errcode is None:
                issued.revoked_errcode = errcode
                count += 1
        return count

    # ------------------------------------------------------------------ faults

    def add_fault(self, **spec: Any) -> Fault:
        fault = Fault(id=self.next_id(), **spec)
        self.faults.append(fault)
        return fault

    def take_fault(self, path: str, openid: str | None) -> Fault | None:
        """The first fault matching this call, with one use consumed."""
        for fault in self.faults:
            if fault.path == path and (fault.openid is None or fault.openid == openid):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None
