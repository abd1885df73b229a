"""Which callbacks get a log line at INFO: those worth a second look, not the routine ones."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from fastapi import FastAPI

from app.wechat import gateway
from tests.app.test_wechat_retries import CountingBot, install, post
from tests.support.wechat import Platform, message_xml


def callback_lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.name == "hongxin.callback" and record.levelno == level
            and record.getMessage().startswith("callback kind=")]


async def test_routine_callbacks_are_logged_at_debug_only(
    async_client: httpx.AsyncClient, platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="hongxin.callback")
    await post(async_client, *platform.plain(message_xml("text", content="帮助", msg_id=88001)))
    assert callback_lines(caplog, logging.INFO) == []
    (line,) = callback_lines(caplog, logging.DEBUG)
    assert "handler=keyword:帮助" in line and "retry=False" in line


async def test_retries_are_logged_at_info(
    async_client: httpx.AsyncClient, platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hongxin.callback")
    xml = message_xml("text", content="帮助", msg_id=88002)
    await post(async_client, *platform.plain(xml))
    await post(async_client, *platform.plain(xml))
    (line,) = callback_lines(caplog, logging.INFO)
    assert "handler=retry" in line and "retry=True" in line


async def test_slow_callbacks_and_late_replies_are_logged_at_info(
    app: FastAPI, async_client: httpx.AsyncClient, platform: Platform,
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.INFO, logger="hongxin.callback")
    monkeypatch.setattr(gateway, "SLOW_CALLBACK_SECONDS", 0.2)
    install(app, CountingBot(delay=0.3).bot, budget=1.0)
    assert "run 1 for slow" in await post(async_client, *platform.plain(
        message_xml("text", content="count slow")))
    install(app, CountingBot(delay=0.3).bot, budget=0.1)
    assert await post(async_client, *platform.plain(
        message_xml("text", content="count late"))) == "success"
    slow, late = callback_lines(caplog, logging.INFO)
    assert "handler=command:count" in slow
    assert "ms=" in late and "retry=False" in late
    await asyncio.sleep(0.4)  # the late turn finishes before the database closes


def test_a_reply_past_the_budget_is_always_slow() -> None:
    assert gateway.SLOW_CALLBACK_SECONDS < gateway.REPLY_BUDGET_SECONDS
