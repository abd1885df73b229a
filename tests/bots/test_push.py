"""``订阅`` / ``退订`` and unknown message types, with in-memory fakes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bots import TextReply, texts
from bots.ports import PushState
from tests.bots.fakes import Conversation


def text(chat: Conversation, message: str) -> str:
    reply = chat.send(message).reply
    assert isinstance(reply, TextReply)
    return reply.text


def test_unsubscribe_and_subscribe_again() -> None:
    chat = Conversation()
    # New members are subscribed: 订阅 says so and shows until when the push can reach them.
    first = text(chat, "订阅")
    assert first.startswith("您已订阅每日微党课推送") and "可送达至 11月24日(周二) 08:00" in first
    assert "48 小时" in first
    assert text(chat, "退订").startswith("已退订每日微党课推送")
    assert chat.push.enabled[chat.member.id] is False
    assert text(chat, " 取消订阅 ").startswith("您没有订阅每日微党课推送")
    assert text(chat, "订阅").startswith("订阅成功")
    assert chat.push.enabled[chat.member.id] is True


def test_subscribing_outside_the_window_says_the_push_is_paused() -> None:
    chat = Conversation()
    chat.push.open_until = None
    assert "超过 48 小时未互动，暂停送达" in text(chat, "订阅")


@pytest.mark.parametrize(("state", "line"), [
    (PushState(False), "已退订"),
    (PushState(True), "暂停送达"),
    (PushState(True, datetime(2026, 12, 6, 9, 30, tzinfo=UTC)), "可送达至 12月6日(周日) 09:30"),
])
def test_push_status_line_for_profile_replies(state: PushState, line: str) -> None:
    assert line in texts.push_status(state)


def test_subscribe_words_during_a_quiz_are_not_answers() -> None:
    chat = Conversation()
    chat.send("答题")
    assert chat.member.conversation is not None
    assert text(chat, "退订").startswith("已退订")
    assert chat.member.conversation is not None  # the quiz waits


def test_unknown_message_kinds_are_acknowledged_silently() -> None:
    chat = Conversation()
    assert chat.other("hologram").reply is None
    image = chat.other("image").reply
    assert isinstance(image, TextReply) and "帮助" in image.text
