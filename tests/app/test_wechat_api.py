"""The outbound WeChat client against the fake platform, over real HTTP (no mocks)."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from app.fakewechat import DEV_APPS, FakeWeChatServer, fake_openid
from app.wechat.api import (
    AccessTokenInvalid,
    InvalidArgument,
    InvalidCredentials,
    MemoryTokenStore,
    NewsArticle,
    PermanentError,
    ResponseWindowClosed,
    RetryPolicy,
    TransientError,
    UserUnsubscribed,
    WeChatAPI,
    WeChatAPIError,
    template_value,
)
from app.wechat.api_errors import redact
from tests.support.fake_platform import CUSTOM, PLAIN, STABLE, FakeControl

APPID, SECRET = next(iter(DEV_APPS.items()))
MP_APPID, MP_SECRET = list(DEV_APPS.items())[1]
OPENID = "oUser0000000000000000000001"
FAST_RETRY = RetryPolicy(attempts=3, wait_initial=0.01, wait_max=0.02)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=2) as client:
        yield client


@pytest.fixture
def wechat(fake_server: FakeWeChatServer, http: httpx.AsyncClient, fake: FakeControl) -> WeChatAPI:
    return WeChatAPI(
        http, app_id=APPID, app_secret=SECRET, base_url=fake_server.url, retry=FAST_RETRY
    )


def sent_ok(fake: FakeControl, openid: str) -> int:
    return sum(1 for c in fake.calls(CUSTOM) if c["openid"] == openid and c["errcode"] == 0)


# --------------------------------------------------------------------------- tokens


async def test_token_is_fetched_once_and_reused(wechat: WeChatAPI, fake: FakeControl) -> None:
    await wechat.send_custom_text(OPENID, "一")
    await wechat.send_custom_text(OPENID, "二")
    token = await wechat.get_access_token()
    assert len(fake.calls(STABLE)) == 1
    assert fake.calls(PLAIN) == []
    assert sent_ok(fake, OPENID) == 2
    assert token == await wechat.get_access_token()


@pytest.mark.parametrize("refusal", [{"status": 404}, {"status": 405}, {"errcode": 48001}])
async def test_falls_back_to_plain_token_when_stable_token_unsupported(
    wechat: WeChatAPI, fake: FakeControl, refusal: dict[str, int]
) -> None:
    fake.fault(STABLE, times=100, **refusal)
    await wechat.send_custom_text(OPENID, "hi")
    assert len(fake.calls(STABLE)) == 1
    assert len(fake.calls(PLAIN)) == 1
    assert sent_ok(fake, OPENID) == 1

    # Remembered: the next fetch goes straight to /cgi-bin/token.
    fake.expire_tokens()
    await wechat.send_custom_text(OPENID, "again")
    assert len(fake.calls(STABLE)) == 1
    assert len(fake.calls(PLAIN)) == 2


async def test_stable_token_other_errors_do_not_fall_back(
    wechat: WeChatAPI, fake: FakeControl
) -> None:
    fake.fault(STABLE, errcode=-1, times=2)
    await wechat.send_custom_text(OPENID, "hi")
    assert len(fake.calls(STABLE)) == 3  # transient: retried on stable_token itself
    assert fake.calls(PLAIN) == []


async def test_token_fetch_retries_are_not_nested(wechat: WeChatAPI, fake: FakeControl) -> None:
    fake.fault(STABLE, errcode=-1, times=3)
    with pytest.raises(TransientError):
        await wechat.send_custom_text(OPENID, "hi")
    assert len(fake.calls(STABLE)) == 3  # RetryPolicy.attempts in all, not 3 x 3
    assert fake.calls(CUSTOM) == []


async def test_wrong_secret_is_permanent_and_never_shown(
    fake_server: FakeWeChatServer, http: httpx.AsyncClient, fake: FakeControl
) -> None:
    secret = "wrong-secret-0123456789"
    client = WeChatAPI(
        http, app_id=APPID, app_secret=secret, base_url=fake_server.url, retry=FAST_RETRY
    )
    with pytest.raises(InvalidCredentials) as caught:
        await client.send_custom_text(OPENID, "hi")
    assert caught.value.errcode == 40125
    assert len(fake.calls(STABLE)) == 1  # neither retried nor refreshed in a loop
    assert fake.calls(CUSTOM) == []
    assert secret not in str(caught.value)
    assert secret not in repr(client)


async def test_token_expiry_mid_batch_refreshes_once(wechat: WeChatAPI, fake: FakeControl) -> None:
    openids = [f"oBatch{i:02d}" for i in range(6)]
    await wechat.send_custom_text(openids[0], "first")
    fake.expire_tokens()
    fake.clear_calls()

    await asyncio.gather(*(wechat.send_custom_text(o, "batch") for o in openids))

    assert len(fake.calls(STABLE)) == 1
    assert all(sent_ok(fake, o) == 1 for o in openids)
    refused = [c for c in fake.calls(CUSTOM) if c["errcode"] == 42001]
    assert len(refused) == len(openids)


async def test_token_refused_twice_is_raised_after_one_refresh(
    wechat: WeChatAPI, fake: FakeControl
) -> None:
    fake.fault(CUSTOM, errcode=40001, times=2)
    with pytest.raises(AccessTokenInvalid) as caught:
        await wechat.send_custom_text(OPENID, "hi")
    assert caught.value.errcode == 40001
    assert len(fake.calls(STABLE)) == 2  # the first fetch and one refresh
    assert len(fake.calls(CUSTOM)) == 2


async def test_memory_store_fetches_once_for_concurrent_refreshes() -> None:
    store = MemoryTokenStore()
    fetches = 0

    async def fetch() -> tuple[str, int]:
        nonlocal fetches
        fetches += 1
        await asyncio.sleep(0.01)
        return f"token-{fetches}", 7200

    assert await store.get() is None
    first = await store.refresh(fetch, None)
    assert first == "token-1"
    results = await asyncio.gather(*(store.refresh(fetch, first) for _ in range(5)))
    assert results == ["token-2"] * 5
    assert fetches == 2
    assert await store.refresh(fetch, "token-1") == "token-2"  # already replaced
    assert fetches == 2
    assert await store.get() == "token-2"


async def test_memory_store_forgets_tokens_near_expiry() -> None:
    now = [0.0]
    store = MemoryTokenStore(margin=300, clock=lambda: now[0])

    async def fetch() -> tuple[str, int]:
        return "t", 7200

    await store.refresh(fetch, None)
    now[0] = 6899
    assert await store.get() == "t"
    now[0] = 6901
    assert await store.get() is None


# --------------------------------------------------------------------------- retries


async def test_errcode_minus_one_burst_is_retried(wechat: WeChatAPI, fake: FakeControl) -> None:
    fake.fault(CUSTOM, errcode=-1, times=2)
    await wechat.send_custom_text(OPENID, "hi")
    assert [c["errcode"] for c in fake.calls(CUSTOM)] == [-1, -1, 0]


async def test_transient_errors_give_up_after_the_attempts(
    wechat: WeChatAPI, fake: FakeControl
) -> None:
    fake.fault(CUSTOM, errcode=45009, times=3)
    with pytest.raises(TransientError) as caught:
        await wechat.send_custom_text(OPENID, "hi")
    assert caught.value.errcode == 45009
    assert len(fake.calls(CUSTOM)) == 3


async def test_http_5xx_is_retried(wechat: WeChatAPI, fake: FakeControl) -> None:
    fake.fault(CUSTOM, status=502, times=2)
    await wechat.send_custom_text(OPENID, "hi")
    assert [c["status"] for c in fake.calls(CUSTOM)] == [502, 502, 200]


async def test_http_4xx_is_permanent(wechat: WeChatAPI, fake: FakeControl) -> None:
    fake.fault(CUSTOM, status=400)
    with pytest.raises(PermanentError) as caught:
        await wechat.send_custom_text(OPENID, "hi")
    assert caught.value.status_code == 400
    assert len(fake.calls(CUSTOM)) == 1


async def test_timeout_is_retried(fake_server: FakeWeChatServer, fake: FakeControl) -> None:
    fake.fault(CUSTOM, delay=1.0)
    async with httpx.AsyncClient(timeout=0.3) as short:
        client = WeChatAPI(
            short, app_id=APPID, app_secret=SECRET, base_url=fake_server.url, retry=FAST_RETRY
        )
        await client.send_custom_text(OPENID, "hi")
    assert len(fake.calls(CUSTOM)) == 2


async def test_window_closed_is_permanent_without_retry(
    wechat: WeChatAPI, fake: FakeControl
) -> None:
    fake.member(OPENID, window_open=False)
    with pytest.raises(ResponseWindowClosed) as caught:
        await wechat.send_custom_text(OPENID, "hi")
    assert caught.value.errcode == 45015
    assert isinstance(caught.value, PermanentError)
    assert len(fake.calls(CUSTOM)) == 1


async def test_injected_45015_for_one_openid(wechat: WeChatAPI, fake: FakeControl) -> None:
    fake.fault(CUSTOM, errcode=45015, openid="oTarget", times=10)
    await wechat.send_custom_text("oOther", "hi")
    with pytest.raises(ResponseWindowClosed):
        await wechat.send_custom_text("oTarget", "hi")
    assert len(fake.calls(CUSTOM)) == 2


async def test_unsubscribed_member(wechat: WeChatAPI, fake: FakeControl) -> None:
    fake.member(OPENID, subscribed=False)
    with pytest.raises(UserUnsubscribed):
        await wechat.send_template(OPENID, "TPL", {"thing1": "提醒"})


async def test_network_error_is_transient(http: httpx.AsyncClient) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nobody listens
    client = WeChatAPI(
        http, app_id=APPID, app_secret=SECRET, base_url=f"http://127.0.0.1:{port}", retry=FAST_RETRY
    )
    with pytest.raises(TransientError) as caught:
        await client.send_custom_text(OPENID, "hi")
    assert caught.value.errcode is None
    assert SECRET not in str(caught.value)


# --------------------------------------------------------------------------- endpoints


async def test_custom_text_and_news_bodies(wechat: WeChatAPI, fake: FakeControl) -> None:
    await wechat.send_custom_text(OPENID, "今日微党课")
    article = NewsArticle("微党课", "摘要", "https://example.org/l/1", "https://example.org/p.png")
    await wechat.send_custom_news(OPENID, article)
    text, news = (c["body"] for c in fake.calls(CUSTOM))
    assert text == {"touser": OPENID, "msgtype": "text", "text": {"content": "今日微党课"}}
    assert news["msgtype"] == "news"
    assert news["news"]["articles"] == [
        {
            "title": "微党课",
            "description": "摘要",
            "url": "https://example.org/l/1",
            "picurl": "https://example.org/p.png",
        }
    ]


async def test_template_send(wechat: WeChatAPI, fake: FakeControl) -> None:
    msgid = await wechat.send_template(
        OPENID,
        "TPL-1",
        {"thing1": "主题党日", "time2": "2025年7月1日 09:00"},
        url="https://example.org/e/1",
        client_msg_id="reminder-1",
    )
    assert isinstance(msgid, int)
    assert msgid > 0
    body = fake.calls("/cgi-bin/message/template/send")[0]["body"]
    assert body["data"] == {
        "thing1": {"value": "主题党日"},
        "time2": {"value": "2025年7月1日 09:00"},
    }
    assert body["url"] == "https://example.org/e/1"
    assert body["client_msg_id"] == "reminder-1"


@pytest.mark.parametrize("value", ["一" * 21, "两行\n文字"])
async def test_template_rule_violations_are_invalid_arguments(
    wechat: WeChatAPI, fake: FakeControl, value: str
) -> None:
    with pytest.raises(InvalidArgument) as caught:
        await wechat.send_template(OPENID, "TPL-1", {"thing1": value})
    assert caught.value.errcode == 47003
    assert len(fake.calls("/cgi-bin/message/template/send")) == 1
    # The helper makes the same text acceptable.
    await wechat.send_template(OPENID, "TPL-1", {"thing1": template_value(value)})


def test_template_value_fits_the_rules() -> None:
    assert template_value("短标题") == "短标题"
    assert template_value(" 第一行\n第二行\r\n ") == "第一行 第二行"
    long = template_value("一" * 30)
    assert len(long) == 20
    assert long.endswith("…")
    assert template_value("一" * 20) == "一" * 20


async def test_subscribe_send_uses_the_mini_program(
    fake_server: FakeWeChatServer, http: httpx.AsyncClient, fake: FakeControl
) -> None:
    mp = WeChatAPI(http, app_id=MP_APPID, app_secret=MP_SECRET, base_url=fake_server.url)
    await mp.send_subscribe(OPENID, "SUB-1", {"thing1": "活动提醒"}, page="pages/event?id=1")
    (stable,) = fake.calls(STABLE)
    assert stable["body"]["appid"] == MP_APPID
    body = fake.calls("/cgi-bin/message/subscribe/send")[0]["body"]
    assert body["page"] == "pages/event?id=1"
    assert "lang" not in body


async def test_menu_round_trip(wechat: WeChatAPI, fake: FakeControl) -> None:
    buttons = [
        {"type": "click", "name": "学习", "key": "LESSON_TODAY"},
        {"type": "click", "name": "答题", "key": "QUIZ_START"},
    ]
    await wechat.create_menu(buttons)
    assert await wechat.get_menu() == {"menu": {"button": buttons}}
    with pytest.raises(InvalidArgument) as caught:
        await wechat.create_menu([])
    assert caught.value.errcode == 40016


async def test_create_qrcode(wechat: WeChatAPI, fake: FakeControl) -> None:
    temporary = await wechat.create_qrcode("checkin_3", expire_seconds=3600)
    assert temporary.expire_seconds == 3600
    assert temporary.ticket
    assert temporary.url.startswith("http")
    permanent = await wechat.create_qrcode("checkin_3", expire_seconds=None)
    assert permanent.expire_seconds is None
    bodies = [c["body"] for c in fake.calls("/cgi-bin/qrcode/create")]
    assert bodies[0] == {
        "action_info": {"scene": {"scene_str": "checkin_3"}},
        "action_name": "QR_STR_SCENE",
        "expire_seconds": 3600,
    }
    assert bodies[1]["action_name"] == "QR_LIMIT_STR_SCENE"
    assert "expire_seconds" not in bodies[1]


async def test_jscode2session(
    fake_server: FakeWeChatServer, http: httpx.AsyncClient, fake: FakeControl
) -> None:
    mp = WeChatAPI(http, app_id=MP_APPID, app_secret=MP_SECRET, base_url=fake_server.url)
    session = await mp.jscode2session("wx-login-code")
    assert session.openid == fake_openid("wx-login-code")
    assert session.unionid
    assert session.session_key not in repr(session)
    with pytest.raises(PermanentError) as caught:
        await mp.jscode2session("wx-login-code")
    assert caught.value.errcode == 40163
    assert fake.calls("/cgi-bin/stable_token") == []  # no access token needed


# --------------------------------------------------------------------------- secrets


async def test_secrets_absent_from_errors_and_logs(
    wechat: WeChatAPI, fake: FakeControl, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = await wechat.get_access_token()
    # A platform errmsg that echoes the token and the secret must be scrubbed.
    fake.fault(CUSTOM, errcode=47001, errmsg=f"bad {token} {SECRET} rid: 1")
    with pytest.raises(WeChatAPIError) as caught:
        await wechat.send_custom_text(OPENID, "hi")
    message = str(caught.value)
    assert "rid: 1" in message
    assert "/cgi-bin/message/custom/send" in message
    assert token not in message
    assert SECRET not in message
    assert caught.value.__cause__ is None

    fake.fault(CUSTOM, status=503, times=3)
    with pytest.raises(TransientError) as transient:
        await wechat.send_custom_text(OPENID, "hi")
    assert token not in str(transient.value)

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/cgi-bin/message/custom/send" in logged  # httpx did log the requests
    assert token not in logged
    assert SECRET not in logged


async def test_plain_token_fallback_logs_no_secret(
    wechat: WeChatAPI, fake: FakeControl, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.fault(STABLE, status=404)
    await wechat.get_access_token()
    assert len(fake.calls(PLAIN)) == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/cgi-bin/token" in logged
    assert SECRET not in logged


def test_redact_masks_query_values() -> None:
    url = "https://api.weixin.qq.com/cgi-bin/token?appid=wx1&secret=s3cr3t&access_token=abc"
    assert (
        redact(url)
        == "https://api.weixin.qq.com/cgi-bin/token?appid=wx1&secret=***&access_token=***"
    )
    assert redact("oops s3cr3t here", "s3cr3t", None) == "oops *** here"
