"""Real `hongxin serve` processes over real HTTP: the chat tool and two servers on one database."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bots import texts
from tests.support.servers import hongxin_process
from tests.support.wechat import AES_KEY, APP_ID, TOKEN, Platform, message_xml


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    return {"HONGXIN_DATABASE_URL": database_url, "HONGXIN_WECHAT_TOKEN": TOKEN,
            "HONGXIN_WECHAT_APP_ID": APP_ID, **extra}


def test_chat_tool_gets_help_back(database_url: str, tmp_path: Path) -> None:
    env = server_env(database_url, HONGXIN_WECHAT_AES_KEY=AES_KEY)
    with hongxin_process(["serve", "--no-scheduler"], env, log_path=tmp_path / "serve.log") as url:
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", "chat", "--url", f"{url}/wechat"],
            input="帮助\n", capture_output=True, text=True, timeout=60,
            env={**server_env(database_url), "HONGXIN_WECHAT_AES_KEY": AES_KEY},
        )
    assert result.returncode == 0, result.stderr
    assert texts.HELP.splitlines()[0] in result.stdout


def handled_count(metrics: str, outcome: str) -> float:
    pattern = rf'hongxin_callbacks_total{{handler="[^"]*",kind="text",outcome="{outcome}"}} (\S+)'
    return sum(float(value) for value in re.findall(pattern, metrics))


def test_two_servers_on_one_database_act_once(database_url: str, tmp_path: Path) -> None:
    env = server_env(database_url)
    platform = Platform()
    with (hongxin_process(["serve", "--no-scheduler"], env, log_path=tmp_path / "a.log") as a,
          hongxin_process(["serve", "--no-scheduler"], env, log_path=tmp_path / "b.log") as b):
        messages = [message_xml("text", f"o_two_{i}", content="姓名 张三", msg_id=880000 + i)
                    for i in range(10)]

        async def deliver_everywhere() -> list[list[str]]:
            async with httpx.AsyncClient(timeout=30) as http:
                async def one(base: str, xml: str) -> str:
                    params, body = platform.plain(xml)
                    response = await http.post(f"{base}/wechat", params=params, content=body)
                    assert response.status_code == 200
                    return response.text

                return [list(await asyncio.gather(*(one(base, xml) for base in (a, b, a, b))))
                        for xml in messages]

        replies = asyncio.run(deliver_everywhere())
        metrics = httpx.get(f"{a}/metrics").text + httpx.get(f"{b}/metrics").text
    for per_message in replies:
        assert len(set(per_message)) == 1
        assert "已登记姓名：张三" in per_message[0]
    assert handled_count(metrics, "handled") == len(messages)
    assert handled_count(metrics, "retry") == 3 * len(messages)


@pytest.mark.parametrize(("variable", "value"), [
    ("HONGXIN_WECHAT_AES_KEY", "short"),
    ("HONGXIN_TIMEZONE", "Mars/Olympus"),
    ("HONGXIN_DATABASE_URL", "not a url"),
    ("HONGXIN_DAILY_LESSON_CRON", "every day"),
])
def test_bad_setting_stops_start_up_with_one_line(variable: str, value: str) -> None:
    result = subprocess.run([sys.executable, "-m", "app.cli", "serve"],
                            env={"PATH": "/usr/bin:/bin", variable: value},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0], result.stderr


def test_fake_wechat_command_serves_the_platform_api(tmp_path: Path) -> None:
    with hongxin_process(["fake-wechat"], {}, ready_path="/_fake/calls",
                         log_path=tmp_path / "fake.log") as url:
        token = httpx.get(f"{url}/cgi-bin/token", params={
            "grant_type": "client_credential", "appid": "wxdev00000000000000",
            "secret": "hongxin-dev-app-secret"}).json()
        assert token["expires_in"] > 0 and token["access_token"]
        calls = httpx.get(f"{url}/_fake/calls").json()
    assert [call["path"] for call in calls] == ["/cgi-bin/token"]
