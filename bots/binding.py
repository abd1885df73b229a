"""Binding a member to the roster (``绑定``), ``我的信息`` and erasing oneself (``注销``)."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

from bots import texts
from bots.engine import Bot, Turn
from bots.messages import Reply, TextReply
from bots.profile import normalize_name, normalize_phone

# Labels people type inside the argument: ``绑定 姓名:张三 电话:138…``.
_LABELS = re.compile(r"(姓名|名字|手机号码|手机号|手机|电话)\s*:?")
_SEPARATORS = " ,;:、/"
_NAME_THEN_PHONE = re.compile(r"(?P<name>[^\d+]+?)[\s,;:、/]*(?P<phone>\+?\d[\d\s\-()]*)")
_PHONE_THEN_NAME = re.compile(r"(?P<phone>\+?\d[\d\s\-()]*?)[\s,;:、/]*(?P<name>[^\d+]+)")
ERASE_FLOW = "erase"
ERASE_CONFIRM = "确认注销"
ERASE_WINDOW = timedelta(minutes=10)


def parse_name_and_phone(raw: str) -> tuple[str, str] | None:
    """``张三 13800000000``, ``张三，138 0000 0000``, ``13800000000 张三`` … or None."""
    text = _LABELS.sub(" ", unicodedata.normalize("NFKC", raw)).strip(_SEPARATORS)
    found = _NAME_THEN_PHONE.fullmatch(text) or _PHONE_THEN_NAME.fullmatch(text)
    if found is None:
        return None
    name = normalize_name(found.group("name").strip(_SEPARATORS))
    phone = normalize_phone(found.group("phone"))
    return (name, phone) if name is not None and phone is not None else None


def bind(turn: Turn) -> Reply:
    parsed = parse_name_and_phone(turn.argument)
    if parsed is None:
        return TextReply(texts.BIND_USAGE)
    name, phone = parsed
    return TextReply(texts.bind_result(turn.services.roster.bind(turn.member.id, name, phone,
                                                           turn.now)))


def bind_usage(_turn: Turn) -> Reply:
    return TextReply(texts.BIND_USAGE)


def my_info(turn: Turn) -> Reply:
    card = turn.services.roster.binding(turn.member.id)
    points = turn.services.points.summary(turn.member.id, turn.now).total
    if card is not None:
        return TextReply(texts.my_info(card.name, card.phone, card.org, card.status, points))
    member = turn.member
    text = texts.my_info(member.name, member.phone, None, None, points)
    return TextReply(f"{text}\n{texts.UNBOUND_INFO_HINT}")


def ask_to_erase(turn: Turn) -> Reply:
    turn.start_flow(ERASE_FLOW, asked_at=turn.now.isoformat())
    return TextReply(texts.ERASE_ASK)


def _asked_recently(turn: Turn) -> bool:
    asked = (turn.conversation or {}).get("asked_at")
    if not isinstance(asked, str):
        return False
    try:
        return turn.now - datetime.fromisoformat(asked) <= ERASE_WINDOW
    except ValueError:
        return False


def confirm_erase(turn: Turn) -> Reply:
    if not _asked_recently(turn):
        turn.end_flow()
        return TextReply(texts.ERASE_NOT_ASKED)
    turn.services.roster.erase(turn.member.id, turn.now)
    turn.end_flow()
    return TextReply(texts.ERASE_DONE)


def cancel_erase(turn: Turn) -> Reply:
    turn.end_flow()
    return TextReply(texts.ERASE_CANCELLED)


def erase_not_asked(_turn: Turn) -> Reply:
    return TextReply(texts.ERASE_NOT_ASKED)


def register(bot: Bot) -> None:
    bot.on_flow(ERASE_FLOW, lambda text: text == ERASE_CONFIRM, confirm_erase)
    bot.on_flow(ERASE_FLOW, lambda text: text != ERASE_CONFIRM, cancel_erase)
    bot.on_command("绑定", bind)
    bot.on_keyword(("绑定",), bind_usage)
    bot.on_keyword(("我的信息", "个人信息"), my_info)
    bot.on_keyword(("注销",), ask_to_erase)
    bot.on_keyword((ERASE_CONFIRM,), erase_not_asked)
