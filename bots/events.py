"""``活动``, ``报名 N``, ``取消报名 N``, ``我的报名`` and check-in by QR code scene.

The seat rules live behind :class:`bots.ports.EventSignups`; this module only
reads what the member typed and words the outcome.
"""

from __future__ import annotations

import re
import unicodedata

from bots import texts
from bots.engine import Bot, Turn
from bots.messages import Reply, TextReply
from bots.ports import CheckinResult

CHECKIN_SCENE = "checkin_"
# ``报名 3``, ``报名 ３``, ``报名 3号``, ``报名 #3``, ``报名第3号``
_EVENT_NUMBER = re.compile(r"[#＃第]?\s*(\d{1,9})\s*[号個个]?")


def event_number(raw: str) -> int | None:
    found = _EVENT_NUMBER.fullmatch(unicodedata.normalize("NFKC", raw).strip())
    return int(found.group(1)) if found else None


def list_events(turn: Turn) -> Reply:
    events = turn.services.events.upcoming(turn.now)
    return TextReply(texts.event_list(events) if events else texts.EVENTS_NONE)


def sign_up(turn: Turn) -> Reply:
    number = event_number(turn.argument)
    if number is None:
        return TextReply(texts.SIGNUP_USAGE)
    result = turn.services.events.sign_up(turn.member.id, number, turn.now)
    return TextReply(texts.signup_reply(result, has_name=bool(turn.member.name)))


def cancel(turn: Turn) -> Reply:
    number = event_number(turn.argument)
    if number is None:
        return TextReply(texts.CANCEL_USAGE)
    outcome = turn.services.events.cancel(turn.member.id, number, turn.now)
    return TextReply(texts.cancel_reply(outcome, number))


def my_signups(turn: Turn) -> Reply:
    signups = turn.services.events.my_signups(turn.member.id, turn.now)
    return TextReply(texts.my_signups(signups) if signups else texts.MY_SIGNUPS_NONE)


def _check_in(turn: Turn) -> str:
    number = event_number(turn.argument)
    if number is None:
        return texts.checkin_reply(CheckinResult("unknown"))
    return texts.checkin_reply(turn.services.events.check_in(turn.member.id, number, turn.now))


def scan_check_in(turn: Turn) -> Reply:
    return TextReply(_check_in(turn))


def subscribe_check_in(turn: Turn) -> Reply:
    # A first-time follower scanning the check-in code: follow, welcome, and check in.
    turn.services.profiles.set_subscribed(turn.member.id, True)
    return TextReply(f"{_check_in(turn)}\n\n{texts.welcome()}")


def signup_usage(_turn: Turn) -> Reply:
    return TextReply(texts.SIGNUP_USAGE)


def cancel_usage(_turn: Turn) -> Reply:
    return TextReply(texts.CANCEL_USAGE)


def register(bot: Bot) -> None:
    """Register before :mod:`bots.welcome`: its plain ``subscribe`` rule takes every scene."""
    bot.on_event("scan", scan_check_in, key_prefix=CHECKIN_SCENE)
    bot.on_event("subscribe", subscribe_check_in, key_prefix=CHECKIN_SCENE)
    bot.on_keyword(("活动", "近期活动"), list_events, menu_key="EVENT_LIST")
    bot.on_keyword(("我的报名",), my_signups)
    bot.on_keyword(("报名",), signup_usage)
    bot.on_keyword(("取消报名",), cancel_usage)
    bot.on_command("取消报名", cancel)
    bot.on_command("报名", sign_up)
