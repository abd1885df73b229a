"""题库 in the console: upload with located errors, preview, activate, delete, statistics.

The rules live in :mod:`app.quiz_banks.service` (the API's); this module adds
what a person at a screen needs: a refused file's problems next to the rows
they are on, and per question how it fares (answered, correct rate, the wrong
answer chosen most), to find bad questions.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

import quizzes
from app.console.refusals import ConsoleRefusal
from app.db import Database
from app.errors import Conflict
from app.models import BankQuestion, QuizAnswer, QuizAttempt, QuizBank
from app.orgs.scope import OrgScope
from app.quiz_banks import service
from quizzes.readers.decode import decode_text

BACK = "/console/quiz-banks"
QUESTIONS_PER_PAGE = 50
CELL_SHOWN = 60
TYPE_LABELS = {"single": "单选", "multiple": "多选", "truefalse": "判断", "fill": "填空"}


@dataclass(frozen=True, slots=True)
class Problem:
    row: int | None
    column: str
    message: str
    cells: Sequence[str] = ()  # the file's own row, as the uploader wrote it


@dataclass(frozen=True, slots=True)
class Upload:
    """What an upload did: the bank stored, or the problems and nothing stored."""

    bank: QuizBank | None = None
    already_imported: bool = False
    summary: str = ""
    header: Sequence[str] = ()
    problems: Sequence[Problem] = field(default=())


def upload(database: Database, data: bytes, filename: str, name: str | None,
           now: datetime) -> Upload:
    """Import the file (blocking: run it in a worker thread)."""
    if not data:
        return Upload(summary="请选择要上传的题库文件。")
    try:
        outcome = service.import_file(database, data, filename, now=now, name=name)
    except service.ImportRejected as rejected:
        errors = rejected.errors or []
        sheet = (rejected.details or {}).get("sheet")
        header, rows = _file_rows(data, filename, {e["row"] for e in errors if e["row"]}, sheet)
        problems = [Problem(e["row"], e["column"] or "", e["message"],
                            rows.get(e["row"], ()) if e["row"] else ())
                    for e in errors]
        return Upload(summary=rejected.message, header=header, problems=problems)
    return Upload(outcome.bank, outcome.already_imported)


def _short(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= CELL_SHOWN else text[:CELL_SHOWN - 1] + "…"


def _file_rows(data: bytes, filename: str, wanted: set[int], sheet: str | None
               ) -> tuple[list[str], dict[int, list[str]]]:
    """The header and the ``wanted`` rows (numbered as the errors number them) of the
    uploaded file, to show beside its problems; nothing when it cannot be read."""
    suffix = PurePath(filename).suffix.lower()
    try:
        if suffix == ".xlsx":
            return _xlsx_rows(data, wanted, sheet)
        text = decode_text(data)
        if isinstance(text, quizzes.RowError):
            return [], {}
        if suffix == ".csv":
            table = list(csv.reader(io.StringIO(text)))
            header = [_short(cell) for cell in table[0]] if table else []
            return header, {number: [_short(cell) for cell in table[number - 1]]
                            for number in wanted if 0 < number <= len(table)}
        if suffix == ".json":
            items = json.loads(text)
            if not isinstance(items, list):
                return [], {}
            return ["内容"], {number: [_short(json.dumps(items[number - 2], ensure_ascii=False))]
                            for number in wanted if 2 <= number <= len(items) + 1}
        lines = text.splitlines()
        return ["内容"], {number: [_short(lines[number - 1])] for number in wanted
                        if 0 < number <= len(lines)}
    # The file was already refused; showing its rows is a courtesy that must not fail.
    except (ValueError, KeyError, IndexError, OSError, csv.Error, json.JSONDecodeError,
            UnicodeError):
        return [], {}


def _xlsx_rows(data: bytes, wanted: set[int], sheet: str | None
               ) -> tuple[list[str], dict[int, list[str]]]:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        page = book[sheet] if sheet and sheet in book.sheetnames else book.worksheets[0]
        header: list[str] = []
        rows: dict[int, list[str]] = {}
        last = max(wanted, default=1)
        for number, values in enumerate(page.iter_rows(max_row=last, values_only=True),
                                        start=1):
            if number == 1:
                header = [_short(value) for value in values]
            if number in wanted:
                rows[number] = [_short(value) for value in values]
        return header, rows
    finally:
        book.close()


@dataclass(frozen=True, slots=True)
class BankRow:
    id: int
    name: str
    version: int
    question_count: int
    is_active: bool
    created_at: datetime
    source_filename: str
    players: int


def banks(session: Session, scope: OrgScope) -> list[BankRow]:
    """Every bank, newest first, with how many members of ``scope`` played it."""
    players = dict(session.execute(
        select(QuizAttempt.bank_id, func.count(func.distinct(QuizAttempt.member_id)))
        .where(scope.holds_member(QuizAttempt.member_id))
        .group_by(QuizAttempt.bank_id)).all())
    return [BankRow(bank.id, bank.name, bank.version, bank.question_count, bank.is_active,
                    bank.created_at, bank.source_filename, int(players.get(bank.id, 0)))
            for bank in service.list_banks(session)]


def banks_in_own_unit(database: Database, scope: OrgScope) -> list[BankRow]:
    """:func:`banks` in a unit of work of its own (blocking: run it in a worker thread)."""
    with database.unit_of_work() as session:
        return banks(session, scope)


def activate(session: Session, bank_id: int, now: datetime) -> QuizBank:
    return service.activate_bank(session, bank_id, now)


def delete(session: Session, bank_id: int) -> QuizBank:
    """Delete an unused bank; why not, in the console's words, when it is used."""
    try:
        return service.delete_bank(session, bank_id)
    except Conflict as refused:
        raise ConsoleRefusal(f"{refused}。", BACK) from None


