"""Every download is safe to open in a spreadsheet: no live formulas, phones kept as text."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from app.db import Database
from app.events.signups import sign_up
from app.main import create_app
from tests.app.conftest import make_settings
from tests.support.factories import create_event, create_member

ADMIN = "exports-admin-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.fixture
def client(database_url: str) -> TestClient:
    return TestClient(create_app(make_settings(database_url, admin_token=ADMIN)))


@pytest.fixture
def event_id(database: Database) -> int:
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        event = create_event(session, title="=cmd|' /C calc'!A0", capacity=10,
                             starts_at=now + timedelta(days=3))
        for n, text in enumerate(HOSTILE):
            member = create_member(session, name=text, branch=text,
                                   phone=f"139{n:08d}")
            sign_up(session, member.id, event.id, now, make_settings("sqlite://").zone)
        return event.id


def test_signups_csv_neutralises_formulas_and_keeps_phones_text(
        client: TestClient, event_id: int) -> None:
    with client:
        response = client.get(f"/api/admin/events/{event_id}/signups.csv", headers=AUTH)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    names = [row[1] for row in rows[1:]]
    assert names == ["'" + text for text in HOSTILE]
    assert [row[3] for row in rows[1:]] == names
    # Excel would show 13900000000 as 1.39E+10; grouped, it stays text and reads well.
    assert rows[1][2] == "139 0000 0000"


def test_signups_xlsx_holds_strings_only(client: TestClient, event_id: int) -> None:
    with client:
        response = client.get(f"/api/admin/events/{event_id}/signups.xlsx", headers=AUTH)
    cells = [cell for row in load_workbook(io.BytesIO(response.content)).active.iter_rows()
             for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    values = [cell.value for cell in cells]
    assert str(values[0]).startswith("'=cmd|")
    for text in HOSTILE[:-1]:  # (XML reads a lone carriage return back as a line feed)
        assert "'" + text in values
    assert "13900000000" in values  # a string cell: Excel keeps it as text
