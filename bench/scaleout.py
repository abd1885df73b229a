"""Scale-out: the callback load of bench/callback.py against one, then two `hongxin serve`
processes on the same PostgreSQL database.

    .venv/bin/python -m bench.scaleout [requests]

`帮助` from 1,000 members, unique MsgIds, concurrency 32, plain mode; with two
processes the generator's connections alternate between the two ports, as a
round-robin proxy would deal them. The configurations alternate for a few
rounds and each reports its median round, because a shared machine wanders.

The load generator, the servers and PostgreSQL share this machine's cores,
so the factor (two / one) says as much about the cores as about Hongxin: the
CPU seconds each party used are reported beside it to show where time went.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import callback
from bench.loadgen import LoadResult, run_load
from bench.procstat import CpuWindow, child_on_port

DATABASE_NAME = "hongxin_scaleout"
ROUNDS = 5
WARM_UP = 500


def _env(database_url: str) -> dict[str, str]:
    return {"HONGXIN_DATABASE_URL": database_url, "HONGXIN_WECHAT_TOKEN": callback.TOKEN,
            "HONGXIN_WECHAT_APP_ID": callback.APP_ID}


def _measure(ports: list[int], count: int, start_id: int,
             backend_word: str) -> tuple[LoadResult, dict[str, float]]:
    run_load("127.0.0.1", ports, callback.callback_requests(WARM_UP, start_id, False),
             callback.CONCURRENCY)
    requests = callback.callback_requests(count, start_id + WARM_UP, False)
    pids = {f"server :{port}": [child_on_port(port)] for port in ports}
    with CpuWindow(pids, backend_word=backend_word) as window:
        result = run_load("127.0.0.1", ports, requests, callback.CONCURRENCY)
    return result, window.figures()


def _summary(rounds: list[tuple[LoadResult, dict[str, float]]], processes: int) -> dict[str, Any]:
    ordered = sorted(rounds, key=lambda item: item[0].per_second)
    result, cpu = ordered[len(ordered) // 2]
    failures = sum(n for status, n in result.statuses.items() if status != 200)
    return {
        "processes": processes,
        "req/s": round(result.per_second, 1),
        "req/s per process": round(result.per_second / processes, 1),
        "rounds req/s": [round(r.per_second, 1) for r, _ in rounds],
        "p50 ms": round(result.percentile(50), 1),
        "p99 ms": round(result.percentile(99), 1),
        "non-200": failures,
        "cpu": cpu,
    }


@contextlib.contextmanager
def _servers(count: int, env: dict[str, str], workdir: Path) -> Iterator[list[int]]:
    with contextlib.ExitStack() as stack:
        command = [sys.executable, "-m", "app.cli", "serve", "--no-scheduler"]
        yield [stack.enter_context(callback.server(command, env, workdir / f"serve-{n}.log"))
               for n in range(count)]


def main(postgres_url: str, count: int = 6000, rounds: int = ROUNDS) -> dict[str, Any]:
    """One process against two on ``postgres_url``; returns both and the scaling factor."""
    backend_word = postgres_url.rsplit("/", 1)[-1]
    env = _env(postgres_url)
    measured: dict[int, list[tuple[LoadResult, dict[str, float]]]] = {1: [], 2: []}
    msg_id = 30_000_000
    with tempfile.TemporaryDirectory(prefix="hongxin-scaleout-") as tmp, \
            _servers(2, env, Path(tmp)) as ports:
        for _ in range(rounds):
            for processes in (1, 2):
                measured[processes].append(
                    _measure(ports[:processes], count, msg_id, backend_word))
                msg_id += count + WARM_UP
    one, two = _summary(measured[1], 1), _summary(measured[2], 2)
    figures = {"requests per round": count, "concurrency": callback.CONCURRENCY,
               "rounds": rounds, "one process": one, "two processes": two,
               "scaling factor": round(two["req/s"] / one["req/s"], 2)}
    for label in ("one process", "two processes"):
        item = figures[label]
        print(f"{label:14} {item['req/s']:7.1f} req/s ({item['req/s per process']:.1f} per "
              f"process; rounds {item['rounds req/s']})  p50 {item['p50 ms']} ms  "
              f"p99 {item['p99 ms']} ms  non-200 {item['non-200']}")
        print(f"{'':14} cpu: {item['cpu']}")
    print(f"scaling factor (two / one): {figures['scaling factor']:.2f}")
    return figures


if __name__ == "__main__":
    from bench.__main__ import fresh_database
    from tests.support.postgres import running_postgres

    with running_postgres() as server:
        main(fresh_database(server, DATABASE_NAME),
             int(sys.argv[1]) if len(sys.argv) > 1 else 6000)
