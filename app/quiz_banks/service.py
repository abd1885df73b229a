"""Importing, listing, activating and deleting quiz banks (题库).

An import is all or nothing for everyone who reads banks, without one long
write transaction (on SQLite that would hold the only write lock, and the
chat, for the whole import):

1. the file is validated whole by :mod:`quizzes` (no database involved);
2. one short transaction creates the bank ``importing``, a state no reader
   sees (:data:`~app.models.quiz.READY`);
3. the questions go in by chunks, one short transaction each;
4. one short transaction makes the bank ``ready``.

On any failure the partial bank is deleted, by chunks too. A process that
dies mid-import leaves an ``importing`` bank nobody sees; those older than
:data:`STALE_IMPORT_AFTER` are deleted by the next import, and a little at
each scheduler housekeeping pass.

Importing under a name that exists adds the next version. A file whose
questions are exactly those of a bank already imported adds nothing and
answers with that bank (:class:`ImportOutcome`). Exactly one bank is active.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import quizzes
from app.db import Database
from app.errors import Conflict, InvalidInput, NotFound
from app.models.quiz import READY, BankQuestion, Contest, QuizAttempt, QuizBank
from app.scheduler.jobs import register_housekeeping

__all__ = [
    "ImportOutcome",
    "ImportRejected",
    "activate_bank",
    "active_bank",
    "delete_bank",
    "discard_stale_imports",
    "discard_stale_imports_a_little",
    "import_bank",
    "import_file",
    "list_banks",
    "load_or_reject",
    "question_rows",
    "store_bank",
]

log = logging.getLogger(__name__)

CHUNK = 1000
# Far longer than any import within quizzes' limits takes: an importing bank
# older than this belongs to a process that is gone.
STALE_IMPORT_AFTER = timedelta(hours=1)
# Housekeeping runs in one unit of work: a bounded share keeps it short.
STALE_QUESTIONS_PER_PASS = 10 * CHUNK
IMPORTING, READY_STATE = "importing", "ready"
_VERSION_TRIES = 3

Progress = Callable[[int, int], None]
"""Called with (questions written, questions in the file) after each chunk."""


class ImportRejected(InvalidInput):
    """A bank file with problems: ``errors`` lists the first as {row, column, message};
    the body's ``error_count`` counts them all."""


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """The bank an import stored, or the one that already held the same questions."""

    bank: QuizBank
    already_imported: bool


def load_or_reject(data: bytes, filename: str) -> quizzes.Bank:
    """Validate a bank file whole; raise :class:`ImportRejected` listing its problems."""
    result = quizzes.load_bank(data, filename)
    if result.bank is not None:
        return result.bank
    errors = [{"row": e.row, "column": e.column, "message": e.message} for e in result.errors]
    sheet = next((e.sheet for e in result.errors if e.sheet), None)
    where = f"工作表「{sheet}」中" if sheet else "题库文件"
    shown = (f"，下面列出前 {len(errors)} 处" if result.unlisted_errors else "")
    details: dict[str, Any] = {"error_count": result.error_count}
    if sheet:
        details["sheet"] = sheet
    raise ImportRejected(f"{where}有 {result.error_count} 处问题，未导入任何题目{shown}",
                         errors=errors, details=details)


def bank_name(name: str | None, filename: str) -> str:
    """The name given, else the file's name without extension."""
    chosen = (name or "").strip() or PurePath(filename).stem or "题库"
    return chosen[:100]


def question_rows(bank_id: int, questions: Sequence[quizzes.Question],
                  first_position: int = 1) -> list[dict[str, Any]]:
    """Questions as rows for one executemany insert, numbered from ``first_position``."""
    return [
        {"bank_id": bank_id, "position": position, "type": q.type.value, "stem": q.stem,
         "options": list(q.options), "answer": q.answer, "explanation": q.explanation,
         "difficulty": q.difficulty, "tags": list(q.tags)}
        for position, q in enumerate(questions, start=first_position)
    ]


def _insert_questions(session: Session, bank_id: int, questions: Sequence[quizzes.Question],
                      first_position: int) -> None:
    # A Core executemany on the table, not ORM objects nor the ORM bulk insert: the
    # latter splits rows by which columns are NULL (difficulty often is), which
    # turned a bank's rows into thousands of statements.
    statement = insert(cast(Table, BankQuestion.__table__))
    session.connection().execute(statement, question_rows(bank_id, questions, first_position))


