"""Importing, listing and activating quiz banks (题库).

An import is all or nothing: the file is validated whole by :mod:`quizzes`
first, and only a file without a single problem is written, in one bulk
insert per chunk inside the caller's transaction. Importing under a name that
exists adds the next version; exactly one bank (any version) is active.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import PurePath
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

import quizzes
from app.errors import InvalidInput, NotFound
from app.models.quiz import BankQuestion, QuizBank

__all__ = [
    "ImportRejected",
    "activate_bank",
    "active_bank",
    "import_bank",
    "list_banks",
    "load_or_reject",
    "question_rows",
    "store_bank",
]

CHUNK = 1000
Progress = Callable[[int, int], None]
"""Called with (questions written, questions in the file) after each chunk."""


class ImportRejected(InvalidInput):
    """A bank file with problems; ``errors`` holds every one as {row, column, message}."""


def load_or_reject(data: bytes, filename: str) -> quizzes.Bank:
    """Validate a bank file whole; raise :class:`ImportRejected` listing every problem."""
    result = quizzes.load_bank(data, filename)
    if result.bank is None:
        errors = [{"row": e.row, "column": e.column, "message": e.message}
                  for e in result.errors]
        raise ImportRejected(f"题库文件有 {len(errors)} 处问题，未导入任何题目", errors=errors)
    return result.bank


def question_rows(bank_id: int, bank: quizzes.Bank) -> list[dict[str, Any]]:
    """The bank's questions as rows for one executemany insert."""
    return [
        {"bank_id": bank_id, "position": position, "type": q.type.value, "stem": q.stem,
         "options": list(q.options), "answer": q.answer, "explanation": q.explanation,
         "difficulty": q.difficulty, "tags": list(q.tags)}
        for position, q in enumerate(bank.questions, start=1)
    ]


def store_bank(
    session: Session,
    bank: quizzes.Bank,
    *,
    name: str,
    filename: str,
    now: datetime,
    progress: Progress | None = None,
) -> QuizBank:
    """Write a validated bank as the next version of ``name``."""
    latest = session.scalar(select(func.max(QuizBank.version)).where(QuizBank.name == name))
    row = QuizBank(name=name, version=(latest or 0) + 1, source_filename=filename[:200],
                   question_count=len(bank), is_active=False, created_at=now)
    session.add(row)
    session.flush()
    rows = question_rows(row.id, bank)
    # A Core executemany on the table, not ORM objects nor the ORM bulk insert: the
    # latter splits rows by which columns are NULL (difficulty often is), which
    # turned 10,000 rows into thousands of statements.
    statement = insert(cast(Table, BankQuestion.__table__))
    connection = session.connection()
    for start in range(0, len(rows), CHUNK):
        connection.execute(statement, rows[start:start + CHUNK])
        if progress is not None:
            progress(min(start + CHUNK, len(rows)), len(rows))
    return row


def import_bank(
    session: Session,
    data: bytes,
    filename: str,
    *,
    now: datetime,
    name: str | None = None,
    progress: Progress | None = None,
) -> QuizBank:
    """Validate and store a bank file; nothing is written when any row is bad."""
    bank = load_or_reject(data, filename)
    chosen = (name or "").strip() or PurePath(filename).stem or "题库"
    return store_bank(session, bank, name=chosen[:100], filename=filename, now=now,
                      progress=progress)


def list_banks(session: Session) -> Sequence[QuizBank]:
    """Every bank version, newest first."""
    return session.scalars(select(QuizBank).order_by(QuizBank.id.desc())).all()


def activate_bank(session: Session, bank_id: int, now: datetime) -> QuizBank:
    """Make ``bank_id`` the one bank ``答题`` draws from."""
    bank = session.get(QuizBank, bank_id)
    if bank is None:
        raise NotFound(f"no quiz bank {bank_id}")
    # Deactivate first: the partial unique index allows one active row at a time.
    session.execute(update(QuizBank).where(QuizBank.is_active, QuizBank.id != bank_id)
                    .values(is_active=False))
    if not bank.is_active:
        bank.is_active = True
        bank.activated_at = now
    session.flush()
    return bank


def active_bank(session: Session) -> QuizBank | None:
    return session.scalars(select(QuizBank).where(QuizBank.is_active)).first()
