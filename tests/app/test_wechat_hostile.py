"""Requests that are not genuine or not readable: refused with 4xx, never a 500 or a hang."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.support.wechat import Platform, message_xml

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol4;</Content><MsgId>1</MsgId></xml>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&secret;</Content><MsgId>2</MsgId></xml>"""

HOSTILE_BODIES = {
    "billion-laughs": BILLION_LAUGHS.encode(),
    "external-entity": EXTERNAL_ENTITY.encode(),
    "truncated": message_xml("text")[:-20].encode(),
    "binary": bytes(range(256)) * 4,
    "not-utf8": "<xml><Content>帮助</Content></xml>".encode("gb18030"),
    "empty": b"",
    "wrong-root": b"<message><MsgType>text</MsgType></message>",
    "json": b'{"MsgType": "text"}',
    "no-msgtype": b"<xml><FromUserName>a</FromUserName><ToUserName>b</ToUserName></xml>",
    "no-sender": b"<xml><MsgType>text</MsgType><CreateTime>1</CreateTime><MsgId>3</MsgId></xml>",
    "bad-createtime": message_xml("text", create_time=0).replace(
        "<CreateTime>0</CreateTime>", "<CreateTime>soon</CreateTime>").encode(),
    "bad-msgid": message_xml("text", msg_id=0).replace("<MsgId>0</MsgId>",
                                                       "<MsgId>x</MsgId>").encode(),
    "repeated-field": message_xml("text").replace("</xml>",
                                                  "<Content>again</Content></xml>").encode(),
    "deep-nesting": b"<xml>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</xml>",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_BODIES))
def test_hostile_bodies_get_4xx(client: TestClient, platform: Platform, name: str) -> None:
    response = client.post("/wechat", params=platform.params(), content=HOSTILE_BODIES[name])
    assert 400 <= response.status_code < 500, response.text
    assert "root:" not in response.text


def test_oversized_body_is_refused_before_parsing(client: TestClient, platform: Platform) -> None:
    padding = "x" * (1024 * 1024)
    body = message_xml("text", content=padding).encode()
    response = client.post("/wechat", params=platform.params(), content=body)
    assert response.status_code == 413


def test_oversized_body_without_a_length_is_refused(
        client: TestClient, platform: Platform) -> None:
    def chunks() -> Iterator[bytes]:
        yield message_xml("text", content="帮助").encode()
        for _ in range(100):  # 1.6 MiB in all, with no Content-Length
            yield b"x" * 16 * 1024

    response = client.post("/wechat", params=platform.params(), content=chunks())
    assert response.status_code == 413


def test_other_methods_are_not_allowed(client: TestClient, platform: Platform) -> None:
    assert client.put("/wechat", params=platform.params(), content=b"<xml/>").status_code == 405


def test_body_just_under_the_limit_is_accepted(client: TestClient, platform: Platform) -> None:
    body = message_xml("text", content="帮助")
    body = body.replace("</xml>", "<Pad>" + "x" * (64 * 1024 - len(body) - 20) + "</Pad></xml>")
    assert len(body.encode()) <= 64 * 1024
    response = client.post("/wechat", params=platform.params(), content=body.encode())
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda p: p | {"signature": "a" * 40}, 403),
        (lambda p: {k: v for k, v in p.items() if k != "signature"}, 403),
        (lambda p: p | {"timestamp": "abc"}, 403),
        (lambda p: p | {"nonce": ""}, 403),
    ],
    ids=["wrong-signature", "no-signature", "bad-timestamp", "empty-nonce"],
)
def test_bad_signature_parameters_are_refused(client: TestClient, platform: Platform,
                                              change, expected: int) -> None:
    params, body = platform.plain(message_xml("text"))
    assert client.post("/wechat", params=change(params), content=body).status_code == expected


@pytest.mark.parametrize("age", [301, -301, 86400])
def test_stale_or_future_timestamps_are_refused(client: TestClient, age: int) -> None:
    import time

    platform = Platform(clock=time.time() - age)
    params, body = platform.plain(message_xml("text"))
    assert client.post("/wechat", params=params, content=body).status_code == 403


def test_replayed_nonce_with_another_body_is_refused(client: TestClient,
                                                     platform: Platform) -> None:
    params, body = platform.plain(message_xml("text", content="帮助"))
    assert client.post("/wechat", params=params, content=body).status_code == 200
    forged = message_xml("text", content="姓名 冒名者").encode()
    assert client.post("/wechat", params=params, content=forged).status_code == 403


def test_metrics_count_refusals(client: TestClient, platform: Platform) -> None:
    params, body = platform.plain(message_xml("text"))
    client.post("/wechat", params=params | {"signature": "0" * 40}, content=body)
    metrics = client.get("/metrics").text
    assert 'hongxin_callbacks_refused_total{reason="bad_signature"}' in metrics
