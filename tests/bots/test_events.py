"""活动, 报名 N, 取消报名 N, 我的报名 and QR check-in, against in-memory fakes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bots import MemberView, TextReply
from bots.events import event_number
from tests.bots.fakes import NOW, Conversation


def text(conversation: Conversation, message: str) -> str:
    reply = conversation.send(message).reply
    assert isinstance(reply, TextReply)
    return reply.text


def with_event(capacity: int = 1, *, name: str | None = "张三", member_id: int = 7
               ) -> Conversation:
    conversation = Conversation(member=MemberView(id=member_id, openid=f"o_{member_id}",
                                                  name=name))
    conversation.events.add(3, capacity=capacity)
    return conversation


@pytest.mark.parametrize(("raw", "expected"), [
    ("3", 3), (" 3 ", 3), ("３", 3), ("3号", 3), ("#3", 3), ("第3号", 3), ("12", 12),
    ("", None), ("三", None), ("3a", None), ("-1", None), ("1234567890", None),
])
def test_event_numbers_are_read_leniently(raw: str, expected: int | None) -> None:
    assert event_number(raw) == expected


def test_list_shows_number_time_place_and_seats() -> None:
    conversation = with_event(capacity=5)
    reply = text(conversation, "活动")
    assert "【3】主题党日" in reply
    assert "11月29日(周日) 14:00" in reply
    assert "党员活动室" in reply
    assert "余位 5/5" in reply


def test_menu_click_lists_events() -> None:
    conversation = with_event()
    reply = conversation.event("click", "EVENT_LIST").reply
    assert isinstance(reply, TextReply) and "【3】" in reply.text


def test_no_events_says_so() -> None:
    assert "暂无活动" in text(Conversation(), "活动")


def test_sign_up_then_again_is_answered_not_duplicated() -> None:
    conversation = with_event()
    assert "报名成功" in text(conversation, "报名 3")
    again = text(conversation, "报名3")
    assert "已报名" in again and "报名成功" not in again
    assert conversation.events.confirmed[3] == [7]


def test_full_event_puts_member_on_the_waitlist() -> None:
    conversation = with_event()
    conversation.events.confirmed[3].append(99)
    reply = text(conversation, "报名 3")
    assert "候补" in reply and "第 1 位" in reply
    assert "候补" in text(conversation, "报名 3")


def test_member_without_a_name_is_invited_to_send_one() -> None:
    conversation = with_event(name=None)
    reply = text(conversation, "报名 3")
    assert "报名成功" in reply and "姓名 张三" in reply
    assert "姓名" not in text(with_event(member_id=8), "报名 3").split("报名成功")[1]


@pytest.mark.parametrize(("setup", "expected"), [
    (lambda events: None, "没有找到"),
    (lambda events: events.closed.add(3), "截止"),
])
def test_refusals_are_clear(setup, expected: str) -> None:
    conversation = with_event()
    setup(conversation.events)
    assert expected in text(conversation, "报名 4" if expected == "没有找到" else "报名 3")


def test_past_event_is_refused() -> None:
    conversation = Conversation()
    conversation.events.add(5, starts_at=datetime(2026, 11, 1, tzinfo=UTC))
    assert "已开始或已结束" in text(conversation, "报名 5")


def test_bad_numbers_get_usage() -> None:
    conversation = with_event()
    assert "例如：报名 3" in text(conversation, "报名 三")
    assert "例如：报名 3" in text(conversation, "报名")
    assert "例如：取消报名 3" in text(conversation, "取消报名")


def test_cancel_promotes_the_first_waitlisted() -> None:
    conversation = with_event()
    conversation.events.waitlist[3] = [41, 42]
    text(conversation, "报名 3")
    conversation.events.waitlist[3] = [41, 42]  # they queued before; the member holds the seat
    assert "已取消" in text(conversation, "取消报名 3")
    assert conversation.events.confirmed[3] == [41]
    assert "没有报名" in text(conversation, "取消报名 3")


def test_a_rate_limited_member_is_asked_to_wait_and_nothing_changes() -> None:
    conversation = with_event()
    text(conversation, "报名 3")
    conversation.events.rate_limited.add(7)
    for command in ("取消报名 3", "报名 3"):
        reply = text(conversation, command)
        assert "过于频繁" in reply and "一分钟" in reply
    assert conversation.events.confirmed[3] == [7]


def test_my_signups_lists_confirmed_and_waitlisted() -> None:
    conversation = with_event()
    assert "还没有报名" in text(conversation, "我的报名")
    text(conversation, "报名 3")
    reply = text(conversation, "我的报名")
    assert "【3】主题党日（已报名）" in reply


def test_scan_with_checkin_scene_checks_in_once() -> None:
    conversation = with_event()
    text(conversation, "报名 3")
    first = conversation.event("scan", "checkin_3")
    assert first.rule == "event:scan:checkin_"
    assert isinstance(first.reply, TextReply) and "签到成功" in first.reply.text
    assert "3 积分" in first.reply.text
    second = conversation.event("scan", "checkin_3").reply
    assert isinstance(second, TextReply) and "已签到" in second.text


def test_subscribe_with_checkin_scene_follows_and_checks_in() -> None:
    conversation = with_event()
    text(conversation, "报名 3")
    outcome = conversation.event("subscribe", "checkin_3")
    assert outcome.rule == "event:subscribe:checkin_"
    assert conversation.profiles.subscribed[7] is True
    assert isinstance(outcome.reply, TextReply)
    assert "签到成功" in outcome.reply.text and "欢迎关注" in outcome.reply.text


def test_plain_subscribe_still_welcomes() -> None:
    outcome = with_event().event("subscribe", "")
    assert outcome.rule == "event:subscribe"


def test_scan_of_unknown_event_or_bad_scene() -> None:
    conversation = with_event()
    for key in ("checkin_9", "checkin_x"):
        reply = conversation.event("scan", key).reply
        assert isinstance(reply, TextReply) and "签到码无效" in reply.text
    assert conversation.event("scan", "other_1").rule == "event:ignored"


def test_not_signed_up_scan_is_told_to_see_the_organizer() -> None:
    reply = with_event().event("scan", "checkin_3").reply
    assert isinstance(reply, TextReply) and "没有报名" in reply.text


def test_now_is_passed_through() -> None:
    assert NOW.tzinfo is UTC
