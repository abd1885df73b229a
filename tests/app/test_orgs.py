"""The organisation tree over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.app.conftest import make_settings

ADMIN = "orgs-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN}"}


@pytest.fixture
def admin(database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(database_url, admin_token=ADMIN))) as client:
        yield client


def make(admin: TestClient, name: str, parent_id: int | None = None, **extra: object) -> int:
    answer = admin.post("/api/admin/orgs", headers=AUTH,
                        json={"name": name, "parent_id": parent_id, **extra})
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def test_a_tree_of_four_levels_with_kinds_read_from_names(admin: TestClient) -> None:
    committee = make(admin, "机关党委")
    general = make(admin, "第一党总支", committee)
    branch = make(admin, "第一党支部", general)
    make(admin, "第一党小组", branch)
    tree = admin.get("/api/admin/orgs", headers=AUTH).json()
    assert len(tree) == 1
    node, kinds = tree[0], []
    while True:
        kinds.append((node["name"], node["kind"], node["roster_count"], node["bound_count"]))
        if not node["children"]:
            break
        node = node["children"][0]
    assert kinds == [("机关党委", "committee", 0, 0), ("第一党总支", "general_branch", 0, 0),
                     ("第一党支部", "branch", 0, 0), ("第一党小组", "group", 0, 0)]


def test_names_are_unique_among_siblings_only(admin: TestClient) -> None:
    first = make(admin, "机关党委")
    second = make(admin, "后勤党委")
    make(admin, "第一党支部", first)
    make(admin, "第一党支部", second)
    again = admin.post("/api/admin/orgs", headers=AUTH,
                       json={"name": "第一党支部", "parent_id": first})
    assert again.status_code == 409
    assert "已有名为“第一党支部”" in again.json()["message"]
    root_again = admin.post("/api/admin/orgs", headers=AUTH, json={"name": "机关党委"})
    assert root_again.status_code == 409


def test_bad_input_names_the_field(admin: TestClient) -> None:
    answer = admin.post("/api/admin/orgs", headers=AUTH,
                        json={"name": "甲/乙"})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "name"
    missing = admin.post("/api/admin/orgs", headers=AUTH, json={"name": "支部", "parent_id": 999})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "parent_id"
    assert admin.post("/api/admin/orgs", headers=AUTH,
                      json={"name": "支部", "kind": "planet"}).status_code == 422


def test_patch_renames_and_moves_a_subtree(admin: TestClient) -> None:
    first = make(admin, "机关党委")
    second = make(admin, "后勤党委")
    branch = make(admin, "第一党支部", first)
    group = make(admin, "第一党小组", branch)
    moved = admin.patch(f"/api/admin/orgs/{branch}", headers=AUTH,
                        json={"parent_id": second, "name": "后勤第一党支部"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["parent_id"] == second
    tree = {node["name"]: node for node in admin.get("/api/admin/orgs", headers=AUTH).json()}
    assert tree["机关党委"]["children"] == []
    assert tree["后勤党委"]["children"][0]["name"] == "后勤第一党支部"
    assert tree["后勤党委"]["children"][0]["children"][0]["id"] == group
    cycle = admin.patch(f"/api/admin/orgs/{branch}", headers=AUTH, json={"parent_id": group})
    assert cycle.status_code == 409
    root = admin.patch(f"/api/admin/orgs/{branch}", headers=AUTH, json={"parent_id": None})
    assert root.json()["parent_id"] is None
    assert len(admin.get("/api/admin/orgs", headers=AUTH).json()) == 3


def test_delete_is_refused_while_children_remain(admin: TestClient) -> None:
    root = make(admin, "机关党委")
    branch = make(admin, "第一党支部", root)
    refused = admin.delete(f"/api/admin/orgs/{root}", headers=AUTH)
    assert refused.status_code == 409
    assert "下级组织" in refused.json()["message"]
    assert admin.delete(f"/api/admin/orgs/{branch}", headers=AUTH).status_code == 204
    assert admin.delete(f"/api/admin/orgs/{root}", headers=AUTH).status_code == 204
    assert admin.get("/api/admin/orgs", headers=AUTH).json() == []
    assert admin.delete(f"/api/admin/orgs/{root}", headers=AUTH).status_code == 404
    assert admin.get("/api/admin/orgs").status_code == 401
