"""The console's content pages in Chromium, at phone (390×844) and desktop (1280×800) sizes.

Lessons (Markdown with the live htmx preview, a cover upload, 专题, the daily
schedule), events (create, edit, the check-in QR code from the fake platform,
walk-ins, the A4 sign-in sheet) and the sensitive-word list, against
`hongxin serve` on a fresh SQLite database. Every page must fit the phone's
width, raise no console error under the Content-Security-Policy, and pass
axe-core's serious and critical checks (the helper of test_console_pages). Screenshots go to
``tests/browser/screenshots/``.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
import segno
from sqlalchemy.orm import Session

from app import migrations
from app.auth.tokens import Role, create_token
from app.db import Database
from app.events.signups import sign_up
from app.fakewechat import FakeWeChatServer
from tests.browser.conftest import AXE
from tests.browser.test_console_browser import ARTIFACTS
from tests.browser.test_console_pages import SIZES, accessibility_problems
from tests.support.factories import create_event, create_member
from tests.support.servers import hongxin_process
from tests.support.units import run_unit

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

ADMIN = "content-admin-token-0123456789abcdef"
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    """`hongxin serve` on a fresh database with an organizer, an event at the door, and the
    fake platform for QR codes."""
    folder = tmp_path_factory.mktemp("content")
    url = f"sqlite:///{folder / 'content.db'}"
    migrations.upgrade(url)
    database = Database(url)

    def seed(session: Session) -> dict[str, Any]:
        now = datetime.now(UTC)
        alice = create_token(session, Role.ORGANIZER, "alice")
        event = create_event(session, title="党课：学习党章", organizer="alice", capacity=20,
                             starts_at=now + timedelta(minutes=30), location="二楼报告厅")
        for number in range(1, 13):
            member = create_member(session, name=f"党员{number:02d}",
                                   phone=f"138001380{number:02d}", branch="第一党支部")
            sign_up(session, member.id, event.id, now, ZONE)
        return {"alice": alice, "event": event.id}

    world = run_unit(database, seed)
    database.close()
    with FakeWeChatServer() as platform, hongxin_process(
            ["serve", "--no-scheduler"],
            {"HONGXIN_DATABASE_URL": url, "HONGXIN_ADMIN_TOKEN": ADMIN,
             "HONGXIN_WECHAT_API_BASE": platform.url,
             "HONGXIN_MEDIA_DIR": str(folder / "media")},
            log_path=folder / "serve.log") as base:
        yield base, world


class Visit:
    """One signed-in page at one size (a touch screen on the phone), collecting errors."""

    SCREENSHOTS = "content"  # the screenshots' file name prefix

    def __init__(self, browser: Browser, base: str, size: str, token: str) -> None:
        self.base, self.size = base, size
        self.context = browser.new_context(viewport=SIZES[size], locale="zh-CN",
                                           has_touch=size == "phone",
                                           is_mobile=size == "phone")
        # Before the page's own scripts and outside its policy (see test_console_pages).
        self.context.add_init_script(path=str(AXE))
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(f"{base}/console/login")
        self.page.fill("#token", token)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{base}/console")

    def _console(self, message: Any) -> None:
        # A refused form (4xx) is the page working; script and policy errors are not.
        if message.type == "error" and not message.text.startswith(
                "Failed to load resource: the server responded with a status of 4"):
            self.errors.append(message.text)

    def open(self, path: str) -> Page:
        self.page.goto(self.base + path)
        return self.page

    def press(self, selector: str) -> None:
        """A tap on the phone, a click on the desktop."""
        target = self.page.locator(selector)
        if self.size == "phone":
            target.tap()
        else:
            target.click()

    def check(self, name: str) -> None:
        """Fits the width, no console errors, no serious accessibility problem; a screenshot."""
        page = self.page
        page.screenshot(path=str(ARTIFACTS / f"{self.SCREENSHOTS}-{self.size}-{name}.png"),
                        full_page=True)
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), name
        assert self.errors == [], (name, self.errors)
        assert accessibility_problems(page) == [], name

    def close(self) -> None:
        self.context.close()


def _image_loaded(page: Page, selector: str) -> None:
    """Wait until the image has loaded. Polled from here: Playwright's wait_for_function
    evaluates its predicate in a way the page's policy (no eval) may refuse."""
    deadline = time.monotonic() + 15
    while not page.evaluate("(s) => document.querySelector(s)?.naturalWidth > 0", selector):
        assert time.monotonic() < deadline, f"{selector} did not load"
        time.sleep(0.1)


