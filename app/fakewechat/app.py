"""The fake platform as an ASGI app: WeChat's real paths plus a ``/_fake`` control API.

Platform endpoints (same paths, query parameters and JSON as ``api.weixin.qq.com``;
failures are HTTP 200 with ``{"errcode", "errmsg"}``):

===========================================  =====================================
``GET  /cgi-bin/token``                      ``grant_type, appid, secret``
``POST /cgi-bin/stable_token``               ``{grant_type, appid, secret, force_refresh}``
``POST /cgi-bin/message/custom/send``        text / news / ... to one openid
``POST /cgi-bin/message/template/send``      → ``msgid``; keyword rules enforced
``POST /cgi-bin/message/subscribe/send``     mini-program subscribe message
``POST /cgi-bin/menu/create``, ``GET /cgi-bin/menu/get``
``POST /cgi-bin/qrcode/create``              → ``ticket, expire_seconds, url``
``GET  /cgi-bin/showqrcode?ticket=``         a 1×1 PNG, 404 for unknown tickets
``GET  /sns/jscode2session``                 → ``openid`` = :func:`fake_openid` (code),
                                             ``unionid``
``GET  /cgi-bin/user/info?openid=``          → ``subscribe``, ``openid``, ``unionid``
``POST /cgi-bin/user/info/batchget``         ``{user_list: [{openid}]}`` (at most 100)
``POST /cgi-bin/tags/create``                ``{tag: {name}}`` → ``{tag: {id, name}}``
``GET  /cgi-bin/tags/get``                   → ``{tags: [{id, name, count}]}``
``POST /cgi-bin/tags/delete``                ``{tag: {id}}``: its followers lose it
``POST /cgi-bin/tags/members/batchtagging``  ``{openid_list (1–50), tagid}``; also
                                             ``batchuntagging``
``POST /cgi-bin/message/mass/sendall``       ``{filter: {is_to_all, tag_id}, msgtype:
                                             text, text, clientmsgid}`` → ``msg_id``
===========================================  =====================================

Every call except the token endpoints, showqrcode and jscode2session needs
``?access_token=``: missing → 41001, unknown or revoked → 40001, expired → 42001.

Each call is recorded (tokens and secrets masked) and logged as one line on the
``hongxin.fakewechat`` logger. Control API (JSON):

* ``GET /_fake/calls?path=&openid=`` – recorded calls, oldest first;
  ``DELETE /_fake/calls`` forgets them.
* ``POST /_fake/faults`` ``{path, times=1, errcode?, errmsg?, status?, delay?, openid?}``
  – the next ``times`` calls to ``path`` (for that ``touser`` if ``openid``) wait
  ``delay`` s, then answer HTTP ``status`` or ``errcode``. 40001/40014/42001 faults also
  revoke the token used. ``GET`` lists pending faults, ``DELETE`` drops them.
* ``POST /_fake/expire-tokens`` ``{errcode=42001}`` – every issued token now gets ``errcode``.
* ``POST /_fake/members`` ``{openid, subscribed?, window_open?, custom_quota?,
  subscribe_quota?}`` – per-member behaviour (43004 / 45015 / 45047 / 43101);
  ``GET /_fake/members`` lists them.
* ``POST /_fake/people`` ``{unionid, openids=[], js_codes=[], mp_openid?}`` – these
  official-account openids (``user/info``) and login codes (``jscode2session``)
  are one person: they answer ``unionid`` (and the codes ``mp_openid``, when given,
  rather than :func:`fake_openid` of each). Unlinked ones get a unionid of their own.
* ``GET /_fake/tags`` – every tag with its followers; ``GET /_fake/mass`` – every
  mass send with the openids it reached and those it dropped (past their 4 mass
  messages this month); ``POST /_fake/mass-quota`` ``{left}`` – mass sends the
  account has left (45028 after; ``null``: no limit).
* ``POST /_fake/reset`` – forget calls, faults, tokens, members, links, menu and QR codes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import struct
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field, model_validator
from starlette.requests import ClientDisconnect

from app.fakewechat import rules
from app.fakewechat.state import (
    ERRMSG,
    MAX_FOLLOWERS_TO_DELETE_TAG,
    MAX_TAGS,
    MAX_TAGS_PER_FOLLOWER,
    SYSTEM_TAG_IDS,
    TOKEN_ERRCODES,
    CallRecord,
    FakeWeChatState,
    Member,
    fake_unionid,
)

__all__ = ["create_fake_app"]

logger = logging.getLogger("hongxin.fakewechat")

MAX_QR_EXPIRE_SECONDS = 2_592_000
_MASKED_KEYS = frozenset({"secret"})
# Template client_msg_id dedupe window, as documented by the platform.
CLIENT_MSG_ID_SECONDS = 600


@dataclass(slots=True)
class Call:
    """One platform call as a handler sees it."""

    query: dict[str, str]
    body: Any  # parsed JSON of any shape; handlers check it the way the platform does
    record: CallRecord
    access_token: str | None = None
    parse_error: bool = False


Answer = dict[str, Any] | Response
Handler = Callable[[FakeWeChatState, Call], Answer]


def _error(errcode: int, errmsg: str | None = None) -> dict[str, Any]:
    return {"errcode": errcode, "errmsg": errmsg or ERRMSG.get(errcode, "fake error")}


def _ok(**extra: Any) -> dict[str, Any]:
    return {"errcode": 0, "errmsg": "ok", **extra}


def _masked(mapping: dict[str, Any]) -> dict[str, Any]:
    return {key: "***" if key in _MASKED_KEYS else value for key, value in mapping.items()}


# --------------------------------------------------------------------------- handlers


def token(state: FakeWeChatState, call: Call) -> Answer:
    """https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html"""
    query = call.query
    if query.get("grant_type") != "client_credential":
        return _error(40002)
    appid = query.get("appid", "")
    if appid not in state.apps:
        return _error(40013)
    if query.get("secret") != state.apps[appid]:
        # The platform answers a wrong AppSecret here with 40001.
        return _error(40001, "invalid credential, access_token is invalid or not latest")
    access_token, expires_in = state.issue_token(appid)
    return {"access_token": access_token, "expires_in": expires_in}


def stable_token(state: FakeWeChatState, call: Call) -> Answer:
    """https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html"""
    body = call.body if isinstance(call.body, dict) else {}
    if body.get("grant_type") != "client_credential":
        return _error(40002)
    appid = body.get("appid")
    if not isinstance(appid, str) or appid not in state.apps:
        return _error(40013)
    if body.get("secret") != state.apps[appid]:
        return _error(40125)
    force = body.get("force_refresh") is True
    access_token, expires_in = state.issue_stable_token(appid, force_refresh=force)
    return {"access_token": access_token, "expires_in": expires_in}


def custom_send(state: FakeWeChatState, call: Call) -> Answer:
    """https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html"""
    body = call.body if isinstance(call.body, dict) else {}
    openid = body.get("touser")
    if problem := rules.check_openid(openid):
        return _error(*problem)
    member = state.member(str(openid))
    if not member.subscribed:
        return _error(43004)
    if not member.window_open:
        return _error(45015)
    if member.custom_quota is not None and member.custom_quota <= 0:
        return _error(45047)
    if problem := rules.check_custom_message(body):
        return _error(*problem)
    if member.custom_quota is not None:
        member.custom_quota -= 1
        state.set_member(member)
    return _ok()


def _template_request_problem(body: dict[str, Any]) -> Answer | None:
    """What template and subscribe messages share: a recipient, a template and valid data."""
    if problem := rules.check_openid(body.get("touser")):
        return _error(*problem)
    template_id = body.get("template_id")
    if not isinstance(template_id, str) or not template_id:
        return _error(40037)
    if problem := rules.check_template_data(body.get("data")):
        return _error(*problem)
    return None


def template_send(state: FakeWeChatState, call: Call) -> Answer:
    """https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html"""
    body = call.body if isinstance(call.body, dict) else {}
    if refused := _template_request_problem(body):
        return refused
    openid = body["touser"]
    if not state.member(str(openid)).subscribed:
        return _error(43004)
    client_msg_id = body.get("client_msg_id")
    now = state.clock()
    if isinstance(client_msg_id, str) and client_msg_id:
        seen = state.sent_templates.get((str(openid), client_msg_id))
        if seen is not None and now - seen[1] < CLIENT_MSG_ID_SECONDS:
            return _ok(msgid=seen[0])
    msgid = 1_000_000 + state.next_id()
    if isinstance(client_msg_id, str) and client_msg_id:
        state.sent_templates[(str(openid), client_msg_id)] = (msgid, now)
    return _ok(msgid=msgid)


def subscribe_send(state: FakeWeChatState, call: Call) -> Answer:
    """https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html"""
    body = call.body if isinstance(call.body, dict) else {}
    if refused := _template_request_problem(body):
        return refused
    openid = body["touser"]
    member = state.member(str(openid))
    if member.subscribe_quota is not None:
        if member.subscribe_quota <= 0:
            return _error(43101)
        member.subscribe_quota -= 1
        state.set_member(member)
    return _ok()


def menu_create(state: FakeWeChatState, call: Call) -> Answer:
    """https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Creating_Custom-Defined_Menu.html"""
    if problem := rules.check_menu(call.body):
        return _error(*problem)
    state.menu = list(call.body["button"])
    return _ok()


def menu_get(state: FakeWeChatState, call: Call) -> Answer:
    """https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Querying_Custom_Menus.html"""
    if state.menu is None:
        return _error(46003)
    return {"menu": {"button": state.menu}}


def qrcode_create(state: FakeWeChatState, call: Call) -> Answer:
    """https://developers.weixin.qq.com/doc/offiaccount/Account_Management/Generating_a_Parametric_QR_Code.html"""
    body = call.body if isinstance(call.body, dict) else {}
    action = body.get("action_name")
    info = body.get("action_info")
    scene = info.get("scene") if isinstance(info, dict) else None
    if action not in {"QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE"}:
        return _error(40097)
    if not isinstance(scene, dict):
        return _error(40097)
    if action.endswith("STR_SCENE"):
        value = scene.get("scene_str")
        if not isinstance(value, str) or not 1 <= len(value) <= 64:
            return _error(40097)
    else:
        value = scene.get("scene_id")
        limit = 100_000 if action == "QR_LIMIT_SCENE" else 2**32 - 1
        if not isinstance(value, int) or not 1 <= value <= limit:
            return _error(40097)
    ticket = f"gQFake{state.next_id():06d}"
    answer: dict[str, Any] = {"ticket": ticket, "url": f"http://weixin.qq.com/q/fake-{ticket}"}
    if not action.startswith("QR_LIMIT"):
        expire = body.get("expire_seconds", 60)
        if not isinstance(expire, int) or expire <= 0:
            return _error(40097)
        answer["expire_seconds"] = min(expire, MAX_QR_EXPIRE_SECONDS)
    state.qrcodes[ticket] = {"action_name": action, "scene": value, **answer}
    return answer


