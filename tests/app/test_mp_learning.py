"""The mini-program's lessons, quiz and points, logged in through the fake platform."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.testclient import TestClient

from app.db import Database
from app.fakewechat import FakeWeChatServer, fake_openid
from app.lessons.service import create_lesson
from app.main import create_app
from app.quiz_banks.service import activate_bank, import_bank
from app.quiz_play import service as play
from tests.app.conftest import make_settings
from tests.support.quizbanks import bank_csv, right_answer


@pytest.fixture(scope="module")
def wechat_server() -> Iterator[FakeWeChatServer]:
    with FakeWeChatServer() as running:
        yield running


@pytest.fixture
def mp(database_url: str, wechat_server: FakeWeChatServer) -> Iterator[TestClient]:
    httpx.post(f"{wechat_server.url}/_fake/reset").raise_for_status()
    app = create_app(make_settings(database_url, wechat_api_base=wechat_server.url))
    with TestClient(app) as client:
        token = client.post("/api/mp/login", json={"code": "mp-code"}).json()["token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


@pytest.fixture
def bank(database: Database) -> None:
    with database.unit_of_work() as session:
        stored = import_bank(session, bank_csv(10), "mp.csv", now=datetime.now(UTC))
        activate_bank(session, stored.id, datetime.now(UTC))


OPENID = fake_openid("mp-code")


def test_quiz_start_and_answer_never_leak_the_key(
    mp: TestClient, database: Database, bank: None
) -> None:
    question = mp.post("/api/mp/quiz/attempts")
    assert question.status_code == 201, question.text
    body = question.json()
    assert set(body) == {"attempt_id", "position", "total", "type", "stem", "options",
                         "contest"}
    attempt = body["attempt_id"]
    assert mp.post("/api/mp/quiz/attempts").json() == body  # resumes, same question
    verdict = None
    for position in range(1, body["total"] + 1):
        answer = right_answer(database, OPENID)
        verdict = mp.post(f"/api/mp/quiz/attempts/{attempt}/answers",
                          json={"position": position, "answer": answer})
        assert verdict.status_code == 200, verdict.text
        assert verdict.json()["correct"] is True
        if position < body["total"]:
            upcoming = verdict.json()["next_question"]
            assert upcoming["position"] == position + 1 and "expected" not in upcoming
    assert verdict is not None
    final = verdict.json()["score"]
    assert final["correct"] == final["total"] == 5 and final["status"] == "finished"
    # Answering the last question again returns the stored grade, not a second award.
    again = mp.post(f"/api/mp/quiz/attempts/{attempt}/answers",
                    json={"position": 5, "answer": "A"})
    assert again.json()["correct"] is True
    points = mp.get("/api/mp/points").json()
    assert points["total"] == 10 and points["rank"] == 1 and len(points["recent"]) == 5


def test_bad_answers_and_closed_attempts(mp: TestClient, bank: None) -> None:
    attempt = mp.post("/api/mp/quiz/attempts").json()["attempt_id"]
    skipped = mp.post(f"/api/mp/quiz/attempts/{attempt}/answers",
                      json={"position": 2, "answer": "A"})
    assert skipped.status_code == 422 and skipped.json()["errors"][0]["field"] == "position"
    assert mp.post(f"/api/mp/quiz/attempts/{attempt}/quit").json()["status"] == "quit"
    closed = mp.post(f"/api/mp/quiz/attempts/{attempt}/answers",
                     json={"position": 1, "answer": "A"})
    assert closed.status_code == 409
    assert mp.post("/api/mp/quiz/attempts/999999/quit").status_code == 409


def test_answers_are_rate_limited(
    mp: TestClient, bank: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(play, "ANSWERS_PER_MINUTE", 2)
    statuses = []
    for _ in range(4):
        attempt = mp.post("/api/mp/quiz/attempts").json()
        answer = "对" if attempt["type"] == "truefalse" else (
            "A" if attempt["options"] else "南湖")
        statuses.append(mp.post(f"/api/mp/quiz/attempts/{attempt['attempt_id']}/answers",
                                json={"position": attempt["position"],
                                      "answer": answer}).status_code)
    assert statuses[:2] == [200, 200] and statuses[2:] == [429, 429]


def test_no_bank_and_no_token(mp: TestClient) -> None:
    assert mp.post("/api/mp/quiz/attempts").status_code == 409
    del mp.headers["Authorization"]
    assert mp.get("/api/mp/points").status_code == 401


def test_lessons_for_the_mini_program(mp: TestClient, database: Database) -> None:
    with database.unit_of_work() as session:
        lesson = create_lesson(session, title="小程序一课", summary="摘要", body="**加粗**",
                               publish_date=datetime.now(UTC).date().replace(year=2025),
                               now=datetime.now(UTC))
        lesson_id = lesson.id
    listing = mp.get("/api/mp/lessons").json()
    assert [(item["id"], item["number"]) for item in listing] == [(lesson_id, 1)]
    today = mp.get("/api/mp/lessons/today").json()
    assert today["id"] == lesson_id and "<strong>加粗</strong>" in today["body_html"]
    # Fetching (a home-page card, a prefetch) counts nothing; the explicit read does, once.
    assert today["read"] is False
    assert mp.get(f"/api/mp/lessons/{lesson_id}").json()["read"] is False
    assert mp.get("/api/mp/points").json()["total"] == 0
    first = mp.post(f"/api/mp/lessons/{lesson_id}/read")
    assert first.status_code == 200, first.text
    assert first.json() == {"lesson_id": lesson_id, "points_awarded": 1}
    assert mp.post(f"/api/mp/lessons/{lesson_id}/read").json()["points_awarded"] == 0
    assert mp.get(f"/api/mp/lessons/{lesson_id}").json()["read"] is True
    assert mp.get("/api/mp/points").json()["total"] == 1
    assert mp.get("/api/mp/lessons/424242").status_code == 404
    assert mp.post("/api/mp/lessons/424242/read").status_code == 404
