"""Where a benchmark writes: the database it is given, else a fresh SQLite file.

``database_url`` wins, then ``HONGXIN_BENCH_DATABASE_URL``; without either the
benchmark gets a SQLite file in a temporary folder that is removed afterwards.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def bench_database(database_url: str | None, name: str) -> Iterator[str]:
    given = database_url or os.environ.get("HONGXIN_BENCH_DATABASE_URL")
    if given:
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="hongxin-bench-") as folder:
        yield f"sqlite:///{Path(folder) / f'{name}.db'}"