def showqrcode(state: FakeWeChatState, call: Call) -> Answer:
    """https://developers.weixin.qq.com/doc/offiaccount/Account_Management/Generating_a_Parametric_QR_Code.html"""
    if call.query.get("ticket") not in state.qrcodes:
        return PlainTextResponse("no such ticket", status_code=404)
    return Response(_TINY_PNG, media_type="image/png")


def jscode2session(state: FakeWeChatState, call: Call) -> Answer:
    """https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html"""
    query = call.query
    appid = query.get("appid", "")
    if appid not in state.apps:
        return _error(40013)
    if query.get("secret") != state.apps[appid]:
        return _error(40125)
    if query.get("grant_type") != "authorization_code":
        return _error(40002)
    code = query.get("js_code", "")
    if not code:
        return _error(41008)
    if code in state.used_codes:
        return _error(40163)
    state.used_codes.add(code)
    return {
        "openid": state.code_openid(code),
        "session_key": f"fake-session-key-{fake_unionid(code)[1:17]}",
        "unionid": state.code_unionid(code),
    }


# The platform's bound for one user/info/batchget call.
USER_INFO_BATCH = 100


def _follower(state: FakeWeChatState, openid: str) -> dict[str, Any]:
    if not state.member(openid).subscribed:
        # The platform says no more than this of someone who unfollowed.
        return {"subscribe": 0, "openid": openid}
    return {"subscribe": 1, "openid": openid, "unionid": state.account_unionid(openid),
            "language": "zh_CN"}


