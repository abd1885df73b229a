"""Quiz-bank imports as a new admin meets them, and as an attacker would send them.

Over HTTP and the CLI, on SQLite and PostgreSQL: hostile files get a short,
bounded 422; a bank is invisible until complete and leaves nothing behind
when its import fails; identical re-imports are recognised; banks can be
activated and deleted from the command line.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select

from app import cli
from app.auth.tokens import Role, create_token
from app.db import Database
from app.main import create_app
from app.models import BankQuestion, QuizBank
from app.quiz_banks import service
from app.scheduler.jobs import housekeeping
from app.wechat import codec
from tests.app.conftest import make_settings
from tests.support.hostile_files import (
    identical_rows_csv,
    xlsx_with_blank_rows,
    xlsx_with_huge_cell,
)
from tests.support.quizbanks import HEADER, bank_csv, bank_rows
from tests.support.units import run_unit
from tests.support.wechat import Platform, message_xml

ADMIN = "test-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN}"}


@pytest.fixture
def admin(database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(database_url, admin_token=ADMIN))) as client:
        yield client


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HONGXIN_DATABASE_URL", database_url)
    return database_url


def upload(client: TestClient, data: bytes, filename: str, headers: dict[str, str] = AUTH,
           name: str | None = None) -> tuple[int, dict[str, object], int]:
    """Status, JSON body and the body's size in bytes."""
    form = {"name": name} if name is not None else {}
    answer = client.post("/api/admin/quiz-banks", files={"file": (filename, data)},
                         data=form, headers=headers)
    return answer.status_code, answer.json(), len(answer.content)


def newest_bank_id(database_url: str) -> int:
    """The id of the newest bank row, whatever its state."""
    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            return session.scalar(select(func.max(QuizBank.id))) or 0
    finally:
        database.close()


def counts(database_url: str) -> tuple[int, int]:
    """(banks in any state, questions)."""
    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            banks = session.scalar(select(func.count()).select_from(QuizBank)) or 0
            questions = session.scalar(select(func.count()).select_from(BankQuestion)) or 0
            return banks, questions
    finally:
        database.close()