def store_bank(
    session: Session,
    bank: quizzes.Bank,
    *,
    name: str,
    filename: str,
    now: datetime,
    progress: Progress | None = None,
) -> QuizBank:
    """Write a validated bank as the next version of ``name``, in the caller's transaction.

    For small banks written with other work (the demo data); files from
    admins go through :func:`import_file`.
    """
    row = _new_bank(session, bank, content_hash=bank.content_hash, name=name,
                    filename=filename, now=now, state=READY_STATE)
    for start, chunk in _chunks(bank):
        _insert_questions(session, row.id, chunk, start + 1)
        if progress is not None:
            progress(start + len(chunk), len(bank))
    return row


def import_bank(
    session: Session,
    data: bytes,
    filename: str,
    *,
    now: datetime,
    name: str | None = None,
) -> QuizBank:
    """Validate and store a small bank file in the caller's transaction (see :func:`store_bank`)."""
    bank = load_or_reject(data, filename)
    return store_bank(session, bank, name=bank_name(name, filename), filename=filename, now=now)


def import_file(
    database: Database,
    data: bytes,
    filename: str,
    *,
    now: datetime,
    name: str | None = None,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Validate a bank file, then store it in short transactions (module docstring).

    Blocking: call it from a worker thread, never on the event loop.
    """
    bank = load_or_reject(data, filename)
    discard_stale_imports(database, now)
    # Hashed here, not in the unit of work: a large bank takes a second or more to
    # hash, and the unit holds SQLite's write lock, which the chat waits for.
    content_hash = bank.content_hash
    with database.unit_of_work() as session:
        begun = _begin_import(session, bank=bank, content_hash=content_hash,
                              name=bank_name(name, filename), filename=filename, now=now)
    if begun.already_imported:
        return begun
    bank_id = begun.bank.id
    try:
        for start, chunk in _chunks(bank):
            with database.unit_of_work() as session:
                _insert_questions(session, bank_id=bank_id, questions=chunk,
                                  first_position=start + 1)
            if progress is not None:
                progress(start + len(chunk), len(bank))
        with database.unit_of_work() as session:
            ready = _make_ready(session, bank_id=bank_id)
    except BaseException:  # Ctrl-C in the CLI too: nothing half-imported may stay
        try:
            _discard(database, bank_id)
        except Exception:
            # The first failure is the one to report; the stale-import cleanup
            # deletes this bank later, and nobody sees it meanwhile.
            log.warning("could not delete the partial bank %s", bank_id, exc_info=True)
        raise
    return ImportOutcome(ready, already_imported=False)


def _chunks(bank: quizzes.Bank) -> Iterator[tuple[int, Sequence[quizzes.Question]]]:
    for start in range(0, len(bank), CHUNK):
        yield start, bank.questions[start:start + CHUNK]


def _new_bank(session: Session, bank: quizzes.Bank, *, content_hash: str, name: str,
              filename: str, now: datetime, state: str) -> QuizBank:
    # Importing banks count: their version is taken until they are ready or gone.
    latest = session.scalar(select(func.max(QuizBank.version)).where(QuizBank.name == name))
    row = QuizBank(name=name, version=(latest or 0) + 1, source_filename=filename[:200],
                   question_count=len(bank), is_active=False, created_at=now, state=state,
                   content_hash=content_hash)
    session.add(row)
    session.flush()
    return row


def _begin_import(session: Session, *, bank: quizzes.Bank, content_hash: str, name: str,
                  filename: str, now: datetime) -> ImportOutcome:
    existing = session.scalars(
        select(QuizBank).where(READY, QuizBank.content_hash == content_hash)
        .order_by(QuizBank.id.desc()).limit(1)).first()
    if existing is not None:
        return ImportOutcome(existing, already_imported=True)
    # Two imports under one name at once may pick the same version; the unique
    # constraint refuses one, which takes the next.
    for attempt in range(_VERSION_TRIES):
        try:
            with session.begin_nested():
                row = _new_bank(session, bank, content_hash=content_hash, name=name,
                                filename=filename, now=now, state=IMPORTING)
            return ImportOutcome(row, already_imported=False)
        except IntegrityError:
            if attempt == _VERSION_TRIES - 1:
                raise
    raise AssertionError("unreachable")


def _make_ready(session: Session, *, bank_id: int) -> QuizBank:
    made = session.execute(update(QuizBank)
                           .where(QuizBank.id == bank_id, QuizBank.state == IMPORTING)
                           .values(state=READY_STATE))
    if cast(Any, made).rowcount != 1:
        raise Conflict("导入时间过长，已被当作中断的导入清理，请重新导入")
    bank = session.get(QuizBank, bank_id)
    assert bank is not None
    return bank


def _stale_imports(session: Session, *, now: datetime) -> list[int]:
    return list(session.scalars(select(QuizBank.id).where(
        QuizBank.state == IMPORTING, QuizBank.created_at < now - STALE_IMPORT_AFTER)))


def discard_stale_imports(database: Database, now: datetime) -> int:
    """Delete the banks of imports that died midway; how many there were."""
    with database.unit_of_work() as session:
        stale = _stale_imports(session, now=now)
    for bank_id in stale:
        _discard(database, bank_id)
    return len(stale)


def discard_stale_imports_a_little(session: Session, now: datetime) -> int:
    """Housekeeping: up to :data:`STALE_QUESTIONS_PER_PASS` questions of dead
    imports, and their banks once empty; how many rows went."""
    deleted = 0
    for bank_id in _stale_imports(session, now=now):
        while deleted < STALE_QUESTIONS_PER_PASS:
            some = _delete_some_questions(session, bank_id=bank_id)
            deleted += some
            if some == 0:
                _delete_importing_bank(session, bank_id=bank_id)
                deleted += 1
                break
    return deleted


register_housekeeping("stale_quiz_imports", discard_stale_imports_a_little)


def _discard(database: Database, bank_id: int) -> None:
    """Delete an importing bank by chunks of questions, then the bank itself."""
    deleted = 1
    while deleted:
        with database.unit_of_work() as session:
            deleted = _delete_some_questions(session, bank_id=bank_id)
    with database.unit_of_work() as session:
        _delete_importing_bank(session, bank_id=bank_id)


def _delete_some_questions(session: Session, *, bank_id: int) -> int:
    ids = select(BankQuestion.id).where(BankQuestion.bank_id == bank_id).limit(CHUNK)
    deleted = session.execute(
        delete(BankQuestion).where(BankQuestion.id.in_(ids.scalar_subquery())))
    return int(cast(Any, deleted).rowcount or 0)


def _delete_importing_bank(session: Session, *, bank_id: int) -> None:
    session.execute(delete(QuizBank).where(QuizBank.id == bank_id, QuizBank.state == IMPORTING))


def list_banks(session: Session) -> Sequence[QuizBank]:
    """Every bank version, newest first."""
    return session.scalars(select(QuizBank).where(READY).order_by(QuizBank.id.desc())).all()


def ready_bank(session: Session, bank_id: int) -> QuizBank:
    """The bank ``bank_id``, unless it does not exist or is still being imported."""
    bank = session.get(QuizBank, bank_id)
    if bank is None or bank.state != READY_STATE:
        raise NotFound(f"没有编号为 {bank_id} 的题库")
    return bank


def activate_bank(session: Session, bank_id: int, now: datetime) -> QuizBank:
    """Make ``bank_id`` the one bank ``答题`` draws from."""
    bank = ready_bank(session, bank_id)
    # Deactivate first: the partial unique index allows one active row at a time.
    session.execute(update(QuizBank).where(QuizBank.is_active, QuizBank.id != bank_id)
                    .values(is_active=False))
    if not bank.is_active:
        bank.is_active = True
        bank.activated_at = now
    session.flush()
    return bank


def delete_bank(session: Session, bank_id: int) -> QuizBank:
    """Delete a bank nobody uses; :class:`~app.errors.Conflict` saying why otherwise.

    Played banks stay: attempts and wrong-answer lists keep pointing at their
    questions. The foreign keys hold this too, for a member who starts a quiz
    on the bank while it is being deleted.
    """
    bank = ready_bank(session, bank_id)
    if bank.is_active:
        raise Conflict(f"题库 {bank_id} 正在使用中（已启用），请先启用其他题库再删除")
    players = session.scalar(select(func.count(func.distinct(QuizAttempt.member_id)))
                             .where(QuizAttempt.bank_id == bank_id)) or 0
    if players:
        raise Conflict(f"已有 {players} 名党员答过题库 {bank_id} 的题，"
                       "答题记录要保留原题，不能删除")
    contests = session.scalars(select(Contest.title).where(Contest.bank_id == bank_id)).all()
    if contests:
        titles = "、".join(f"「{title}」" for title in contests)
        raise Conflict(f"知识竞赛 {titles} 使用了题库 {bank_id}，不能删除")
    try:
        with session.begin_nested():
            session.execute(delete(BankQuestion).where(BankQuestion.bank_id == bank_id))
            session.execute(delete(QuizBank).where(QuizBank.id == bank_id))
    except IntegrityError:
        raise Conflict(f"题库 {bank_id} 刚刚开始被使用，不能删除") from None
    return bank


def active_bank(session: Session) -> QuizBank | None:
    return session.scalars(select(QuizBank).where(QuizBank.is_active)).first()