def user_info(state: FakeWeChatState, call: Call) -> Answer:
    """https://developers.weixin.qq.com/doc/offiaccount/User_Management/Get_users_basic_information_UnionID.html"""
    openid = call.query.get("openid")
    if problem := rules.check_openid(openid):
        return _error(*problem)
    return _follower(state, str(openid))


def user_info_batch(state: FakeWeChatState, call: Call) -> Answer:
    """https://developers.weixin.qq.com/doc/offiaccount/User_Management/Get_users_basic_information_UnionID.html"""
    body = call.body if isinstance(call.body, dict) else {}
    wanted = body.get("user_list")
    if not isinstance(wanted, list) or not 1 <= len(wanted) <= USER_INFO_BATCH:
        return _error(47001)
    openids = [item.get("openid") if isinstance(item, dict) else None for item in wanted]
    for openid in openids:
        if problem := rules.check_openid(openid):
            return _error(*problem)
    return {"user_info_list": [_follower(state, str(openid)) for openid in openids]}


def tags_create(state: FakeWeChatState, call: Call) -> Answer:
    """https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html"""
    body = call.body if isinstance(call.body, dict) else {}
    tag = body.get("tag")
    name = tag.get("name") if isinstance(tag, dict) else None
    if problem := rules.check_tag_name(name):
        return _error(*problem)
    if name in state.tags.values():
        return _error(45157)
    if len(state.tags) >= MAX_TAGS:
        return _error(45056)
    state.last_tag_id += 1
    tag_id = state.last_tag_id
    state.tags[tag_id] = str(name)
    return {"tag": {"id": tag_id, "name": name}}


