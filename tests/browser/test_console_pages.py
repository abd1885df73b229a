"""Every console page and form in Chromium, at phone (390×844) and desktop (1280×800) size.

A 党委 with two branches (tests/support/activity.py) behind ``hongxin serve``:
a branch secretary signs in from WeChat (``后台`` over a signed callback, then
the one-time link in the browser); an admin walks the dashboard (charts drawn
by ECharts, an export downloaded), gives a role with the live roster search
(htmx), and uploads a bank with errors (the file picker on a phone, dropped on
the desktop), then a good one, previews and activates it. Every page is
checked with axe-core (injected from node_modules, as npm installed it): no
serious or critical violation. Screenshots go to tests/browser/screenshots/
(git-ignored) for reviewers, named by size and page.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import migrations
from app.auth.tokens import BOOTSTRAP_ADMIN, Role, create_token
from app.console import roles
from app.db import Database
from app.models import Member, RosterEntry
from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.test_console_browser import ARTIFACTS, DESKTOP, PHONE
from tests.support.activity import World, populate
from tests.support.quizbanks import bank_csv
from tests.support.servers import hongxin_process
from tests.support.units import run_unit
from tests.support.wechat import TOKEN, Platform, message_xml

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

SIZES = {"phone": PHONE, "desktop": DESKTOP}
BAD_BANK = bank_csv(2, extra=[["单选", "缺少答案的题", "甲", "乙", "", "", "", "", "", ""]])


@pytest.fixture
def served(tmp_path: Path, chromium_path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``hongxin serve`` over the populated world; A1 (第一党支部) holds an organizer role."""
    url = f"sqlite:///{tmp_path / 'pages.db'}"
    migrations.upgrade(url)
    database = Database(url)

    def work(session: Session) -> dict[str, Any]:
        now = datetime.now(UTC)
        world: World = populate(session, now)
        entry = session.scalars(select(RosterEntry).where(
            RosterEntry.member_id == world.members["A1"])).one()
        roles.grant(session, BOOTSTRAP_ADMIN, entry.id, Role.ORGANIZER, world.first, now)
        openid = session.scalars(select(Member.openid).where(
            Member.id == world.members["A1"])).one()
        return {"admin": create_token(session, Role.ADMIN, "党委管理员"), "openid": openid}

    try:
        seeded = run_unit(database, work)
    finally:
        database.close()
    env = {"HONGXIN_DATABASE_URL": url, "HONGXIN_WECHAT_TOKEN": TOKEN}
    with hongxin_process(["serve", "--no-scheduler"], env,
                         log_path=tmp_path / "serve.log") as base:
        yield base, seeded


