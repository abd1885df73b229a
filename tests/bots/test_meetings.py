"""``请假 N 原因`` in the conversation engine, with the in-memory meetings port."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bots import texts
from bots.messages import TextReply
from bots.ports import EventSummary, LeaveResult
from tests.bots.fakes import Conversation

MEETING = EventSummary(id=12, title="第四季度支部党员大会", location="三楼会议室",
                       starts_at=datetime(2026, 12, 20, 9, 0, tzinfo=UTC), capacity=1,
                       seats_left=0)


def reply_text(conversation: Conversation, text: str) -> str:
    reply = conversation.send(text).reply
    assert isinstance(reply, TextReply)
    return reply.text


@pytest.mark.parametrize("typed", ["请假 12 出差在外", "请假12 出差在外", "请假 １２号：出差在外",
                                   "请假第12号，出差在外", "请假　12　出差在外"])
def test_leave_reads_the_number_and_the_reason(typed: str) -> None:
    conversation = Conversation()
    conversation.meetings.expected[12] = MEETING
    assert "已请假" in reply_text(conversation, typed)
    assert conversation.meetings.leave == {(12, conversation.member.id): "出差在外"}


def test_leave_without_a_number_or_reason_says_how() -> None:
    conversation = Conversation()
    conversation.meetings.expected[12] = MEETING
    assert reply_text(conversation, "请假") == texts.LEAVE_USAGE
    assert reply_text(conversation, "请假 明天有事") == texts.LEAVE_USAGE
    assert "写明原因" in reply_text(conversation, "请假 12")
    assert conversation.meetings.leave == {}


@pytest.mark.parametrize(("outcome", "words"), [
    ("started", "已开始"), ("not_expected", "不在"), ("cancelled", "已取消"),
    ("checked_in", "已在"), ("not_meeting", "取消报名 12"), ("unknown", "没有找到"),
    ("reason_too_long", "100 字"),
])
def test_every_refusal_has_its_own_reason(outcome: str, words: str) -> None:
    result = LeaveResult(outcome, MEETING)  # type: ignore[arg-type]
    assert words in texts.leave_reply(result)
    if outcome == "not_meeting":
        assert "请发送" not in texts.leave_reply(result, in_app=True)