def tags_delete(state: FakeWeChatState, call: Call) -> Answer:
    """https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html"""
    body = call.body if isinstance(call.body, dict) else {}
    tag = body.get("tag")
    tag_id = tag.get("id") if isinstance(tag, dict) else None
    if not isinstance(tag_id, int):
        return _error(47001)
    if tag_id in SYSTEM_TAG_IDS:
        return _error(45058)
    if tag_id not in state.tags:
        return _error(45159)
    if len(state.tag_members.get(tag_id, set())) > MAX_FOLLOWERS_TO_DELETE_TAG:
        return _error(45057)
    del state.tags[tag_id]
    state.tag_members.pop(tag_id, None)
    return _ok()


def tags_get(state: FakeWeChatState, call: Call) -> Answer:
    """https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html"""
    return {"tags": [{"id": tag_id, "name": name,
                      "count": len(state.tag_members.get(tag_id, set()))}
                     for tag_id, name in sorted(state.tags.items())]}


def _tagging_request(state: FakeWeChatState, call: Call) -> tuple[int, list[str]] | Answer:
    body = call.body if isinstance(call.body, dict) else {}
    openids = body.get("openid_list")
    if problem := rules.check_openid_list(openids):
        return _error(*problem)
    tag_id = body.get("tagid")
    if not isinstance(tag_id, int) or tag_id not in state.tags:
        return _error(45159)
    return tag_id, [str(openid) for openid in openids or []]


