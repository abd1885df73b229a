"""Importing, listing and activating quiz banks over the admin API and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app import cli
from app.db import Database
from app.main import create_app
from app.models import BankQuestion, QuizBank
from tests.app.conftest import make_settings
from tests.support.quizbanks import bank_csv, bank_xlsx

ADMIN = "test-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN}"}


@pytest.fixture
def admin(database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(database_url, admin_token=ADMIN))) as client:
        yield client


def upload(client: TestClient, data: bytes, filename: str, name: str | None = None,
           headers: dict[str, str] = AUTH) -> tuple[int, dict[str, object]]:
    form = {"name": name} if name is not None else {}
    answer = client.post("/api/admin/quiz-banks", files={"file": (filename, data)}, data=form,
                         headers=headers)
    return answer.status_code, answer.json()


def count_questions(database_url: str) -> int:
    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            return session.scalar(select(func.count()).select_from(BankQuestion)) or 0
    finally:
        database.close()


def test_csv_and_xlsx_import_with_counts_and_versions(admin: TestClient) -> None:
    status, body = upload(admin, bank_csv(12), "党史.csv")
    assert status == 201, body
    assert body["name"] == "党史" and body["question_count"] == 12 and body["version"] == 1
    status, again = upload(admin, bank_xlsx(8), "anything.xlsx", name="党史")
    assert status == 201 and again["version"] == 2 and again["question_count"] == 8
    listed = admin.get("/api/admin/quiz-banks", headers=AUTH).json()
    assert [(b["name"], b["version"], b["question_count"]) for b in listed] == [
        ("党史", 2, 8), ("党史", 1, 12)]
    assert not any(b["is_active"] for b in listed)


def test_bad_file_lists_every_problem_and_imports_nothing(
    admin: TestClient, database_url: str
) -> None:
    extra = [["单选", "题1：单选题干", "甲", "乙", "", "", "B", "", "", ""],  # duplicate stem
             ["单选", "坏答案", "甲", "乙", "", "", "E", "", "", ""],
             ["多选", "", "甲", "乙", "", "", "AB", "", "9", ""]]
    status, body = upload(admin, bank_csv(5, extra=extra), "bad.csv")
    assert status == 422
    assert body["code"] == "invalid_input"
    errors = body["errors"]
    assert isinstance(errors, list) and len(errors) >= 4
    rows = {error["row"] for error in errors}
    assert {7, 8, 9} <= rows  # header is row 1, the five good rows are 2..6
    assert any("重复" in error["message"] and error["column"] == "题目" for error in errors)
    assert all(set(error) == {"row", "column", "message"} for error in errors)
    assert count_questions(database_url) == 0
    assert admin.get("/api/admin/quiz-banks", headers=AUTH).json() == []


def test_unknown_extension_and_auth(admin: TestClient) -> None:
    status, body = upload(admin, b"whatever", "bank.xls")
    assert status == 422 and ".xlsx" in body["errors"][0]["message"]  # type: ignore[index]
    assert upload(admin, bank_csv(2), "a.csv", headers={})[0] == 401


def test_one_active_bank_at_a_time(admin: TestClient) -> None:
    first = upload(admin, bank_csv(3), "a.csv")[1]["id"]
    second = upload(admin, bank_csv(3), "b.csv")[1]["id"]
    assert admin.post(f"/api/admin/quiz-banks/{first}/activate", headers=AUTH).json()["is_active"]
    assert admin.post(f"/api/admin/quiz-banks/{second}/activate",
                      headers=AUTH).json()["is_active"]
    active = [b["id"] for b in admin.get("/api/admin/quiz-banks", headers=AUTH).json()
              if b["is_active"]]
    assert active == [second]
    assert admin.post("/api/admin/quiz-banks/999999/activate", headers=AUTH).status_code == 404


def test_ten_thousand_question_xlsx_imports(admin: TestClient, database_url: str) -> None:
    # How fast: bench/quiz_import.py.
    status, body = upload(admin, bank_xlsx(10_000), "big.xlsx")
    assert status == 201 and body["question_count"] == 10_000
    assert count_questions(database_url) == 10_000


def test_cli_import_reports_file_and_row(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HONGXIN_DATABASE_URL", database_url)
    good = tmp_path / "good.csv"
    good.write_bytes(bank_csv(6))
    assert cli.main(["quiz", "import", str(good), "--name", "命令行"]) == 0
    assert "「命令行」第 1 版（6 道题）" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(bank_csv(2, extra=[["单选", "x", "甲", "乙", "", "", "Z", "", "", ""]]))
    assert cli.main(["quiz", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}: 第 4 行" in err
    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            banks = session.scalars(select(QuizBank)).all()
            assert [(b.name, b.question_count) for b in banks] == [("命令行", 6)]
    finally:
        database.close()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_as_excel_saves_them(admin: TestClient, encoding: str) -> None:
    text = bank_csv(4).decode("utf-8-sig")
    status, body = upload(admin, text.encode(encoding), "编码.csv")
    assert status == 201, body
    assert body["question_count"] == 4


def test_json_upload(admin: TestClient) -> None:
    import json

    payload = [{"type": "single", "question": "一题", "option_a": "甲", "option_b": "乙",
                "answer": "a"},
               {"type": "truefalse", "question": "二题", "answer": "正确"}]
    status, body = upload(admin, json.dumps(payload, ensure_ascii=False).encode(), "b.json")
    assert status == 201 and body["question_count"] == 2
