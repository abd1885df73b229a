"""The official account's custom menu: the contract's four CLICK keys (``hongxin menu push``)."""

from __future__ import annotations

from typing import Any

from app.wechat.api import WeChatAPI
from bots import texts

# The bot answers these keys as it answers 学习, 答题, 活动 and 积分.
MENU_KEYS = ("LESSON_TODAY", "QUIZ_START", "EVENT_LIST", "MY_POINTS")


def menu_buttons() -> list[dict[str, Any]]:
    """At most 3 top-level buttons, so events and points share a sub-menu."""
    return [
        {"type": "click", "name": texts.MENU_LESSON, "key": "LESSON_TODAY"},
        {"type": "click", "name": texts.MENU_QUIZ, "key": "QUIZ_START"},
        {"name": texts.MENU_MORE, "sub_button": [
            {"type": "click", "name": texts.MENU_EVENTS, "key": "EVENT_LIST"},
            {"type": "click", "name": texts.MENU_POINTS, "key": "MY_POINTS"},
        ]},
    ]


async def push_menu(api: WeChatAPI) -> list[dict[str, Any]]:
    """Replace the account's menu with :func:`menu_buttons`; returns what was sent."""
    buttons = menu_buttons()
    await api.create_menu(buttons)
    return buttons