def tags_batchtagging(state: FakeWeChatState, call: Call) -> Answer:
    """https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html"""
    request = _tagging_request(state, call)
    if not isinstance(request, tuple):
        return request
    tag_id, openids = request
    members = state.tag_members.setdefault(tag_id, set())
    if any(openid not in members and state.tags_of(openid) >= MAX_TAGS_PER_FOLLOWER
           for openid in openids):
        return _error(45059)
    members.update(openids)
    return _ok()


def tags_batchuntagging(state: FakeWeChatState, call: Call) -> Answer:
    """https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html"""
    request = _tagging_request(state, call)
    if not isinstance(request, tuple):
        return request
    tag_id, openids = request
    state.tag_members.get(tag_id, set()).difference_update(openids)
    return _ok()


def mass_sendall(state: FakeWeChatState, call: Call) -> Answer:
    """https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Batch_Sends_and_Originality_Checks.html"""
    body = call.body if isinstance(call.body, dict) else {}
    chosen = body.get("filter")
    if not isinstance(chosen, dict):
        return _error(47001)
    # The fake knows followers only through their tags: it sends to one tag, never to all.
    tag_id = chosen.get("tag_id")
    if chosen.get("is_to_all") is not False or not isinstance(tag_id, int):
        return _error(40097)
    if tag_id not in state.tags:
        return _error(45159)
    if body.get("msgtype") != "text":
        # The fake sends texts only: other kinds need uploaded media it does not keep.
        return _error(40008)
    if problem := rules.check_custom_message({"msgtype": "text", "text": body.get("text")}):
        return _error(*problem)
    clientmsgid = body.get("clientmsgid")
    if isinstance(clientmsgid, str) and clientmsgid:
        if state.mass_send_by_clientmsgid(clientmsgid) is not None:
            return _error(45065)
    else:
        clientmsgid = None
    if state.mass_quota is not None and state.mass_quota <= 0:
        return _error(45028)
    content = str(body["text"]["content"])
    sent = state.mass_deliver(tag_id, content, clientmsgid)
    return {"errcode": 0, "errmsg": "send job submission success", "msg_id": sent["msg_id"],
            "msg_data_id": sent["msg_id"] + 1}


# (method, path, needs access token, handler)
PLATFORM_ROUTES: list[tuple[str, str, bool, Handler]] = [
    ("GET", "/cgi-bin/token", False, token),
    ("POST", "/cgi-bin/stable_token", False, stable_token),
    ("POST", "/cgi-bin/message/custom/send", True, custom_send),
    ("POST", "/cgi-bin/message/template/send", True, template_send),
    ("POST", "/cgi-bin/message/subscribe/send", True, subscribe_send),
    ("POST", "/cgi-bin/menu/create", True, menu_create),
    ("GET", "/cgi-bin/menu/get", True, menu_get),
    ("POST", "/cgi-bin/qrcode/create", True, qrcode_create),
    ("GET", "/cgi-bin/showqrcode", False, showqrcode),
    ("GET", "/sns/jscode2session", False, jscode2session),
    ("GET", "/cgi-bin/user/info", True, user_info),
    ("POST", "/cgi-bin/user/info/batchget", True, user_info_batch),
    ("POST", "/cgi-bin/tags/create", True, tags_create),
    ("GET", "/cgi-bin/tags/get", True, tags_get),
    ("POST", "/cgi-bin/tags/delete", True, tags_delete),
    ("POST", "/cgi-bin/tags/members/batchtagging", True, tags_batchtagging),
    ("POST", "/cgi-bin/tags/members/batchuntagging", True, tags_batchuntagging),
    ("POST", "/cgi-bin/message/mass/sendall", True, mass_sendall),
]


def _tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        payload = kind + data
        return struct.pack(">I", len(data)) + payload + struct.pack(">I", zlib.crc32(payload))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1×1, 8-bit greyscale
    pixels = zlib.compress(b"\x00\x00")  # filter byte + one black pixel
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


_TINY_PNG = _tiny_png()


# --------------------------------------------------------------------------- dispatch