VisitT = TypeVar("VisitT", bound=Visit)


def visiting(visit: VisitT) -> Iterator[VisitT]:
    """Yield a fixture's visit; a screenshot of where it was when the test failed; closed."""
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield visit
    except BaseException:
        visit.page.screenshot(
            path=str(ARTIFACTS / f"{visit.SCREENSHOTS}-{visit.size}-failure.png"))
        raise
    finally:
        visit.close()


@pytest.fixture(params=["phone", "desktop"])
def admin(request: pytest.FixtureRequest, browser: Browser,
          server: tuple[str, dict[str, Any]]) -> Iterator[Visit]:
    yield from visiting(Visit(browser, server[0], request.param, ADMIN))


def _cover_png() -> bytes:
    buffer = io.BytesIO()
    segno.make("封面").save(buffer, kind="png", scale=6)
    return buffer.getvalue()


def test_lessons_write_preview_cover_series_schedule(admin: Visit, tmp_path: Path) -> None:
    size = admin.size
    page = admin.open("/console/lessons/series")
    page.fill("#name", f"党员之家{size}")
    page.click("#series-form button[type=submit]")
    assert page.locator("#series-list", has_text=f"《党员之家{size}》").count() == 1
    admin.check("series")

    page = admin.open("/console/lessons/new")
    page.fill("#title", f"党章学习（{size}）")
    page.select_option("#series_id", label=f"《党员之家{size}》")
    # The preview follows the typing, without a page load (htmx).
    page.fill("#body", "# 总纲\n\n- 坚持党的领导\n- <b>不是HTML</b>")
    page.wait_for_selector("#preview h1")
    assert page.inner_text("#preview li >> nth=1") == "<b>不是HTML</b>"
    admin.check("lesson-new")
    page.click("#lesson-form button[value=save]")
    page.wait_for_url(re.compile(r".*/console/lessons/\d+\?saved=1"))
    assert page.locator("#saved").is_visible()

    cover = tmp_path / "cover.png"
    cover.write_bytes(_cover_png())
    page.set_input_files("#cover-file", str(cover))
    page.click("#cover-form button[type=submit]")
    page.wait_for_load_state()
    _image_loaded(page, "img.cover")
    admin.check("lesson-edit")

    # A title of spaces passes the browser's check and is refused in Chinese, text kept.
    page.fill("#title", "   ")
    page.click("#lesson-form button[value=save]")
    assert "请填写标题" in page.inner_text("#title-error")
    assert "坚持党的领导" in page.input_value("#body")
    admin.check("lesson-error")

    page = admin.open("/console/lessons/schedule")
    today = datetime.now(ZONE).date().isoformat()
    row = page.locator(f"#day-{today}")
    row.locator("select").select_option(label=f"党章学习（{size}）")
    row.locator("button").click()
    page.wait_for_load_state()
    assert "已指定" in page.inner_text(f"#day-{today}")
    assert f"党章学习（{size}）" in page.inner_text(f"#day-{today}")
    admin.check("schedule")

    page = admin.open("/console/lessons")
    assert page.locator("#lesson-list .card", has_text=f"党章学习（{size}）").count() == 1
    admin.check("lessons")


