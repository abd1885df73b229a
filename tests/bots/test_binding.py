"""绑定, 姓名 + 电话 binding, 我的信息 and 注销, with an in-memory roster."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bots import TextReply, texts
from bots.binding import parse_name_and_phone
from tests.bots.fakes import NOW, Conversation


def text_of(chat: Conversation, message: str) -> str:
    reply = chat.send(message).reply
    assert isinstance(reply, TextReply)
    return reply.text


def roster_chat() -> Conversation:
    chat = Conversation()
    chat.roster.add("张三丰", "13800000001")
    chat.roster.add("李四", "13800000002", org="机关党委/第二党支部", status="预备党员")
    return chat


@pytest.mark.parametrize("raw", [
    "张三丰 13800000001", "张三丰，13800000001", "张三丰,138 0000 0001", "张三丰 138-0000-0001",
    "张三丰13800000001", "13800000001 张三丰", "姓名：张三丰 电话：13800000001",
    "张三丰　１３８００００００01", "张三丰、+86 13800000001",
])
def test_the_separators_people_type(raw: str) -> None:
    assert parse_name_and_phone(raw) == ("张三丰", "13800000001")


@pytest.mark.parametrize("raw", ["张三丰", "13800000001", "张三丰 12345", "张三3 13800000001", ""])
def test_what_is_not_a_name_and_a_phone(raw: str) -> None:
    assert parse_name_and_phone(raw) is None


def test_binding_names_the_org_and_shows_the_privacy_notice() -> None:
    chat = roster_chat()
    reply = text_of(chat, "绑定 张三丰，138 0000 0001")
    assert "绑定成功" in reply and "机关党委/第一党支部" in reply
    assert texts.PRIVACY_NOTICE in reply
    assert chat.roster.bound == {7: "13800000001"}
    again = text_of(chat, "绑定 张三丰 13800000001")
    assert "您已绑定花名册" in again and texts.PRIVACY_NOTICE not in again


def test_wrong_name_and_wrong_phone_get_the_same_refusal() -> None:
    chat = roster_chat()
    wrong_name = text_of(chat, "绑定 张三 13800000001")
    wrong_phone = text_of(chat, "绑定 张三丰 13800000009")
    assert wrong_name == wrong_phone == texts.BIND_NO_MATCH
    assert "书记或组织委员" in wrong_name and "管理员" in wrong_name
    assert chat.roster.bound == {}


def test_attempts_are_rate_limited() -> None:
    chat = roster_chat()
    for _ in range(5):
        text_of(chat, "绑定 张三 13800000001")
    assert text_of(chat, "绑定 张三丰 13800000001") == texts.BIND_TOO_FAST
    assert chat.roster.bound == {}


def test_an_entry_bound_to_another_member_is_refused() -> None:
    chat = roster_chat()
    chat.roster.bound[99] = "13800000001"
    reply = text_of(chat, "绑定 张三丰 13800000001")
    assert "已绑定其他微信号" in reply and "管理员" in reply
    assert 7 not in chat.roster.bound


def test_a_bad_argument_gets_the_usage() -> None:
    chat = roster_chat()
    assert text_of(chat, "绑定") == texts.BIND_USAGE
    assert text_of(chat, "绑定 张三丰") == texts.BIND_USAGE


def test_full_width_colons_after_name_and_phone() -> None:
    chat = Conversation()
    assert text_of(chat, "姓名：张三丰") == "已登记姓名：张三丰"
    assert text_of(chat, "姓名:张三") == "已登记姓名：张三"
    assert text_of(chat, "电话：138 0000 0001") == "已登记电话：13800000001"


def test_name_then_phone_binds_when_they_match_one_entry() -> None:
    chat = roster_chat()
    assert text_of(chat, "姓名：张三丰") == "已登记姓名：张三丰"
    reply = text_of(chat, "电话 13800000001")
    assert reply.startswith("绑定成功") and "机关党委/第一党支部" in reply
    assert chat.roster.bound == {7: "13800000001"}


def test_phone_then_name_that_match_nothing_are_just_saved() -> None:
    chat = roster_chat()
    assert text_of(chat, "电话 13800000009") == "已登记电话：13800000009"
    assert text_of(chat, "姓名 张三丰") == "已登记姓名：张三丰"
    assert chat.roster.bound == {}


def test_bound_members_take_name_phone_and_org_from_the_roster() -> None:
    chat = roster_chat()
    text_of(chat, "绑定 李四 13800000002")
    for message in ("支部 第三党支部", "姓名 李五", "电话 13800000003"):
        reply = text_of(chat, message)
        assert "以花名册为准" in reply and "机关党委/第二党支部" in reply
    assert chat.profiles.fields == {}


def test_unbound_members_keep_the_free_text_branch() -> None:
    chat = roster_chat()
    assert text_of(chat, "支部 第一党支部") == "已登记支部：第一党支部"


def test_my_info_masks_the_phone() -> None:
    chat = roster_chat()
    chat.points.total = 42
    text_of(chat, "绑定 李四 13800000002")
    info = text_of(chat, "我的信息")
    assert "李四" in info and "138****0002" in info and "13800000002" not in info
    assert "机关党委/第二党支部" in info and "预备党员" in info and "42 分" in info


def test_my_info_when_unbound_says_how_to_bind() -> None:
    chat = Conversation()
    text_of(chat, "电话 13900000001")
    info = text_of(chat, "我的信息")
    assert "139****0001" in info and texts.UNBOUND_INFO_HINT in info


def test_erasing_needs_a_confirmation() -> None:
    chat = roster_chat()
    text_of(chat, "绑定 张三丰 13800000001")
    assert text_of(chat, "注销") == texts.ERASE_ASK
    assert text_of(chat, "确认注销") == texts.ERASE_DONE
    assert chat.roster.erased == [7] and chat.roster.bound == {}
    assert chat.member.conversation is None
    assert text_of(chat, "确认注销") == texts.ERASE_NOT_ASKED


def test_anything_else_cancels_the_erasure() -> None:
    chat = roster_chat()
    text_of(chat, "注销")
    assert text_of(chat, "算了") == texts.ERASE_CANCELLED
    assert text_of(chat, "确认注销") == texts.ERASE_NOT_ASKED
    assert chat.roster.erased == []


def test_a_stale_request_to_erase_is_not_confirmed() -> None:
    chat = roster_chat()
    text_of(chat, "注销")
    asked = NOW - timedelta(minutes=11)
    chat.member = type(chat.member)(id=7, openid="o_7",
                                    conversation={"flow": "erase", "asked_at": asked.isoformat()})
    assert text_of(chat, "确认注销") == texts.ERASE_NOT_ASKED
    assert chat.roster.erased == []
