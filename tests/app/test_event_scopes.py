"""Tokens scoped to an org, and events placed in the org tree with a kind.

A 党委 with two 支部: a token scoped to one branch sees and changes the events
of its subtree (and those assigned to it) and nothing of the sibling branch,
which answers 404 as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from app import cli
from app.auth.tokens import Role, create_token, list_tokens, revoke_token
from app.db import Database
from app.main import create_app
from tests.app.conftest import make_settings
from tests.support.units import run_unit

ADMIN = "scopes-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
STARTS = (datetime.now(UTC) + timedelta(days=3)).isoformat()


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(database_url, admin_token=ADMIN))) as test_client:
        yield test_client


def make_org(client: TestClient, name: str, parent_id: int | None = None) -> int:
    answer = client.post("/api/admin/orgs", headers=AUTH,
                         json={"name": name, "parent_id": parent_id})
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def bearer(database: Database, role: Role, name: str, org_id: int | None) -> dict[str, str]:
    token = run_unit(database, lambda session: create_token(session, role, name, org_id))
    return {"Authorization": f"Bearer {token}"}


def new_event(client: TestClient, headers: dict[str, str], **fields: object) -> dict[str, object]:
    body = {"title": "支部党员大会", "location": "三楼会议室", "starts_at": STARTS,
            "capacity": 50, **fields}
    answer = client.post("/api/admin/events", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    result: dict[str, object] = answer.json()
    return result


@pytest.fixture
def tree(client: TestClient) -> dict[str, int]:
    committee = make_org(client, "机关党委")
    first = make_org(client, "第一党支部", committee)
    return {"committee": committee, "first": first,
            "group": make_org(client, "第一党小组", first),
            "second": make_org(client, "第二党支部", committee)}


def test_events_carry_a_kind_and_an_org(client: TestClient, tree: dict[str, int]) -> None:
    plain = new_event(client, AUTH)
    assert (plain["kind"], plain["org_id"]) == ("activity", None)
    meeting = new_event(client, AUTH, kind="branch_assembly", org_id=tree["first"])
    assert (meeting["kind"], meeting["org_id"]) == ("branch_assembly", tree["first"])

    moved = client.patch(f"/api/admin/events/{meeting['id']}", headers=AUTH,
                         json={"kind": "party_lecture", "org_id": tree["second"]})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["kind"], moved.json()["org_id"]) == ("party_lecture", tree["second"])

    for field, value in (("kind", "picnic"), ("org_id", 999_999)):
        refused = client.post("/api/admin/events", headers=AUTH, json={
            "title": "x", "location": "y", "starts_at": STARTS, "capacity": 1, field: value})
        assert refused.status_code == 422
        assert field in refused.text


def test_a_scoped_admin_sees_and_acts_on_its_subtree_only(
        client: TestClient, database: Database, tree: dict[str, int]) -> None:
    in_group = new_event(client, AUTH, title="党小组会", kind="group_meeting",
                         org_id=tree["group"])
    sibling = new_event(client, AUTH, title="第二支部主题党日", kind="theme_day",
                        org_id=tree["second"])
    unplaced = new_event(client, AUTH, title="全体志愿活动")
    branch_admin = bearer(database, Role.ADMIN, "一支部书记", tree["first"])

    mine = new_event(client, branch_admin, title="支委会", kind="committee")
    assert mine["org_id"] == tree["first"]  # a scoped token's events default to its org

    seen = {e["id"] for e in client.get("/api/admin/events", headers=branch_admin).json()}
    assert seen == {in_group["id"], mine["id"]}

    for event_id in (sibling["id"], unplaced["id"]):
        assert client.get(f"/api/admin/events/{event_id}",
                          headers=branch_admin).status_code == 404
        assert client.patch(f"/api/admin/events/{event_id}", headers=branch_admin,
                            json={"title": "改名"}).status_code == 404
        assert client.delete(f"/api/admin/events/{event_id}",
                             headers=branch_admin).status_code == 404
        assert client.get(f"/api/admin/events/{event_id}/signups",
                          headers=branch_admin).status_code == 404
    assert client.get(f"/api/admin/events/{sibling['id']}", headers=AUTH).json()["title"] == \
        "第二支部主题党日"  # untouched

    outside = client.post("/api/admin/events", headers=branch_admin, json={
        "title": "越界", "location": "y", "starts_at": STARTS, "capacity": 1,
        "org_id": tree["second"]})
    assert outside.status_code == 422 and "org_id" in outside.text
    moved_out = client.patch(f"/api/admin/events/{mine['id']}", headers=branch_admin,
                             json={"org_id": tree["committee"]})
    assert moved_out.status_code == 422


def test_a_scoped_organizer_sees_its_subtree_and_its_assigned_events(
        client: TestClient, database: Database, tree: dict[str, int]) -> None:
    in_group = new_event(client, AUTH, kind="group_meeting", org_id=tree["group"])
    sibling = new_event(client, AUTH, kind="theme_day", org_id=tree["second"])
    organizer = bearer(database, Role.ORGANIZER, "一支部组织委员", tree["first"])
    assert client.get(f"/api/admin/events/{in_group['id']}", headers=organizer).status_code == 200
    assert client.get(f"/api/admin/events/{sibling['id']}", headers=organizer).status_code == 404
    seen = {e["id"] for e in client.get("/api/admin/events", headers=organizer).json()}
    assert seen == {in_group["id"]}


def test_token_create_with_an_org_from_the_command_line(
        client: TestClient, database_url: str, tree: dict[str, int],
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HONGXIN_DATABASE_URL", database_url)
    assert cli.main(["token", "create", "--role", "organizer", "--name", "二支部",
                     "--org", str(tree["second"])]) == 0
    token = capsys.readouterr().out.strip()
    listed = client.get("/api/admin/events", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200

    assert cli.main(["token", "list"]) == 0
    [row] = [line.split("\t") for line in capsys.readouterr().out.splitlines()[1:]]
    assert row[1:4] == ["organizer", "二支部", str(tree["second"])]

    assert cli.main(["token", "create", "--role", "admin", "--name", "x",
                     "--org", "999999"]) == 1
    assert "no org with id 999999" in capsys.readouterr().err


def test_an_org_with_events_or_live_tokens_is_not_deleted(
        client: TestClient, database: Database, tree: dict[str, int]) -> None:
    event = new_event(client, AUTH, org_id=tree["second"])
    refused = client.delete(f"/api/admin/orgs/{tree['second']}", headers=AUTH)
    assert refused.status_code == 409 and "活动或会议" in refused.json()["message"]
    client.patch(f"/api/admin/events/{event['id']}", headers=AUTH, json={"org_id": None})

    scoped = bearer(database, Role.ORGANIZER, "二支部", tree["second"])
    refused = client.delete(f"/api/admin/orgs/{tree['second']}", headers=AUTH)
    assert refused.status_code == 409 and "令牌" in refused.json()["message"]

    [token_id] = [t.id for t in run_unit(database, list_tokens) if t.name == "二支部"]
    run_unit(database, lambda session: revoke_token(session, token_id, datetime.now(UTC)))
    assert client.delete(f"/api/admin/orgs/{tree['second']}", headers=AUTH).status_code == 204
    assert client.get("/api/admin/events", headers=scoped).status_code == 401
