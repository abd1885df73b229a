"""Minutes with photos, and the compliance calendar of 三会一课 with its reminders to 书记."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from app.auth.tokens import Role, create_token
from app.db import Database
from app.main import create_app
from app.scheduler import jobs
from tests.app.conftest import make_settings
from tests.support.factories import create_event
from tests.support.meetings import ADMIN, AUTH, BRANCH, GROUP, SECOND, Party, build_party
from tests.support.units import run_unit

ZONE = ZoneInfo("Asia/Shanghai")


def png() -> bytes:
    """A real 1×1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64) + b"\xff\xd9"


@pytest.fixture
def party(database_url: str, database: Database) -> Iterator[Party]:
    with TestClient(create_app(make_settings(database_url, admin_token=ADMIN))) as client:
        yield build_party(client, database)


def test_minutes_with_photos_in_the_database(party: Party) -> None:
    meeting = party.meeting()
    url = f"/api/admin/events/{meeting['id']}/minutes"
    saved = party.client.post(url, headers=AUTH, data={"text": "一、传达学习……\n二、讨论……"},
                              files=[("photos", ("a.png", png(), "image/png")),
                                     ("photos", ("b.jpg", JPEG, "image/jpeg"))])
    assert saved.status_code == 201, saved.text
    body = party.client.get(url, headers=AUTH).json()
    assert body["text"].startswith("一、传达学习") and body["recorded_by"]
    assert [p["content_type"] for p in body["photos"]] == ["image/png", "image/jpeg"]
    photo = party.client.get(body["photos"][0]["url"], headers=AUTH)
    assert photo.status_code == 200 and photo.content == png()
    assert photo.headers["content-type"] == "image/png"


@pytest.mark.parametrize(("fields", "files", "field"), [
    ({"text": "  "}, [], "text"),
    ({"text": "纪要"}, [("photos", ("a.png", b"<svg onload=alert(1)>", "image/png"))],
     "photos[0]"),
    ({"text": "纪要"}, [("photos", ("a.jpg", png(), "image/jpeg"))], "photos[0]"),
    ({"text": "纪要"}, [("photos", ("ok.png", png(), "image/png")),
                      ("photos", ("empty.png", b"", "image/png"))], "photos[1]"),
])
def test_bad_minutes_are_refused_and_change_nothing(
        party: Party, fields: dict[str, str], files: list[tuple[str, tuple[str, bytes, str]]],
        field: str) -> None:
    meeting = party.meeting()
    url = f"/api/admin/events/{meeting['id']}/minutes"
    refused = party.client.post(url, headers=AUTH, data=fields, files=files or None)
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["field"] == field
    assert any("\u4e00" <= char <= "\u9fff" for char in error["message"])
    assert party.client.get(url, headers=AUTH).json() == {
        "event_id": meeting["id"], "text": None, "recorded_by": None, "recorded_at": None,
        "photos": []}


def test_minutes_photos_in_the_media_directory(party: Party, database_url: str,
                                               tmp_path: Path) -> None:
    meeting = party.meeting()
    settings = make_settings(database_url, admin_token=ADMIN, media_dir=str(tmp_path),
                             max_upload_bytes=4096)
    with TestClient(create_app(settings)) as client:
        url = f"/api/admin/events/{meeting['id']}/minutes"
        saved = client.post(url, headers=AUTH, data={"text": "纪要"},
                            files=[("photos", ("a.png", png(), "image/png"))])
        assert saved.status_code == 201, saved.text
        [stored] = list(tmp_path.rglob("*.png"))
        assert stored.read_bytes() == png()
        assert client.get(saved.json()["photos"][0]["url"], headers=AUTH).content == png()
        too_big = client.post(url, headers=AUTH, data={"text": "纪要"},
                              files=[("photos", ("big.jpg", JPEG + bytes(8192), "image/jpeg"))])
        assert too_big.status_code == 413
    assert len(list(tmp_path.rglob("*.*"))) == 1


def at(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZONE)


