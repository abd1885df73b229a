"""A meeting's attendance in the console over the ASGI app: the list with 出席, 请假 and its
reason, 未签到; an organizer's check-in answered with the member's row alone (htmx) or a
redirect back to it; refusals as Chinese sentences; exports and minutes' photos under the
console session; CSRF; and a sibling branch's organizer seeing nothing."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from app.auth.tokens import Role, create_token
from app.db import Database
from app.main import create_app
from tests.app.conftest import make_settings
from tests.app.test_console import csrf_of, sign_in
from tests.app.test_meeting_records import png
from tests.support.meetings import ADMIN, AUTH, SECOND, Party, build_party, say
from tests.support.units import run_unit


@pytest.fixture
def party(database_url: str, database: Database) -> Iterator[Party]:
    with TestClient(create_app(make_settings(database_url, admin_token=ADMIN))) as client:
        yield build_party(client, database)


def _console(party: Party, token: str = ADMIN) -> tuple[TestClient, str]:
    """A second browser on the same app, signed in to the console, and its CSRF token."""
    browser = TestClient(party.client.app)
    sign_in(browser, token)
    return browser, csrf_of(browser.get("/console").text)


def _htmx(csrf: str) -> dict[str, str]:
    return {"HX-Request": "true", "X-CSRF-Token": csrf}


def _attendance(party: Party, event_id: int) -> dict[str, dict[str, object]]:
    answer = party.client.get(f"/api/admin/events/{event_id}/attendance", headers=AUTH)
    assert answer.status_code == 200, answer.text
    return {item["name"]: item for item in answer.json()["items"]}


def test_the_organizer_sees_who_is_expected_and_checks_them_in_row_by_row(
        party: Party) -> None:
    meeting = party.meeting(starts_in=timedelta(minutes=30))
    assert "已请假" in say(party.client, f"请假 {meeting['id']} 出差在外", "o_member")
    browser, csrf = _console(party)

    shown = browser.get(f"/console/events/{meeting['id']}/attendance")
    assert shown.status_code == 200, shown.text
    text = shown.text
    for name in ("张书记", "王党员", "孙组长"):
        assert name in text
    assert "钱二支" not in text  # another branch: not expected
    assert "请假原因：出差在外" in text
    assert re.search(r"应到 <b>3</b>.*出席 <b>0</b>.*请假 <b>1</b>.*未签到 <b>2</b>", text, re.S)
    secretary = party.members["张书记"]
    assert f'hx-post="/console/events/{meeting["id"]}/attendance/{secretary}/checkin"' in text

    row = browser.post(f"/console/events/{meeting['id']}/attendance/{secretary}/checkin",
                       headers=_htmx(csrf))
    assert row.status_code == 200, row.text
    # Only the member's row and the counts come back, not a page.
    assert "<html" not in row.text and "<nav" not in row.text
    assert row.text.strip().startswith(f'<li class="attendee card" id="member-{secretary}"')
    assert 'data-status="present"' in row.text and "代签" in row.text
    assert 'hx-swap-oob="true"' in row.text
    assert re.search(r"出席 <b>1</b>.*未签到 <b>1</b>", row.text, re.S)
    assert _attendance(party, meeting["id"])["张书记"]["status"] == "present"

    again = browser.post(f"/console/events/{meeting['id']}/attendance/{secretary}/checkin",
                         headers=_htmx(csrf))
    assert again.status_code == 200 and re.search(r"出席 <b>1</b>", again.text)

    # Without htmx (no script): back to the member's row of the page.
    came = party.members["王党员"]
    plain = browser.post(f"/console/events/{meeting['id']}/attendance/{came}/checkin",
                         data={"csrf": csrf}, follow_redirects=False)
    assert plain.status_code == 303
    assert plain.headers["location"] == \
        f"/console/events/{meeting['id']}/attendance#member-{came}"
    assert _attendance(party, meeting["id"])["王党员"]["status"] == "present"


def test_refused_check_ins_say_why_in_chinese_and_change_nothing(party: Party) -> None:
    later = party.meeting(starts_in=timedelta(days=2))
    soon = party.meeting(starts_in=timedelta(minutes=30))
    browser, csrf = _console(party)
    secretary, stranger = party.members["张书记"], party.members["钱二支"]

    early = browser.post(f"/console/events/{later['id']}/attendance/{secretary}/checkin",
                         headers=_htmx(csrf))
    assert early.status_code == 409
    assert "签到尚未开放" in early.text and f'id="member-{secretary}"' in early.text
    page = browser.post(f"/console/events/{later['id']}/attendance/{secretary}/checkin",
                        data={"csrf": csrf})
    assert page.status_code == 409 and "签到尚未开放" in page.text
    assert f"/console/events/{later['id']}/attendance#member-{secretary}" in page.text

    outsider = browser.post(f"/console/events/{soon['id']}/attendance/{stranger}/checkin",
                            headers=_htmx(csrf))
    assert outsider.status_code == 409 and "不在本次会议的应参会人员中" in outsider.text
    assert "钱二支" not in _attendance(party, soon["id"])

    forged = browser.post(f"/console/events/{soon['id']}/attendance/{secretary}/checkin",
                          data={"csrf": "forged"})
    assert forged.status_code == 403 and "页面已过期" in forged.text
    assert _attendance(party, soon["id"])["张书记"]["status"] == "expected"

    party.move_start(soon["id"], -timedelta(hours=5))
    ended = browser.post(f"/console/events/{soon['id']}/attendance/{secretary}/checkin",
                         headers=_htmx(csrf))
    assert ended.status_code == 409 and "会议已结束" in ended.text
    closed = browser.get(f"/console/events/{soon['id']}/attendance").text
    assert "缺席 <b>3</b>" in closed and "checkin" not in closed.split('id="attendees"')[1]


def test_exports_minutes_and_photos_under_the_console_session(party: Party) -> None:
    meeting = party.meeting(starts_in=timedelta(minutes=30))
    saved = party.client.post(f"/api/admin/events/{meeting['id']}/minutes", headers=AUTH,
                              data={"text": "一、传达学习\n二、讨论"},
                              files=[("photos", ("a.png", png(), "image/png"))])
    assert saved.status_code == 201, saved.text
    photo_id = saved.json()["photos"][0]["id"]
    browser, _csrf = _console(party)

    text = browser.get(f"/console/events/{meeting['id']}/attendance").text
    assert "一、传达学习\n二、讨论" in text
    source = f"/console/events/{meeting['id']}/minutes/photos/{photo_id}"
    assert f'src="{source}"' in text
    picture = browser.get(source)
    assert picture.status_code == 200 and picture.content == png()
    assert picture.headers["content-type"] == "image/png"

    listed = browser.get(f"/console/events/{meeting['id']}/attendance.csv")
    assert listed.status_code == 200
    rows = list(csv.reader(io.StringIO(listed.content.decode("utf-8-sig"))))
    assert {row[0] for row in rows} >= {"张书记", "王党员", "孙组长"}
    book = browser.get(f"/console/events/{meeting['id']}/attendance.xlsx")
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    assert "未签到" in [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    # The session is what lets these through: a fresh browser is sent to sign in.
    stranger = TestClient(party.client.app).get(source, follow_redirects=False)
    assert stranger.status_code == 303


def test_a_sibling_branch_organizer_sees_nothing_of_the_meeting(
        party: Party, database: Database) -> None:
    meeting = party.meeting(starts_in=timedelta(minutes=30))
    token = run_unit(database, lambda session: create_token(
        session, Role.ORGANIZER, "二支部组织委员", party.orgs[SECOND]))
    browser, csrf = _console(party, token)
    secretary = party.members["张书记"]

    page = browser.get(f"/console/events/{meeting['id']}/attendance")
    assert page.status_code == 404 and "张书记" not in page.text
    for suffix in ("attendance.csv", "attendance.xlsx"):
        assert browser.get(f"/console/events/{meeting['id']}/{suffix}").status_code == 404
    refused = browser.post(f"/console/events/{meeting['id']}/attendance/{secretary}/checkin",
                           headers=_htmx(csrf))
    assert refused.status_code == 404
    assert _attendance(party, meeting["id"])["张书记"]["status"] == "expected"


def test_an_activity_has_no_attendance_page(party: Party) -> None:
    activity = party.meeting(kind="activity", starts_in=timedelta(days=1), capacity=5)
    browser, _csrf = _console(party)
    answer = browser.get(f"/console/events/{activity['id']}/attendance")
    assert answer.status_code == 409 and "不是会议" in answer.text


def test_a_members_record_lists_the_meetings_with_leave_and_absence(party: Party) -> None:
    meeting = party.meeting(starts_in=timedelta(minutes=30), title="十二月支部党员大会")
    assert "已请假" in say(party.client, f"请假 {meeting['id']} 出差在外", "o_member")
    browser, _csrf = _console(party)
    year = meeting["starts_at_local"][:4]

    record = party.client.get(f"/api/admin/members/{party.members['王党员']}/record",
                              params={"year": year}, headers=AUTH).json()
    assert [(row["title"], row["status"]) for row in record["attendance"]] == [
        ("十二月支部党员大会", "请假")]
    page = browser.get(f"/console/members/{party.members['王党员']}/record",
                       params={"year": year}).text
    assert re.search(r"十二月支部党员大会</td><td>请假", page)

    party.move_start(meeting["id"], -timedelta(hours=5))
    page = browser.get(f"/console/members/{party.members['孙组长']}/record",
                       params={"year": year}).text
    assert re.search(r"十二月支部党员大会</td><td>缺席", page)


def test_the_organizer_writes_the_minutes_with_photos_from_the_console(
        party: Party, database: Database) -> None:
    meeting = party.meeting(starts_in=timedelta(minutes=30))
    browser, csrf = _console(party)
    url = f"/console/events/{meeting['id']}/minutes"

    empty = browser.post(url, data={"csrf": csrf, "text": "  "})
    assert empty.status_code == 422 and "请填写会议纪要内容" in empty.text
    not_a_photo = browser.post(url, data={"csrf": csrf, "text": "一、学习党章"},
                               files=[("photos", ("notes.txt", b"plain text", "text/plain"))])
    assert not_a_photo.status_code == 422 and "notes.txt" in not_a_photo.text
    assert "一、学习党章</textarea>" in not_a_photo.text  # what was typed stays
    kept = party.client.get(f"/api/admin/events/{meeting['id']}/minutes", headers=AUTH).json()
    assert kept["text"] is None and kept["photos"] == []

    saved = browser.post(url, data={"csrf": csrf, "text": "一、学习党章"},
                         files=[("photos", ("a.png", png(), "image/png"))],
                         follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("/attendance?minutes=1#minutes")
    kept = party.client.get(f"/api/admin/events/{meeting['id']}/minutes", headers=AUTH).json()
    assert kept["text"] == "一、学习党章" and len(kept["photos"]) == 1
    shown = browser.get(saved.headers["location"]).text
    assert "会议纪要已保存" in shown
    assert f"/console/events/{meeting['id']}/minutes/photos/{kept['photos'][0]['id']}" in shown

    assert browser.post(url, data={"text": "伪造"}).status_code == 403
    token = run_unit(database, lambda session: create_token(
        session, Role.ORGANIZER, "二支部组织委员", party.orgs[SECOND]))
    sibling, sibling_csrf = _console(party, token)
    assert sibling.post(url, data={"csrf": sibling_csrf, "text": "越界"}).status_code == 404
    kept = party.client.get(f"/api/admin/events/{meeting['id']}/minutes", headers=AUTH).json()
    assert kept["text"] == "一、学习党章"
