"""The organizer console in a real browser: Debian's Chromium, headless, against `hongxin serve`.

Sign in with an organizer token, open an event, read the counts and download
the CSV. A screenshot of the event page is kept under ``test-artifacts/``
whether the test passes or fails, so a failure report can show what the
browser saw. Without Chromium the test is skipped visibly, and fails in CI.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from app import migrations
from app.auth.tokens import Role, create_token
from app.db import Database
from app.events.signups import sign_up
from tests.support.factories import create_event, create_member
from tests.support.servers import hongxin_process

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def chromium_path() -> str:
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM if Path(CHROMIUM).exists() else str(shutil.which("chromium"))


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
        yield url, database.run_sync(work)
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
        context = browser.new_context(viewport={"width": 390, "height": 844},
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
