"""Correcting a ledger line (更正), over the API and on the 一人一册 page of the console.

A correction is a reversal line with its reason, written by the red-points service;
the line itself stays. A line is corrected once: a second correction, a correction
of a correction and one of a line that moved nothing are refused (409, a Chinese
sentence), as is a reason that is empty or holds a listed word (422); two racing
corrections write one line. Totals follow. A sibling branch's role corrects nothing.
In the console the line's row, its reversal and the year's totals answer the form
(htmx), behind a Chinese question; without htmx the page comes back at the new line.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from app.models import PointsEntry
from app.moderation.words import add_words
from app.points.service import award_by_rule, total
from tests.app.test_console_meetings import _htmx
from tests.app.test_console_points import _console, _scoped
from tests.support.red_points import AUTH, Branch, branch
from tests.support.units import run_unit

__all__ = ["branch"]

ZONE = ZoneInfo("Asia/Shanghai")
TODAY = datetime.now(ZONE).date()
YEAR = TODAY.year


def _deed(branch: Branch, name: str = "张甲", points: int = 8, note: str = "带头清理楼道") -> int:
    awarded = branch.client.post("/api/admin/points/awards", headers=AUTH, json={
        "member_id": branch.ids[name], "category": "先锋作用", "points": points,
        "note": note, "occurred_on": TODAY.isoformat()})
    assert awarded.status_code == 201, awarded.text
    member_id = branch.ids[name]
    return int(run_unit(branch.database, lambda session: session.scalar(
        select(PointsEntry.id).where(PointsEntry.member_id == member_id)
        .order_by(PointsEntry.id.desc()))))


def _reverse(branch: Branch, line_id: int, reason: str = "误录",
             headers: dict[str, str] = AUTH) -> httpx.Response:
    return branch.client.post(f"/api/admin/points/entries/{line_id}/reverse", headers=headers,
                              json={"reason": reason})


def _total(branch: Branch, name: str) -> int:
    member_id = branch.ids[name]
    return run_unit(branch.database, lambda session: total(session, member_id))


def _lines(branch: Branch, name: str) -> list[tuple[int, int, int | None, str]]:
    member_id = branch.ids[name]
    return [tuple(row) for row in run_unit(branch.database, lambda session: session.execute(
        select(PointsEntry.id, PointsEntry.delta, PointsEntry.reverses_id, PointsEntry.note)
        .where(PointsEntry.member_id == member_id).order_by(PointsEntry.id)).all())]


def test_a_line_is_corrected_once_and_a_correction_never(branch: Branch) -> None:
    first, second = _deed(branch, points=8), _deed(branch, points=3, note="义务献血")
    assert _total(branch, "张甲") == 11

    corrected = _reverse(branch, first, "  误录：事迹 重复  ")
    assert corrected.status_code == 200, corrected.text
    body = corrected.json()
    assert (body["delta"], body["reverses_id"], body["note"], body["activity"]) == (
        -8, first, "误录：事迹 重复", "correction")
    assert _total(branch, "张甲") == 3
    record = branch.record("张甲")
    assert record["total"] == 3 and record["by_category"]["先锋作用"] == 3  # type: ignore[index]

    twice = _reverse(branch, first)
    assert twice.status_code == 409
    assert "已经更正过" in twice.json()["message"] and str(body["id"]) in twice.json()["message"]
    of_a_correction = _reverse(branch, body["id"])
    assert of_a_correction.status_code == 409
    assert "本身就是更正" in of_a_correction.json()["message"]
    assert _total(branch, "张甲") == 3
    # The original and the other line stand as they were.
    assert [(delta, reverses) for _, delta, reverses, _ in _lines(branch, "张甲")] == [
        (8, None), (3, None), (-8, first)]

    blank = _reverse(branch, second, "   ")
    assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "reason"
    run_unit(branch.database, lambda session: add_words(session, "违禁词", "test",
                                                        datetime.now(UTC)))
    listed = _reverse(branch, second, "含有违禁词的理由")
    assert listed.status_code == 422 and "不宜使用" in listed.json()["errors"][0]["message"]
    assert _reverse(branch, 10**9).status_code == 404
    assert _total(branch, "张甲") == 3 and len(_lines(branch, "张甲")) == 3


def test_a_line_that_moved_nothing_needs_no_correction(branch: Branch) -> None:
    member_id = branch.ids["张甲"]
    # A capped award writes a line of 0 so its reference stays used.
    zero = run_unit(branch.database, lambda session: (award_by_rule(
        session, member_id=member_id, activity="deed_pioneer", reference="capped",
        recorded_by="test", note="超过上限", occurred_at=datetime.now(UTC), zone=ZONE,
        points=0), session.scalars(select(PointsEntry.id)).one())[1])
    answer = _reverse(branch, zero)
    assert answer.status_code == 409 and "无需更正" in answer.json()["message"]
    assert len(_lines(branch, "张甲")) == 1


async def test_racing_corrections_write_one_line(branch: Branch) -> None:
    line = _deed(branch, points=5)
    transport = httpx.ASGITransport(app=branch.client.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hongxin") as http:
        answers = await asyncio.gather(*(
            http.post(f"/api/admin/points/entries/{line}/reverse", headers=AUTH,
                      json={"reason": f"误录 {n}"}) for n in range(6)))
    assert sorted(answer.status_code for answer in answers) == [200] + [409] * 5
    assert _total(branch, "张甲") == 0
    assert [delta for _, delta, _, _ in _lines(branch, "张甲")] == [5, -5]


def test_a_sibling_branch_role_corrects_nothing(branch: Branch) -> None:
    line = _deed(branch, points=4)
    token = _scoped(branch, "第二党支部")
    refused = _reverse(branch, line, headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 404
    browser, csrf = _console(branch, token)
    answer = browser.post(f"/console/members/{branch.ids['张甲']}/record/lines/{line}/correction",
                          headers=_htmx(csrf), data={"reason": "越界"})
    assert answer.status_code == 404 and "张甲" not in answer.text
    # Its own member's path with another branch's line: not found either.
    own = browser.post(f"/console/members/{branch.ids['王丙']}/record/lines/{line}/correction",
                       headers=_htmx(csrf), data={"reason": "越界"})
    assert own.status_code == 404
    assert _total(branch, "张甲") == 4 and len(_lines(branch, "张甲")) == 1


# ------------------------------------------------------------------ the console


def test_the_record_page_corrects_a_line_in_place(branch: Branch) -> None:
    line, other = _deed(branch, points=8), _deed(branch, points=3, note="义务献血")
    browser, csrf = _console(branch)
    member = branch.ids["张甲"]
    record = f"/console/members/{member}/record"
    form = f"{record}/lines/{line}/correction"

    page = browser.get(record, params={"year": YEAR}).text
    assert f'hx-post="{form}"' in page and f'hx-target="#line-{line}"' in page
    question = f"确定更正第 {line} 条（+8 分）吗？将记一条 -8 分的更正，原记录保留。"
    assert f'hx-confirm="{question}"' in page
    assert "swap-refusals.js" in page

    answer = browser.post(form, headers=_htmx(csrf), data={"reason": "误录"})
    assert answer.status_code == 200, answer.text
    text = answer.text
    assert "<html" not in text and text.strip().startswith(f'<tr id="line-{line}"')
    reversal = _lines(branch, "张甲")[-1][0]
    assert f"已更正（第 {reversal} 条）" in text
    assert f'<tr id="line-{reversal}"' in text and "（更正第" in text and "-8" in text
    assert re.search(r'id="totals"[^>]*hx-swap-oob="true".*全年合计 <b>3</b>', text, re.S)
    assert re.search(r'id="ledger-title" hx-swap-oob="true">积分明细（3 条）', text)
    assert _total(branch, "张甲") == 3

    again = browser.post(form, headers=_htmx(csrf), data={"reason": "再次更正"})
    assert again.status_code == 409
    assert "已经更正过" in again.text and 'role="alert"' in again.text
    assert again.text.strip().startswith(f'<tr id="line-{line}"')
    of_reversal = browser.post(f"{record}/lines/{reversal}/correction", headers=_htmx(csrf),
                               data={"reason": "撤回更正"})
    assert of_reversal.status_code == 409 and "本身就是更正" in of_reversal.text

    # An empty reason: 422 in the row, the form open, nothing written.
    blank = browser.post(f"{record}/lines/{other}/correction", headers=_htmx(csrf),
                         data={"reason": " "})
    assert blank.status_code == 422 and "请填写更正理由" in blank.text
    assert "<details open>" in blank.text and 'aria-invalid="true"' in blank.text
    assert _total(branch, "张甲") == 3

    forged = browser.post(f"{record}/lines/{other}/correction", data={"csrf": "forged",
                                                                      "reason": "误录"})
    assert forged.status_code == 403 and "页面已过期" in forged.text

    # Without htmx: the page again at the new line, or with the refusal on it.
    plain = browser.post(f"{record}/lines/{other}/correction",
                         data={"csrf": csrf, "reason": "重复记录"}, follow_redirects=False)
    assert plain.status_code == 303
    newest = _lines(branch, "张甲")[-1][0]
    assert plain.headers["location"] == f"{record}?year={YEAR}&corrected={newest}#line-{newest}"
    shown = browser.get(plain.headers["location"]).text
    assert "已更正：更正记录见下方积分明细" in shown and "全年合计 <b>0</b>" in shown
    refused_page = browser.post(f"{record}/lines/{other}/correction",
                                data={"csrf": csrf, "reason": "重复记录"})
    assert refused_page.status_code == 409
    assert f"第 {other} 条未能更正" in refused_page.text and "<html" in refused_page.text
    assert _total(branch, "张甲") == 0
