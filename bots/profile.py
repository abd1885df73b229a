"""``姓名``, ``电话``, ``支部``: what organizers see of members not on the roster.

A member bound to the roster takes name, phone and org from it; for the
others, a name and a phone that together match a roster entry bind them, as
``绑定 姓名 手机号`` would.
"""

from __future__ import annotations

import re
import unicodedata

from bots import texts
from bots.engine import Bot, Turn
from bots.messages import Reply, TextReply

# Letters of any script plus the middle dots used in transliterated names (e.g. 阿依·买买提).
_NAME = re.compile(r"[^\W\d_]+(?:[ ·•.][^\W\d_]+)*")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_BRANCH_LENGTH = range(2, 31)
_ROSTER_FIELDS = {"name": "姓名", "phone": "手机号", "branch": "所在组织"}


def normalize_phone(raw: str) -> str | None:
    digits = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", raw))
    digits = digits.removeprefix("+86").removeprefix("0086")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if _MOBILE.fullmatch(digits) else None


def normalize_name(raw: str) -> str | None:
    name = unicodedata.normalize("NFKC", raw).strip()
    return name if len(name) <= 20 and _NAME.fullmatch(name) else None


def normalize_branch(raw: str) -> str | None:
    branch = " ".join(unicodedata.normalize("NFKC", raw).split())
    if len(branch) not in _BRANCH_LENGTH or not branch.isprintable():
        return None
    return branch


def _save(turn: Turn, field: str, value: str | None, invalid: str) -> Reply:
    card = turn.services.roster.binding(turn.member.id)
    if card is not None:
        return TextReply(texts.from_roster(_ROSTER_FIELDS[field], card.org))
    if value is None:
        return TextReply(invalid)
    if turn.services.words.first_banned_word(value) is not None:
        return TextReply(texts.SENSITIVE_REFUSED)
    turn.services.profiles.set_profile_field(turn.member.id, field, value)
    saved = texts.PROFILE_SAVED[field].format(value=value)
    name = value if field == "name" else turn.member.name
    phone = value if field == "phone" else turn.member.phone
    if field == "branch" or name is None or phone is None:
        return TextReply(saved)
    return TextReply(_bind_quietly(turn, name, phone, saved))


def _bind_quietly(turn: Turn, name: str, phone: str, saved: str) -> str:
    """Bind when the name and phone now known match an entry; otherwise just say it was saved."""
    result = turn.services.roster.bind(turn.member.id, name, phone, turn.now)
    if result.outcome in ("bound", "taken"):
        return texts.bind_result(result)
    return saved


def set_name(turn: Turn) -> Reply:
    return _save(turn, "name", normalize_name(turn.argument), texts.NAME_INVALID)


def set_phone(turn: Turn) -> Reply:
    return _save(turn, "phone", normalize_phone(turn.argument), texts.PHONE_INVALID)


def set_branch(turn: Turn) -> Reply:
    return _save(turn, "branch", normalize_branch(turn.argument), texts.BRANCH_INVALID)


def register(bot: Bot) -> None:
    bot.on_command("姓名", set_name)
    bot.on_command("电话", set_phone)
    bot.on_command("支部", set_branch)
