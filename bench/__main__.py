"""`make bench`: run every benchmark under bench/ and write bench/RESULTS.md.

Each benchmark measures its own baseline in the same run and reports a ratio,
because the machines here are shared and absolute figures wander.
"""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from bench import callback

RESULTS = Path(__file__).with_name("RESULTS.md")


@contextlib.contextmanager
def postgres() -> Iterator[str | None]:
    """A throwaway PostgreSQL server when the binaries are installed, else None."""
    from tests.support.postgres import PostgresUnavailable, running_postgres

    try:
        with running_postgres() as url:
            yield url
    except PostgresUnavailable as problem:
        print(f"PostgreSQL benchmarks skipped: {problem}")
        yield None


def machine() -> str:
    memory = ""
    with contextlib.suppress(OSError, ValueError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    return (f"{platform.node()}: {os.cpu_count()} cores{memory}, Python "
            f"{platform.python_version()}, {platform.platform()}")


def main() -> None:
    lines = [f"# Benchmark results\n\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}\n"]
    with postgres() as postgres_url:
        comparisons = callback.main(postgres_url=postgres_url)
    lines.append("## Callback: `帮助` from 1,000 members, unique MsgIds, concurrency 32\n")
    lines.append("| setup | Hongxin req/s | bare req/s | ratio | p50 ms | p99 ms |")
    lines.append("|---|---|---|---|---|---|")
    for result in comparisons:
        lines.append(
            f"| {result.label} | {result.ours.per_second:.0f} | {result.bare.per_second:.0f} | "
            f"{result.ratio:.2f} | {result.ours.percentile(50):.1f} | "
            f"{result.ours.percentile(99):.1f} |"
        )
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
