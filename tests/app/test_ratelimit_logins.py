"""Per-address limits on console sign-in failures and mini-program logins.

The app sits behind uvicorn's proxy-headers middleware, as ``hongxin serve`` runs
it, so each request's ``X-Forwarded-For`` plays the client's address.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.testclient import TestClient
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.console import pages
from app.console.pages import SIGN_IN_FAILURES
from app.console.session import COOKIE
from app.db import Database
from app.fakewechat import FakeWeChatServer
from app.main import create_app
from app.miniprogram.service import LOGINS_PER_ADDRESS, count_login
from app.ratelimit.counter import Verdict
from app.settings import Settings
from tests.app.conftest import make_settings
from tests.support.units import run_unit

ADMIN = "ratelimit-admin-token-0123456789"
HOME, ELSEWHERE = "198.51.100.7", "203.0.113.9"


@pytest.fixture(scope="module")
def wechat_server() -> Iterator[FakeWeChatServer]:
    with FakeWeChatServer() as running:
        yield running


@pytest.fixture
def settings(database_url: str, wechat_server: FakeWeChatServer) -> Settings:
    return make_settings(database_url, admin_token=ADMIN, wechat_api_base=wechat_server.url)


@pytest.fixture
def client(settings: Settings, wechat_server: FakeWeChatServer) -> Iterator[TestClient]:
    httpx.post(f"{wechat_server.url}/_fake/reset").raise_for_status()
    # The test client's own peer is not an address, so trust it as a proxy.
    proxied = ProxyHeadersMiddleware(create_app(settings), trusted_hosts="*")  # type: ignore[arg-type]
    with TestClient(proxied) as test_client:
        yield test_client


def peer(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def try_sign_in(client: TestClient, token: str, address: str) -> httpx.Response:
    form = client.get("/console/login").text
    found = re.search(r'name="csrf" value="([^"]+)"', form)
    assert found
    client.cookies.delete(COOKIE)
    return client.post("/console/login", data={"token": token, "csrf": found.group(1)},
                       headers=peer(address), follow_redirects=False)


# ------------------------------------------------------------------ console sign-in


def test_console_refuses_an_address_after_ten_failures(client: TestClient) -> None:
    for n in range(SIGN_IN_FAILURES.max_hits):
        assert try_sign_in(client, f"hx_guess_{n}", HOME).status_code == 401

    refused = try_sign_in(client, ADMIN, HOME)  # even the right token, once the address is held
    assert refused.status_code == 429
    assert "登录失败次数过多" in refused.text and "10 分钟后再试" in refused.text
    assert 540 < int(refused.headers["Retry-After"]) <= 600
    assert COOKIE not in client.cookies

    # A colleague elsewhere is not held back by someone else's failures.
    assert try_sign_in(client, ADMIN, ELSEWHERE).status_code == 303


def test_successful_sign_ins_are_not_counted(client: TestClient) -> None:
    for _ in range(SIGN_IN_FAILURES.max_hits + 5):
        assert try_sign_in(client, ADMIN, HOME).status_code == 303
    for n in range(SIGN_IN_FAILURES.max_hits):
        assert try_sign_in(client, f"hx_typo_{n}", HOME).status_code == 401
    assert try_sign_in(client, ADMIN, HOME).status_code == 429


def test_console_sign_in_opens_again_after_the_window(database: Database,
                                                      settings: Settings) -> None:
    now = datetime.now(UTC)
    for n in range(SIGN_IN_FAILURES.max_hits):
        assert run_unit(database,
            lambda s, n=n: pages.sign_in(s, settings, f"hx_no_{n}", HOME, now)) is None
    held = run_unit(database, lambda s: pages.sign_in(s, settings, ADMIN, HOME, now))
    assert isinstance(held, Verdict) and not held.allowed
    later = now + SIGN_IN_FAILURES.window
    assert isinstance(run_unit(database,
        lambda s: pages.sign_in(s, settings, ADMIN, HOME, later)), str)


# ----------------------------------------------------------------- mini-program login


def test_mini_program_login_is_limited_per_address_before_asking_wechat(
        client: TestClient, wechat_server: FakeWeChatServer) -> None:
    def login(code: str, address: str) -> httpx.Response:
        return client.post("/api/mp/login", json={"code": code}, headers=peer(address))

    for n in range(LOGINS_PER_ADDRESS.max_hits):
        assert login(f"code-{n}", HOME).status_code == 200

    refused = login("code-one-more", HOME)
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 600
    calls = httpx.get(f"{wechat_server.url}/_fake/calls",
                      params={"path": "/sns/jscode2session"}).json()
    assert len(calls) == LOGINS_PER_ADDRESS.max_hits  # the refused login cost no WeChat call

    assert login("code-elsewhere", ELSEWHERE).status_code == 200


def test_mini_program_login_opens_again_after_the_window(database: Database) -> None:
    now = datetime.now(UTC)
    allowed = [run_unit(database, lambda s: count_login(s, HOME, now).allowed)
               for _ in range(LOGINS_PER_ADDRESS.max_hits + 1)]
    assert allowed.count(False) == 1 and allowed[-1] is False
    later = now + LOGINS_PER_ADDRESS.window
    assert run_unit(database, lambda s: count_login(s, HOME, later).allowed)
