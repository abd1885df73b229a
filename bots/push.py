"""``订阅`` / ``退订``: the daily micro-lesson push.

New followers get the push (a party organisation wants every member to read
the day's lesson); ``退订`` opts out and ``订阅`` back in. The reply says
whether the push can reach the member now: the platform lets the account
write to a member only within 48 hours of the member's last message.
"""

from __future__ import annotations

from bots import texts
from bots.engine import Bot, Turn
from bots.messages import Reply, TextReply

SUBSCRIBE_WORDS = ("订阅", "订阅推送", "订阅微党课")
UNSUBSCRIBE_WORDS = ("退订", "取消订阅", "退订推送")


def subscribe(turn: Turn) -> Reply:
    was_on = turn.member.daily_push
    state = turn.services.push.set_enabled(turn.member.id, True, turn.now)
    return TextReply(texts.push_subscribed(state, already=was_on))


def unsubscribe(turn: Turn) -> Reply:
    was_on = turn.member.daily_push
    turn.services.push.set_enabled(turn.member.id, False, turn.now)
    return TextReply(texts.push_unsubscribed(already=not was_on))


def register(bot: Bot) -> None:
    bot.on_keyword(SUBSCRIBE_WORDS, subscribe)
    bot.on_keyword(UNSUBSCRIBE_WORDS, unsubscribe)
