"""Following, unfollowing, help and the fallback hint."""

from __future__ import annotations

from bots import texts
from bots.engine import Bot, Turn
from bots.messages import Reply, TextReply

HELP_WORDS = ("帮助", "help", "?", "？")


def show_help(_turn: Turn) -> Reply:
    return TextReply(texts.HELP)


def subscribe(turn: Turn) -> Reply:
    turn.services.profiles.set_subscribed(turn.member.id, True)
    return TextReply(texts.welcome())


def unsubscribe(turn: Turn) -> Reply:
    # WeChat delivers nothing to a member who just left; just remember it.
    turn.services.profiles.set_subscribed(turn.member.id, False)
    return None


def fallback(_turn: Turn) -> Reply:
    return TextReply(texts.FALLBACK)


def register(bot: Bot) -> None:
    bot.on_keyword(HELP_WORDS, show_help)
    bot.on_event("subscribe", subscribe)
    bot.on_event("unsubscribe", unsubscribe)