def test_compliance_calendar_per_org_and_period(party: Party) -> None:
    branch, group = party.orgs[BRANCH], party.orgs[GROUP]
    with party.database.unit_of_work() as session:
        for kind, org, moment, status in (
                ("branch_assembly", branch, at(2025, 2, 10), "scheduled"),
                ("committee", branch, at(2025, 1, 31, 23), "scheduled"),
                ("committee", branch, at(2025, 6, 3), "cancelled"),
                ("theme_day", branch, at(2025, 3, 1), "scheduled"),
                ("group_meeting", group, at(2025, 5, 20), "scheduled"),
                ("group_meeting", branch, at(2025, 7, 20), "scheduled")):
            create_event(session, kind=kind, org_id=org, starts_at=moment, status=status)
    answer = party.client.get(f"/api/admin/orgs/{party.orgs['机关党委']}/compliance",
                              headers=AUTH, params={"year": 2025})
    assert answer.status_code == 200, answer.text
    orgs = {org["name"]: org for org in answer.json()["orgs"]}
    # The 党委 has no 三会一课 of its own; its 党支部 and 党小组 do.
    assert set(orgs) == {"第一党支部", "第一党小组", "第二党支部"}
    status = {(i["kind"], i["period"]): i["status"] for i in orgs["第一党支部"]["items"]}
    assert status[("branch_assembly", "2025Q1")] == "held"
    assert status[("branch_assembly", "2025Q2")] == "missing"
    assert status[("committee", "2025-01")] == "held"  # 23:00 local, still January
    assert status[("committee", "2025-06")] == "missing"  # cancelled does not count
    assert status[("theme_day", "2025-03")] == "held"
    assert {s for (kind, _), s in status.items() if kind == "party_lecture"} == {"missing"}
    assert ("group_meeting", "2025-07") not in status  # a 党小组会 is the 党小组's
    assert orgs["第一党支部"]["held"] == 3
    assert orgs["第一党支部"]["missing"] == 4 + 12 + 4 + 12 - 3
    group_status = {i["period"]: i["status"] for i in orgs["第一党小组"]["items"]}
    assert group_status["2025-05"] == "held" and group_status["2025-04"] == "missing"

    value = run_unit(party.database, lambda s: create_token(
        s, Role.ORGANIZER, "二支部", party.orgs[SECOND]))
    scoped = {"Authorization": f"Bearer {value}"}
    assert party.client.get(f"/api/admin/orgs/{branch}/compliance",
                            headers=scoped).status_code == 404
    assert party.client.get(f"/api/admin/orgs/{party.orgs[SECOND]}/compliance",
                            headers=scoped).status_code == 200


def test_secretaries_are_reminded_once_a_week_before_a_period_closes(party: Party) -> None:
    branch = party.orgs[BRANCH]
    with party.database.unit_of_work() as session:
        # The December 支委会 is scheduled: nothing missing there.
        create_event(session, kind="committee", org_id=branch, starts_at=at(2026, 12, 29))
    quiet = run_unit(party.database, lambda s: jobs.meetings(s, at(2026, 12, 10), ZONE))
    assert quiet["compliance_reminders"] == 0

    week_before = at(2026, 12, 26)
    first = run_unit(party.database, lambda s: jobs.meetings(s, week_before, ZONE))
    again = run_unit(party.database, lambda s: jobs.meetings(s, week_before + timedelta(hours=1),
                                                           ZONE))
    assert (first["compliance_reminders"], again["compliance_reminders"]) == (4, 0)
    rows = party.outbox("compliance_reminder")
    to_secretary = [r.payload["text"] for r in rows if r.member_id == party.members["张书记"]]
    assert len(to_secretary) == 3
    assert any("第一党支部2026年第四季度的党课尚未召开" in text for text in to_secretary)
    assert not any("支委会" in text for text in to_secretary)
    [to_leader] = [r.payload["text"] for r in rows if r.member_id == party.members["孙组长"]]
    assert "党小组会" in to_leader
    assert {r.due_at for r in rows} == {week_before}
