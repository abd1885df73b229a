"""A branch of bound members who chat with the account, and an admin, for the red-points tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.auth.tokens import Role, create_token
from app.db import Database
from app.main import create_app
from app.models import Member
from tests.app.conftest import make_settings
from tests.support.factories import create_event
from tests.support.roster import roster_csv
from tests.support.units import run_unit
from tests.support.wechat import Platform, message_xml

ADMIN = "red-points-admin"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
PEOPLE = [("张甲", "13800000001", "机关党委/第一党支部", "正式党员", "", "书记"),
          ("李乙", "13800000002", "机关党委/第一党支部", "正式党员", "", ""),
          ("王丙", "13800000003", "机关党委/第二党支部", "预备党员", "", "")]
OPENIDS = {"张甲": "o_jia", "李乙": "o_yi", "王丙": "o_bing"}
UNBOUND = "o_ding"


@dataclass
class Branch:
    client: TestClient
    database: Database
    platform: Platform
    ids: dict[str, int]
    clock: int = 0

    def __post_init__(self) -> None:
        self.clock = int(datetime.now(UTC).timestamp())

    def say(self, openid: str, kind: str = "text", **fields: object) -> str:
        xml = message_xml(kind, openid, **fields)
        response = self.client.post("/wechat", params=self.platform.params(),
                                    content=xml.encode())
        assert response.status_code == 200, response.text
        found = re.search(r"<Content><!\[CDATA\[(.*)\]\]></Content>", response.text, re.DOTALL)
        assert found, response.text[:300]
        return found.group(1)

    def member_id(self, openid: str) -> int:
        return run_unit(self.database, lambda session: session.scalars(
            select(Member.id).where(Member.openid == openid)).one())

    def check_in(self, openid: str) -> None:
        """Sign up for a new event starting soon and scan its check-in code."""
        event_id = run_unit(self.database, lambda session: create_event(
            session, starts_at=datetime.now(UTC) + timedelta(minutes=30)).id)
        assert "报名成功" in self.say(openid, content=f"报名 {event_id}")
        # Events are told apart by their CreateTime: one second each, or it is a retry.
        self.clock += 1
        assert "签到成功" in self.say(openid, "scan", scene=f"checkin_{event_id}",
                                   create_time=self.clock)

    def organizer(self, name: str = "alice", *, org_id: int | None = None,
                  role: Role = Role.ORGANIZER) -> dict[str, str]:
        token = run_unit(self.database,
            lambda session: create_token(session, role, name, org_id))
        return {"Authorization": f"Bearer {token}"}

    def record(self, name: str, year: int | None = None) -> dict[str, object]:
        year = year or datetime.now(UTC).year
        response = self.client.get(f"/api/admin/members/{self.ids[name]}/record",
                                   params={"year": year}, headers=AUTH)
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body


@pytest.fixture
def branch(database_url: str, database: Database) -> Iterator[Branch]:
    with TestClient(create_app(make_settings(database_url, admin_token=ADMIN))) as client:
        imported = client.post("/api/admin/roster", headers=AUTH,
                               files={"file": ("r.csv", roster_csv(PEOPLE))})
        assert imported.status_code == 201, imported.text
        found = Branch(client, database, Platform(), {})
        for name, phone, *_ in PEOPLE:
            assert "绑定成功" in found.say(OPENIDS[name], content=f"绑定 {name} {phone}")
            found.ids[name] = found.member_id(OPENIDS[name])
        found.say(UNBOUND, content="帮助")
        found.ids["unbound"] = found.member_id(UNBOUND)
        yield found
