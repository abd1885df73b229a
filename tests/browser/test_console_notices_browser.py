"""Notices in the console, in Chromium at phone (390×844, touch) and desktop (1280×800)
sizes, against `hongxin serve` and `hongxin fake-wechat` on a fresh SQLite database.

An admin writes a notice and watches the preview follow the typing (htmx: the same
document, no reload), is told beside the org boxes when none is ticked, saves the
draft, confirms and sends it, and reads the counts by channel and the reasons for those
not reached; while the dispatcher sends, the counts follow in place (htmx). Every page
fits the width, raises no script or policy error, and passes axe-core's serious and
critical checks. Screenshots go to ``tests/browser/screenshots/``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from app import migrations
from app.db import Database
from app.fakewechat import FakeWeChatServer
from tests.browser.test_console_content_browser import Visit as ConsoleVisit
from tests.browser.test_console_content_browser import visiting
from tests.support.notices import MP_TEMPLATE, dispatch, seed_party
from tests.support.servers import hongxin_process
from tests.support.units import run_unit

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

ADMIN = "notices-browser-admin-token-0123456789"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[str, str, Any, str]]:
    """The notice party (tests/support/notices.py) served with the fake platform behind."""
    folder = tmp_path_factory.mktemp("notices")
    url = f"sqlite:///{folder / 'notices.db'}"
    migrations.upgrade(url)
    database = Database(url)
    party = run_unit(database, seed_party)
    database.close()
    with FakeWeChatServer() as platform, hongxin_process(
            ["serve", "--no-scheduler"],
            {"HONGXIN_DATABASE_URL": url, "HONGXIN_ADMIN_TOKEN": ADMIN,
             "HONGXIN_WECHAT_API_BASE": platform.url,
             "HONGXIN_MP_REMINDER_TEMPLATE_ID": MP_TEMPLATE},
            log_path=folder / "serve.log") as base:
        yield base, platform.url, party, url


class Visit(ConsoleVisit):
    SCREENSHOTS = "notices"


@pytest.fixture(params=["phone", "desktop"])
def admin(request: pytest.FixtureRequest, browser: Browser,
          server: tuple[str, str, Any, str]) -> Iterator[Visit]:
    yield from visiting(Visit(browser, server[0], request.param, ADMIN))


def _text_becomes(page: Page, selector: str, wanted: str) -> None:
    """Wait until the element's text holds ``wanted``. Polled from here: Playwright's
    wait_for_function evaluates in a way the page's policy (no eval) may refuse."""
    deadline = time.monotonic() + 15
    while wanted not in page.inner_text(selector):
        assert time.monotonic() < deadline, f"{selector} never showed {wanted!r}"
        time.sleep(0.1)


def test_an_admin_writes_previews_and_sends_a_notice(
        admin: Visit, server: tuple[str, str, Any, str]) -> None:
    _base, platform, party, database_url = server
    title = f"关于学习党章的通知（{admin.size}）"
    page = admin.open("/console/notices")
    admin.check("notices")
    admin.press("#new-notice")
    page.wait_for_url(re.compile(r".*/console/notices/new$"))
    admin.check("notice-form")

    page.evaluate("window.stillHere = true")
    page.fill("#title", title)
    page.fill("#body", "请各位党员本周内学习党章第三章，并在支部会上交流体会。")
    _text_becomes(page, "#preview-text", f"【通知】{title}")
    assert "本周内学习党章第三章" in page.inner_text("#preview-text")
    assert page.evaluate("window.stillHere") is True
    assert page.url.endswith("/console/notices/new")

    # No org ticked: the server says so beside the boxes, and keeps what was typed.
    admin.press("#notice-form button[type=submit]")
    page.wait_for_selector("#org_ids-error")
    assert "请至少选择一个组织" in page.inner_text("#org_ids-error")
    assert page.input_value("#title") == title
    admin.check("notice-refused")

    page.check(f"input[name=org_ids][value='{party.orgs['第一党支部']}']")
    _text_becomes(page, "#preview-template", "第一党支部")
    admin.press("#notice-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/notices/\d+\?created=1$"))
    assert "草稿" in page.inner_text("#facts")
    assert title in page.inner_text("#preview-template")
    admin.check("notice-draft")

    page.check("#confirm")
    admin.press("#send")
    page.wait_for_url(re.compile(r".*/console/notices/\d+\?sent=1$"))
    assert page.inner_text("#count-mass b") == "2"
    # 窗口内 (customer service) and 小程序, whose one subscribe credit the phone's notice
    # (the first) spends: the desktop's finds none left.
    assert page.inner_text("#count-on-the-way b") == ("2" if admin.size == "phone" else "1")
    assert "未关注公众号" in page.inner_text("#reasons")
    admin.check("notice-sent")

    # The dispatcher sends the rows on the way; the counts follow in place (htmx).
    page.evaluate("window.stillHere = true")
    database = Database(database_url)
    # In a thread of its own: Playwright's sync API keeps an event loop in this one.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(dispatch, database, platform).result()
    database.close()
    _text_becomes(page, "#count-on-the-way b", "0")
    assert page.inner_text("#count-custom b") == "1"
    assert page.evaluate("window.stillHere") is True
    assert page.get_attribute("#result", "hx-get") is None  # nothing left: it stops asking
    admin.check("notice-delivered")

    mass = httpx.get(f"{platform}/_fake/mass", timeout=10).json()
    assert any(sent["content"].startswith(f"【通知】{title}") for sent in mass)
    page = admin.open("/console/notices")
    assert title in page.inner_text("#notices")
    admin.check("notices-sent")
