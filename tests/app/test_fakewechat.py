"""The fake WeChat platform, spoken to over real HTTP like the platform itself."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.fakewechat import DEV_APPS, FakeWeChatServer, FakeWeChatState, fake_openid

APPID, SECRET = next(iter(DEV_APPS.items()))
MP_APPID, MP_SECRET = list(DEV_APPS.items())[1]
OPENID = "oUser0000000000000000000001"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeWeChatServer]:
    with FakeWeChatServer() as running:
        yield running


@pytest.fixture
def client(server: FakeWeChatServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5) as http:
        http.post("/_fake/reset").raise_for_status()
        yield http


def stable_token(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    body = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET, **overrides}
    answer: dict[str, Any] = client.post("/cgi-bin/stable_token", json=body).json()
    return answer


@pytest.fixture
def token(client: httpx.Client) -> str:
    answer = stable_token(client)
    assert isinstance(answer["access_token"], str)
    return answer["access_token"]


def api(client: httpx.Client, path: str, token: str | None, body: Any = None) -> dict[str, Any]:
    params = {"access_token": token} if token is not None else {}
    if body is None:
        response = client.get(path, params=params)
    else:
        response = client.post(path, params=params, json=body)
    assert response.status_code == 200
    answer: dict[str, Any] = response.json()
    return answer


def text(openid: str = OPENID, content: str = "你好") -> dict[str, Any]:
    return {"touser": openid, "msgtype": "text", "text": {"content": content}}


def template(data: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "touser": OPENID,
        "template_id": "TPL-reminder",
        "data": {key: {"value": value} for key, value in data.items()},
        **extra,
    }


# --------------------------------------------------------------------------- tokens


def test_token_endpoint_issues_token_and_refuses_wrong_credentials(client: httpx.Client) -> None:
    params = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
    good = client.get("/cgi-bin/token", params=params).json()
    assert good["expires_in"] == 7200
    assert len(good["access_token"]) >= 100

    wrong = client.get("/cgi-bin/token", params={**params, "secret": "nope"}).json()
    assert wrong["errcode"] == 40001
    unknown = client.get("/cgi-bin/token", params={**params, "appid": "wxnobody"}).json()
    assert unknown["errcode"] == 40013
    assert stable_token(client, secret="nope")["errcode"] == 40125
    assert stable_token(client, grant_type="password")["errcode"] == 40002


def test_stable_token_is_stable_until_forced(client: httpx.Client) -> None:
    first = stable_token(client)["access_token"]
    assert stable_token(client)["access_token"] == first

    forced = stable_token(client, force_refresh=True)["access_token"]
    assert forced != first
    assert api(client, "/cgi-bin/menu/get", first)["errcode"] == 40001
    assert api(client, "/cgi-bin/menu/get", forced)["errcode"] == 46003  # valid, no menu


def test_plain_token_replaces_but_old_one_keeps_working(client: httpx.Client) -> None:
    params = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
    first = client.get("/cgi-bin/token", params=params).json()["access_token"]
    second = client.get("/cgi-bin/token", params=params).json()["access_token"]
    assert first != second
    assert api(client, "/cgi-bin/message/custom/send", first, text())["errcode"] == 0


def test_calls_need_a_valid_token(client: httpx.Client, token: str) -> None:
    path = "/cgi-bin/message/custom/send"
    assert api(client, path, None, text())["errcode"] == 41001
    assert api(client, path, "made-up", text())["errcode"] == 40001
    assert api(client, path, token, text())["errcode"] == 0

    assert client.post("/_fake/expire-tokens").json() == {"expired": 1}
    assert api(client, path, token, text())["errcode"] == 42001
    fresh = stable_token(client)["access_token"]
    assert fresh != token
    assert api(client, path, fresh, text())["errcode"] == 0


def test_expire_tokens_can_answer_40001(client: httpx.Client, token: str) -> None:
    client.post("/_fake/expire-tokens", json={"errcode": 40001})
    assert api(client, "/cgi-bin/menu/get", token)["errcode"] == 40001


def test_tokens_expire_after_the_ttl() -> None:
    now = [1_000_000.0]
    state = FakeWeChatState(token_ttl=60, clock=lambda: now[0])
    with FakeWeChatServer(state) as server, httpx.Client(base_url=server.url) as client:
        answer = stable_token(client)
        assert answer["expires_in"] == 60
        assert api(client, "/cgi-bin/menu/get", answer["access_token"])["errcode"] == 46003
        now[0] += 61
        assert api(client, "/cgi-bin/menu/get", answer["access_token"])["errcode"] == 42001
        assert stable_token(client)["access_token"] != answer["access_token"]


def test_a_caller_gone_mid_request_is_no_call_and_no_error(
    server: FakeWeChatServer, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    errors = logging.getLogger("uvicorn.error")
    errors.addHandler(caplog.handler)
    try:
        with socket.create_connection((server.host, server.port), timeout=5) as raw:
            raw.sendall(b"POST /cgi-bin/message/custom/send?access_token=t HTTP/1.1\r\n"
                        b"Host: fake\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 1000\r\n\r\n{\"touser\": \"o")
        # The server notices the closed connection while it waits for the rest.
        time.sleep(0.5)
    finally:
        errors.removeHandler(caplog.handler)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert client.get("/_fake/calls").json() == []


# --------------------------------------------------------------------------- messages


def test_custom_send_follows_member_state(client: httpx.Client, token: str) -> None:
    path = "/cgi-bin/message/custom/send"
    closed, gone, budget = "oClosedWindow", "oUnfollowed", "oBudget"
    client.post("/_fake/members", json={"openid": closed, "window_open": False})
    client.post("/_fake/members", json={"openid": gone, "subscribed": False})
    client.post("/_fake/members", json={"openid": budget, "custom_quota": 1})

    assert api(client, path, token, text(closed))["errcode"] == 45015
    assert api(client, path, token, text(gone))["errcode"] == 43004
    assert api(client, path, token, text(budget))["errcode"] == 0
    assert api(client, path, token, text(budget))["errcode"] == 45047
    assert api(client, path, token, text(OPENID))["errcode"] == 0
    members = {m["openid"]: m for m in client.get("/_fake/members").json()}
    assert members[budget]["custom_quota"] == 0


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        (text("bad openid!"), 40003),
        (text(content="字" * 683), 45002),  # 2049 bytes of UTF-8
        ({"touser": OPENID, "msgtype": "fax", "fax": {}}, 40008),
        ({"touser": OPENID, "msgtype": "text", "text": {"content": ""}}, 44002),
        (
            {
                "touser": OPENID,
                "msgtype": "news",
                "news": {"articles": [{"title": "a", "url": "u"}, {"title": "b", "url": "u"}]},
            },
            45008,
        ),
    ],
)
def test_custom_send_rejects_bad_messages(
    client: httpx.Client, token: str, body: dict[str, Any], errcode: int
) -> None:
    assert api(client, "/cgi-bin/message/custom/send", token, body)["errcode"] == errcode


def test_custom_send_accepts_one_news_article_and_long_text(
    client: httpx.Client, token: str
) -> None:
    news = {
        "touser": OPENID,
        "msgtype": "news",
        "news": {"articles": [{"title": "微党课", "description": "d", "url": "https://x"}]},
    }
    assert api(client, "/cgi-bin/message/custom/send", token, news)["errcode"] == 0
    body = text(content="字" * 682)  # 2046 bytes
    assert api(client, "/cgi-bin/message/custom/send", token, body)["errcode"] == 0


def test_malformed_json_is_47001(client: httpx.Client, token: str) -> None:
    response = client.post(
        "/cgi-bin/message/custom/send", params={"access_token": token}, content=b"{not json"
    )
    assert response.json()["errcode"] == 47001


@pytest.mark.parametrize(
    ("data", "errcode"),
    [
        ({"thing1": "主题党日活动提醒"}, 0),
        ({"thing1": "一" * 20, "time2": "2025年7月1日 09:00"}, 0),
        ({"thing1": "一" * 21}, 47003),
        ({"thing1": "第一行\n第二行"}, 47003),
        ({"thing1": "回车\r"}, 47003),
        ({"thing1": ""}, 47003),
        ({"character_string3": "ABC-123"}, 0),
        ({"character_string3": "中文编号"}, 47003),
        ({"character_string3": "A" * 33}, 47003),
        ({"number4": "12.5"}, 0),
        ({"number4": "12a"}, 47003),
        ({"phrase5": "已报名"}, 0),
        ({"phrase5": "已经报名成功"}, 47003),
        ({"keyword1": "a" * 21}, 47003),  # legacy / unknown keys: general 20-char rule
        ({"time2": "2025年7月1日\n09:00"}, 47003),
    ],
)
def test_template_send_enforces_keyword_rules(
    client: httpx.Client, token: str, data: dict[str, str], errcode: int
) -> None:
    answer = api(client, "/cgi-bin/message/template/send", token, template(data))
    assert answer["errcode"] == errcode
    if errcode == 47003:
        key = next(iter(data))
        assert f"data.{key}.value" in answer["errmsg"]
    else:
        assert isinstance(answer["msgid"], int)


def test_template_send_other_errors_and_dedupe(client: httpx.Client, token: str) -> None:
    path = "/cgi-bin/message/template/send"
    assert (
        api(client, path, token, {**template({"thing1": "x"}), "template_id": ""})["errcode"]
        == 40037
    )
    assert api(client, path, token, {**template({}), "data": "x"})["errcode"] == 47001
    client.post("/_fake/members", json={"openid": OPENID, "subscribed": False})
    assert api(client, path, token, template({"thing1": "x"}))["errcode"] == 43004
    client.post("/_fake/members", json={"openid": OPENID})

    once = api(client, path, token, template({"thing1": "x"}, client_msg_id="r-1"))
    again = api(client, path, token, template({"thing1": "x"}, client_msg_id="r-1"))
    other = api(client, path, token, template({"thing1": "x"}, client_msg_id="r-2"))
    assert once["msgid"] == again["msgid"] != other["msgid"]


def test_subscribe_send_rules_and_quota(client: httpx.Client) -> None:
    answer = client.post(
        "/cgi-bin/stable_token",
        json={"grant_type": "client_credential", "appid": MP_APPID, "secret": MP_SECRET},
    ).json()
    mp_token = answer["access_token"]
    path = "/cgi-bin/message/subscribe/send"
    client.post("/_fake/members", json={"openid": OPENID, "subscribe_quota": 1})
    assert api(client, path, mp_token, template({"thing1": "活动提醒"}))["errcode"] == 0
    assert api(client, path, mp_token, template({"thing1": "活动提醒"}))["errcode"] == 43101
    assert api(client, path, mp_token, template({"thing1": "一" * 21}))["errcode"] == 47003


# --------------------------------------------------------------------------- menu, QR


def test_menu_create_and_get(client: httpx.Client, token: str) -> None:
    menu = {
        "button": [
            {"type": "click", "name": "今日学习", "key": "LESSON_TODAY"},
            {
                "name": "更多",
                "sub_button": [
                    {"type": "click", "name": "答题", "key": "QUIZ_START"},
                    {"type": "view", "name": "官网", "url": "https://example.org"},
                ],
            },
        ]
    }
    assert api(client, "/cgi-bin/menu/get", token)["errcode"] == 46003
    assert api(client, "/cgi-bin/menu/create", token, menu)["errcode"] == 0
    assert api(client, "/cgi-bin/menu/get", token) == {"menu": menu}


@pytest.mark.parametrize(
    ("menu", "errcode"),
    [
        ({"button": []}, 40016),
        ({"button": [{"type": "click", "name": "a", "key": "k"}] * 4}, 40016),
        ({"button": [{"type": "teleport", "name": "a"}]}, 40017),
        ({"button": [{"type": "click", "name": "一二三四五六", "key": "k"}]}, 40018),
        ({"button": [{"type": "click", "name": "a"}]}, 40019),
        ({"button": [{"type": "view", "name": "a"}]}, 40020),
        (
            {
                "button": [
                    {"name": "m", "sub_button": [{"type": "click", "name": "a", "key": "k"}] * 6}
                ]
            },
            40023,
        ),
    ],
)
def test_menu_rules(client: httpx.Client, token: str, menu: dict[str, Any], errcode: int) -> None:
    assert api(client, "/cgi-bin/menu/create", token, menu)["errcode"] == errcode


def test_qrcode_create_and_show(client: httpx.Client, token: str) -> None:
    temporary = api(
        client,
        "/cgi-bin/qrcode/create",
        token,
        {
            "expire_seconds": 9_999_999,
            "action_name": "QR_STR_SCENE",
            "action_info": {"scene": {"scene_str": "checkin_7"}},
        },
    )
    assert temporary["expire_seconds"] == 2_592_000  # clamped to 30 days
    assert temporary["url"].startswith("http://weixin.qq.com/q/")
    permanent = api(
        client,
        "/cgi-bin/qrcode/create",
        token,
        {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "x"}}},
    )
    assert "expire_seconds" not in permanent
    bad = {"action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": "x" * 65}}}
    assert api(client, "/cgi-bin/qrcode/create", token, bad)["errcode"] == 40097

    png = client.get("/cgi-bin/showqrcode", params={"ticket": temporary["ticket"]})
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert client.get("/cgi-bin/showqrcode", params={"ticket": "nope"}).status_code == 404


# --------------------------------------------------------------------------- jscode2session


def test_jscode2session_derives_openid_from_code(client: httpx.Client) -> None:
    params = {
        "appid": MP_APPID,
        "secret": MP_SECRET,
        "js_code": "code-1",
        "grant_type": "authorization_code",
    }
    answer = client.get("/sns/jscode2session", params=params).json()
    assert answer["openid"] == fake_openid("code-1")
    assert len(answer["openid"]) == 28
    assert answer["session_key"]
    assert answer["unionid"]
    other = client.get("/sns/jscode2session", params={**params, "js_code": "code-2"}).json()
    assert other["openid"] != answer["openid"]

    assert client.get("/sns/jscode2session", params=params).json()["errcode"] == 40163
    wrong = client.get("/sns/jscode2session", params={**params, "secret": "x", "js_code": "c3"})
    assert wrong.json()["errcode"] == 40125
    missing = client.get("/sns/jscode2session", params={**params, "js_code": ""})
    assert missing.json()["errcode"] == 41008


# --------------------------------------------------------------------------- control API


def test_calls_are_recorded_without_token_or_secret(client: httpx.Client, token: str) -> None:
    api(client, "/cgi-bin/message/custom/send", token, text())
    api(client, "/cgi-bin/message/custom/send", token, text("oSomeoneElse"))
    client.get(
        "/cgi-bin/token",
        params={"grant_type": "client_credential", "appid": APPID, "secret": SECRET},
    )

    calls = client.get("/_fake/calls").json()
    assert [c["path"] for c in calls] == [
        "/cgi-bin/stable_token",
        "/cgi-bin/message/custom/send",
        "/cgi-bin/message/custom/send",
        "/cgi-bin/token",
    ]
    sent = calls[1]
    assert sent["method"] == "POST"
    assert sent["body"] == text()
    assert sent["openid"] == OPENID
    assert sent["query"] == {}
    assert (sent["status"], sent["errcode"]) == (200, 0)
    assert isinstance(sent["at"], float)
    assert calls[0]["body"]["secret"] == "***"
    assert calls[3]["query"]["secret"] == "***"
    dump = client.get("/_fake/calls").text
    assert token not in dump
    assert SECRET not in dump

    only = client.get("/_fake/calls", params={"path": "/cgi-bin/message/custom/send"}).json()
    assert len(only) == 2
    assert len(client.get("/_fake/calls", params={"openid": "oSomeoneElse"}).json()) == 1
    assert client.delete("/_fake/calls").json() == {"deleted": 4}
    assert client.get("/_fake/calls").json() == []


def test_errcode_fault_hits_next_n_matching_calls(client: httpx.Client, token: str) -> None:
    path = "/cgi-bin/message/custom/send"
    created = client.post("/_fake/faults", json={"path": path, "times": 2, "errcode": -1})
    assert created.status_code == 201
    assert api(client, "/cgi-bin/menu/get", token)["errcode"] == 46003  # other path untouched
    assert api(client, path, token, text()) == {"errcode": -1, "errmsg": "system error"}
    assert api(client, path, token, text())["errcode"] == -1
    assert api(client, path, token, text())["errcode"] == 0
    assert client.get("/_fake/faults").json() == []
    faulted = [c["fault"] for c in client.get("/_fake/calls", params={"path": path}).json()]
    assert faulted[:2] == [created.json()["id"]] * 2
    assert faulted[2] is None


def test_fault_for_one_openid(client: httpx.Client, token: str) -> None:
    path = "/cgi-bin/message/custom/send"
    client.post(
        "/_fake/faults", json={"path": path, "errcode": 45015, "openid": "oTarget", "times": 5}
    )
    assert api(client, path, token, text("oBystander"))["errcode"] == 0
    assert api(client, path, token, text("oTarget"))["errcode"] == 45015
    assert client.get("/_fake/faults").json()[0]["times"] == 4
    assert client.delete("/_fake/faults").json() == {"deleted": 1}
    assert api(client, path, token, text("oTarget"))["errcode"] == 0


def test_status_fault_and_custom_errmsg(client: httpx.Client, token: str) -> None:
    path = "/cgi-bin/menu/get"
    client.post("/_fake/faults", json={"path": path, "status": 503})
    client.post("/_fake/faults", json={"path": path, "errcode": 45009, "errmsg": "quota!"})
    response = client.get(path, params={"access_token": token})
    assert response.status_code == 503
    assert api(client, path, token) == {"errcode": 45009, "errmsg": "quota!"}
    assert api(client, path, token)["errcode"] == 46003


def test_delay_fault_slows_the_call(client: httpx.Client, token: str) -> None:
    path = "/cgi-bin/menu/get"
    client.post("/_fake/faults", json={"path": path, "delay": 0.5})
    with pytest.raises(httpx.ReadTimeout):
        client.get(path, params={"access_token": token}, timeout=0.2)
    assert api(client, path, token)["errcode"] == 46003


def test_token_fault_revokes_the_token(client: httpx.Client, token: str) -> None:
    path = "/cgi-bin/menu/get"
    client.post("/_fake/faults", json={"path": path, "errcode": 40001})
    assert api(client, path, token)["errcode"] == 40001
    assert api(client, path, token)["errcode"] == 40001  # fault used up, token now revoked
    fresh = stable_token(client)["access_token"]
    assert fresh != token
    assert api(client, path, fresh)["errcode"] == 46003


@pytest.mark.parametrize(
    "spec",
    [
        {"path": "/cgi-bin/menu/get"},  # no effect given
        {"path": "/cgi-bin/menu/get", "status": 200},
        {"path": "/cgi-bin/menu/get", "errcode": -1, "times": 0},
        {"path": "cgi-bin/menu/get", "errcode": -1},
    ],
)
def test_bad_fault_specs_are_refused(client: httpx.Client, spec: dict[str, Any]) -> None:
    assert client.post("/_fake/faults", json=spec).status_code == 422


def test_reset_forgets_everything(client: httpx.Client, token: str) -> None:
    client.post("/_fake/faults", json={"path": "/cgi-bin/menu/get", "errcode": -1})
    client.post("/_fake/members", json={"openid": OPENID, "window_open": False})
    client.post("/_fake/reset")
    assert client.get("/_fake/calls").json() == []
    assert client.get("/_fake/faults").json() == []
    assert client.get("/_fake/members").json() == []
    assert api(client, "/cgi-bin/menu/get", token)["errcode"] == 40001


def test_one_person_answers_one_unionid_from_user_info_and_jscode2session(
        client: httpx.Client, token: str) -> None:
    person = {"unionid": "uSamePerson", "openids": ["oAccountOne"], "js_codes": ["code-p"],
              "mp_openid": "oMiniOne"}
    assert client.post("/_fake/people", json=person).status_code == 200
    info = client.get("/cgi-bin/user/info",
                      params={"access_token": token, "openid": "oAccountOne"}).json()
    assert (info["subscribe"], info["unionid"]) == (1, "uSamePerson")
    login = client.get("/sns/jscode2session", params={
        "appid": MP_APPID, "secret": MP_SECRET, "js_code": "code-p",
        "grant_type": "authorization_code"}).json()
    assert (login["openid"], login["unionid"]) == ("oMiniOne", "uSamePerson")

    client.post("/_fake/members", json={"openid": "oGone", "subscribed": False})
    batch = api(client, "/cgi-bin/user/info/batchget", token, {"user_list": [
        {"openid": "oAccountOne"}, {"openid": "oStranger"}, {"openid": "oGone"}]})
    listed = batch["user_info_list"]
    assert listed[0]["unionid"] == "uSamePerson"
    assert listed[1]["unionid"] not in ("", "uSamePerson")
    assert listed[2] == {"subscribe": 0, "openid": "oGone"}

    assert api(client, "/cgi-bin/user/info/batchget", token, {"user_list": [
        {"openid": "bad openid"}]})["errcode"] == 40003
    too_many = {"user_list": [{"openid": f"o{n}"} for n in range(101)]}
    assert api(client, "/cgi-bin/user/info/batchget", token, too_many)["errcode"] == 47001
