"""``积分``: the member's total, rank and last few ledger lines."""

from __future__ import annotations

from bots import texts
from bots.engine import Bot, Turn
from bots.messages import Reply, TextReply

POINTS_WORDS = ("积分", "我的积分")


def show_points(turn: Turn) -> Reply:
    summary = turn.services.points.summary(turn.member.id, turn.now)
    lines = [texts.points_summary(summary.total, summary.rank, summary.members)]
    if summary.recent:
        lines.append(texts.POINTS_RECENT_HEAD)
        lines += [texts.points_line(line.at, line.label, line.delta)
                  for line in summary.recent]
    return TextReply("\n".join(lines))


def register(bot: Bot) -> None:
    bot.on_keyword(POINTS_WORDS, show_points, menu_key="MY_POINTS", reads=("points",))
