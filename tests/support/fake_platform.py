"""Steering ``hongxin fake-wechat`` (or a :class:`FakeWeChatServer`) over its control API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.fakewechat import FakeWeChatServer

CUSTOM = "/cgi-bin/message/custom/send"
TEMPLATE = "/cgi-bin/message/template/send"
SUBSCRIBE = "/cgi-bin/message/subscribe/send"
USER_INFO_BATCH = "/cgi-bin/user/info/batchget"
STABLE = "/cgi-bin/stable_token"
PLAIN = "/cgi-bin/token"


class FakeControl:
    """The fake's /_fake control API, synchronously (it is local and instant)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=10)

    def reset(self) -> None:
        self.http.post("/_fake/reset").raise_for_status()

    def calls(self, path: str | None = None) -> list[dict[str, Any]]:
        params = {"path": path} if path else {}
        answer: list[dict[str, Any]] = self.http.get("/_fake/calls", params=params).json()
        return answer

    def token_fetches(self) -> int:
        return len(self.calls(STABLE)) + len(self.calls(PLAIN))

    def delivered(self, path: str = CUSTOM) -> list[dict[str, Any]]:
        """Calls to ``path`` the platform accepted (errcode 0)."""
        return [call for call in self.calls(path) if call["errcode"] == 0]

    def fault(self, path: str, **spec: Any) -> None:
        self.http.post("/_fake/faults", json={"path": path, **spec}).raise_for_status()

    def member(self, openid: str, **flags: Any) -> None:
        self.http.post("/_fake/members", json={"openid": openid, **flags}).raise_for_status()

    def person(self, unionid: str, *, openids: list[str] | None = None,
               js_codes: list[str] | None = None, mp_openid: str | None = None) -> None:
        """Link official-account openids and login codes to one person's ``unionid``."""
        self.http.post("/_fake/people", json={
            "unionid": unionid, "openids": openids or [], "js_codes": js_codes or [],
            "mp_openid": mp_openid}).raise_for_status()

    def expire_tokens(self) -> None:
        self.http.post("/_fake/expire-tokens").raise_for_status()

    def clear_calls(self) -> None:
        self.http.delete("/_fake/calls").raise_for_status()

    def close(self) -> None:
        self.http.close()


# Fixtures, offered to every test through ``pytest_plugins`` in tests/conftest.py.


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeWeChatServer]:
    with FakeWeChatServer() as running:
        yield running


@pytest.fixture
def fake(fake_server: FakeWeChatServer) -> Iterator[FakeControl]:
    control = FakeControl(fake_server.url)
    control.reset()
    yield control
    control.close()
