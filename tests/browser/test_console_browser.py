"""The organizer console in a real browser: Debian's Chromium, headless, against `hongxin serve`.

Sign in with an organizer token, open an event, read the counts and download
the CSV; check members in at the door on a phone and stay at their row; see
the events list, an event and an error page at phone (390×844) and desktop
(1280×800) sizes. Screenshots are kept under ``tests/browser/screenshots/``
(git-ignored) whether the tests pass or fail, so a reviewer or a failure
report can show what the browser saw. Without Chromium the tests are skipped
visibly, and fail in CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from app import migrations
from app.auth.tokens import Role, create_token
from app.db import Database
from app.events.signups import sign_up
from tests.browser.conftest import CHROMIUM_ARGS
from tests.support.factories import create_event, create_member
from tests.support.servers import hongxin_process
from tests.support.units import run_unit

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[str, dict[str, object]]]:
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    migrations.upgrade(url)
    database = Database(url)

    def work(session: Session) -> dict[str, object]:
        now = datetime.now(UTC)
        token = create_token(session, Role.ORGANIZER, "alice")
        event = create_event(session, title="重温入党誓词", organizer="alice", capacity=2,
                             starts_at=now + timedelta(days=1), location="三楼会议室")
        create_event(session, title="别人的活动")
        for name in ("张三", "李四", "王五"):
            member = create_member(session, name=name, phone="13800138000")
            sign_up(session, member.id, event.id, now, ZONE)
        return {"event": event.id, "token": token}

    try:
        yield url, run_unit(database, work)
    finally:
        database.close()


def test_sign_in_open_event_see_counts_download_csv(
        chromium_path: str, seeded: tuple[str, dict[str, object]], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url, world = seeded
    ARTIFACTS.mkdir(exist_ok=True)
    env = {"HONGXIN_DATABASE_URL": url}
    with hongxin_process(["serve", "--no-scheduler"], env,
                         log_path=tmp_path / "serve.log") as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        # A phone-sized window: the console must be readable there.
        context = browser.new_context(viewport=PHONE,
                                      accept_downloads=True, locale="zh-CN")
        page = context.new_page()
        try:
            page.goto(f"{base}/console")
            assert page.url.endswith("/console/login")
            page.fill("#token", str(world["token"]))
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/console")
            assert page.locator(".card").count() == 1
            assert "别人的活动" not in page.content()

            page.click("text=重温入党誓词")
            page.wait_for_url(f"{base}/console/events/{world['event']}")
            assert page.inner_text("#count-confirmed").replace(" ", "") == "已报名2/2"
            assert page.inner_text("#count-waitlisted").replace(" ", "") == "候补1"
            assert page.inner_text("#count-checked-in").replace(" ", "") == "已签到0"
            assert page.locator("#roster tbody tr").count() == 3
            page.screenshot(path=str(ARTIFACTS / "console-event.png"), full_page=True)

            with page.expect_download() as download_info:
                page.click("#download-csv")
            download = download_info.value
            assert download.suggested_filename == f"event-{world['event']}-signups.csv"
            content = Path(download.path()).read_bytes()
            assert content.startswith(b"\xef\xbb\xbf")
            lines = content.decode("utf-8-sig").splitlines()
            assert lines[0].startswith("序号,姓名,电话")
            assert [line.split(",")[1] for line in lines[1:]] == ["张三", "李四", "王五"]

            # The session cookie is out of the page's reach.
            cookies = context.cookies()
            assert cookies and all(c["httpOnly"] and c["sameSite"] == "Strict" for c in cookies)
            assert page.evaluate("document.cookie") == ""
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "console-failure.png"), full_page=True)
            raise
        finally:
            browser.close()


@pytest.fixture
def door(tmp_path: Path) -> Iterator[tuple[str, dict[str, object]]]:
    """alice's event starting in half an hour with 24 sign-ups, and events around it."""
    url = f"sqlite:///{tmp_path / 'door.db'}"
    migrations.upgrade(url)
    database = Database(url)

    def work(session: Session) -> dict[str, object]:
        now = datetime.now(UTC)
        token = create_token(session, Role.ORGANIZER, "alice")
        event = create_event(session, title="主题党日：重温入党誓词", organizer="alice",
                             capacity=30, starts_at=now + timedelta(minutes=30),
                             location="三楼会议室")
        for title, starts_in, status in (("社区志愿服务", timedelta(days=2), "scheduled"),
                                         ("党课：学习二十大精神", timedelta(days=-3), "scheduled"),
                                         ("组织生活会", timedelta(minutes=10), "cancelled")):
            create_event(session, title=title, organizer="alice", status=status,
                         starts_at=now + starts_in)
        for number in range(1, 25):
            member = create_member(session, name=f"党员{number:02d}",
                                   phone=f"138 0013 80{number:02d}", branch="第一党支部")
            sign_up(session, member.id, event.id, now, ZONE)
        return {"event": event.id, "token": token}

    try:
        yield url, run_unit(database, work)
    finally:
        database.close()


