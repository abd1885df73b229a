"""The /wechat endpoint as the platform uses it, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import Database
from app.models import Member
from app.moderation.words import add_words
from bots import texts
from tests.support.units import run_unit
from tests.support.wechat import SAMPLES, Platform, message_xml

HELP_FIRST_LINE = texts.HELP.splitlines()[0]
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def post(client: TestClient, params: dict[str, str], body: bytes) -> tuple[int, str]:
    response = client.post("/wechat", params=params, content=body)
    return response.status_code, response.text


def reply_content(reply: str) -> str:
    match = re.search(r"<Content><!\[CDATA\[(.*)\]\]></Content>", reply, re.DOTALL)
    assert match, f"not a text reply: {reply[:200]}"
    return match.group(1)


def test_url_verification_echoes_when_signed(client: TestClient, platform: Platform) -> None:
    params = platform.params() | {"echostr": "8734920117"}
    response = client.get("/wechat", params=params)
    assert response.status_code == 200
    assert response.text == "8734920117"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: p | {"signature": "0" * 40},
        lambda p: {k: v for k, v in p.items() if k != "signature"},
        lambda p: {k: v for k, v in p.items() if k != "timestamp"},
        lambda p: {k: v for k, v in p.items() if k != "nonce"},
        lambda p: p | {"nonce": p["nonce"] + "x"},
    ],
    ids=["wrong", "no-signature", "no-timestamp", "no-nonce", "other-nonce"],
)
def test_url_verification_refuses_bad_signatures(client: TestClient, platform: Platform,
                                                  tamper) -> None:
    params = tamper(platform.params() | {"echostr": "42"})
    response = client.get("/wechat", params=params)
    assert response.status_code == 403
    assert "42" not in response.text


def test_help_keyword_replies_with_help(client: TestClient, platform: Platform) -> None:
    status, reply = post(client, *platform.plain(message_xml("text", content=" 帮助 ")))
    assert status == 200
    assert HELP_FIRST_LINE in reply_content(reply)
    assert "<ToUserName><![CDATA[o_member_1]]></ToUserName>" in reply
    assert "<FromUserName><![CDATA[gh_test_account]]></FromUserName>" in reply


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_every_platform_message_type_is_accepted(client: TestClient, platform: Platform,
                                                 kind: str) -> None:
    status, reply = post(client, *platform.plain(message_xml(kind)))
    assert status == 200
    assert reply == "success" or reply.startswith("<xml>")


def test_subscribe_welcomes_and_unsubscribe_is_remembered(
    client: TestClient, platform: Platform, database: Database
) -> None:
    _, reply = post(client, *platform.plain(message_xml("subscribe", "o_new")))
    assert texts.WELCOME in reply_content(reply)
    _, reply = post(client, *platform.plain(message_xml("unsubscribe", "o_new", create_time=1)))
    # The replay window is about the query timestamp, not CreateTime.
    assert reply == "success"
    with database.unit_of_work() as session:
        assert session.scalar(select(Member.subscribed).where(Member.openid == "o_new")) is False


def test_profile_keywords_store_checked_values(
    client: TestClient, platform: Platform, database: Database
) -> None:
    replies = [
        reply_content(post(client, *platform.plain(message_xml("text", "o_p", content=text)))[1])
        for text in ["姓名 张三", "电话 138 0013 8000", "支部 第一党支部", "电话 123"]
    ]
    assert replies[:3] == ["已登记姓名：张三", "已登记电话：13800138000", "已登记支部：第一党支部"]
    assert replies[3] == texts.PHONE_INVALID
    with database.unit_of_work() as session:
        member = session.scalars(select(Member).where(Member.openid == "o_p")).one()
        assert (member.name, member.phone, member.branch) == ("张三", "13800138000", "第一党支部")


def test_sensitive_words_are_refused_and_not_stored(
    client: TestClient, platform: Platform, database: Database
) -> None:
    run_unit(database, lambda session: add_words(session, "博彩", "test", datetime.now(UTC)))
    _, reply = post(client, *platform.plain(message_xml("text", "o_s", content="支部 博彩支部")))
    assert reply_content(reply) == texts.SENSITIVE_REFUSED
    with database.unit_of_work() as session:
        assert session.scalar(select(Member.branch).where(Member.openid == "o_s")) is None


def test_unknown_text_gets_the_hint(client: TestClient, platform: Platform) -> None:
    _, reply = post(client, *platform.plain(message_xml("text", content="今天天气怎么样")))
    assert reply_content(reply) == texts.FALLBACK


def test_unknown_menu_click_is_acknowledged_silently(client: TestClient,
                                                     platform: Platform) -> None:
    _, by_click = post(client, *platform.plain(message_xml("click", key="NOT_A_KEY")))
    assert by_click == "success"


def test_control_characters_are_tolerated_and_never_echoed(
    client: TestClient, platform: Platform
) -> None:
    xml = message_xml("text", content="姓名 张\x08三\x01")
    status, reply = post(client, *platform.plain(xml))
    assert status == 200
    assert reply_content(reply) == "已登记姓名：张三"
    assert not _ILLEGAL.search(reply)
    status, reply = post(client, *platform.plain(message_xml("text", content="\x0b帮助\x1f")))
    assert HELP_FIRST_LINE in reply_content(reply)


class TestSafeMode:
    def test_encrypted_request_gets_encrypted_reply(self, client: TestClient,
                                                    platform: Platform) -> None:
        status, reply = post(client, *platform.encrypted(message_xml("text")))
        assert status == 200
        assert "<Encrypt>" in reply and HELP_FIRST_LINE not in reply
        fields = platform.decrypt_reply(reply)
        assert HELP_FIRST_LINE in str(fields["Content"])

    def test_compatible_mode_body_answered_per_request_mode(self, client: TestClient,
                                                            platform: Platform) -> None:
        params, body = platform.encrypted(message_xml("text"), compatible=True)
        plain_params = {k: v for k, v in params.items() if k not in {"encrypt_type",
                                                                     "msg_signature"}}
        status, reply = post(client, plain_params, body)
        assert status == 200
        assert HELP_FIRST_LINE in reply_content(reply)
        status, reply = post(client, *platform.encrypted(message_xml("text"), compatible=True))
        assert HELP_FIRST_LINE in str(platform.decrypt_reply(reply)["Content"])

    def test_previous_key_still_decrypts_and_reply_uses_it(self, client: TestClient) -> None:
        from tests.support.wechat import OLD_AES_KEY

        old_platform = Platform(aes_key=OLD_AES_KEY)
        status, reply = post(client, *old_platform.encrypted(message_xml("text")))
        assert status == 200
        assert HELP_FIRST_LINE in str(old_platform.decrypt_reply(reply)["Content"])

    def test_unknown_key_is_refused(self, client: TestClient) -> None:
        stranger = Platform(aes_key="0123456789abcdefghijklmnopqrstuvwxyzABCDEFG")
        status, _ = post(client, *stranger.encrypted(message_xml("text")))
        assert status == 400

    def test_bad_msg_signature_is_refused(self, client: TestClient, platform: Platform) -> None:
        params, body = platform.encrypted(message_xml("text"))
        status, _ = post(client, params | {"msg_signature": "f" * 40}, body)
        assert status == 403

    def test_other_app_id_is_refused(self, client: TestClient) -> None:
        foreign = Platform(app_id="wx_someone_else")
        status, _ = post(client, *foreign.encrypted(message_xml("text")))
        assert status == 400


def test_safe_only_refuses_plain_requests(database_url: str, platform: Platform) -> None:
    from app.main import create_app
    from tests.app.conftest import make_settings

    with TestClient(create_app(make_settings(database_url, wechat_safe_only=True))) as client:
        status, _ = post(client, *platform.plain(message_xml("text")))
        assert status == 403
        status, reply = post(client, *platform.encrypted(message_xml("text")))
        assert status == 200 and "<Encrypt>" in reply


def test_encrypted_request_without_configured_key_is_refused(database_url: str,
                                                             platform: Platform) -> None:
    from app.main import create_app
    from tests.app.conftest import make_settings

    settings = make_settings(database_url, wechat_aes_key=None, wechat_aes_key_previous=None)
    with TestClient(create_app(settings)) as client:
        status, _ = post(client, *platform.encrypted(message_xml("text")))
        assert status == 403


@pytest.mark.parametrize("with_msg_id", [True, False], ids=["with-MsgId", "without-MsgId"])
def test_unknown_message_type_gets_success(client: TestClient, platform: Platform,
                                           with_msg_id: bool) -> None:
    """The contract: every type is accepted and an unknown one answered "success"."""
    msg_id = "<MsgId>7712345</MsgId>" if with_msg_id else ""
    xml = (f"<xml><ToUserName><![CDATA[gh_test_account]]></ToUserName>"
           f"<FromUserName><![CDATA[o_member_1]]></FromUserName><CreateTime>1700000000"
           f"</CreateTime><MsgType><![CDATA[hologram]]></MsgType>{msg_id}</xml>")
    for _ in range(2):  # and its retry, too
        assert post(client, *platform.plain(xml)) == (200, "success")
    # A member's image is a known type: it still gets the hint.
    status, reply = post(client, *platform.plain(message_xml("image")))
    assert status == 200 and "帮助" in reply_content(reply)
