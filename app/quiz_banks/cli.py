"""``hongxin quiz import FILE [--name NAME]``: the same import as the admin API, with progress."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.db import Database
from app.quiz_banks.service import ImportRejected, load_or_reject, store_bank


def import_file(database_url: str, path: Path, name: str | None) -> int:
    """Import ``path``; print every problem with the file and row and return 1 when rejected."""
    console = Console(stderr=True)
    try:
        data = path.read_bytes()
    except OSError as failure:
        print(f"{path}: cannot read the file ({failure.strerror})", file=sys.stderr)
        return 1
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        checking = progress.add_task("检查题库文件", total=None)
        try:
            bank = load_or_reject(data, path.name)
        except ImportRejected as rejected:
            progress.stop()
            for problem in rejected.errors or []:
                row, column, message = problem["row"], problem["column"], problem["message"]
                where = (f"第 {row} 行" if row is not None else "文件") + (
                    f"「{column}」" if column else "")
                # Plain print: one unwrapped line per problem, easy to grep.
                print(f"{path}: {where}：{message}", file=sys.stderr)
            print(f"{path}: {rejected.message}", file=sys.stderr)
            return 1
        progress.update(checking, total=1, completed=1)
        writing = progress.add_task("写入数据库", total=len(bank))

        def advance(done: int, _total: int) -> None:
            progress.update(writing, completed=done)

        database = Database(database_url)
        try:
            with database.unit_of_work() as session:
                stored = store_bank(session, bank, name=(name or path.stem)[:100],
                                    filename=path.name, now=datetime.now(UTC), progress=advance)
                summary = (stored.id, stored.name, stored.version, stored.question_count)
        finally:
            database.close()
    bank_id, bank_name, version, count = summary
    print(f"imported {count} questions as bank {bank_id} ({bank_name} v{version}); "
          f"activate it with POST /api/admin/quiz-banks/{bank_id}/activate", file=sys.stdout)
    return 0