def accessibility_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    found: list[str] = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(" ")).join(", ")}`);
    }""")
    return found


def look(page: Page, size: str, name: str) -> None:
    """Checks every page gets: fits the width, no axe violations; then a screenshot."""
    page.wait_for_load_state("load")
    page.screenshot(path=str(ARTIFACTS / f"{size}-{name}.png"), full_page=True)
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), name
    assert accessibility_problems(page) == [], name


def chat(base: str, openid: str, text: str) -> str:
    params, body = Platform().plain(message_xml("text", openid, content=text))
    reply = httpx.post(f"{base}/wechat", params=params, content=body, timeout=10)
    assert reply.status_code == 200
    content = re.search(r"<Content><!\[CDATA\[(.*)\]\]></Content>", reply.text, re.S)
    assert content, reply.text
    return content.group(1)


def browser_page(p: Any, chromium_path: str, axe: Path, size: str) -> tuple[Any, Page]:
    browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
    context = browser.new_context(viewport=SIZES[size], locale="zh-CN", accept_downloads=True)
    # An init script runs before the page's own and outside its Content-Security-Policy,
    # which (rightly) refuses any script that is not the console's own file.
    context.add_init_script(path=str(axe))
    page = context.new_page()
    errors: list[str] = []
    # Script errors and refused policies; pages answered 4xx on purpose (an upload's
    # problems, an error page) log "Failed to load resource" and are not counted.
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error"
            and not message.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda response: errors.append(f"{response.status} {response.url}")
            if response.request.resource_type in {"script", "stylesheet", "image"}
            and response.status >= 400 else None)
    page.script_errors = errors  # type: ignore[attr-defined]
    return browser, page


@pytest.mark.parametrize("size", list(SIZES))
def test_a_secretary_signs_in_from_wechat_and_sees_the_branch(
        size: str, served: tuple[str, dict[str, Any]], chromium_path: str,
        axe_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    base, seeded = served
    ARTIFACTS.mkdir(exist_ok=True)
    reply = chat(base, seeded["openid"], "后台")
    link = re.search(r"/console/login/link/[A-Za-z0-9_-]+", reply)
    assert link, reply
    with sync_playwright() as p:
        browser, page = browser_page(p, chromium_path, axe_path, size)
        try:
            page.goto(base + link.group(0))
            look(page, size, "link")
            page.click("#link-sign-in")
            page.wait_for_url(f"{base}/console")
            assert "A1（组织者）" in page.inner_text("header")
            assert "第一支部志愿服务" in page.content()
            assert "第二支部党员大会" not in page.content()
            look(page, size, "events")

            page.click("nav.sections >> text=概览")
            page.wait_for_url(f"{base}/console/dashboard")
            assert "机关党委/第一党支部" in page.inner_text("h1")
            # ECharts drew each chart: a canvas inside every chart box.
            page.wait_for_function("document.querySelectorAll('.chart canvas').length"
                                   " === document.querySelectorAll('.chart').length")
            assert page.locator(".chart").count() >= 3
            look(page, size, "dashboard-branch")
            assert page.script_errors == []  # type: ignore[attr-defined]

            # The same link a second time: refused, with what to do instead.
            page.context.clear_cookies()
            page.goto(base + link.group(0))
            assert "重新发送“后台”" in page.inner_text("#link-error")
            look(page, size, "link-spent")
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / f"{size}-signin-failure.png"), full_page=True)
            raise
        finally:
            browser.close()


def sign_in_with_token(page: Page, base: str, token: str, size: str) -> None:
    page.goto(f"{base}/console/login")
    look(page, size, "login")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/console")


@pytest.mark.parametrize("size", list(SIZES))
def test_an_admin_walks_the_dashboard_roles_and_quiz_banks(
        size: str, served: tuple[str, dict[str, Any]], chromium_path: str,
        axe_path: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    base, seeded = served
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser, page = browser_page(p, chromium_path, axe_path, size)
        try:
            sign_in_with_token(page, base, seeded["admin"], size)

            page.goto(f"{base}/console/dashboard")
            page.wait_for_function("document.querySelectorAll('.chart canvas').length >= 3")
            assert "全部组织" in page.inner_text("h1")
            look(page, size, "dashboard")
            with page.expect_download() as download_info:
                page.click("#export-branches")
            sheet = load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes()))
            assert sheet.active is not None
            assert [row[0] for row in sheet.active.iter_rows(min_row=3, values_only=True)] == [
                "机关党委/第二党支部", "机关党委/第一党支部"]

            # 后台角色: the roster search answers as one types (htmx), no reload.
            page.goto(f"{base}/console/roles")
            assert "A1" in page.inner_text("#holders")
            look(page, size, "roles")
            page.fill("#roster-search", "B1")
            page.wait_for_selector("#candidates form.candidate")
            assert page.url == f"{base}/console/roles"
            page.select_option("#candidates select[name=role]", "admin")
            page.click("#candidates button[type=submit]")
            page.wait_for_url(re.compile(r".*/console/roles\?granted=.*"))
            assert "已为 B1 授予角色" in page.inner_text("#notice")
            assert "B1" in page.inner_text("#holders")
            look(page, size, "roles-granted")
            page.click("#holders tr:has-text('B1') button")
            page.wait_for_url(re.compile(r".*/console/roles\?revoked=1"))
            assert "B1" not in page.inner_text("#holders")

            # 题库: a file with a bad row comes back with the row beside its problem.
            page.goto(f"{base}/console/quiz-banks")
            look(page, size, "quiz-banks")
            bad = tmp_path / "有错的题库.csv"
            bad.write_bytes(BAD_BANK)
            if size == "phone":
                page.set_input_files("#bank-file", str(bad))
            else:
                transfer = page.evaluate_handle("""(text) => {
                    const files = new DataTransfer();
                    files.items.add(new File([text], "有错的题库.csv", {type: "text/csv"}));
                    return files;
                }""", BAD_BANK.decode("utf-8-sig"))
                page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})
                assert page.evaluate("document.getElementById('bank-file').files.length") == 1
            page.click("#upload-form button[type=submit]")
            page.wait_for_selector("#upload-problems")
            row = page.locator("#problems tbody tr").first
            assert row.get_attribute("data-row") == "4"
            assert "缺少答案的题" in row.inner_text() and "答案" in row.inner_text()
            look(page, size, "quiz-upload-errors")

            good = tmp_path / "党史题库.csv"
            good.write_bytes(bank_csv(6))
            page.set_input_files("#bank-file", str(good))
            page.click("#upload-form button[type=submit]")
            page.wait_for_url(re.compile(r".*/console/quiz-banks/\d+\?imported=1"))
            assert "已导入 6 道题" in page.inner_text("#notice")
            look(page, size, "quiz-preview")
            page.click("#activate")
            page.wait_for_load_state()
            assert "使用中" in page.inner_text("main")

            # The bank the world played: statistics, hardest first.
            page.goto(f"{base}/console/quiz-banks")
            page.click("text=dashboard")
            page.click("text=正确率从低到高")
            page.wait_for_url(re.compile(r".*order=hardest"))
            # Question 3: A1 answered it wrong, nobody right (0 %); then 2 (50 %), 1 (67 %).
            positions = [row.get_attribute("data-position")
                         for row in page.locator("#questions tbody tr").all()]
            assert positions[:3] == ["3", "2", "1"]
            look(page, size, "quiz-statistics")

            page.goto(f"{base}/console/dashboard?start=2026-05-01&end=2026-04-01")
            assert "结束日期不能早于开始日期" in page.inner_text("#error")
            look(page, size, "error")
            assert page.script_errors == []  # type: ignore[attr-defined]
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / f"{size}-admin-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
