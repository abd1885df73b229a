"""The platform's input rules that the fake enforces, so our code is tested against them.

Each check returns ``None`` when the input passes, else ``(errcode, errmsg)`` as the
platform would answer. Sources (WeChat docs, as of 2024–2025):

* template and subscribe message keyword values, by keyword type (the key without its
  trailing digits, ``thing3`` → ``thing``): ``thing`` ≤ 20 characters,
  ``character_string``/``number``/``letter`` ≤ 32 ASCII characters, ``phrase`` ≤ 5,
  ``name`` ≤ 10, ``phone_number`` ≤ 17, ``car_number`` ≤ 8, ``symbol`` ≤ 5. Since
  the 2023 template-message revision values may not contain line breaks. Keys of any
  other type (``time``, ``date``, ``amount``, ``const``, legacy ``keyword1``, ...)
  get the contract's general rule: at most 20 characters, one line. Violations
  answer 47003 ``argument invalid! data.<key>.value invalid``; empty values too
  (the fake is stricter there than documented: an empty field is always our bug).
* customer-service messages: text ≤ 2048 bytes (the fake's conservative choice:
  the passive-reply limit), news with exactly one article (45008 otherwise).
* user tags: names of 1–30 bytes (45158; the documentation says both "30 characters"
  and "30 bytes", so the fake holds to the stricter), unique (45157); tagging takes
  1–50 openids a call (40032).
* mass sends (``message/mass/sendall``): a ``filter`` with ``is_to_all`` or a
  ``tag_id``, and a text as a customer-service text is checked.
* menus: 1–3 buttons, ≤ 5 sub-buttons each, names ≤ 16 bytes (≤ 60 for
  sub-buttons), click keys ≤ 128 bytes, view URLs ≤ 1024 bytes.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "TAG_BATCH",
    "check_custom_message",
    "check_menu",
    "check_openid",
    "check_openid_list",
    "check_tag_name",
    "check_template_data",
]

TAG_NAME_MAX_BYTES = 30
TAG_BATCH = 50

Problem = tuple[int, str] | None

_OPENID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ASCII_PRINTABLE = re.compile(r"[\x21-\x7e]+")
_DIGITS = re.compile(r"[0-9]+(\.[0-9]+)?")
_LETTERS = re.compile(r"[A-Za-z]+")
_PHONE = re.compile(r"[0-9+\- ]+")
_KEY = re.compile(r"([a-z_]+?)\d*")

# keyword type -> (max length, pattern the whole value must match or None)
_KEYWORD_RULES: dict[str, tuple[int, re.Pattern[str] | None]] = {
    "thing": (20, None),
    "character_string": (32, _ASCII_PRINTABLE),
    "number": (32, _DIGITS),
    "letter": (32, _LETTERS),
    "symbol": (5, None),
    "phrase": (5, None),
    "name": (10, None),
    "phone_number": (17, _PHONE),
    "car_number": (8, None),
}
_GENERAL_RULE: tuple[int, re.Pattern[str] | None] = (20, None)

TEXT_MAX_BYTES = 2048
CUSTOM_MSGTYPES = frozenset(
    {
        "text",
        "image",
        "voice",
        "video",
        "music",
        "news",
        "mpnews",
        "mpnewsarticle",
        "msgmenu",
        "wxcard",
        "miniprogrampage",
    }
)
_LEAF_BUTTON_TYPES = frozenset(
    {
        "click",
        "view",
        "miniprogram",
        "scancode_push",
        "scancode_waitmsg",
        "pic_sysphoto",
        "pic_photo_or_album",
        "pic_weixin",
        "location_select",
        "media_id",
        "view_limited",
        "article_id",
        "article_view_limited",
    }
)
_KEYED_BUTTON_TYPES = frozenset(
    {
        "click",
        "scancode_push",
        "scancode_waitmsg",
        "pic_sysphoto",
        "pic_photo_or_album",
        "pic_weixin",
        "location_select",
    }
)


def _problem(errcode: int, errmsg: str) -> Problem:
    return errcode, errmsg


def check_openid(openid: object) -> Problem:
    if isinstance(openid, str) and _OPENID.fullmatch(openid):
        return None
    return _problem(40003, "invalid openid")


def check_tag_name(name: object) -> Problem:
    if not isinstance(name, str) or not name.strip():
        return _problem(45157, "invalid tag name")
    if len(name.encode()) > TAG_NAME_MAX_BYTES:
        return _problem(45158, "tag name too long")
    return None


def check_openid_list(openids: object) -> Problem:
    """The ``openid_list`` of a tagging call: 1–50 valid openids."""
    if not isinstance(openids, list) or not 1 <= len(openids) <= TAG_BATCH:
        return _problem(40032, "invalid openid list size")
    return next((problem for problem in map(check_openid, openids) if problem), None)


def check_template_data(data: object) -> Problem:
    """Template/subscribe ``data``: ``{key: {"value": str}}`` obeying the keyword rules."""
    if not isinstance(data, dict) or not data:
        return _problem(47001, "data format error")
    for key, item in data.items():
        if not isinstance(item, dict) or "value" not in item:
            return _problem(47001, "data format error")
        value = item["value"]
        match = _KEY.fullmatch(key)
        kind = match.group(1) if match else ""
        limit, pattern = _KEYWORD_RULES.get(kind, _GENERAL_RULE)
        if (
            not isinstance(value, str)
            or not value
            or len(value) > limit
            or "\n" in value
            or "\r" in value
            or (pattern is not None and not pattern.fullmatch(value))
        ):
            return _problem(47003, f"argument invalid! data.{key}.value invalid")
    return None


def check_custom_message(body: dict[str, Any]) -> Problem:
    """The message part of a ``custom/send`` body (``touser`` is checked separately)."""
    msgtype = body.get("msgtype")
    if msgtype not in CUSTOM_MSGTYPES:
        return _problem(40008, "invalid message type")
    payload = body.get(msgtype)
    if not isinstance(payload, dict):
        return _problem(44002, "empty post data")
    if msgtype == "text":
        content = payload.get("content")
        if not isinstance(content, str) or not content:
            return _problem(44002, "empty post data")
        if len(content.encode()) > TEXT_MAX_BYTES:
            return _problem(45002, "content size out of limit")
    if msgtype == "news":
        articles = payload.get("articles")
        if not isinstance(articles, list) or len(articles) != 1:
            return _problem(45008, "article size out of limit")
        article = articles[0]
        if not isinstance(article, dict) or not isinstance(article.get("title"), str):
            return _problem(47001, "data format error")
    return None


def check_menu(body: object) -> Problem:
    """A ``menu/create`` body: ``{"button": [...]}``."""
    buttons = body.get("button") if isinstance(body, dict) else None
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        return _problem(40016, "invalid button size")
    for button in buttons:
        if not isinstance(button, dict):
            return _problem(47001, "data format error")
        sub = button.get("sub_button")
        if sub:
            if not isinstance(sub, list) or len(sub) > 5:
                return _problem(40023, "invalid sub button size")
            problem = _check_name(button, 16) or next(
                (p for p in (_check_leaf(s, 60) for s in sub) if p), None
            )
        else:
            problem = _check_leaf(button, 16)
        if problem:
            return problem
    return None


def _check_name(button: dict[str, Any], max_bytes: int) -> Problem:
    name = button.get("name")
    if not isinstance(name, str) or not name or len(name.encode()) > max_bytes:
        return _problem(40018, "invalid button name size")
    return None


def _check_leaf(button: object, name_bytes: int) -> Problem:
    if not isinstance(button, dict):
        return _problem(47001, "data format error")
    kind = button.get("type")
    if kind not in _LEAF_BUTTON_TYPES:
        return _problem(40017, "invalid button type")
    if problem := _check_name(button, name_bytes):
        return problem
    key = button.get("key")
    if kind in _KEYED_BUTTON_TYPES and (
        not isinstance(key, str) or not key or len(key.encode()) > 128
    ):
        return _problem(40019, "invalid button key size")
    url = button.get("url")
    if kind in {"view", "miniprogram"} and (
        not isinstance(url, str) or not url or len(url.encode()) > 1024
    ):
        return _problem(40020, "invalid button url size")
    return None
