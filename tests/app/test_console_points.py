"""Red points in the console over the ASGI app: the 先锋指数 ranking and each member's
一人一册 (page and workbook), the claims queue (approve within the cap, reject with a reason,
a second approval refused), an organizer's deed award with the service's refusals beside
the fields, CSRF, and a branch's role seeing nothing of its sibling."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.auth.tokens import Role, create_token
from app.models import PointsClaim, PointsEntry
from tests.app.test_console import csrf_of, sign_in
from tests.support.red_points import ADMIN, AUTH, OPENIDS, Branch, branch
from tests.support.units import run_unit

__all__ = ["branch"]

YEAR = datetime.now(UTC).year


def _console(branch: Branch, token: str = ADMIN) -> tuple[TestClient, str]:
    browser = TestClient(branch.client.app)
    sign_in(browser, token)
    return browser, csrf_of(browser.get("/console").text)


def _scoped(branch: Branch, org: str) -> str:
    tree = branch.client.get("/api/admin/orgs", headers=AUTH).json()
    org_id = next(child["id"] for child in tree[0]["children"] if child["name"] == org)
    return run_unit(branch.database, lambda session: create_token(
        session, Role.ORGANIZER, f"{org}组织委员", org_id))


def _lines(branch: Branch, name: str) -> int:
    member_id = branch.ids[name]
    return int(run_unit(branch.database, lambda session: session.scalar(
        select(func.count()).select_from(PointsEntry)
        .where(PointsEntry.member_id == member_id))))


def _claim(branch: Branch, name: str, text: str) -> int:
    assert "申报" in branch.say(OPENIDS[name], content=f"申报 {text}")
    member_id = branch.ids[name]
    return int(run_unit(branch.database, lambda session: session.scalar(
        select(PointsClaim.id).where(PointsClaim.member_id == member_id)
        .order_by(PointsClaim.id.desc()))))


def test_the_record_page_shows_the_year_with_who_recorded_each_line_and_why(
        branch: Branch) -> None:
    awarded = branch.client.post("/api/admin/points/awards", headers=AUTH, json={
        "member_id": branch.ids["张甲"], "category": "志愿服务", "points": 3,
        "note": "社区清扫", "occurred_on": datetime.now(UTC).date().isoformat()})
    assert awarded.status_code == 201, awarded.text
    branch.check_in(OPENIDS["张甲"])
    browser, _csrf = _console(branch)

    ranking = browser.get("/console/members")
    assert ranking.status_code == 200
    record_link = f'/console/members/{branch.ids["张甲"]}/record?year={YEAR}'
    assert record_link in ranking.text and "王丙" in ranking.text

    page = browser.get(f"/console/members/{branch.ids['张甲']}/record", params={"year": YEAR})
    assert page.status_code == 200, page.text
    text = page.text
    assert f"{YEAR} 年一人一册：张甲" in text and "机关党委/第一党支部" in text
    assert "社区清扫" in text and "+3" in text
    assert "系统（按积分规则）" in text  # the check-in's points, by the catalogue
    assert "活动签到" in text or "出席" in text
    assert 'id="print"' in text and "members.css" in text
    assert f"/console/members/{branch.ids['张甲']}/record.xlsx?year={YEAR}" in text

    book = browser.get(f"/console/members/{branch.ids['张甲']}/record.xlsx",
                       params={"year": YEAR})
    assert book.status_code == 200
    sheets = load_workbook(io.BytesIO(book.content))
    assert sheets.sheetnames == ["积分明细", "先锋事迹", "申报", "出勤"]
    assert "社区清扫" in [cell for row in sheets["先锋事迹"].iter_rows(values_only=True)
                        for cell in row]

    unbound = browser.get(f"/console/members/{branch.ids['unbound']}/record")
    assert unbound.status_code == 409 and "尚未绑定" in unbound.text
    bad_period = browser.get("/console/members", params={"period": "2026Q7"})
    assert bad_period.status_code == 409 and "季度" in bad_period.text


def test_a_branch_role_sees_only_its_own_members_records(branch: Branch) -> None:
    browser, _csrf = _console(branch, _scoped(branch, "第二党支部"))
    ranking = browser.get("/console/members").text
    assert "王丙" in ranking and "张甲" not in ranking and "李乙" not in ranking
    for suffix in ("record", "record.xlsx"):
        answer = browser.get(f"/console/members/{branch.ids['张甲']}/{suffix}")
        assert answer.status_code == 404 and "张甲" not in answer.text


def test_the_claims_queue_approves_once_within_the_cap_and_rejects_with_a_reason(
        branch: Branch) -> None:
    claim = _claim(branch, "李乙", "为社区老人义诊")
    other = _claim(branch, "张甲", "结对帮扶困难党员")
    browser, csrf = _console(branch)
    queue = browser.get("/console/points/claims").text
    assert "为社区老人义诊" in queue and "结对帮扶困难党员" in queue and "李乙" in queue
    before = _lines(branch, "李乙")

    bad = browser.post(f"/console/points/claims/{claim}/approve",
                       data={"csrf": csrf, "category": "志愿服务", "points": "五"})
    assert bad.status_code == 422 and "分值须为整数" in bad.text
    above = browser.post(f"/console/points/claims/{claim}/approve",
                         data={"csrf": csrf, "category": "志愿服务", "points": "25"})
    assert above.status_code == 422 and "超过积分规则上限" in above.text
    assert _lines(branch, "李乙") == before

    done = browser.post(f"/console/points/claims/{claim}/approve",
                        data={"csrf": csrf, "category": "志愿服务", "points": "4"},
                        follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith(f"?approved={claim}")
    assert "已通过申报" in browser.get(done.headers["location"]).text
    assert _lines(branch, "李乙") == before + 1
    twice = browser.post(f"/console/points/claims/{claim}/approve",
                         data={"csrf": csrf, "category": "志愿服务"})
    assert twice.status_code == 409 and "该申报已被处理" in twice.text
    assert _lines(branch, "李乙") == before + 1

    empty = browser.post(f"/console/points/claims/{other}/reject",
                         data={"csrf": csrf, "reason": "  "})
    assert empty.status_code == 422 and "请填写不通过的理由" in empty.text
    rejected = browser.post(f"/console/points/claims/{other}/reject",
                            data={"csrf": csrf, "reason": "请补充帮扶记录"},
                            follow_redirects=False)
    assert rejected.status_code == 303
    queue = browser.get("/console/points/claims").text
    assert "没有待审核的申报" in queue
    forged = browser.post(f"/console/points/claims/{claim}/reject", data={"reason": "x"})
    assert forged.status_code == 403


def test_two_organizers_approving_one_claim_at_once_award_it_once(branch: Branch) -> None:
    claim = _claim(branch, "李乙", "参加抗洪抢险")
    first, second = _console(branch), _console(branch)
    before = _lines(branch, "李乙")
    answers: list[int] = []
    start = threading.Barrier(2)

    def approve(browser: TestClient, csrf: str) -> None:
        start.wait()
        answers.append(browser.post(f"/console/points/claims/{claim}/approve",
                                    data={"csrf": csrf, "category": "先锋作用"},
                                    follow_redirects=False).status_code)

    threads = [threading.Thread(target=approve, args=pair) for pair in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [303, 409]
    assert _lines(branch, "李乙") == before + 1


def test_a_branch_role_neither_sees_nor_decides_a_sibling_claim(branch: Branch) -> None:
    claim = _claim(branch, "王丙", "二支部献血")
    browser, csrf = _console(branch, _scoped(branch, "第一党支部"))
    assert "二支部献血" not in browser.get("/console/points/claims").text
    approved = browser.post(f"/console/points/claims/{claim}/approve",
                            data={"csrf": csrf, "category": "其他", "points": "1"})
    assert approved.status_code == 404 and "二支部献血" not in approved.text
    rejected = browser.post(f"/console/points/claims/{claim}/reject",
                            data={"csrf": csrf, "reason": "越界"})
    assert rejected.status_code == 404
    assert run_unit(branch.database,
        lambda session: session.get_one(PointsClaim, claim).status) == "pending"


def test_awarding_a_deed_shows_the_services_refusals_beside_the_fields(
        branch: Branch) -> None:
    browser, csrf = _console(branch, _scoped(branch, "第一党支部"))
    found = browser.get("/console/points/award", params={"q": "李"}).text
    link = f"/console/points/award?member_id={branch.ids['李乙']}"
    assert link in found
    assert "王丙" not in browser.get("/console/points/award", params={"q": "王"}).text
    form = browser.get(link).text
    assert f'name="member_id" value="{branch.ids["李乙"]}"' in form
    today = datetime.now(UTC).date()
    good = {"csrf": csrf, "member_id": str(branch.ids["李乙"]), "category": "结对帮扶",
            "points": "", "hours": "", "note": "结对帮扶困难户", "occurred_on": today.isoformat()}
    before = _lines(branch, "李乙")

    refusals = {
        "请填写事迹说明": {"note": " "},
        "事迹日期不能晚于今天": {"occurred_on": (today + timedelta(days=2)).isoformat()},
        "只有“志愿服务”可按时长计分": {"hours": "2"},
        "超过积分规则上限": {"points": "50"},
        "请填写事迹日期": {"occurred_on": "明天"},
        "事迹类别须为": {"category": "打扫卫生"},
    }
    for sentence, change in refusals.items():
        answer = browser.post("/console/points/award", data={**good, **change})
        assert answer.status_code == 422, (sentence, answer.text[:200])
        assert sentence in answer.text, sentence
        assert "结对帮扶困难户" in answer.text or change.get("note")  # what was typed stays
    assert _lines(branch, "李乙") == before

    done = browser.post("/console/points/award", data=good, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == \
        f"/console/members/{branch.ids['李乙']}/record?year={today.year}&awarded=1"
    record = browser.get(done.headers["location"]).text
    assert "已记录先锋事迹" in record and "结对帮扶困难户" in record
    assert "第一党支部组织委员" in record  # who recorded it
    assert _lines(branch, "李乙") == before + 1

    sibling = browser.post("/console/points/award",
                           data={**good, "member_id": str(branch.ids["王丙"])})
    assert sibling.status_code == 404 and "王丙" not in sibling.text
    unbound = browser.get("/console/points/award",
                          params={"member_id": branch.ids["unbound"]})
    assert unbound.status_code in (404, 409) and "王丙" not in unbound.text
    nobody = browser.post("/console/points/award", data={**good, "member_id": ""})
    assert nobody.status_code == 422 and "请先搜索并选择党员" in nobody.text