def _platform_endpoint(
    state: FakeWeChatState, path: str, needs_token: bool, handler: Handler
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        query = dict(request.query_params)
        access_token = query.pop("access_token", None)
        try:
            raw = await request.body()
        except ClientDisconnect:
            # The caller went away mid-request (say a dispatcher was killed): the call
            # never reached the platform. Nobody reads this answer.
            return Response(status_code=400)
        body: Any = None
        parse_error = False
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body, parse_error = raw.decode(errors="replace"), True
        openid = body.get("touser") if isinstance(body, dict) else None
        record = CallRecord(
            id=state.next_id(),
            at=state.clock(),
            method=request.method,
            path=path,
            query=_masked(query),
            body=_masked(body) if isinstance(body, dict) else body,
            openid=openid if isinstance(openid, str) else None,
        )
        state.calls.append(record)
        call = Call(query, body, record, access_token, parse_error)
        response = await _answer(state, handler, needs_token, call)
        record.status = response.status_code
        _log(record)
        return response

    endpoint.__name__ = "fake_" + path.strip("/").replace("/", "_")
    return endpoint


async def _answer(
    state: FakeWeChatState, handler: Handler, needs_token: bool, call: Call
) -> Response:
    record, access_token = call.record, call.access_token
    fault = state.take_fault(record.path, record.openid)
    if fault is not None:
        record.fault = fault.id
        if fault.delay > 0:
            await asyncio.sleep(fault.delay)
        if fault.status is not None:
            return PlainTextResponse(f"fake fault: HTTP {fault.status}", fault.status)
        if fault.errcode is not None:
            if fault.errcode in TOKEN_ERRCODES:
                state.revoke_token(access_token, fault.errcode)
            record.errcode = fault.errcode
            return JSONResponse(_error(fault.errcode, fault.errmsg))
    if needs_token and (errcode := state.check_token(access_token)):
        record.errcode = errcode
        return JSONResponse(_error(errcode))
    if call.parse_error:
        record.errcode = 47001
        return JSONResponse(_error(47001))
    answer = handler(state, call)
    if isinstance(answer, Response):
        return answer
    record.errcode = answer.get("errcode", 0)
    return JSONResponse(answer)


def _log(record: CallRecord) -> None:
    detail = f" touser={record.openid}" if record.openid else ""
    if isinstance(record.body, dict) and "msgtype" in record.body:
        detail += f" msgtype={record.body['msgtype']}"
    fault = f" (fault #{record.fault})" if record.fault else ""
    logger.info(
        "%s %s%s -> HTTP %s errcode %s%s",
        record.method,
        record.path,
        detail,
        record.status,
        record.errcode,
        fault,
    )


# --------------------------------------------------------------------------- control API


class FaultIn(BaseModel):
    """A fault for the next ``times`` calls to ``path``."""

    path: str = Field(pattern=r"^/")
    times: int = Field(default=1, ge=1)
    errcode: int | None = None
    errmsg: str | None = None
    status: int | None = Field(default=None, ge=400, le=599)
    delay: float = Field(default=0.0, ge=0, le=60)
    openid: str | None = None

    @model_validator(mode="after")
    def _has_effect(self) -> FaultIn:
        if self.errcode is None and self.status is None and self.delay == 0:
            raise ValueError("give errcode, status or delay")
        return self


class ExpireIn(BaseModel):
    errcode: int = Field(default=42001)


class MemberIn(BaseModel):
    openid: str = Field(min_length=1)
    subscribed: bool = True
    window_open: bool = True
    custom_quota: int | None = Field(default=None, ge=0)
    subscribe_quota: int | None = Field(default=None, ge=0)


class MassQuotaIn(BaseModel):
    left: int | None = Field(default=None, ge=0)


class PersonIn(BaseModel):
    unionid: str = Field(min_length=1, max_length=64)
    openids: list[str] = Field(default_factory=list)
    js_codes: list[str] = Field(default_factory=list)
    mp_openid: str | None = Field(default=None, min_length=1, max_length=64)


def create_fake_app(state: FakeWeChatState | None = None) -> FastAPI:
    """The fake platform over ``state`` (a fresh :class:`FakeWeChatState` by default)."""
    st = state if state is not None else FakeWeChatState()
    fake = FastAPI(
        title="Hongxin fake WeChat API",
        description=__doc__,
        docs_url="/_fake/docs",
        openapi_url="/_fake/openapi.json",
        redoc_url=None,
    )
    fake.state.fake = st
    for method, path, needs_token, handler in PLATFORM_ROUTES:
        fake.add_api_route(
            path,
            _platform_endpoint(st, path, needs_token, handler),
            methods=[method],
            summary=(handler.__doc__ or path).strip(),
            response_class=JSONResponse,
        )

    @fake.get("/_fake/calls")
    def list_calls(path: str | None = None, openid: str | None = None) -> list[dict[str, Any]]:
        """Recorded platform calls, oldest first, optionally only one path or openid."""
        return [
            call.to_json()
            for call in st.calls
            if (path is None or call.path == path) and (openid is None or call.openid == openid)
        ]

    @fake.delete("/_fake/calls")
    def clear_calls() -> dict[str, int]:
        """Forget the recorded calls."""
        count = len(st.calls)
        st.calls.clear()
        return {"deleted": count}

    @fake.post("/_fake/faults", status_code=201)
    def add_fault(fault: FaultIn) -> dict[str, Any]:
        """Make the next ``times`` calls to ``path`` fail (see the module docs)."""
        return st.add_fault(**fault.model_dump()).to_json()

    @fake.get("/_fake/faults")
    def list_faults() -> list[dict[str, Any]]:
        """Faults still waiting for calls."""
        return [fault.to_json() for fault in st.faults]

    @fake.delete("/_fake/faults")
    def clear_faults() -> dict[str, int]:
        """Drop every pending fault."""
        count = len(st.faults)
        st.faults.clear()
        return {"deleted": count}

    @fake.post("/_fake/expire-tokens")
    def expire_tokens(body: ExpireIn | None = None) -> dict[str, int]:
        """Revoke every issued token: calls with them now get ``errcode`` (42001)."""
        return {"expired": st.expire_all_tokens((body or ExpireIn()).errcode)}

    @fake.post("/_fake/members")
    def set_member(member: MemberIn) -> dict[str, Any]:
        """Set how the platform treats one openid (unfollowed, window closed, quotas)."""
        st.set_member(Member(**member.model_dump()))
        return st.member(member.openid).to_json()

    @fake.get("/_fake/members")
    def list_members() -> list[dict[str, Any]]:
        """Members with non-default behaviour."""
        return [member.to_json() for member in st.members.values()]

    @fake.post("/_fake/people")
    def link_person(person: PersonIn) -> dict[str, Any]:
        """Make official-account openids and login codes one person with ``unionid``."""
        st.link_person(person.unionid, person.openids, person.js_codes, person.mp_openid)
        return person.model_dump()

    @fake.get("/_fake/tags")
    def list_tags() -> list[dict[str, Any]]:
        """Every user tag with the openids in it."""
        return [{"id": tag_id, "name": name,
                 "openids": sorted(st.tag_members.get(tag_id, set()))}
                for tag_id, name in sorted(st.tags.items())]

    @fake.get("/_fake/mass")
    def list_mass_sends() -> list[dict[str, Any]]:
        """Every accepted mass send: whom it reached and whom it dropped."""
        return st.mass_sends

    @fake.post("/_fake/mass-quota")
    def set_mass_quota(quota: MassQuotaIn) -> dict[str, int | None]:
        """How many mass sends the account has left (``null``: no limit)."""
        st.mass_quota = quota.left
        return {"left": st.mass_quota}

    @fake.post("/_fake/reset")
    def reset() -> dict[str, str]:
        """Forget calls, faults, tokens, members, menu and QR codes."""
        st.reset()
        return {"status": "reset"}

    return fake
