"""``后台``: a member holding a console role gets a one-time sign-in link.

Ordinary members are not shown the keyword (it is not in 帮助); those who send
it anyway are told who gives out roles.
"""

from __future__ import annotations

from bots import texts
from bots.engine import Bot, Turn
from bots.messages import Reply, TextReply

CONSOLE_WORDS = ("后台", "管理后台")


def sign_in_link(turn: Turn) -> Reply:
    return TextReply(texts.console_link(
        turn.services.console.sign_in_link(turn.member.id, turn.now)))


def register(bot: Bot) -> None:
    bot.on_keyword(CONSOLE_WORDS, sign_in_link)
