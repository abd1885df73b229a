"""``hongxin quiz import|list|activate|delete``: the admin API's bank operations, in Chinese."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session

import quizzes
from app.db import Database
from app.errors import AppError
from app.models.quiz import QuizBank
from app.quiz_banks import service

T = TypeVar("T")


def _describe(bank: QuizBank) -> str:
    return f"题库 {bank.id}「{bank.name}」第 {bank.version} 版（{bank.question_count} 道题）"


def _print_rejection(path: Path, rejected: service.ImportRejected) -> None:
    sheet = rejected.details.get("sheet")
    prefix = f"{path}: " + (f"工作表「{sheet}」" if sheet else "")
    for problem in rejected.errors or []:
        row, column, message = problem["row"], problem["column"], problem["message"]
        where = (f"第 {row} 行" if row is not None else "文件") + (
            f"「{column}」" if column else "")
        # Plain print: one unwrapped line per problem, easy to grep.
        print(f"{prefix}{where}：{message}", file=sys.stderr)
    unlisted = int(rejected.details.get("error_count", 0)) - len(rejected.errors or [])
    if unlisted > 0:
        print(f"{path}: ……另有 {unlisted} 处问题未列出，请先改正上面的", file=sys.stderr)
    print(f"{path}: {rejected.message}", file=sys.stderr)


def import_file(database_url: str, path: Path, name: str | None) -> int:
    """Import ``path``; print its problems with the file and row and return 1 when rejected."""
    try:
        size = path.stat().st_size
        limit = quizzes.Limits().max_bytes
        if size > limit:
            print(f"{path}: 文件有 {size / 2**20:.0f} MB，超过 {quizzes.Limits().max_megabytes} "
                  "的上限；请分成几个文件导入", file=sys.stderr)
            return 1
        data = path.read_bytes()
    except OSError as failure:
        print(f"{path}: 无法读取文件（{failure.strerror}）", file=sys.stderr)
        return 1
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    database = Database(database_url)
    try:
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            writing = progress.add_task("检查题库文件并写入数据库", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(writing, completed=done, total=total)

            outcome = service.import_file(database, data, path.name, now=datetime.now(UTC),
                                          name=name or path.stem, progress=advance)
    except service.ImportRejected as rejected:
        _print_rejection(path, rejected)
        return 1
    finally:
        database.close()
    bank = outcome.bank
    if outcome.already_imported:
        print(f"{path}: 与已导入的{_describe(bank)}内容完全相同，没有重复导入")
    else:
        print(f"已导入{_describe(bank)}")
    if not bank.is_active:
        print(f"启用它：hongxin quiz activate {bank.id}")
    return 0


def _run(database_url: str, work: Callable[[Session], T]) -> T | AppError:
    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            return work(session)
    except AppError as refused:
        return refused
    finally:
        database.close()


def list_banks(database_url: str) -> int:
    banks = _run(database_url, lambda session: [
        (_describe(bank), bank.is_active) for bank in service.list_banks(session)])
    assert not isinstance(banks, AppError)
    if not banks:
        print("还没有题库；导入：hongxin quiz import 文件.xlsx")
    for described, active in banks:
        print(f"{described}{'  ← 已启用' if active else ''}")
    return 0


def activate(database_url: str, bank_id: int) -> int:
    described = _run(database_url, lambda session: _describe(
        service.activate_bank(session, bank_id, datetime.now(UTC))))
    if isinstance(described, AppError):
        print(f"hongxin: {described.message}", file=sys.stderr)
        return 1
    print(f"已启用{described}；党员发送“答题”将从这个题库抽题")
    return 0


def delete(database_url: str, bank_id: int) -> int:
    described = _run(database_url, lambda session: _describe(
        service.delete_bank(session, bank_id)))
    if isinstance(described, AppError):
        print(f"hongxin: {described.message}", file=sys.stderr)
        return 1
    print(f"已删除{described}")
    return 0
