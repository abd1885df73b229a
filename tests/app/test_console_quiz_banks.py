"""题库 in the console: upload (errors beside the file's rows), preview, activate, delete,
and per-question statistics that point at bad questions."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import select

from app.auth.tokens import Role, create_token
from app.db import Database
from app.models import BankQuestion, QuizAnswer, QuizAttempt, QuizBank
from app.settings import Settings
from tests.app.conftest import make_settings
from tests.app.test_console import csrf_of, sign_in
from tests.support.activity import populate
from tests.support.factories import create_member
from tests.support.quizbanks import HEADER, bank_csv
from tests.support.units import run_unit

ADMIN = "quiz-console-admin-token-0123456789"
BAD_ROWS = [["单选", "第一题缺答案", "甲", "乙", "", "", "", "", "", ""],
            ["多选", "党的最高理想", "共产主义", "小康", "", "", "AE", "", "", ""]]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, admin_token=ADMIN)


def upload(client: TestClient, content: bytes, filename: str, name: str = "") -> object:
    page = client.get("/console/quiz-banks").text
    return client.post("/console/quiz-banks", data={"csrf": csrf_of(page), "name": name},
                       files={"file": (filename, content)}, follow_redirects=False)


def problems(page: str) -> list[list[str]]:
    table = re.search(r'<table class="data" id="problems">(.*?)</table>', page, re.S)
    assert table, page[:2000]
    body = table.group(1).split("<tbody>")[1]
    return [[re.sub(r"<[^>]+>", "", cell).strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def test_upload_preview_activate(client: TestClient, database: Database) -> None:
    sign_in(client, ADMIN)
    done = upload(client, bank_csv(8), "党史题库.csv")
    assert done.status_code == 303  # type: ignore[attr-defined]
    page = client.get(done.headers["location"]).text  # type: ignore[attr-defined]
    assert "已导入 8 道题" in page and "党史题库" in page
    assert page.count('<tr data-position="') == 8
    assert "题1：单选题干" in page and "<li>甲</li>" in page
    bank_id = int(re.search(r"/console/quiz-banks/(\d+)", done.headers["location"]).group(1))  # type: ignore[attr-defined, union-attr]

    activated = client.post(f"/console/quiz-banks/{bank_id}/activate",
                            data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert activated.status_code == 303
    assert run_unit(database, lambda s: s.get(QuizBank, bank_id).is_active)  # type: ignore[union-attr]
    shown = client.get(f"/console/quiz-banks/{bank_id}").text
    assert "使用中" in shown and 'id="delete"' not in shown
    # The same file again: the bank that holds it, nothing added.
    again = upload(client, bank_csv(8), "党史题库.csv")
    assert "again=1" in again.headers["location"]  # type: ignore[attr-defined]
    assert run_unit(database, lambda s: len(s.scalars(select(QuizBank)).all())) == 1


def test_a_refused_csv_lists_each_problem_beside_its_own_row(client: TestClient,
                                                             database: Database) -> None:
    sign_in(client, ADMIN)
    refused = upload(client, bank_csv(3, extra=BAD_ROWS), "有错的题库.csv")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    page = refused.text  # type: ignore[attr-defined]
    assert "未导入" in page and "2 处问题" in page
    rows = problems(page)
    assert [row[0] for row in rows] == ["5", "6"]
    assert rows[0][1] == "答案" and "第一题缺答案" in rows[0]
    assert rows[1][1] == "答案" and "党的最高理想" in rows[1] and "AE" in rows[1]
    header = re.search(r'<table class="data" id="problems">.*?</thead>', page, re.S)
    assert header and all(name in header.group(0) for name in HEADER[:4])
    assert run_unit(database, lambda s: s.scalars(select(QuizBank)).all()) == []


def test_a_refused_xlsx_shows_its_rows_too(client: TestClient) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(["判断", "党章是根本大法", "", "", "", "", "也许", "", "", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    sign_in(client, ADMIN)
    refused = upload(client, buffer.getvalue(), "判断题.xlsx")
    rows = problems(refused.text)  # type: ignore[attr-defined]
    assert rows[0][:2] == ["2", "答案"] and "党章是根本大法" in rows[0] and "也许" in rows[0]


def test_an_unreadable_file_is_a_sentence_not_a_table(client: TestClient) -> None:
    sign_in(client, ADMIN)
    refused = upload(client, b"\x00\x01", "bank.xls")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert ".xlsx" in refused.text  # type: ignore[attr-defined]


def test_statistics_point_at_the_question_members_get_wrong(client: TestClient,
                                                           database: Database) -> None:
    sign_in(client, ADMIN)
    done = upload(client, bank_csv(4), "统计.csv")
    bank_id = int(re.search(r"/(\d+)\?", done.headers["location"]).group(1))  # type: ignore[attr-defined, union-attr]

    def answers(session: object) -> None:
        assert hasattr(session, "scalars")
        questions = session.scalars(select(BankQuestion).where(  # type: ignore[attr-defined]
            BankQuestion.bank_id == bank_id).order_by(BankQuestion.position)).all()
        now = datetime.now(UTC)
        # Question 1 (single, answer B): B once, C twice, A once. Question 3: right twice.
        for given, position in (("B", 1), ("C", 1), ("C", 1), ("A", 1), ("对", 3), ("对", 3)):
            member = create_member(session)  # type: ignore[arg-type]
            attempt = QuizAttempt(member_id=member.id, bank_id=bank_id,
                                  question_ids=[q.id for q in questions], shuffles=[],
                                  status="open", started_at=now, last_activity_at=now)
            session.add(attempt)  # type: ignore[attr-defined]
            session.flush()  # type: ignore[attr-defined]
            question = questions[position - 1]
            session.add(QuizAnswer(  # type: ignore[attr-defined]
                attempt_id=attempt.id, member_id=member.id, position=1,
                question_id=question.id, given=given, correct=given == question.answer,
                answered_at=now))

    run_unit(database, answers)
    page = client.get(f"/console/quiz-banks/{bank_id}", params={"order": "hardest"}).text
    rows = re.findall(r'<tr data-position="(\d+)">(.*?)</tr>', page, re.S)
    assert [position for position, _ in rows] == ["1", "3", "2", "4"]
    first = re.sub(r"<[^>]+>", " ", rows[0][1])
    assert "25.0%" in first and "C. 丙（2 次）" in first
    assert "100.0%" in rows[1][1]
    assert "答过的党员 <b>6</b>" in page and 'id="delete"' not in page
    refused = client.post(f"/console/quiz-banks/{bank_id}/delete",
                          data={"csrf": csrf_of(page)})
    assert refused.status_code == 409 and "答题记录要保留原题" in refused.text


def test_an_unused_bank_is_deleted(client: TestClient, database: Database) -> None:
    sign_in(client, ADMIN)
    done = upload(client, bank_csv(4), "试用.csv")
    page = client.get(done.headers["location"]).text  # type: ignore[attr-defined]
    bank_id = re.search(r'action="/console/quiz-banks/(\d+)/delete"', page)
    assert bank_id
    gone = client.post(f"/console/quiz-banks/{bank_id.group(1)}/delete",
                       data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert gone.status_code == 303
    assert "题库已删除" in client.get(gone.headers["location"]).text
    assert run_unit(database, lambda s: s.scalars(select(QuizBank)).all()) == []
    assert client.get(f"/console/quiz-banks/{bank_id.group(1)}").status_code == 404


def test_forms_need_the_csrf_token_and_an_admin(client: TestClient, database: Database) -> None:
    sign_in(client, ADMIN)
    forged = client.post("/console/quiz-banks", data={"csrf": "forged"},
                         files={"file": ("a.csv", bank_csv(2))})
    assert forged.status_code == 403
    assert run_unit(database, lambda s: s.scalars(select(QuizBank)).all()) == []
    organizer = run_unit(database, lambda s: create_token(s, Role.ORGANIZER, "组织者"))
    sign_in(client, organizer)
    assert client.get("/console/quiz-banks").status_code == 403


def test_a_branch_admin_sees_the_statistics_of_its_own_members(client: TestClient,
                                                                database: Database) -> None:
    """Question 1 was answered by A1 (第一党支部), B1 (第二党支部) and U (on no roster)."""
    world = run_unit(database, lambda session: populate(session, datetime.now(UTC)))
    bank_id = run_unit(database, lambda s: s.scalars(select(QuizBank.id)).one())
    branch = run_unit(database, lambda s: create_token(s, Role.ADMIN, "一支部书记", world.first))
    for token, players, rate, wrong in ((ADMIN, 3, "66.7%", "B. 乙（1 次）"),
                                        (branch, 1, "100.0%", "")):
        sign_in(client, token)
        assert f"{players} 人答过" in client.get("/console/quiz-banks").text
        page = client.get(f"/console/quiz-banks/{bank_id}").text
        assert f"答过的党员 <b>{players}</b>" in page
        first = re.search(r'<tr data-position="1">(.*?)</tr>', page, re.S)
        assert first is not None
        assert f'<td data-label="作答">{players}</td>' in first.group(1)
        assert f'<td data-label="正确率">{rate}</td>' in first.group(1)
        assert f'<td data-label="最常选的错误答案">{wrong}</td>' in first.group(1)
