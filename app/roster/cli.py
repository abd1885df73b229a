"""``hongxin roster import FILE``: the same import as the admin API, from a terminal."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from app.db import Database
from app.roster.service import RosterRejected, import_roster


def import_file(database_url: str, path: Path) -> int:
    """Import ``path``; if rejected, print each problem as ``FILE: 第 N 行「列」：…``, return 1."""
    try:
        data = path.read_bytes()
    except OSError as failure:
        print(f"{path}: cannot read the file ({failure.strerror})", file=sys.stderr)
        return 1
    database = Database(database_url)
    try:
        with database.unit_of_work() as session:
            summary = import_roster(session, data, path.name, datetime.now(UTC))
    except RosterRejected as rejected:
        for problem in rejected.errors or []:
            row, column = problem["row"], problem["column"]
            where = (f"第 {row} 行" if row is not None else "文件") + (
                f"「{column}」" if column else "")
            print(f"{path}: {where}：{problem['message']}", file=sys.stderr)
        print(f"{path}: {rejected.message}", file=sys.stderr)
        return 1
    finally:
        database.close()
    print(f"roster: {summary.rows} rows, {summary.created} people added, {summary.updated} "
          f"updated, {summary.orgs_created} orgs created")
    return 0
