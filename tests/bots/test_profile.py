from __future__ import annotations

import pytest

from bots import TextReply, texts
from bots.profile import normalize_branch, normalize_name, normalize_phone
from tests.bots.fakes import Conversation


@pytest.mark.parametrize(("raw", "expected"), [
    ("13800138000", "13800138000"),
    ("138 0013 8000", "13800138000"),
    ("138-0013-8000", "13800138000"),
    ("+86 13800138000", "13800138000"),
    ("8613800138000", "13800138000"),
    ("１３８００１３８０００", "13800138000"),
    ("12800138000", None),
    ("1380013800", None),
    ("138001380001", None),
    ("abc", None),
    ("", None),
])
def test_phone_numbers(raw: str, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("张三", "张三"),
    ("欧阳娜娜", "欧阳娜娜"),
    ("阿依古丽·买买提", "阿依古丽·买买提"),
    ("Li Lei", "Li Lei"),
    ("张三3", None),
    ("<script>", None),
    ("张" * 21, None),
    ("", None),
])
def test_names(raw: str, expected: str | None) -> None:
    assert normalize_name(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("第一党支部", "第一党支部"),
    ("  技术部   第二党支部 ", "技术部 第二党支部"),
    ("支", None),
    ("党" * 31, None),
])
def test_branches(raw: str, expected: str | None) -> None:
    assert normalize_branch(raw) == expected


def test_valid_profile_is_stored() -> None:
    chat = Conversation()
    assert chat.send("姓名 张三").reply == TextReply("已登记姓名：张三")
    assert chat.send("电话 13800138000").reply == TextReply("已登记电话：13800138000")
    assert chat.send("支部 第一党支部").reply == TextReply("已登记支部：第一党支部")
    assert chat.profiles.fields == {(7, "name"): "张三", (7, "phone"): "13800138000",
                                    (7, "branch"): "第一党支部"}


@pytest.mark.parametrize(("text", "expected"), [
    ("姓名 张三3", texts.NAME_INVALID),
    ("电话 123", texts.PHONE_INVALID),
    ("支部 x", texts.BRANCH_INVALID),
    ("支部 博彩支部", texts.SENSITIVE_REFUSED),
])
def test_invalid_profile_is_refused_and_not_stored(text: str, expected: str) -> None:
    chat = Conversation()
    assert chat.send(text).reply == TextReply(expected)
    assert chat.profiles.fields == {}