def workbook(*sheets: tuple[str, list[list[object]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- A. hostile files ---------------------------------------------------------------------

def test_thousands_of_identical_rows_get_a_short_capped_answer(
    admin: TestClient, database_url: str
) -> None:
    status, body, size = upload(admin, identical_rows_csv(6_000), "same.csv")

    assert status == 422
    assert body["error_count"] == 5_999
    errors = body["errors"]
    assert isinstance(errors, list) and len(errors) == 200
    assert errors[0] == {"row": 3, "column": "题目", "message": "题目与第 2 行重复"}
    assert size < 40_000
    assert "5999 处问题" in str(body["message"])
    assert counts(database_url) == (0, 0)


def test_a_small_xlsx_unpacking_to_hundreds_of_megabytes_is_refused_unread(
    admin: TestClient, database_url: str
) -> None:
    status, body, size = upload(admin, xlsx_with_huge_cell(200), "bomb.xlsx")

    assert status == 422 and size < 2_000
    [error] = body["errors"]  # type: ignore[misc]
    assert error["row"] is None and "64 MB 的上限" in error["message"]
    assert counts(database_url) == (0, 0)


def test_millions_of_empty_rows_after_the_questions_are_not_walked(admin: TestClient) -> None:
    status, body, _ = upload(admin, xlsx_with_blank_rows(3, 5_000_000), "empty-rows.xlsx")

    assert status == 201, body
    assert body["question_count"] == 3


def test_the_cli_lists_the_first_problems_and_counts_the_rest(
    cli_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "same.csv"
    path.write_bytes(identical_rows_csv(6_000))

    assert cli.main(["quiz", "import", str(path)]) == 1

    lines = capsys.readouterr().err.strip().splitlines()
    problems = [line for line in lines if "第 " in line and "行" in line]
    assert len(problems) == 200
    assert problems[0] == f"{path}: 第 3 行「题目」：题目与第 2 行重复"
    assert f"{path}: ……另有 5799 处问题未列出，请先改正上面的" in lines
    assert counts(cli_database) == (0, 0)


# --- B. atomic for readers, without one long transaction -----------------------------------

def test_a_bank_is_invisible_while_it_is_imported(
    admin: TestClient, database_url: str
) -> None:
    seen: list[tuple[int, list[object], int]] = []

    def look(done: int, total: int) -> None:
        if done < total:
            listed = admin.get("/api/admin/quiz-banks", headers=AUTH).json()
            _, questions = counts(database_url)
            importing = newest_bank_id(database_url)
            activate = admin.post(f"/api/admin/quiz-banks/{importing}/activate", headers=AUTH)
            seen.append((questions, listed, activate.status_code))

    database = Database(database_url)
    try:
        outcome = service.import_file(database, bank_csv(2_500), "big.csv",
                                      now=datetime.now(UTC), progress=look)
    finally:
        database.close()

    assert seen == [(1_000, [], 404), (2_000, [], 404)]
    listed = admin.get("/api/admin/quiz-banks", headers=AUTH).json()
    assert [bank["id"] for bank in listed] == [outcome.bank.id]
    assert admin.post(f"/api/admin/quiz-banks/{outcome.bank.id}/activate",
                      headers=AUTH).status_code == 200


def test_an_import_interrupted_midway_leaves_nothing(database_url: str) -> None:
    def interrupt(done: int, total: int) -> None:
        if done == 2_000:
            raise KeyboardInterrupt  # Ctrl-C during `hongxin quiz import`

    database = Database(database_url)
    try:
        with pytest.raises(KeyboardInterrupt):
            service.import_file(database, bank_csv(3_500), "big.csv", now=datetime.now(UTC),
                                progress=interrupt)
    finally:
        database.close()

    assert counts(database_url) == (0, 0)


def leave_imports_midway(database_url: str, now: datetime) -> None:
    """What processes killed mid-import leave: a bank two hours old, and one just begun."""
    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            for name, started in (("dead", now - timedelta(hours=2)), ("running", now)):
                bank = QuizBank(name=name, version=1, question_count=2, created_at=started,
                                state="importing")
                session.add(bank)
                session.flush()
                session.add_all(BankQuestion(bank_id=bank.id, position=n, type="truefalse",
                                             stem=f"{name}{n}", options=[], answer="对",
                                             explanation="", tags=[]) for n in (1, 2))
    finally:
        database.close()


def bank_states(database_url: str) -> list[tuple[str, str]]:
    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            return [(row.name, row.state) for row in session.execute(
                select(QuizBank.name, QuizBank.state).order_by(QuizBank.id))]
    finally:
        database.close()


def test_imports_left_by_a_dead_process_are_cleaned_up_by_housekeeping(
    database: Database, database_url: str
) -> None:
    now = datetime.now(UTC)
    leave_imports_midway(database_url, now)

    done = run_unit(database, lambda session: housekeeping(session, now))

    assert done["stale_quiz_imports"] == 2 + 1
    assert bank_states(database_url) == [("running", "importing")]
    assert counts(database_url) == (1, 2)


def test_imports_left_by_a_dead_process_are_cleaned_up_by_the_next(
    admin: TestClient, database_url: str
) -> None:
    now = datetime.now(UTC)
    leave_imports_midway(database_url, now)
    assert admin.get("/api/admin/quiz-banks", headers=AUTH).json() == []

    status, body, _ = upload(admin, bank_csv(3), "next.csv")

    assert status == 201, body
    assert bank_states(database_url) == [("running", "importing"), ("next", "ready")]
    assert counts(database_url) == (2, 2 + 3)


def test_an_upload_with_a_stored_admin_token(admin: TestClient, database_url: str) -> None:
    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            token = create_token(session, Role.ADMIN, "题库管理员")
    finally:
        database.close()

    status, body, _ = upload(admin, bank_csv(2_500), "stored.csv",
                             headers={"Authorization": f"Bearer {token}"})

    assert status == 201, body
    assert body["question_count"] == 2_500


# --- C. what a new admin trips on ----------------------------------------------------------

def test_common_headers_are_accepted_and_a_missing_one_names_what_was_found(
    admin: TestClient
) -> None:
    synonyms = ["题目类型", "题干", "A", "B", "C", "D", "正确答案", "答案解析", "难度", "知识点"]
    row = ["单选", "党的根本宗旨是什么？", "全心全意为人民服务", "发展经济", "", "", "A", "见党章",
           "1", "党章"]
    text = ",".join(synonyms) + "\n" + ",".join(row) + "\n"
    status, body, _ = upload(admin, text.encode(), "synonyms.csv")
    assert status == 201, body

    status, body, _ = upload(admin, "序号,题面,答案\n1,一题,A\n".encode(), "odd.csv")
    assert status == 422
    [missing_type, missing_stem] = body["errors"]  # type: ignore[misc]
    assert missing_type["column"] == "题型"
    assert "第 1 行的列：序号、题面、答案" in missing_type["message"]
    assert "题目类型" in missing_type["message"] and "题干" in missing_stem["message"]


def test_the_bank_sheet_after_an_instructions_sheet_is_found_and_named(
    admin: TestClient
) -> None:
    notes = ("说明", [["请在「题库」工作表填写题目"], ["每行一道题"]])
    good = workbook(notes, ("题库", [HEADER, *bank_rows(4)]))
    status, body, _ = upload(admin, good, "with-notes.xlsx")
    assert status == 201 and body["question_count"] == 4

    bad_row = ["单选", "坏题", "甲", "乙", "", "", "Z", "", "", ""]
    status, body, _ = upload(admin, workbook(notes, ("题库", [HEADER, bad_row])), "bad.xlsx")
    assert status == 422
    assert body["sheet"] == "题库" and "工作表「题库」" in str(body["message"])
    assert body["errors"] == [{"row": 2, "column": "答案", "message": "答案 Z 没有对应的选项"}]


def test_an_identical_file_is_recognised_not_imported_again(
    admin: TestClient, database_url: str, cli_database: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, first, _ = upload(admin, bank_csv(5), "党史.csv")
    assert status == 201 and first["already_imported"] is False

    # The same questions in another format and under another name are the same bank.
    xlsx = workbook(("题库", [HEADER, *bank_rows(5)]))
    status, again, _ = upload(admin, xlsx, "党史-副本.xlsx")
    assert status == 200
    assert again["already_imported"] is True and again["id"] == first["id"]
    assert counts(database_url) == (1, 5)

    path = tmp_path / "党史.csv"
    path.write_bytes(bank_csv(5))
    assert cli.main(["quiz", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"与已导入的题库 {first['id']}「党史」第 1 版（5 道题）内容完全相同，没有重复导入" in out
    assert counts(database_url) == (1, 5)

    status, changed, _ = upload(admin, bank_csv(6), "党史.csv")
    assert status == 201 and changed["version"] == 2


def test_cli_import_list_activate_delete_in_chinese(
    cli_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "支部.csv"
    path.write_bytes(bank_csv(6))
    assert cli.main(["quiz", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "已导入题库 " in out and "「支部」第 1 版（6 道题）" in out
    bank_id = int(out.split("题库 ", 1)[1].split("「", 1)[0])
    assert f"启用它：hongxin quiz activate {bank_id}" in out

    assert cli.main(["quiz", "activate", str(bank_id)]) == 0
    assert f"已启用题库 {bank_id}「支部」第 1 版（6 道题）" in capsys.readouterr().out
    assert cli.main(["quiz", "list"]) == 0
    assert "← 已启用" in capsys.readouterr().out

    assert cli.main(["quiz", "delete", str(bank_id)]) == 1
    assert "正在使用中" in capsys.readouterr().err
    assert cli.main(["quiz", "activate", "999999"]) == 1
    assert "没有编号为 999999 的题库" in capsys.readouterr().err

    other = tmp_path / "另一个.csv"
    other.write_bytes(bank_csv(3, prefix="另"))
    assert cli.main(["quiz", "import", str(other)]) == 0
    other_id = int(capsys.readouterr().out.split("题库 ", 1)[1].split("「", 1)[0])
    assert cli.main(["quiz", "delete", str(other_id)]) == 0
    assert f"已删除题库 {other_id}「另一个」" in capsys.readouterr().out
    assert counts(cli_database) == (1, 6)


def test_delete_over_http_refuses_banks_in_use_with_a_reason(
    admin: TestClient, database_url: str, platform: Platform
) -> None:
    played = upload(admin, bank_csv(6), "played.csv")[1]["id"]
    unused = upload(admin, bank_csv(4, prefix="另"), "unused.csv")[1]["id"]
    contested = upload(admin, bank_csv(5, prefix="赛"), "contest.csv")[1]["id"]
    admin.post(f"/api/admin/quiz-banks/{played}/activate", headers=AUTH)
    params, body = platform.plain(message_xml("text", "o_player", content="答题"))
    reply = codec.parse_fields(admin.post("/wechat", params=params, content=body).text)
    assert str(reply["Content"]).startswith("第 1/")
    admin.post(f"/api/admin/quiz-banks/{unused}/activate", headers=AUTH)
    now = datetime.now(UTC)
    contest = {"title": "支部竞赛", "bank_id": contested, "question_count": 3,
               "starts_at": (now + timedelta(days=1)).isoformat(),
               "ends_at": (now + timedelta(days=2)).isoformat()}
    assert admin.post("/api/admin/contests", json=contest, headers=AUTH).status_code == 201

    answers = {bank: admin.delete(f"/api/admin/quiz-banks/{bank}", headers=AUTH)
               for bank in (played, unused, contested)}

    assert answers[played].status_code == 409
    assert "1 名党员答过" in answers[played].json()["message"]
    assert answers[unused].status_code == 409
    assert "正在使用中" in answers[unused].json()["message"]
    assert answers[contested].status_code == 409
    assert "知识竞赛 「支部竞赛」" in answers[contested].json()["message"]
    admin.post(f"/api/admin/quiz-banks/{played}/activate", headers=AUTH)
    assert admin.delete(f"/api/admin/quiz-banks/{unused}", headers=AUTH).status_code == 204
    assert admin.delete(f"/api/admin/quiz-banks/{unused}", headers=AUTH).status_code == 404
    assert {bank["id"] for bank in admin.get("/api/admin/quiz-banks", headers=AUTH).json()} \
        == {played, contested}
    assert counts(database_url) == (2, 6 + 5)


def test_json_upload_keeps_working(admin: TestClient) -> None:
    payload = [{"类型": "判断", "题干": "预备党员的预备期为一年。", "参考答案": "对"}]
    status, body, _ = upload(admin, json.dumps(payload, ensure_ascii=False).encode(), "j.json")
    assert status == 201 and body["question_count"] == 1
