"""一人一册 (JSON and XLSX) and the 先锋指数 of an org subtree for a period."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from tests.support.red_points import AUTH, OPENIDS, Branch

ZONE = ZoneInfo("Asia/Shanghai")
TODAY = datetime.now(ZONE).date()
QUARTER = f"{TODAY.year}Q{(TODAY.month - 1) // 3 + 1}"


def award(branch: Branch, name: str, **fields: object) -> None:
    response = branch.client.post("/api/admin/points/awards", headers=AUTH, json={
        "member_id": branch.ids[name], "note": "事迹", "occurred_on": TODAY.isoformat(),
        **fields})
    assert response.status_code == 201, response.text


def seeded(branch: Branch) -> None:
    """张甲 先锋作用 10, 李乙 志愿服务 10 (5 hours), 王丙 组织生活 3 (a check-in)."""
    award(branch, "张甲", category="先锋作用", points=10)
    award(branch, "李乙", category="志愿服务", hours=5)
    branch.check_in(OPENIDS["王丙"])


def org_id(branch: Branch, name: str) -> int:
    def walk(nodes: list[dict[str, object]]) -> int | None:
        for node in nodes:
            if node["name"] == name:
                return int(node["id"])  # type: ignore[call-overload]
            found = walk(node.get("children", []))  # type: ignore[arg-type]
            if found is not None:
                return found
        return None

    found = walk(branch.client.get("/api/admin/orgs", headers=AUTH).json())
    assert found is not None
    return found


def index(branch: Branch, **params: object) -> list[tuple[int, str, float]]:
    response = branch.client.get("/api/admin/pioneer-index", headers=AUTH,
                                 params={"period": QUARTER, **params})
    assert response.status_code == 200, response.text
    return [(row["rank"], row["name"], row["index"]) for row in response.json()["members"]]


def test_the_index_ranks_a_subtree_by_weighted_scaled_categories(branch: Branch) -> None:
    seeded(branch)
    # Default weights 学习 .3, 组织生活 .3, 志愿服务 .2, 先锋作用 .2; each category
    # scaled to 100 against its best member among those ranked.
    assert index(branch) == [(1, "王丙", 30.0), (2, "张甲", 20.0), (2, "李乙", 20.0)]
    first = org_id(branch, "第一党支部")
    assert index(branch, org_id=first) == [(1, "张甲", 20.0), (1, "李乙", 20.0)]
    assert index(branch, period=f"{TODAY.year - 1}") == [
        (1, "张甲", 0.0), (1, "李乙", 0.0), (1, "王丙", 0.0)]

    assert branch.client.put("/api/admin/points/rules", headers=AUTH, json={"weights": {
        "学习": 0, "组织生活": 0, "志愿服务": 1, "先锋作用": 3}}).status_code == 200
    assert index(branch) == [(1, "张甲", 75.0), (2, "李乙", 25.0), (3, "王丙", 0.0)]
    body = branch.client.get("/api/admin/pioneer-index", headers=AUTH,
                             params={"period": QUARTER}).json()
    assert body["members"][0]["points"] == {"学习": 0, "组织生活": 0, "志愿服务": 0,
                                            "先锋作用": 10}
    assert body["weights"]["先锋作用"] == 3 and body["members_ranked"] == 3


def test_periods_are_years_quarters_or_months(branch: Branch) -> None:
    seeded(branch)
    month = f"{TODAY.year}-{TODAY.month:02d}"
    assert index(branch, period=month) == index(branch, period=QUARTER) == index(
        branch, period=str(TODAY.year))
    for bad in ("2026Q5", "26", "2026-13", "last year"):
        refused = branch.client.get("/api/admin/pioneer-index", headers=AUTH,
                                    params={"period": bad})
        assert refused.status_code == 422, bad
        assert refused.json()["errors"][0]["field"] == "period"
        assert "统计期间" in refused.json()["message"]
    assert branch.client.get("/api/admin/pioneer-index", headers=AUTH,
                             params={"period": QUARTER, "org_id": 99999}).status_code == 404


def test_the_index_workbook_lists_every_ranked_member(branch: Branch) -> None:
    seeded(branch)
    response = branch.client.get("/api/admin/pioneer-index.xlsx", headers=AUTH,
                                 params={"period": QUARTER})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content))["先锋指数"]
    rows = list(sheet.iter_rows(values_only=True))
    assert str(rows[0][0]).startswith(f"先锋指数 {QUARTER}")
    assert rows[1] == ("名次", "姓名", "所在组织", "先锋指数", "学习", "组织生活", "志愿服务",
                       "先锋作用", "合计积分")
    assert rows[2] == (1, "王丙", "机关党委/第二党支部", 30, 0, 3, 0, 0, 3)
    assert len(rows) == 5


def test_one_members_year_as_json_and_workbook(branch: Branch) -> None:
    seeded(branch)
    branch.check_in(OPENIDS["王丙"])
    branch.say(OPENIDS["王丙"], content="申报 慰问困难党员")
    record = branch.record("王丙", TODAY.year)
    assert (record["name"], record["org"], record["status"], record["total"]) == (
        "王丙", "机关党委/第二党支部", "预备党员", 6)
    attendance = record["attendance"]
    assert isinstance(attendance, list) and len(attendance) == 2
    assert {(row["kind"], row["status"]) for row in attendance} == {("activity", "出席")}
    assert [(c["text"], c["status"]) for c in record["claims"]] == [  # type: ignore[union-attr]
        ("慰问困难党员", "pending")]
    assert branch.record("王丙", TODAY.year - 1)["ledger"] == []

    response = branch.client.get(f"/api/admin/members/{branch.ids['王丙']}/record.xlsx",
                                 headers=AUTH, params={"year": TODAY.year})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["积分明细", "先锋事迹", "申报", "出勤"]
    ledger = list(book["积分明细"].iter_rows(values_only=True))
    assert "王丙" in str(ledger[0][0]) and "合计 6 分" in str(ledger[0][0])
    assert [row[1] for row in ledger[2:]] == ["活动签到", "活动签到"]
    assert list(book["申报"].iter_rows(values_only=True))[2][1:4] == (
        "慰问困难党员", None, "待审核")
    assert len(list(book["出勤"].iter_rows(values_only=True))) == 4


def test_a_record_needs_a_bound_member(branch: Branch) -> None:
    unbound = branch.client.get(f"/api/admin/members/{branch.ids['unbound']}/record",
                                headers=AUTH, params={"year": TODAY.year})
    assert unbound.status_code == 422 and "未绑定" in unbound.json()["message"]
    assert branch.client.get("/api/admin/members/99999/record", headers=AUTH,
                             params={"year": TODAY.year}).status_code == 404


def test_a_page_keeps_the_ranks_of_the_whole_list(branch: Branch) -> None:
    seeded(branch)
    pages = [branch.client.get("/api/admin/pioneer-index", headers=AUTH, params={
        "period": QUARTER, "limit": 1, "offset": offset}).json() for offset in range(4)]
    assert [[(row["rank"], row["name"]) for row in page["members"]] for page in pages] == [
        [(1, "王丙")], [(2, "张甲")], [(2, "李乙")], []]
    assert {page["members_ranked"] for page in pages} == {3}
