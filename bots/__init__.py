"""Hongxin's conversations, as plain Python: no web framework, no database.

:func:`build_bot` assembles every feature's rules into one :class:`Bot`; the
service feeds it :class:`Incoming` messages with a :class:`Services` bundle
that implements the ports in :mod:`bots.ports`.
"""

from bots import (
    binding,
    claims,
    console,
    events,
    lessons,
    meetings,
    points,
    profile,
    push,
    quiz,
    welcome,
)
from bots.engine import Bot, Outcome, Services, Turn, conversation_changed
from bots.messages import Article, Incoming, MemberView, NewsReply, Reply, TextReply

__all__ = [
    "Article",
    "Bot",
    "Incoming",
    "MemberView",
    "NewsReply",
    "Outcome",
    "Reply",
    "Services",
    "TextReply",
    "Turn",
    "build_bot",
    "conversation_changed",
]


def build_bot() -> Bot:
    bot = Bot(fallback=welcome.fallback)
    # First: a subscribe carrying a check-in scene must not reach welcome's plain subscribe.
    events.register(bot)
    meetings.register(bot)
    welcome.register(bot)
    binding.register(bot)
    profile.register(bot)
    lessons.register(bot)
    quiz.register(bot)
    points.register(bot)
    push.register(bot)
    claims.register(bot)
    console.register(bot)
    return bot
