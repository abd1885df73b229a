"""``后台``: the sign-in link for members holding a console role, and a plain no for the rest."""

from __future__ import annotations

from bots import TextReply, texts
from tests.bots.fakes import Conversation


def text_of(chat: Conversation, message: str) -> str:
    reply = chat.send(message).reply
    assert isinstance(reply, TextReply)
    return reply.text


def test_a_role_holder_gets_a_fresh_link_with_role_scope_and_lifetime() -> None:
    chat = Conversation()
    chat.console.bound.add(chat.member.id)
    chat.console.roles[chat.member.id] = ("organizer", "机关党委/第一党支部")
    first = text_of(chat, "后台")
    assert "https://example.org/console/login/link/code1" in first
    assert "5 分钟内有效" in first and "只能使用一次" in first
    assert "组织者（机关党委/第一党支部）" in first
    assert chat.send(" 管理后台 ").rule == "keyword:后台"
    assert chat.console.issued[-1].endswith("code2")


def test_an_unscoped_admin_is_told_it_covers_everything() -> None:
    chat = Conversation()
    chat.console.bound.add(chat.member.id)
    chat.console.roles[chat.member.id] = ("admin", "")
    assert "管理员（全部组织）" in text_of(chat, "后台")


def test_members_without_a_role_get_no_link() -> None:
    unbound = Conversation()
    assert text_of(unbound, "后台") == texts.CONSOLE_NOT_BOUND
    bound = Conversation()
    bound.console.bound.add(bound.member.id)
    assert text_of(bound, "后台") == texts.CONSOLE_NO_ROLE
    assert not unbound.console.issued and not bound.console.issued


def test_help_does_not_offer_the_console_to_every_member() -> None:
    assert "后台" not in texts.HELP
