"""Undoing a mistaken check-in at a meeting (撤销签到), over the API and in the console.

An organizer's own check-in is taken back within the undo window, back to where it
came from (未签到, or 请假 with its reason), and the member can be checked in again;
a scan by the member, an older check-in or a second undo is refused with a Chinese
reason. After the meeting's end its points are on the ledger: the undo reverses them
with a reversal line (never deleting the award) and the member is 缺席 with the
deduction. A sibling branch's organizer changes nothing. The console answers a tap
with the row and the counts alone (htmx), asks first in Chinese, and checks CSRF.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.auth.tokens import Role, create_token
from app.db import Database
from app.events.attendance import close_ended_meetings
from app.main import create_app
from app.models import Attendance, PointsEntry
from app.points.service import total
from tests.app.conftest import make_settings
from tests.app.test_console_meetings import _console, _htmx
from tests.support.meetings import ADMIN, AUTH, SECOND, Party, build_party, say, scan
from tests.support.units import run_unit

ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def party(database_url: str, database: Database) -> Iterator[Party]:
    with TestClient(create_app(make_settings(database_url, admin_token=ADMIN))) as client:
        yield build_party(client, database)


def _url(meeting: dict[str, Any], member_id: int) -> str:
    return f"/api/admin/events/{meeting['id']}/attendance/{member_id}/checkin"


def _statuses(party: Party, meeting: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    answer = party.client.get(f"/api/admin/events/{meeting['id']}/attendance", headers=AUTH)
    assert answer.status_code == 200, answer.text
    return {item["name"]: (item["status"], item["reason"]) for item in answer.json()["items"]}


def _ledger(party: Party, member_id: int) -> list[tuple[int, str, int, int | None]]:
    return [tuple(row) for row in run_unit(party.database, lambda session: session.execute(
        select(PointsEntry.id, PointsEntry.activity, PointsEntry.delta, PointsEntry.reverses_id)
        .where(PointsEntry.member_id == member_id).order_by(PointsEntry.id)).all())]


def _age_check_in(party: Party, meeting: dict[str, Any], member_id: int,
                  age: timedelta) -> None:
    run_unit(party.database, lambda session: session.execute(
        update(Attendance).where(Attendance.event_id == meeting["id"],
                                 Attendance.member_id == member_id)
        .values(checked_in_at=datetime.now(UTC) - age)))


def test_an_organizers_check_in_is_undone_and_the_member_checked_in_again(
        party: Party) -> None:
    meeting = party.meeting(starts_in=timedelta(minutes=30))
    secretary, leader = party.members["张书记"], party.members["孙组长"]
    assert "已请假" in say(party.client, f"请假 {meeting['id']} 家中有事", "o_leader")

    for member_id in (secretary, leader):
        checked = party.client.post(_url(meeting, member_id), headers=AUTH)
        assert checked.json()["outcome"] == "checked_in", checked.text
    assert _statuses(party, meeting)["孙组长"] == ("present", "家中有事")

    undone = party.client.delete(_url(meeting, secretary), headers=AUTH)
    assert undone.status_code == 200, undone.text
    assert undone.json() == {"outcome": "undone", "message": "已撤销签到。",
                             "checked_in_at": None}
    # Back to where the check-in found them: 未签到, and 请假 with its reason.
    assert party.client.delete(_url(meeting, leader), headers=AUTH).status_code == 200
    statuses = _statuses(party, meeting)
    assert statuses["张书记"] == ("expected", None)
    assert statuses["孙组长"] == ("leave", "家中有事")

    again = party.client.delete(_url(meeting, secretary), headers=AUTH)
    assert again.status_code == 409 and "没有签到记录" in again.json()["message"]

    rechecked = party.client.post(_url(meeting, secretary), headers=AUTH)
    assert rechecked.status_code == 200 and rechecked.json()["outcome"] == "checked_in"
    assert _statuses(party, meeting)["张书记"] == ("present", None)
    # Nothing is on the ledger before the end: attendance earns its points then.
    assert _ledger(party, secretary) == []


def test_a_scan_an_old_check_in_and_strangers_are_refused(party: Party,
                                                          database: Database) -> None:
    meeting = party.meeting(starts_in=timedelta(minutes=30))
    member, secretary = party.members["王党员"], party.members["张书记"]
    clock = int(datetime.now(UTC).timestamp())
    assert "签到成功" in scan(party.client, "o_member", f"checkin_{meeting['id']}", clock)

    scanned = party.client.delete(_url(meeting, member), headers=AUTH)
    assert scanned.status_code == 409 and "扫码签到" in scanned.json()["message"]

    assert party.client.post(_url(meeting, secretary), headers=AUTH).status_code == 200
    _age_check_in(party, meeting, secretary, timedelta(minutes=11))
    old = party.client.delete(_url(meeting, secretary), headers=AUTH)
    assert old.status_code == 409 and "10 分钟内" in old.json()["message"]

    _age_check_in(party, meeting, secretary, timedelta(minutes=1))
    token = run_unit(database, lambda session: create_token(
        session, Role.ORGANIZER, "二支部组织委员", party.orgs[SECOND]))
    sibling = party.client.delete(_url(meeting, secretary),
                                  headers={"Authorization": f"Bearer {token}"})
    assert sibling.status_code == 404
    statuses = _statuses(party, meeting)
    assert statuses["张书记"][0] == "present" and statuses["王党员"][0] == "present"
    unknown = party.client.delete(_url(meeting, 10**9), headers=AUTH)
    assert unknown.status_code == 404


def test_after_the_end_the_undo_reverses_the_points_with_a_ledger_line(party: Party) -> None:
    meeting = party.meeting(starts_in=timedelta(minutes=30))
    secretary = party.members["张书记"]
    rules = {rule["activity"]: rule["points"] for rule in party.client.get(
        "/api/admin/points/rules", headers=AUTH).json()["rules"]}
    earned, deducted = rules[f"meeting_{meeting['kind']}"], rules["meeting_absence"]
    assert earned > 0 > deducted

    assert party.client.post(_url(meeting, secretary), headers=AUTH).status_code == 200
    # Tapped in its last minutes; the meeting ends and its attendance becomes final.
    party.move_start(meeting["id"], -timedelta(hours=5))
    assert run_unit(party.database, lambda session: close_ended_meetings(
        session, datetime.now(UTC), ZONE)) == 1
    [(award_id, activity, delta, _)] = _ledger(party, secretary)
    assert (activity, delta) == (f"meeting_{meeting['kind']}", earned)

    undone = party.client.delete(_url(meeting, secretary), headers=AUTH)
    assert undone.status_code == 200, undone.text
    # The award stays; its reversal and the absence's deduction follow it.
    lines = _ledger(party, secretary)
    assert lines[0] == (award_id, f"meeting_{meeting['kind']}", earned, None)
    assert [(activity, delta, reverses) for _, activity, delta, reverses in lines[1:]] == [
        ("correction", -earned, award_id), ("meeting_absence", deducted, None)]
    assert run_unit(party.database, lambda session: total(session, secretary)) == deducted
    assert _statuses(party, meeting)["张书记"] == ("absent", None)
    # Check-in is closed after the end: the undo stands, and undoing again is refused.
    assert party.client.post(_url(meeting, secretary), headers=AUTH).status_code == 409
    assert party.client.delete(_url(meeting, secretary), headers=AUTH).status_code == 409
    assert len(_ledger(party, secretary)) == 3


# ------------------------------------------------------------------ the console


def test_the_console_undoes_a_tap_in_the_row_and_asks_first(party: Party,
                                                              database: Database) -> None:
    meeting = party.meeting(starts_in=timedelta(minutes=30))
    browser, csrf = _console(party)
    secretary = party.members["张书记"]
    base = f"/console/events/{meeting['id']}/attendance/{secretary}"

    page = browser.get(f"/console/events/{meeting['id']}/attendance").text
    assert f"{base}/undo-checkin" not in page  # nobody is checked in yet
    checked = browser.post(f"{base}/checkin", headers=_htmx(csrf))
    assert checked.status_code == 200
    # The row that answered the tap offers the undo at once, behind a Chinese question.
    assert f'hx-post="{base}/undo-checkin"' in checked.text
    assert 'hx-confirm="确定撤销张书记的签到吗？撤销后可重新签到。"' in checked.text
    assert "10 分钟内可撤销" in checked.text

    undone = browser.post(f"{base}/undo-checkin", headers=_htmx(csrf))
    assert undone.status_code == 200, undone.text
    assert "<html" not in undone.text
    assert undone.text.strip().startswith(f'<li class="attendee card" id="member-{secretary}"')
    assert 'data-status="expected"' in undone.text and "已撤销签到。" in undone.text
    assert f'hx-post="{base}/checkin"' in undone.text  # checked in again from the same row
    assert re.search(r'hx-swap-oob="true".*出席 <b>0</b>.*未签到 <b>3</b>', undone.text, re.S)

    refused = browser.post(f"{base}/undo-checkin", headers=_htmx(csrf))
    assert refused.status_code == 409 and "没有签到记录" in refused.text
    assert f'id="member-{secretary}"' in refused.text and 'role="alert"' in refused.text

    forged = browser.post(f"{base}/undo-checkin", data={"csrf": "forged"})
    assert forged.status_code == 403 and "页面已过期" in forged.text

    # Without htmx: back to the member's row.
    assert browser.post(f"{base}/checkin", headers=_htmx(csrf)).status_code == 200
    plain = browser.post(f"{base}/undo-checkin", data={"csrf": csrf}, follow_redirects=False)
    assert plain.status_code == 303
    assert plain.headers["location"] == \
        f"/console/events/{meeting['id']}/attendance#member-{secretary}"
    assert _statuses(party, meeting)["张书记"] == ("expected", None)
    plain_refused = browser.post(f"{base}/undo-checkin", data={"csrf": csrf})
    assert plain_refused.status_code == 409 and "没有签到记录" in plain_refused.text

    # A sibling branch's organizer: not found, nothing changed.
    assert browser.post(f"{base}/checkin", headers=_htmx(csrf)).status_code == 200
    token = run_unit(database, lambda session: create_token(
        session, Role.ORGANIZER, "二支部组织委员", party.orgs[SECOND]))
    sibling, sibling_csrf = _console(party, token)
    assert sibling.post(f"{base}/undo-checkin", headers=_htmx(sibling_csrf)).status_code == 404
    assert _statuses(party, meeting)["张书记"][0] == "present"
