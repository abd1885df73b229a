"""Contests: opening one, members joining with 答题, best-of-N results, time limits, XLSX."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from app.contests.service import create_contest, results
from app.db import Database
from app.main import create_app
from app.models import Member, RosterEntry
from app.orgs.service import create_org
from app.quiz_banks.service import activate_bank, import_bank
from app.quiz_play import service as play
from bots.ports import QuizQuestion
from tests.app.conftest import make_settings
from tests.support.factories import create_member
from tests.support.quizbanks import bank_csv, right_answer

ZONE = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
ADMIN = "contest-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN}"}


@pytest.fixture
def banks(database: Database) -> tuple[int, int]:
    """An active everyday bank and a separate contest bank."""
    with database.unit_of_work() as session:
        daily = import_bank(session, bank_csv(8, prefix="日常"), "daily.csv", now=START)
        activate_bank(session, daily.id, START)
        contest = import_bank(session, bank_csv(8, prefix="竞赛"), "contest.csv", now=START)
        return daily.id, contest.id


def play_through(database: Database, member_id: int, now: datetime, wrong: int = 0,
                 step: timedelta = timedelta(seconds=5)) -> QuizQuestion:
    """Answer a whole attempt, the first ``wrong`` questions wrongly, one every ``step``."""
    with database.unit_of_work() as session:
        asked = play.start(session, member_id, now)
        openid = session.get(Member, member_id).openid  # type: ignore[union-attr]
    assert not isinstance(asked, str)
    current: QuizQuestion | None = asked
    while current is not None:
        now += step
        right = right_answer(database, openid)
        text = right
        if current.position <= wrong:
            text = {"对": "错", "错": "对"}.get(right, "不知道")
            if current.options:
                text = next(letter for letter in "ABCD" if letter not in right)
        with database.unit_of_work() as session:
            verdict = play.answer(session, member_id, current.attempt_id, current.position,
                                  text, now, ZONE)
        assert verdict is not None
        assert verdict.problem is None
        assert verdict.correct == (current.position > wrong)
        current = verdict.next_question
    return asked


def test_contest_draws_from_its_bank_and_keeps_the_best_attempt(
    database: Database, banks: tuple[int, int]
) -> None:
    _, contest_bank = banks
    with database.unit_of_work() as session:
        contest = create_contest(session, title="党史知识竞赛", bank_id=contest_bank,
                                 starts_at=START, ends_at=START + timedelta(days=1),
                                 question_count=4, seconds_per_question=None, max_attempts=2,
                                 now=START)
        alice = create_member(session, name="甲", branch="二支部").id
        bob = create_member(session, name="乙", branch="一支部").id
        root = create_org(session, "机关党委", START)
        second = create_org(session, "二支部", START, parent_id=root.id)
        # Bound by the roster to 二支部, whatever 乙 typed as 支部 in chat.
        session.add(RosterEntry(name="乙", phone="13800000002", org_id=second.id,
                                status="正式党员", member_id=bob, created_at=START,
                                updated_at=START))
        contest_id = contest.id
    asked = play_through(database, alice, START + timedelta(minutes=1), wrong=2)
    assert asked.stem.startswith("竞赛") and asked.total == 4 and asked.contest == "党史知识竞赛"
    play_through(database, alice, START + timedelta(minutes=10), wrong=0)
    play_through(database, bob, START + timedelta(minutes=1), wrong=0,
                 step=timedelta(seconds=9))
    with database.unit_of_work() as session:
        assert play.start(session, alice, START + timedelta(hours=1)) == "contest_used_up"
        board = results(session, contest_id)
        # 甲's second try (4 right in 20 s) beats 乙's 4 right in 36 s; the first try is dropped.
        assert [(r.rank, r.name, r.attempts) for r in board] == [(1, "甲", 2), (2, "乙", 1)]
        assert (board[0].correct, board[0].seconds) == (4, 20.0)
        assert (board[1].correct, board[1].seconds) == (4, 36.0)
        assert [r.name for r in results(session, contest_id, org_id=second.id)] == ["乙"]
        assert [r.name for r in results(session, contest_id, org_id=root.id)] == ["乙"]
        assert [r.branch for r in board] == [None, "机关党委/二支部"]
        # After the window, 答题 is the everyday quiz again.
        after = play.start(session, alice, START + timedelta(days=2))
        assert not isinstance(after, str) and after.stem.startswith("日常")


def test_answers_after_the_time_limit_count_as_wrong(
    database: Database, banks: tuple[int, int]
) -> None:
    with database.unit_of_work() as session:
        create_contest(session, title="限时赛", bank_id=banks[1], starts_at=START,
                       ends_at=START + timedelta(hours=2), question_count=3,
                       seconds_per_question=10, max_attempts=1, now=START)
        member = create_member(session).id
        asked = play.start(session, member, START)
        assert not isinstance(asked, str)
        late = START + timedelta(seconds=30)
        verdict = play.answer(session, member, asked.attempt_id, 1, "对" if asked.type ==
                              "truefalse" else "A", late, ZONE)
        assert verdict is not None and verdict.timed_out and not verdict.correct


@pytest.fixture
def admin(database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(database_url, admin_token=ADMIN))) as client:
        yield client


def test_contest_admin_api_and_xlsx(
    admin: TestClient, database: Database, banks: tuple[int, int]
) -> None:
    now = datetime.now(UTC)
    body = {"title": "支部竞赛", "bank_id": banks[1], "starts_at": (now - timedelta(hours=1))
            .isoformat(), "ends_at": (now + timedelta(hours=1)).isoformat(), "question_count": 3}
    created = admin.post("/api/admin/contests", json=body, headers=AUTH)
    assert created.status_code == 201, created.text
    contest_id = created.json()["id"]
    with database.unit_of_work() as session:
        member = create_member(session, name="丙", branch="三支部").id
    play_through(database, member, now)
    listed = admin.get(f"/api/admin/contests/{contest_id}/results", headers=AUTH).json()
    assert [(r["rank"], r["name"], r["correct"]) for r in listed] == [(1, "丙", 3)]
    sheet = admin.get(f"/api/admin/contests/{contest_id}/results.xlsx", headers=AUTH)
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.content)).worksheets[0].values)
    # 丙 is not on the roster: the typed 支部 is no org.
    assert rows[0][0] == "支部竞赛" and rows[2][:4] == (1, "丙", None, 3)
    bad = admin.post("/api/admin/contests", headers=AUTH,
                     json={**body, "ends_at": body["starts_at"], "question_count": 50})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"ends_at", "question_count"}
    naive = admin.post("/api/admin/contests", headers=AUTH,
                       json={**body, "starts_at": "2026-11-22T10:00:00"})
    assert naive.status_code == 422


def test_results_xlsx_never_holds_a_formula(
    admin: TestClient, database: Database, banks: tuple[int, int]
) -> None:
    now = datetime.now(UTC)
    body = {"title": "=1+1", "bank_id": banks[1], "starts_at": (now - timedelta(hours=1))
            .isoformat(), "ends_at": (now + timedelta(hours=1)).isoformat(), "question_count": 3}
    contest_id = admin.post("/api/admin/contests", json=body, headers=AUTH).json()["id"]
    with database.unit_of_work() as session:
        member = create_member(session, name="@SUM(A1)").id
    play_through(database, member, now)

    sheet = admin.get(f"/api/admin/contests/{contest_id}/results.xlsx", headers=AUTH)
    cells = [cell for row in load_workbook(io.BytesIO(sheet.content)).worksheets[0].iter_rows()
             for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    values = [cell.value for cell in cells]
    assert "'=1+1" in values and "'@SUM(A1)" in values
