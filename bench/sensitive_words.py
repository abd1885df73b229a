"""The sensitive-word check with the list in the database against the automaton alone.

    .venv/bin/python -m bench.sensitive_words [--words 5000] [--repeat 2000]

Same process, same SQLite database, same list: the baseline is the prebuilt
automaton's :meth:`~app.moderation.filter.WordFilter.first_banned_word` (what
the file-based list cost per check), the other :func:`app.moderation.words.banned_word`,
which first reads the list's revision (one primary-key lookup) and reuses the
process's automaton while it is unchanged. Also the first check after an edit,
which rebuilds the automaton from the database. Prints microseconds per check
and the ratio (database / automaton alone).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

TEXT = "第一党支部 张三 申报：参加社区志愿服务，清理小区楼道杂物四小时"


def _per_call_us(work: Callable[[], object], repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        work()
    return (time.perf_counter() - started) / repeat * 1_000_000


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--words", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args(argv)
    from sqlalchemy import select

    from app import migrations
    from app.db import Database
    from app.models import SensitiveWord
    from app.moderation import words
    from app.moderation.filter import WordFilter

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'words.db'}"
        migrations.upgrade(url)
        database = Database(url)
        try:
            listed = "\n".join(f"违禁词{n:05d}" for n in range(args.words))
            with database.unit_of_work() as session:
                words.add_words(session, listed, "bench", datetime.now(UTC))
            with database.unit_of_work() as session:
                alone = WordFilter(session.scalars(select(SensitiveWord.word)).all())
                assert words.banned_word(session, TEXT) == alone.first_banned_word(TEXT)
                figures = {
                    "automaton_alone_us": _per_call_us(lambda: alone.first_banned_word(TEXT),
                                                       args.repeat),
                    "with_revision_check_us": _per_call_us(
                        lambda: words.banned_word(session, TEXT), args.repeat),
                }
            with database.unit_of_work() as session:
                words.add_words(session, "新增的词", "bench", datetime.now(UTC))
            with database.unit_of_work() as session:
                started = time.perf_counter()
                words.banned_word(session, TEXT)
                figures["first_check_after_edit_ms"] = (time.perf_counter() - started) * 1000
        finally:
            database.close()
    figures["ratio"] = figures["with_revision_check_us"] / figures["automaton_alone_us"]
    print(f"{args.words} words, {args.repeat} checks each")
    print(f"automaton alone: {figures['automaton_alone_us']:.1f} µs; with the revision "
          f"check: {figures['with_revision_check_us']:.1f} µs; ratio {figures['ratio']:.1f}")
    print(f"first check after an edit (rebuild): {figures['first_check_after_edit_ms']:.1f} ms")
    return figures


if __name__ == "__main__":
    main()
