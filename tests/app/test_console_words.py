"""The sensitive-word list in the console: admin only, CSRF, Chinese errors, applied at once,
in this process and in another ``hongxin serve`` process on the same database."""

from __future__ import annotations

import re
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app import migrations
from app.auth.tokens import Role, create_token
from app.db import Database
from app.moderation.words import add_words
from app.settings import Settings
from bots import texts
from tests.app.conftest import make_settings
from tests.app.test_console import csrf_of, sign_in
from tests.app.test_wechat_callback import post, reply_content
from tests.support.servers import hongxin_process
from tests.support.units import run_unit
from tests.support.wechat import Platform, message_xml

ADMIN = "console-admin-token-0123456789"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, admin_token=ADMIN)


def _branch_reply(client: TestClient, platform: Platform, branch: str) -> str:
    message = message_xml("text", "o_words", content=f"支部 {branch}")
    return reply_content(post(client, *platform.plain(message))[1])


def test_an_added_word_is_refused_in_chat_at_once_and_a_removed_one_accepted(
        client: TestClient, platform: Platform) -> None:
    assert _branch_reply(client, platform, "乌龙茶支部") == "已登记支部：乌龙茶支部"
    sign_in(client, ADMIN)
    page = client.get("/console/sensitive-words").text
    added = client.post("/console/sensitive-words", data={"csrf": csrf_of(page),
                                                "words": "乌龙茶\n红 茶，ＸＹＺ、乌龙茶"})
    assert added.status_code == 200
    assert "已添加 3 个：乌龙茶、红茶、xyz" in added.text
    assert _branch_reply(client, platform, "乌龙茶二支部") == texts.SENSITIVE_REFUSED
    assert _branch_reply(client, platform, "xYz支部") == texts.SENSITIVE_REFUSED

    again = client.post("/console/sensitive-words", data={"csrf": csrf_of(page), "words": "红茶"})
    assert "已在词库中：红茶" in again.text

    word_id = re.search(r'<tr id="word-(\d+)">\s*<td data-label="敏感词">乌龙茶<', again.text)
    assert word_id
    removed = client.post(f"/console/sensitive-words/{word_id.group(1)}/delete",
                          data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert removed.status_code == 303
    assert ">乌龙茶<" not in client.get("/console/sensitive-words").text
    assert _branch_reply(client, platform, "乌龙茶三支部") == "已登记支部：乌龙茶三支部"


def test_the_test_box_shows_matches_and_stores_nothing(client: TestClient) -> None:
    sign_in(client, ADMIN)
    page = client.get("/console/sensitive-words").text
    client.post("/console/sensitive-words", data={"csrf": csrf_of(page), "words": "赌博,博彩"})
    shown = client.post("/console/sensitive-words/test",
                        data={"csrf": csrf_of(page), "text": "线上 博彩 与赌 博"})
    assert "命中 2 个敏感词" in shown.text and "<mark>博彩</mark>" in shown.text
    assert "<html" in shown.text
    fragment = client.post("/console/sensitive-words/test", headers={"HX-Request": "true"},
                           data={"csrf": csrf_of(page), "text": "今天学习党章"})
    assert "没有命中任何敏感词" in fragment.text and "<html" not in fragment.text
    assert "今天学习党章" not in client.get("/console/sensitive-words").text


def test_forms_need_the_csrf_token_and_errors_are_chinese(client: TestClient) -> None:
    sign_in(client, ADMIN)
    forged = client.post("/console/sensitive-words", data={"csrf": "forged", "words": "乌龙茶"})
    assert forged.status_code == 403 and "页面已过期" in forged.text
    page = client.get("/console/sensitive-words").text
    assert "乌龙茶" not in page
    empty = client.post("/console/sensitive-words", data={"csrf": csrf_of(page), "words": "  "})
    assert empty.status_code == 422 and "请至少填写一个词" in empty.text
    long_word = client.post("/console/sensitive-words",
                            data={"csrf": csrf_of(page), "words": "长" * 51})
    assert "超过 50 个字，未添加" in long_word.text


def test_organizers_may_not_edit_the_list(client: TestClient, database: Database) -> None:
    token = run_unit(database, lambda s: create_token(s, Role.ORGANIZER, "alice"))
    sign_in(client, token)
    response = client.get("/console/sensitive-words")
    assert response.status_code == 403 and "只有管理员可以管理敏感词库" in response.text
    csrf = csrf_of(client.get("/console").text)
    refused = client.post("/console/sensitive-words", data={"csrf": csrf, "words": "乌龙茶"})
    assert refused.status_code == 403
    assert "乌龙茶" not in client.get("/console/sensitive-words").text


def _console_client(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10, follow_redirects=True)
    form = client.get("/console/login").text
    signed = client.post("/console/login", data={"token": ADMIN, "csrf": csrf_of(form)})
    assert signed.status_code == 200 and "退出" in signed.text
    return client


def _matches_in(client: httpx.Client, text: str) -> str:
    csrf = csrf_of(client.get("/console/sensitive-words").text)
    return client.post("/console/sensitive-words/test", data={"csrf": csrf, "text": text},
                       headers={"HX-Request": "true"}).text


def test_another_process_sees_an_edit_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'words.db'}"
    migrations.upgrade(url)
    env = {"HONGXIN_DATABASE_URL": url, "HONGXIN_ADMIN_TOKEN": ADMIN}
    database = Database(url)
    try:
        with hongxin_process(["serve", "--no-scheduler"], env,
                             log_path=tmp_path / "serve.log") as base, \
                closing(_console_client(base)) as console:
            # The other process has built its automaton from the list as it was.
            assert "没有命中任何敏感词" in _matches_in(console, "普洱茶会")

            def edit(session: Session) -> None:
                add_words(session, "普洱", "test", datetime.now(UTC))

            run_unit(database, edit)
            assert "<mark>普洱</mark>" in _matches_in(console, "普洱茶会")
    finally:
        database.close()
