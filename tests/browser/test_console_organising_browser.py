"""Meetings and red points in the console, in Chromium at phone (390×844, touch) and desktop
(1280×800) sizes, against `hongxin serve` on a fresh SQLite database.

A branch organizer checks attendees of a meeting in by tapping, and the row changes in
place (htmx): no reload, the page where it was, the counts updated; a mistaken tap is
taken back (撤销签到) from the same row after a Chinese question, the answer holding that
row and the counts only. A ledger line near the bottom of a long 一人一册 is corrected
(更正) in place: a refused reason said in the row, then the reversal line and the totals
swapped in, the page where it was. A member's 一人一册
is read on screen and printed: in print media the console's header and sections are
hidden, table rows are not cut, and the PDF is A4. The claims queue and the deed form
are used, a refusal shown beside its field. Every page fits the width, raises no script
or policy error, and passes axe-core's serious and critical checks (the helper of
test_console_pages). Screenshots go to ``tests/browser/screenshots/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import migrations
from app.auth.tokens import Role, create_token
from app.db import Database
from app.events import attendance
from app.models import PointsEntry, RosterEntry
from app.moderation.words import add_words
from app.orgs.service import create_org
from app.points import claims, deeds
from app.points.rules import Activity
from app.points.service import award
from tests.app.test_meeting_records import png
from tests.browser.test_console_browser import ARTIFACTS
from tests.browser.test_console_content_browser import Visit as ConsoleVisit
from tests.browser.test_console_content_browser import visiting
from tests.support.factories import create_member
from tests.support.servers import hongxin_process
from tests.support.units import run_unit

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

ADMIN = "organising-admin-token-0123456789"
ZONE = ZoneInfo("Asia/Shanghai")
# Enough attendees that the one tapped is well down a phone's screen.
NAMES = [f"党员{number:02d}" for number in range(1, 13)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    """A branch of twelve bound members and a sibling branch; a meeting of the branch starting
    in half an hour with a 请假 and minutes with a photo; a deed and a pending claim."""
    folder = tmp_path_factory.mktemp("organising")
    url = f"sqlite:///{folder / 'organising.db'}"
    migrations.upgrade(url)
    database = Database(url)

    def seed(session: Session) -> dict[str, Any]:
        now = datetime.now(UTC)
        committee = create_org(session, "机关党委", now)
        first = create_org(session, "第一党支部", now, parent_id=committee.id)
        second = create_org(session, "第二党支部", now, parent_id=committee.id)
        members: dict[str, int] = {}
        for number, name in enumerate([*NAMES, "二支部党员"], start=1):
            member = create_member(session, name=name)
            session.add(RosterEntry(name=name, phone=f"1380000{number:04d}",
                                    org_id=second.id if name == "二支部党员" else first.id,
                                    status="正式党员", duty="书记" if number == 1 else None,
                                    member_id=member.id, bound_at=now, created_at=now,
                                    updated_at=now))
            members[name] = member.id
        session.flush()
        today = now.astimezone(ZONE).date()
        deeds.record_deed(session, member_id=members["党员01"], category="志愿服务", points=4,
                          hours=None, note="社区垃圾分类宣传", occurred_on=today,
                          by="第一党支部组织委员", now=now, zone=ZONE)
        claims.submit(session, member_id=members["党员02"], text="周末为孤寡老人送餐",
                      category="志愿服务", occurred_on=today, source="chat", now=now, zone=ZONE)
        # A long ledger for 党员06, each size correcting a line near its bottom.
        for number in range(1, 15):
            award(session, members["党员06"], Activity.EVENT_CHECKIN, f"event:seed-{number}",
                  now, ZONE)
        lines = list(session.scalars(select(PointsEntry.id).where(
            PointsEntry.member_id == members["党员06"]).order_by(PointsEntry.id)))
        add_words(session, "违禁词", "browser test", now)
        organizer = create_token(session, Role.ORGANIZER, "第一党支部组织委员", first.id)
        return {"first": first.id, "members": members, "organizer": organizer,
                "lines": lines}

    world = run_unit(database, seed)
    with hongxin_process(["serve", "--no-scheduler"],
                         {"HONGXIN_DATABASE_URL": url, "HONGXIN_ADMIN_TOKEN": ADMIN},
                         log_path=folder / "serve.log") as base:
        auth = {"Authorization": f"Bearer {ADMIN}"}
        starts = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
        created = httpx.post(f"{base}/api/admin/events", headers=auth, timeout=10, json={
            "title": "十二月支部党员大会", "location": "三楼会议室", "starts_at": starts,
            "capacity": 50, "kind": "branch_assembly", "org_id": world["first"]})
        assert created.status_code == 201, created.text
        meeting = created.json()["id"]
        minutes = httpx.post(f"{base}/api/admin/events/{meeting}/minutes", headers=auth,
                             timeout=10, data={"text": "一、传达学习上级精神\n二、讨论发展党员"},
                             files=[("photos", ("a.png", png(), "image/png"))])
        assert minutes.status_code == 201, minutes.text
        run_unit(database, lambda session: attendance.request_leave(
            session, world["members"]["党员03"], meeting, "出差在外", datetime.now(UTC), ZONE))
        database.close()
        yield base, {**world, "meeting": meeting}


class Visit(ConsoleVisit):
    SCREENSHOTS = "organising"


@pytest.fixture(params=["phone", "desktop"])
def organizer(request: pytest.FixtureRequest, browser: Browser,
              server: tuple[str, dict[str, Any]]) -> Iterator[Visit]:
    yield from visiting(Visit(browser, server[0], request.param, server[1]["organizer"]))


def test_the_organizer_taps_attendees_in_and_stays_where_they_were(
        organizer: Visit, server: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    _base, world = server
    meeting = world["meeting"]
    # Each size checks a different member in: the server is shared by both.
    tapped = world["members"]["党员11" if organizer.size == "phone" else "党员12"]
    page = organizer.open(f"/console/events/{meeting}/attendance")
    assert "出差在外" in page.inner_text(f"#member-{world['members']['党员03']}")
    assert "二支部党员" not in page.inner_text("main")
    assert "传达学习上级精神" in page.inner_text("#minutes")
    assert page.evaluate("document.querySelector('ul.photos img').naturalWidth") > 0
    organizer.check("meeting")

    row = f"#member-{tapped}"
    page.locator(row).scroll_into_view_if_needed()
    page.evaluate("window.stillHere = true")
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0 or organizer.size == "desktop"
    present_before = int(page.inner_text("#count-present b"))
    organizer.press(f"{row} button.checkin")
    page.wait_for_selector(f'{row}[data-status="present"]')
    # Swapped in place: the same document, at the same place, with the counts updated.
    assert page.evaluate("window.stillHere") is True
    assert abs(page.evaluate("window.scrollY") - scrolled) < 5
    assert page.url.endswith(f"/console/events/{meeting}/attendance")
    assert int(page.inner_text("#count-present b")) == present_before + 1
    assert "代签" in page.inner_text(row)
    organizer.check("meeting-checked-in")


    # The minutes, with a photo from the phone's camera roll.
    photo = tmp_path / "现场.png"
    photo.write_bytes(png())
    page.fill("#minutes-text", f"一、传达学习上级精神\n二、现场签到（{organizer.size}）")
    page.set_input_files("#minutes-photos", str(photo))
    page.click("#minutes-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/attendance\?minutes=1#minutes$"))
    assert f"现场签到（{organizer.size}）" in page.inner_text("#minutes")
    assert page.locator("ul.photos img").count() >= 2
    organizer.check("meeting-minutes")



def test_a_refused_check_in_says_why_in_the_card(
        organizer: Visit, server: tuple[str, dict[str, Any]]) -> None:
    base, world = server
    meeting, member = world["meeting"], world["members"]["党员10"]
    page = organizer.open(f"/console/events/{meeting}/attendance")
    page.evaluate("window.stillHere = true")
    # Moved to next week while the page is open: check-in is no longer open.
    auth = {"Authorization": f"Bearer {ADMIN}"}

    def move(starts: datetime) -> None:
        moved = httpx.patch(f"{base}/api/admin/events/{meeting}", headers=auth, timeout=10,
                            json={"starts_at": starts.isoformat()})
        assert moved.status_code == 200, moved.text

    move(datetime.now(UTC) + timedelta(days=7))
    try:
        organizer.press(f"#member-{member} button.checkin")
        page.wait_for_selector(f"#member-{member} [role=alert]")
        assert "签到尚未开放" in page.inner_text(f"#member-{member}")
        assert page.evaluate("window.stillHere") is True
        assert page.get_attribute(f"#member-{member}", "data-status") == "expected"
        organizer.check("meeting-refused")
    finally:
        move(datetime.now(UTC) + timedelta(minutes=30))


def test_a_record_reads_on_screen_and_prints_on_a4_without_the_console(
        organizer: Visit) -> None:
    page = organizer.open("/console/members")
    organizer.check("members")
    page.click("#ranking >> text=党员01")
    page.wait_for_url(re.compile(r".*/console/members/\d+/record\?year=\d{4}$"))
    assert "社区垃圾分类宣传" in page.inner_text("#deeds")
    assert "第一党支部组织委员" in page.inner_text("#ledger")
    organizer.check("record")

    page.emulate_media(media="print")
    for hidden in ("header.top", "nav.sections", "#record-actions", "#print"):
        assert not page.locator(hidden).is_visible(), hidden
    assert page.locator("#ledger table").is_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('#ledger tbody tr'))"
                         ".breakInside") == "avoid"
    page.screenshot(path=str(ARTIFACTS / f"organising-{organizer.size}-record-print.png"),
                    full_page=True)
    pdf = page.pdf(prefer_css_page_size=True)
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert boxes and all(abs(float(w) - 595.9) < 1 and abs(float(h) - 842.9) < 1
                         for w, h in boxes)
    page.emulate_media(media="screen")
    assert page.locator("nav.sections").is_visible()


def test_claims_and_deeds_with_a_refusal_beside_its_field(organizer: Visit) -> None:
    page = organizer.open("/console/points/claims")
    organizer.check("claims")
    if organizer.size == "phone":
        card = page.locator("article.claim", has_text="周末为孤寡老人送餐")
        card.locator("input[name=points]").fill("99")
        card.locator("form.approve button").click()
        page.wait_for_load_state()
        assert "超过积分规则上限" in page.inner_text("article.claim")
        organizer.check("claims-refused")
        card = page.locator("article.claim", has_text="周末为孤寡老人送餐")
        card.locator("input[name=points]").fill("")
        card.locator("form.approve button").click()
        page.wait_for_url(re.compile(r".*/console/points/claims\?approved=\d+"))
        assert "已通过申报" in page.inner_text("#notice")

    page = organizer.open("/console/points/award")
    page.fill("#member-search", "党员05")
    page.click("form[role=search] button")
    page.click("#found >> text=党员05")
    page.wait_for_url(re.compile(r".*/console/points/award\?member_id=\d+"))
    page.select_option("#category", "先锋作用")
    page.fill("#points", "500")
    page.fill("#note", f"带头完成急难任务（{organizer.size}）")
    page.click("#award-form button[type=submit]")
    assert "超过积分规则上限" in page.inner_text("#points-error")
    assert page.input_value("#note") == f"带头完成急难任务（{organizer.size}）"
    organizer.check("award-refused")
    page.fill("#points", "")
    page.click("#award-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/members/\d+/record\?year=\d{4}&awarded=1"))
    assert f"带头完成急难任务（{organizer.size}）" in page.inner_text("#deeds")
    organizer.check("award-done")


def stayed(page: Any, row: str, scrolled: float) -> bool:
    """The page is where it was, the row in view. The browser's scroll anchoring may move
    it by a few pixels as the swapped row grows or shrinks; a reload or a jump to the top
    or to an anchor moves it by hundreds."""
    box = page.evaluate("(s) => { const r = document.querySelector(s).getBoundingClientRect();"
                        " return [r.top, r.bottom, window.innerHeight, window.scrollY]; }", row)
    top, bottom, height, now = box
    return abs(now - scrolled) < 24 and top >= 0 and bottom <= height


def _at_row(organizer: Visit, path: str, row: str) -> Any:
    """The page opened and scrolled to the row, marked so that a reload would show."""
    page = organizer.open(path)
    page.locator(row).scroll_into_view_if_needed()
    page.evaluate("window.stillHere = true")
    return page


def _answer_dialogs(page: Any, asked: list[str], *, accept: bool) -> None:
    """Answer the page's next question (htmx's hx-confirm), noting what it asked."""
    def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        if accept:
            dialog.accept()
        else:
            dialog.dismiss()
    page.once("dialog", answer)


def test_a_mistaken_tap_is_undone_in_its_row_and_the_page_stays(
        organizer: Visit, server: tuple[str, dict[str, Any]]) -> None:
    _base, world = server
    meeting = world["meeting"]
    # Each size its own member, low in the list; the others are the other tests'.
    name = "党员09" if organizer.size == "phone" else "党员08"
    tapped = world["members"][name]
    row = f"#member-{tapped}"
    page = _at_row(organizer, f"/console/events/{meeting}/attendance", row)
    present_before = int(page.inner_text("#count-present b"))
    organizer.press(f"{row} button.checkin")
    page.wait_for_selector(f'{row}[data-status="present"]')
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0 or organizer.size == "desktop"
    assert "10 分钟内可撤销" in page.inner_text(row)

    asked: list[str] = []
    _answer_dialogs(page, asked, accept=False)
    organizer.press(f"{row} button.undo-checkin")
    assert asked == [f"确定撤销{name}的签到吗？撤销后可重新签到。"]
    assert page.get_attribute(row, "data-status") == "present"  # declined: nothing sent

    _answer_dialogs(page, asked, accept=True)
    with page.expect_response(lambda answer: answer.url.endswith("/undo-checkin")) as sent:
        organizer.press(f"{row} button.undo-checkin")
    page.wait_for_selector(f'{row}[data-status="expected"]')
    # The answer is the row and the counts, not the list.
    answered = sent.value.text()
    assert name in answered and not any(other in answered for other in NAMES if other != name)
    assert page.evaluate("window.stillHere") is True
    assert stayed(page, row, scrolled)
    assert int(page.inner_text("#count-present b")) == present_before
    assert "已撤销签到" in page.inner_text(row)
    organizer.check("meeting-undone")

    # The full-page screenshot may leave the page elsewhere: measure again from here.
    page.locator(row).scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    organizer.press(f"{row} button.checkin")
    page.wait_for_selector(f'{row}[data-status="present"]')
    assert int(page.inner_text("#count-present b")) == present_before + 1
    assert stayed(page, row, scrolled)


def test_a_ledger_line_is_corrected_in_place_and_the_page_stays(
        organizer: Visit, server: tuple[str, dict[str, Any]]) -> None:
    _base, world = server
    member = world["members"]["党员06"]
    line = world["lines"][-2 if organizer.size == "phone" else -1]
    row = f"#line-{line}"
    page = _at_row(organizer, f"/console/members/{member}/record", row)
    total_before = int(page.inner_text("#totals b"))
    organizer.press(f"{row} summary")
    organizer.check("record-correcting")
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0

    # A reason with a listed word: refused in the row, the form open with what was typed.
    page.fill(f"#reason-{line}", "含违禁词的理由")
    asked: list[str] = []
    _answer_dialogs(page, asked, accept=True)
    organizer.press(f"{row} button[type=submit]")
    page.wait_for_selector(f"{row} [role=alert]")
    assert asked == [f"确定更正第 {line} 条（+3 分）吗？将记一条 -3 分的更正，原记录保留。"]
    assert "不宜使用的词语" in page.inner_text(row)
    assert page.input_value(f"#reason-{line}") == "含违禁词的理由"
    assert page.evaluate("window.stillHere") is True
    assert stayed(page, row, scrolled)
    organizer.check("record-correction-refused")

    page.locator(row).scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    page.fill(f"#reason-{line}", f"重复签到（{organizer.size}）")
    _answer_dialogs(page, asked, accept=True)
    organizer.press(f"{row} button[type=submit]")
    page.wait_for_selector(f"{row} >> text=已更正")
    reversal = page.locator(f"{row} + tr")
    assert "已更正，原记录保留" in reversal.inner_text()
    assert f"重复签到（{organizer.size}）" in reversal.inner_text()
    assert "-3" in reversal.inner_text()
    assert int(page.inner_text("#totals b")) == total_before - 3
    assert page.evaluate("window.stillHere") is True
    assert stayed(page, row, scrolled)
    assert page.locator(f"{row} details").count() == 0  # corrected once only
    organizer.check("record-corrected")
