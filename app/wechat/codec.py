"""WeChat XML in, bots' types out, and back: the only module that parses callback XML.

Parsing is wechatpy's (xmltodict over expat with entities disabled, so entity
expansion and external entities are refused); before it we drop the control
characters members can type, which XML 1.0 forbids and expat rejects.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy import parse_message

from bots import Incoming, Reply, TextReply
from bots.engine import MESSAGE_KINDS

# XML 1.0 allows tab, LF and CR only among the C0 controls; also drop the
# noncharacters U+FFFE/U+FFFF and lone surrogates that some clients emit.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# WeChat shows at most 8 articles in a news reply.
MAX_ARTICLES = 8

# Events after which the platform lets us send customer-service messages for 48 hours.
WINDOW_OPENING_EVENTS = frozenset(
    {"subscribe", "subscribe_scan", "scan", "click", "scancode_push", "scancode_waitmsg"}
)


class MalformedMessage(ValueError):
    """The body is not a callback message we can read."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed callback: the message for the bot and what the edge needs around it."""

    incoming: Incoming
    account: str  # ToUserName: our official account's id, the sender of replies
    dedup_key: str
    opens_window: bool


def strip_illegal_xml(text: str) -> str:
    return _ILLEGAL_XML.sub("", text)


def decode_body(body: bytes) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedMessage("body is not UTF-8") from None
    return strip_illegal_xml(text)


def parse_fields(xml: str) -> dict[str, object]:
    """The top-level elements of a ``<xml>`` document, for reading ``Encrypt``."""
    try:
        document = xmltodict.parse(xml, disable_entities=True)
    except (ExpatError, ValueError) as exc:
        raise MalformedMessage(f"not well-formed XML: {exc}") from None
    root = document.get("xml") if isinstance(document, dict) else None
    if not isinstance(root, dict):
        raise MalformedMessage("no <xml> root element")
    return root


def parse_envelope(xml: str) -> Envelope:
    try:
        message = parse_message(xml)
    except (ExpatError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MalformedMessage(f"unreadable message: {type(exc).__name__}") from None
    if message is None:
        raise MalformedMessage("empty body")
    data = message._data  # the raw fields; wechatpy exposes no public accessor
    try:
        openid = _text(data, "FromUserName")
        account = _text(data, "ToUserName")
        created = int(_text(data, "CreateTime"))
        kind = _text(data, "MsgType").lower()
        sent_at = datetime.fromtimestamp(created, UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise MalformedMessage(str(exc)) from None
    if not openid or not account:
        raise MalformedMessage("FromUserName and ToUserName are required")
    if kind == "event":
        event = (getattr(message, "event", "") or _text(data, "Event")).lower()
        key = _text(data, "EventKey") if event != "subscribe_scan" else str(message.scene_id)
        dedup_key = f"event:{openid}:{created}:{event}"
        incoming = Incoming(
            openid, kind, sent_at,
            event="subscribe" if event == "subscribe_scan" else event,
            event_key=key,
        )
        return Envelope(incoming, account, dedup_key, event in WINDOW_OPENING_EVENTS)
    msg_id = _text(data, "MsgId")
    if kind not in MESSAGE_KINDS:
        # A type we do not know may not carry a MsgId; its retries still share these fields.
        key = f"msg:{msg_id}" if msg_id.isascii() and msg_id.isdigit() else (
            f"other:{openid}:{created}:{kind[:32]}")
        return Envelope(Incoming(openid, kind, sent_at), account, key, True)
    if not (msg_id.isascii() and msg_id.isdigit()):
        raise MalformedMessage("MsgId is missing or not a number")
    text = _text(data, "Content") if kind == "text" else ""
    pic_url = _text(data, "PicUrl") if kind == "image" else ""
    media_id = _text(data, "MediaId") if kind == "image" else ""
    return Envelope(Incoming(openid, kind, sent_at, text=text, pic_url=pic_url,
                             media_id=media_id), account, f"msg:{msg_id}", True)


def _text(data: dict[str, object], name: str) -> str:
    value = data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedMessage(f"{name} must be text")
    return value


def render_reply(reply: Reply, envelope: Envelope, now: float | None = None) -> str:
    """Passive-reply XML for ``reply``; "" when there is nothing to say.

    Rendered from a template rather than wechatpy's reply classes: they build the
    same XML through per-field descriptors at several times the cost, and this
    runs once per callback on the hot path.
    """
    if reply is None:
        return ""
    head = (f"<xml><ToUserName><![CDATA[{_cdata_safe(envelope.incoming.openid)}]]></ToUserName>"
            f"<FromUserName><![CDATA[{_cdata_safe(envelope.account)}]]></FromUserName>"
            f"<CreateTime>{int(now if now is not None else time.time())}</CreateTime>")
    if isinstance(reply, TextReply):
        return (f"{head}<MsgType><![CDATA[text]]></MsgType>"
                f"<Content><![CDATA[{_cdata_safe(reply.text)}]]></Content></xml>")
    articles = reply.articles[:MAX_ARTICLES]
    items = "".join(
        f"<item><Title><![CDATA[{_cdata_safe(a.title)}]]></Title>"
        f"<Description><![CDATA[{_cdata_safe(a.description)}]]></Description>"
        f"<PicUrl><![CDATA[{_cdata_safe(a.image_url)}]]></PicUrl>"
        f"<Url><![CDATA[{_cdata_safe(a.url)}]]></Url></item>"
        for a in articles
    )
    return (f"{head}<MsgType><![CDATA[news]]></MsgType><ArticleCount>{len(articles)}"
            f"</ArticleCount><Articles>{items}</Articles></xml>")


def _cdata_safe(text: str) -> str:
    # Inside CDATA only "]]>" needs care; it is split across two sections.
    return strip_illegal_xml(text).replace("]]>", "]]]]><![CDATA[>")
