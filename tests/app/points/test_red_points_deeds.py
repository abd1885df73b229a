"""Offline deeds an organizer records, members' claims in chat and the mini-program, approval."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from app.models import OutboxMessage, PointsClaim, PointsEntry
from bots import texts
from tests.support.red_points import AUTH, OPENIDS, UNBOUND, Branch
from tests.support.units import run_unit

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


def deed(branch: Branch, **fields: object) -> httpx.Response:
    body: dict[str, object] = {"member_id": branch.ids["张甲"], "category": "先锋作用",
                               "note": "带头清理楼道杂物", "occurred_on": TODAY.isoformat(),
                               **fields}
    return branch.client.post("/api/admin/points/awards", headers=AUTH, json=body)


def ledger(branch: Branch) -> list[tuple[int, str, int]]:
    return run_unit(branch.database, lambda session: [
        (line.member_id, line.activity, line.delta)
        for line in session.scalars(select(PointsEntry).order_by(PointsEntry.id))])


def test_an_organizer_records_a_deed_with_who_and_why(branch: Branch) -> None:
    organizer = branch.organizer("书记老张")
    recorded = branch.client.post("/api/admin/points/awards", headers=organizer, json={
        "member_id": branch.ids["张甲"], "category": "先锋作用", "points": 8,
        "note": "带头清理楼道杂物", "occurred_on": TODAY.isoformat()})
    assert recorded.status_code == 201, recorded.text
    assert (recorded.json()["activity"], recorded.json()["points"]) == ("deed_pioneer", 8)
    hours = deed(branch, category="志愿服务", hours=2.5, note="社区义诊志愿者")
    assert hours.status_code == 201, hours.text
    assert (hours.json()["activity"], hours.json()["points"]) == ("volunteer_hours", 5)

    record = branch.record("张甲")
    lines = record["deeds"]
    assert isinstance(lines, list)
    assert [(line["activity"], line["delta"], line["note"], line["rule_version"])
            for line in lines] == [("deed_pioneer", 8, "带头清理楼道杂物", 1),
                                   ("volunteer_hours", 5, "社区义诊志愿者", 1)]
    assert lines[0]["recorded_by"].startswith("书记老张#")
    assert lines[1]["recorded_by"] == "admin"
    assert record["by_category"] == {"学习": 0, "组织生活": 0, "志愿服务": 5, "先锋作用": 8}


def test_refused_deeds_say_why_by_field_and_change_nothing(branch: Branch) -> None:
    assert deed(branch, points=25).status_code == 201  # 先锋作用: at most 30 a month
    before = ledger(branch)
    refusals = {
        "member_id": deed(branch, member_id=branch.ids["unbound"]),
        "hours": deed(branch, category="志愿服务", hours=-2),
        "points": deed(branch, points=6),
        "category": deed(branch, category="打篮球"),
        "note": deed(branch, note="  "),
        "occurred_on": deed(branch, occurred_on=(TODAY + timedelta(days=2)).isoformat()),
    }
    for field, response in refusals.items():
        assert response.status_code == 422, (field, response.text)
        errors = response.json()["errors"]
        assert [error["field"] for error in errors] == [field], response.text
        message = response.json()["message"]
        assert any("\u4e00" <= char <= "\u9fff" for char in message), message
    assert "未绑定" in refusals["member_id"].json()["message"]
    assert "负数" in refusals["hours"].json()["message"]
    assert "上限" in refusals["points"].json()["message"]
    assert ledger(branch) == before
    assert deed(branch, points=5).status_code == 201  # exactly the room left


def test_a_chat_claim_with_a_photo_is_approved_once_and_the_member_told(branch: Branch) -> None:
    reply = branch.say(OPENIDS["李乙"], content="申报 周六参加社区义务清扫3小时")
    assert "已收到您的申报" in reply
    assert "照片已附" in branch.say(OPENIDS["李乙"], "image")
    pending = branch.client.get("/api/admin/points/claims", headers=AUTH,
                                params={"status": "pending"}).json()
    assert [(c["name"], c["text"], c["photos"], c["source"]) for c in pending] == [
        ("李乙", "周六参加社区义务清扫3小时", ["http://example.com/p.jpg"], "chat")]
    claim_id = pending[0]["id"]

    approved = branch.client.post(f"/api/admin/points/claims/{claim_id}/approve", headers=AUTH,
                                  json={"category": "志愿服务", "reason": "情况属实"})
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["points"]) == ("approved", 5)
    again = branch.client.post(f"/api/admin/points/claims/{claim_id}/approve", headers=AUTH,
                               json={})
    assert again.status_code == 409 and "已被处理" in again.json()["message"]
    rejected = branch.client.post(f"/api/admin/points/claims/{claim_id}/reject", headers=AUTH,
                                  json={"reason": "重复"})
    assert rejected.status_code == 409
    assert branch.client.get("/api/admin/points/claims", headers=AUTH,
                             params={"status": "pending"}).json() == []

    told = run_unit(branch.database, lambda session: [
        (row.member_id, row.kind, row.payload["text"])
        for row in session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "points_claim"))])
    assert told == [(branch.ids["李乙"], "points_claim",
                     texts.claim_approved("周六参加社区义务清扫3小时", 5))]
    assert ledger(branch) == [(branch.ids["李乙"], "deed_volunteer", 5)]
    assert branch.record("李乙")["deeds"][0]["reference"] == f"claim:{claim_id}"  # type: ignore[index]


def test_a_rejected_claim_tells_the_reason_and_awards_nothing(branch: Branch) -> None:
    branch.say(OPENIDS["王丙"], content="申报 帮助邻居修水管")
    claim_id = branch.client.get("/api/admin/points/claims", headers=AUTH).json()[0]["id"]
    no_reason = branch.client.post(f"/api/admin/points/claims/{claim_id}/reject", headers=AUTH,
                                   json={"reason": " "})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    rejected = branch.client.post(f"/api/admin/points/claims/{claim_id}/reject", headers=AUTH,
                                  json={"reason": "请补充时间地点"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert ledger(branch) == []
    told = run_unit(branch.database, lambda session: session.scalars(
        select(OutboxMessage.payload).where(OutboxMessage.kind == "points_claim")).one())
    assert "请补充时间地点" in told["text"] and "未通过" in told["text"]


def test_claims_without_text_or_binding_are_refused_in_chat(branch: Branch) -> None:
    assert branch.say(OPENIDS["张甲"], content="申报") == texts.CLAIM_EMPTY
    assert branch.say(OPENIDS["张甲"], content="申报　 ") == texts.CLAIM_EMPTY
    assert branch.say(UNBOUND, content="申报 扶老人过马路") == texts.CLAIM_UNBOUND
    # A photo with no claim just before it is not taken for one.
    assert branch.say(UNBOUND, "image") == texts.FALLBACK
    assert branch.client.get("/api/admin/points/claims", headers=AUTH).json() == []


async def test_concurrent_approvals_award_once(branch: Branch) -> None:
    branch.say(OPENIDS["张甲"], content="申报 组织党员学习二十大精神")
    claim_id = branch.client.get("/api/admin/points/claims", headers=AUTH).json()[0]["id"]
    transport = httpx.ASGITransport(app=branch.client.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hongxin") as http:
        answers = await asyncio.gather(*(
            http.post(f"/api/admin/points/claims/{claim_id}/approve", headers=AUTH,
                      json={"category": "建言献策"}) for _ in range(8)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [409] * 7, [a.text for a in answers]
    assert ledger(branch) == [(branch.ids["张甲"], "deed_advice", 5)]
    assert run_unit(branch.database, lambda session: len(session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "points_claim")).all())) == 1


def test_a_correction_is_a_reversal_line(branch: Branch) -> None:
    assert deed(branch, points=8).status_code == 201
    line_id = branch.record("张甲")["ledger"][0]["id"]  # type: ignore[index]
    reversed_ = branch.client.post(f"/api/admin/points/entries/{line_id}/reverse", headers=AUTH,
                                   json={"reason": "误录"})
    assert reversed_.status_code == 200, reversed_.text
    assert (reversed_.json()["delta"], reversed_.json()["reverses_id"],
            reversed_.json()["note"]) == (-8, line_id, "误录")
    record = branch.record("张甲")
    assert [line["delta"] for line in record["ledger"]] == [8, -8]  # type: ignore[union-attr]
    assert record["total"] == 0 and record["by_category"]["先锋作用"] == 0  # type: ignore[index]




def test_erasing_a_member_deletes_their_claims(branch: Branch) -> None:
    branch.say(OPENIDS["王丙"], content="申报 照顾生病的邻居张大爷")
    branch.say(OPENIDS["王丙"], "image")
    branch.say(OPENIDS["王丙"], content="注销")
    branch.say(OPENIDS["王丙"], content="确认注销")
    assert branch.client.get("/api/admin/points/claims", headers=AUTH).json() == []
    # Unbound, the claims would be out of the list anyway: they must be gone.
    assert run_unit(branch.database,
        lambda session: session.scalars(select(PointsClaim.text)).all()) == []