def test_events_create_edit_door_walk_in_and_sheet(admin: Visit,
                                                   server: tuple[str, dict[str, Any]]) -> None:
    size = admin.size
    page = admin.open("/console")
    page.click("#new-event")
    page.wait_for_url("**/console/events/new")
    starts = (datetime.now(ZONE) + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    page.fill("#title", f"志愿服务（{size}）")
    page.select_option("#kind", "activity")
    page.fill("#location", "社区服务中心")
    page.fill("#starts_at", starts)
    page.fill("#capacity", "15")
    page.fill("#description", "请穿志愿者马甲")
    admin.check("event-new")
    page.click("#event-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/events/\d+$"))
    event_id = page.url.rsplit("/", 1)[1]

    page.click("text=编辑活动")
    page.wait_for_url(f"**/console/events/{event_id}/edit")
    # The browser checks each field; only the server can compare two of them.
    late = (datetime.now(ZONE) + timedelta(days=6)).strftime("%Y-%m-%dT%H:%M")
    page.fill("#signup_deadline", late)
    page.click("#event-form button[type=submit]")
    assert "报名截止时间不能晚于开始时间" in page.inner_text("#signup_deadline-error")
    page.fill("#signup_deadline", "")
    page.fill("#capacity", "25")
    page.fill("#title", f"志愿服务（{size}，改）")
    admin.check("event-edit")
    page.click("#event-form button[type=submit]")
    page.wait_for_url(f"**/console/events/{event_id}")
    assert f"志愿服务（{size}，改）" in page.inner_text("h1")

    door_event = server[1]["event"]
    page = admin.open(f"/console/events/{door_event}/door")
    _image_loaded(page, "#qrcode")
    walk_in = f"现场{'甲' if size == 'phone' else '乙'}"
    page.fill("#name", walk_in)
    page.fill("#phone", "13900139001" if size == "phone" else "13900139002")
    page.click("#walk-in-form button[type=submit]")
    assert "已登记并签到" in page.inner_text("#walk-in-done")
    admin.check("event-door")

    page = admin.open(f"/console/events/{door_event}/sheet")
    names = page.locator("#signatures td.name").all_inner_texts()
    assert names[:12] == [f"党员{number:02d}" for number in range(1, 13)]
    assert walk_in in names
    assert page.locator("#signatures tr.blank").count() == 5
    admin.check("event-sheet")
    page.emulate_media(media="print")
    assert not page.locator("nav.screen-only").is_visible()
    pdf = page.pdf(prefer_css_page_size=True)
    # A4 portrait in PostScript points (210 × 297 mm).
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert boxes and all(abs(float(w) - 595.9) < 1 and abs(float(h) - 842.9) < 1
                         for w, h in boxes)
    page.emulate_media(media="screen")


def test_sensitive_words_edit_and_test(admin: Visit) -> None:
    word = f"测试词{admin.size}"
    page = admin.open("/console/sensitive-words")
    page.fill("#words", f"{word}\n另一个{admin.size}")
    page.click("#add-words button[type=submit]")
    assert f"已添加 2 个：{word}" in page.inner_text("#added")
    page.fill("#test-text", f"这里有{word}和别的")
    url = page.url
    page.click("#test-words button[type=submit]")
    page.wait_for_selector("#test-result mark")
    assert page.url == url  # swapped in by htmx, no navigation
    assert page.inner_text("#test-result mark") == word
    admin.check("words")
    page.locator("tr", has_text=f"另一个{admin.size}").locator("button").click()
    page.wait_for_load_state()
    assert page.locator("#word-list", has_text=f"另一个{admin.size}").count() == 0


def test_organizer_sees_door_pages_and_chinese_refusals(
        browser: Browser, server: tuple[str, dict[str, Any]]) -> None:
    base, world = server
    ARTIFACTS.mkdir(exist_ok=True)
    visit = Visit(browser, base, "phone", world["alice"])
    try:
        page = visit.open(f"/console/events/{world['event']}")
        assert page.locator("#event-actions a", has_text="编辑活动").count() == 0
        page.click("text=签到二维码与现场登记")
        _image_loaded(page, "#qrcode")
        visit.check("organizer-door")
        page = visit.open("/console/sensitive-words")
        assert "只有管理员可以管理敏感词库" in page.inner_text("#error")
        visit.check("organizer-refused")
    finally:
        visit.close()

