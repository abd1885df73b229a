"""``请假 N 原因``: a member expected at a meeting asks for leave before it starts.

Whether the member is expected, and whether it is still before the start, is
decided behind :class:`bots.ports.Meetings`; this module reads the number and
the reason and words the outcome.
"""

from __future__ import annotations

import re
import unicodedata

from bots import texts
from bots.engine import Bot, Turn
from bots.messages import Reply, TextReply

# ``请假 3 出差``, ``请假 3号：出差``, ``请假第3号 出差``
_LEAVE = re.compile(r"[#＃第]?\s*(\d{1,9})\s*[号個个]?[\s:：,，、]*(.*)", re.DOTALL)


def leave(turn: Turn) -> Reply:
    found = _LEAVE.fullmatch(unicodedata.normalize("NFKC", turn.argument).strip())
    if found is None:
        return TextReply(texts.LEAVE_USAGE)
    reason = " ".join(found.group(2).split())
    result = turn.services.meetings.request_leave(turn.member.id, int(found.group(1)), reason,
                                                  turn.now)
    return TextReply(texts.leave_reply(result))


def leave_usage(_turn: Turn) -> Reply:
    return TextReply(texts.LEAVE_USAGE)


def register(bot: Bot) -> None:
    bot.on_keyword(("请假",), leave_usage)
    bot.on_command("请假", leave)