def _sign_in(page: Page, base: str, token: str) -> None:
    page.goto(f"{base}/console/login")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/console")


def _fits_the_width(page: Page) -> bool:
    return bool(page.evaluate(
        "document.scrollingElement.scrollWidth <= window.innerWidth"))


def _row_in_view(page: Page, row_id: str) -> bool:
    return bool(page.evaluate("""(id) => {
        const box = document.getElementById(id).getBoundingClientRect();
        return box.top >= 0 && box.bottom <= window.innerHeight;
    }""", row_id))


def test_check_in_at_the_door_on_a_phone_keeps_the_place(
        chromium_path: str, door: tuple[str, dict[str, object]], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url, world = door
    ARTIFACTS.mkdir(exist_ok=True)
    with hongxin_process(["serve", "--no-scheduler"], {"HONGXIN_DATABASE_URL": url},
                         log_path=tmp_path / "serve.log") as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
        try:
            _sign_in(page, base, str(world["token"]))
            titles = page.locator(".card strong").all_inner_texts()
            assert [t.split("】")[1] for t in titles] == [
                "主题党日：重温入党誓词", "社区志愿服务", "组织生活会", "党课：学习二十大精神"]
            assert _fits_the_width(page)
            page.screenshot(path=str(ARTIFACTS / "phone-events.png"), full_page=True)

            page.click("text=主题党日：重温入党誓词")
            page.wait_for_url(f"{base}/console/events/{world['event']}")
            assert _fits_the_width(page)
            row = page.locator("#roster tbody tr").nth(19)
            row_id = str(row.get_attribute("id"))
            assert "党员20" in row.inner_text()
            assert row.locator("a.tel").get_attribute("href") == "tel:13800138020"
            row.locator("button", has_text="签到").click()
            page.wait_for_url(f"**/console/events/{world['event']}?view=all#{row_id}")
            page.wait_for_load_state()
            # Back at the member's row, far down the list, not at the top of the page.
            assert page.evaluate("window.scrollY") > 1000
            assert _row_in_view(page, row_id)
            row = page.locator(f"#{row_id}")
            assert "已签到" in row.inner_text()
            assert page.inner_text("#count-checked-in").replace(" ", "") == "已签到1"
            page.screenshot(path=str(ARTIFACTS / "phone-event-checked-in.png"))

            # Asked first, in Chinese.
            row.locator("summary", has_text="撤销签到").click()
            assert "确定撤销党员20的签到吗" in row.inner_text()
            row.locator("button", has_text="确认撤销").click()
            page.wait_for_url(f"**/console/events/{world['event']}?view=all#{row_id}")
            page.wait_for_load_state()
            assert page.evaluate("window.scrollY") > 1000
            assert _row_in_view(page, row_id)
            assert page.locator(f"#{row_id} button", has_text="签到").count() == 1
            assert page.inner_text("#count-checked-in").replace(" ", "") == "已签到0"

            # Searching by the phone number as printed on a sign-in sheet.
            page.fill("input[name=q]", "138-0013-8007")
            page.click("form[method=get] button")
            page.wait_for_load_state()
            assert page.locator("#roster tbody tr").all_inner_texts()[0].count("党员07") == 1
            assert page.locator("#roster tbody tr").count() == 1
            page.screenshot(path=str(ARTIFACTS / "phone-event-search.png"), full_page=True)

            page.goto(f"{base}/console/events/999999")
            assert "页面不存在" in page.inner_text("#error")
            assert _fits_the_width(page)
            page.screenshot(path=str(ARTIFACTS / "phone-error-404.png"), full_page=True)
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "phone-failure.png"), full_page=True)
            raise
        finally:
            browser.close()


def test_the_console_on_a_desktop(chromium_path: str, door: tuple[str, dict[str, object]],
                                  tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url, world = door
    ARTIFACTS.mkdir(exist_ok=True)
    with hongxin_process(["serve", "--no-scheduler"], {"HONGXIN_DATABASE_URL": url},
                         log_path=tmp_path / "serve.log") as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text)
                if message.type == "error" else None)
        try:
            _sign_in(page, base, str(world["token"]))
            # htmx came from the package's own files and ran under the page's policy.
            assert page.evaluate("typeof htmx.ajax") == "function"
            assert problems == []
            assert page.locator("#upcoming .card").count() == 3
            assert page.locator("#past .card").count() == 1
            page.screenshot(path=str(ARTIFACTS / "desktop-events.png"), full_page=True)

            page.goto(f"{base}/console/events/{world['event']}")
            # A table with its header on a wide screen, one row per member.
            assert page.locator("#roster thead").is_visible()
            assert page.locator("#roster tbody tr").count() == 24
            assert "进行中" in page.inner_text("#checkin-window")
            assert _fits_the_width(page)
            page.screenshot(path=str(ARTIFACTS / "desktop-event.png"), full_page=True)

            page.goto(f"{base}/console/events/{world['event']}?view=nope")
            assert "名单类别" in page.inner_text("#error")
            page.screenshot(path=str(ARTIFACTS / "desktop-error-422.png"))
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "desktop-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