@dataclass(frozen=True, slots=True)
class QuestionStats:
    position: int
    type: str
    stem: str
    options: Sequence[str]
    answer: str
    answered: int
    correct_rate: float | None  # percent; None before anyone answered
    top_wrong: str  # the wrong answer given most, as "B. 选项文字（3 次）", or ""


def _letters(given: str, options: Sequence[str]) -> str:
    letters = [letter for letter in given if "A" <= letter <= chr(ord("A") + len(options) - 1)]
    if len(letters) == 1:
        return f"{letters[0]}. {_short(options[ord(letters[0]) - ord('A')])}"
    return given


def bank_page(session: Session, bank_id: int, page: int, order: str, scope: OrgScope
              ) -> dict[str, Any]:
    """The bank, one page of its questions with the statistics of ``scope``'s members'
    answers, and the paging."""
    bank = service.ready_bank(session, bank_id)
    answered = func.count(QuizAnswer.id)
    right = func.coalesce(func.sum(case((QuizAnswer.correct, 1), else_=0)), 0)
    rate = case((answered > 0, 1.0 * right / answered), else_=None)
    statement = (select(BankQuestion, answered, right)
                 .outerjoin(QuizAnswer, and_(QuizAnswer.question_id == BankQuestion.id,
                                             scope.holds_member(QuizAnswer.member_id)))
                 .where(BankQuestion.bank_id == bank.id).group_by(BankQuestion.id))
    if order == "hardest":
        # Questions nobody answered go last: there is nothing to learn from them yet.
        statement = statement.order_by(case((answered == 0, 1), else_=0), rate,
                                       BankQuestion.position)
    else:
        statement = statement.order_by(BankQuestion.position)
    pages = max(1, -(-bank.question_count // QUESTIONS_PER_PAGE))
    page = min(max(page, 1), pages)
    rows = session.execute(statement.limit(QUESTIONS_PER_PAGE)
                           .offset((page - 1) * QUESTIONS_PER_PAGE)).all()
    wrong = _top_wrong(session, [question.id for question, _, _ in rows], scope)
    questions = [
        QuestionStats(question.position, TYPE_LABELS.get(question.type, question.type),
                      question.stem, question.options, question.answer, int(count),
                      round(100 * int(correct) / int(count), 1) if count else None,
                      _wrong_text(wrong.get(question.id), question))
        for question, count, correct in rows]
    return {"bank": bank, "questions": questions, "page": page, "pages": pages,
            "order": order, "used": _players(session, bank.id, scope)}


def _top_wrong(session: Session, question_ids: list[int], scope: OrgScope
               ) -> dict[int, tuple[str, int]]:
    counted = session.execute(
        select(QuizAnswer.question_id, QuizAnswer.given, func.count())
        .where(QuizAnswer.question_id.in_(question_ids), QuizAnswer.correct.is_(False),
               QuizAnswer.given != "", scope.holds_member(QuizAnswer.member_id))
        .group_by(QuizAnswer.question_id, QuizAnswer.given)).all()
    top: dict[int, tuple[str, int]] = {}
    for question_id, given, count in counted:
        best = top.get(question_id)
        if best is None or (count, best[0]) > (best[1], given):
            top[question_id] = (given, int(count))
    return top


def _wrong_text(found: tuple[str, int] | None, question: BankQuestion) -> str:
    if found is None:
        return ""
    given, count = found
    shown = (_letters(given, question.options)
             if quizzes.QuestionType(question.type).is_choice else _short(given))
    return f"{shown}（{count} 次）"


def _players(session: Session, bank_id: int, scope: OrgScope) -> int:
    """Members of ``scope`` who played the bank (for an unscoped admin, the deletion
    rule's measure of "used")."""
    return int(session.scalar(
        select(func.count(func.distinct(QuizAttempt.member_id)))
        .where(QuizAttempt.bank_id == bank_id, scope.holds_member(QuizAttempt.member_id)))
        or 0)
