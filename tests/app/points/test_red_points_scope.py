"""A token scoped to one 党支部 sees and acts on that branch's members only."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.auth.tokens import Role
from app.models import Org
from tests.support.red_points import OPENIDS, Branch
from tests.support.units import run_unit

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


def org(branch: Branch, name: str) -> int:
    return run_unit(branch.database,
        lambda session: session.scalars(select(Org.id).where(Org.name == name)).one())


def test_a_branch_token_sees_and_acts_on_its_own_members_only(branch: Branch) -> None:
    first, second = org(branch, "第一党支部"), org(branch, "第二党支部")
    secretary = branch.organizer("第一支部书记", org_id=first)
    branch.say(OPENIDS["李乙"], content="申报 整理支部学习资料")
    branch.say(OPENIDS["王丙"], content="申报 社区巡逻")
    claims = branch.client.get("/api/admin/points/claims", headers=secretary).json()
    assert [claim["name"] for claim in claims] == ["李乙"]
    other_claim = branch.client.get("/api/admin/points/claims",
                                    headers=branch.organizer("root")).json()[1]["id"]
    assert branch.client.post(f"/api/admin/points/claims/{other_claim}/approve",
                              headers=secretary, json={}).status_code == 404
    assert branch.client.post(f"/api/admin/points/claims/{other_claim}/reject",
                              headers=secretary, json={"reason": "不属实"}).status_code == 404

    def award(name: str) -> int:
        return branch.client.post("/api/admin/points/awards", headers=secretary, json={
            "member_id": branch.ids[name], "category": "其他", "note": "事迹",
            "occurred_on": TODAY.isoformat()}).status_code

    assert (award("张甲"), award("王丙")) == (201, 404)
    year = {"year": TODAY.year}
    assert branch.client.get(f"/api/admin/members/{branch.ids['张甲']}/record", params=year,
                             headers=secretary).status_code == 200
    assert branch.client.get(f"/api/admin/members/{branch.ids['王丙']}/record.xlsx",
                             params=year, headers=secretary).status_code == 404

    period = {"period": str(TODAY.year)}
    ranked = branch.client.get("/api/admin/pioneer-index", params=period,
                               headers=secretary).json()["members"]
    assert sorted(row["name"] for row in ranked) == ["张甲", "李乙"]
    assert branch.client.get("/api/admin/pioneer-index", headers=secretary,
                             params={**period, "org_id": second}).status_code == 404


def test_a_scoped_admin_reads_the_catalogue_and_its_own_boards(branch: Branch) -> None:
    first = org(branch, "第一党支部")
    scoped = branch.organizer("一支部管理员", org_id=first, role=Role.ADMIN)
    assert branch.client.get("/api/admin/points/rules", headers=scoped).status_code == 200
    refused = branch.client.put("/api/admin/points/rules", headers=scoped,
                                json={"rules": {"lesson_read": {"points": 2}}})
    assert refused.status_code == 403
    branch.check_in(OPENIDS["张甲"])
    branch.check_in(OPENIDS["王丙"])
    board = branch.client.get("/api/admin/points/leaderboard", headers=scoped).json()
    assert [row["name"] for row in board] == ["张甲"]
    assert branch.client.get("/api/admin/points/leaderboard", headers=scoped, params={
        "org_id": org(branch, "第二党支部")}).status_code == 404
    branches = branch.client.get("/api/admin/points/branches", headers=scoped).json()
    assert [row["name"] for row in branches] == ["第一党支部"]
