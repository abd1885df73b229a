"""A small party organisation for meeting tests, built through the public surfaces.

The roster is imported over HTTP and members bind in the chat, so every row a
meeting test starts from was written by the code members and admins use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.db import Database
from app.models import Event, Member, OutboxMessage
from tests.support.roster import roster_csv
from tests.support.wechat import Platform, message_xml

ADMIN = "meetings-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
BRANCH, SECOND = "机关党委/第一党支部", "机关党委/第二党支部"
GROUP = f"{BRANCH}/第一党小组"
# (name, phone, org, status, joined_on, duty, openid that binds in the chat or None)
PEOPLE = (
    ("张书记", "13900000001", BRANCH, "正式党员", "", "书记", "o_secretary"),
    ("王党员", "13900000002", GROUP, "正式党员", "", "", "o_member"),
    ("赵后绑", "13900000003", BRANCH, "预备党员", "", "", None),
    ("钱二支", "13900000004", SECOND, "正式党员", "", "", "o_other"),
    ("孙组长", "13900000005", GROUP, "正式党员", "", "党小组长", "o_leader"),
)


def say(client: TestClient, text: str, openid: str) -> str:
    params, body = Platform().plain(message_xml("text", openid, content=text))
    response = client.post("/wechat", params=params, content=body)
    assert response.status_code == 200
    found = re.search(r"<Content><!\[CDATA\[(.*)\]\]></Content>", response.text, re.DOTALL)
    assert found, response.text
    return found.group(1)


def scan(client: TestClient, openid: str, scene: str, created: int) -> str:
    params, body = Platform().plain(message_xml("scan", openid, scene=scene,
                                                create_time=created))
    response = client.post("/wechat", params=params, content=body)
    assert response.status_code == 200
    found = re.search(r"<Content><!\[CDATA\[(.*)\]\]></Content>", response.text, re.DOTALL)
    assert found, response.text
    return found.group(1)


def _org_ids(nodes: list[dict[str, Any]], prefix: str = "") -> dict[str, int]:
    found: dict[str, int] = {}
    for node in nodes:
        path = f"{prefix}/{node['name']}" if prefix else node["name"]
        found[path] = node["id"]
        found.update(_org_ids(node["children"], path))
    return found


@dataclass
class Party:
    """The organisation: org ids by path, member ids by name."""

    client: TestClient
    database: Database
    orgs: dict[str, int]
    members: dict[str, int] = field(default_factory=dict)

    def meeting(self, kind: str = "branch_assembly", org: str = BRANCH,
                starts_in: timedelta = timedelta(days=2), **fields: Any) -> dict[str, Any]:
        body = {"title": "第四季度支部党员大会", "location": "三楼会议室", "capacity": 1,
                "starts_at": (datetime.now(UTC) + starts_in).isoformat(), "kind": kind,
                "org_id": self.orgs[org], **fields}
        answer = self.client.post("/api/admin/events", headers=AUTH, json=body)
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        return created

    def move_start(self, event_id: int, starts_in: timedelta) -> None:
        """What the clock does to a meeting: it starts (or ends) as time passes."""
        moment = datetime.now(UTC) + starts_in
        with self.database.unit_of_work() as session:
            session.execute(update(Event).where(Event.id == event_id).values(starts_at=moment))

    def outbox(self, kind: str) -> list[OutboxMessage]:
        with self.database.unit_of_work() as session:
            rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                        .order_by(OutboxMessage.id)))
            session.expunge_all()
            return rows


def build_party(client: TestClient, database: Database) -> Party:
    rows = [person[:6] for person in PEOPLE]
    answer = client.post("/api/admin/roster", headers=AUTH,
                         files={"file": ("roster.csv", roster_csv(rows))})
    assert answer.status_code == 201, answer.text
    tree = client.get("/api/admin/orgs", headers=AUTH).json()
    party = Party(client, database, _org_ids(tree))
    for name, phone, *_, openid in PEOPLE:
        if openid is None:
            continue
        assert "绑定成功" in say(client, f"绑定 {name} {phone}", openid)
        with database.unit_of_work() as session:
            party.members[name] = session.scalars(
                select(Member.id).where(Member.openid == openid)).one()
    return party
