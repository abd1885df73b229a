"""``hongxin demo-data`` loads lessons and an active 30-question bank, once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import cli
from app.db import Database
from app.demo.content import LESSONS
from app.models import BankQuestion, Lesson, LessonSeries, Org, QuizBank, RosterEntry


def test_demo_data_is_idempotent(database_url: str, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HONGXIN_DATABASE_URL", database_url)
    assert cli.main(["demo-data"]) == 0
    assert cli.main(["demo-data"]) == 0
    out = capsys.readouterr().out
    assert f"{len(LESSONS)} lessons added" in out and "0 lessons added" in out
    assert "15 roster people added" in out and "0 roster people added" in out
    assert "6 deeds and 3 claims added" in out and "0 deeds and 0 claims added" in out
    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            assert session.scalar(select(func.count()).select_from(Lesson)) == len(LESSONS)
            # Each demo 专题 once, however often the demo is loaded.
            grouped = session.execute(
                select(LessonSeries.name, func.count(Lesson.id))
                .join(Lesson, Lesson.series_id == LessonSeries.id)
                .group_by(LessonSeries.name)).all()
            assert dict(grouped) == {"党员之家": 3, "党史故事": 1}
            banks = session.scalars(select(QuizBank)).all()
            assert len(banks) == 1 and banks[0].is_active and banks[0].question_count == 30
            assert session.scalar(select(func.count()).select_from(BankQuestion)) == 30
            orgs = session.scalars(select(Org).order_by(Org.path)).all()
            assert [org.name for org in orgs if org.parent_id is None] == ["红心示范党委"]
            assert len(orgs) == 4
            phones = session.scalars(select(RosterEntry.phone)).all()
            assert len(phones) == 15 and all(p.startswith("13800000") for p in phones)
    finally:
        database.close()


def test_demo_data_holds_a_quarter_of_meetings(database_url: str,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import UTC, datetime

    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.app.conftest import make_settings

    monkeypatch.setenv("HONGXIN_DATABASE_URL", database_url)
    assert cli.main(["demo-data"]) == 0
    assert cli.main(["demo-data"]) == 0
    out = capsys.readouterr().out
    assert "23 meetings added" in out and "0 meetings added" in out
    auth = {"Authorization": "Bearer demo-meetings-admin"}
    settings = make_settings(database_url, admin_token="demo-meetings-admin")
    with TestClient(create_app(settings)) as client:
        [root] = client.get("/api/admin/orgs", headers=auth).json()
        events = client.get("/api/admin/events", headers=auth).json()
        past = [e for e in events if e["kind"] != "activity"
                and e["starts_at"] < datetime.now(UTC).isoformat()]
        calendar = client.get(f"/api/admin/orgs/{root['id']}/compliance", headers=auth,
                              params={"year": past[0]["starts_at"][:4]}).json()
        assert len(calendar["orgs"]) == 3 and all(org["held"] for org in calendar["orgs"])
        lectures = {org["name"]: sum(i["status"] == "held" for i in org["items"]
                                     if i["kind"] == "party_lecture")
                    for org in calendar["orgs"]}
        assert lectures["第三党支部"] == 0 and lectures["第一党支部"] == 1
        page = client.get(f"/api/admin/events/{past[0]['id']}/attendance", headers=auth).json()
        assert page["final"] and page["counts"]["present"] >= 1
        minutes = client.get(f"/api/admin/events/{past[0]['id']}/minutes", headers=auth).json()
        assert minutes["text"]
