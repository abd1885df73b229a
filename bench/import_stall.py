"""The chat while a 100,000-question bank is imported, on SQLite.

A real `hongxin serve` on a fresh SQLite database answers signed `帮助`
callbacks from 8 keep-alive connections (bench/callback.py's requests)
while an admin uploads a generated 100,000-question bank over
`POST /api/admin/quiz-banks`. Baseline, in the same run and on the same
server: the same callbacks with no import. Reported: callback latency p50,
p99 and worst with and without the import, their ratios, and how long the
upload took. WeChat gives a callback 5 s; the aim is p99 under 1 s.
"""

from __future__ import annotations

import itertools
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.callback import APP_ID, TOKEN, callback_requests, merged, server
from bench.loadgen import LoadResult, run_load
from bench.quiz_import import csv_bytes, rows, xlsx_bytes

QUESTIONS = 100_000
CONCURRENCY = 8
BATCH = 200
BASELINE_REQUESTS = 4_000
ADMIN_TOKEN = "bench-admin-token"


@dataclass(frozen=True)
class Stall:
    label: str
    upload_status: int
    upload_seconds: float
    during: LoadResult
    baseline: LoadResult

    def figures(self) -> dict[str, float]:
        during, baseline = self.during, self.baseline
        return {
            "upload_status": self.upload_status,
            "upload_seconds": self.upload_seconds,
            "callbacks_during_import": during.requests,
            "p50_ms_during": during.percentile(50),
            "p99_ms_during": during.percentile(99),
            "max_ms_during": max(during.latencies_ms),
            "p50_ms_baseline": baseline.percentile(50),
            "p99_ms_baseline": baseline.percentile(99),
            "max_ms_baseline": max(baseline.latencies_ms),
            "p99_ratio": during.percentile(99) / baseline.percentile(99),
        }


def _upload(port: int, path: str, data: bytes, filename: str,
            outcome: dict[str, float]) -> None:
    started = time.perf_counter()
    answer = httpx.post(f"http://127.0.0.1:{port}{path}", files={"file": (filename, data)},
                        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=600)
    outcome["seconds"] = time.perf_counter() - started
    outcome["status"] = answer.status_code


def _callbacks_while(busy: threading.Thread, port: int, msg_ids: Iterator[int]) -> LoadResult:
    rounds = []
    while busy.is_alive():
        rounds.append(run_load("127.0.0.1", port, callback_requests(BATCH, next(msg_ids), False),
                               CONCURRENCY))
    return merged(rounds)


@contextmanager
def warm_sqlite_server(msg_ids: Iterator[int]) -> Iterator[int]:
    """A `hongxin serve` on a fresh SQLite file with the bench admin token, its port,
    after three warm-up rounds of callbacks (connections, members, caches)."""
    with tempfile.TemporaryDirectory(prefix="hongxin-bench-") as tmp:
        workdir = Path(tmp)
        env = {"HONGXIN_DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
               "HONGXIN_WECHAT_TOKEN": TOKEN, "HONGXIN_WECHAT_APP_ID": APP_ID,
               "HONGXIN_ADMIN_TOKEN": ADMIN_TOKEN}
        with server([sys.executable, "-m", "app.cli", "serve", "--no-scheduler"], env,
                    workdir / "hongxin.log") as port:
            for _ in range(3):
                run_load("127.0.0.1", port, callback_requests(BATCH, next(msg_ids), False),
                         CONCURRENCY)
            yield port


def callback_baseline(port: int, msg_ids: Iterator[int]) -> LoadResult:
    return merged([run_load("127.0.0.1", port, callback_requests(BATCH, next(msg_ids), False),
                            CONCURRENCY) for _ in range(BASELINE_REQUESTS // BATCH)])


def measure(port: int, label: str, data: bytes, filename: str,
            msg_ids: Iterator[int]) -> Stall:
    baseline = callback_baseline(port, msg_ids)
    outcome, during = upload_under_load(port, "/api/admin/quiz-banks", data, filename, msg_ids)
    return Stall(label, int(outcome["status"]), outcome["seconds"], during, baseline)


def upload_under_load(port: int, path: str, data: bytes, filename: str,
                      msg_ids: Iterator[int]) -> tuple[dict[str, float], LoadResult]:
    """Upload ``data`` to the admin ``path`` while chat callbacks load the server: the
    upload's status and seconds, and the callbacks' latencies meanwhile."""
    outcome: dict[str, float] = {}
    upload = threading.Thread(target=_upload, args=(port, path, data, filename, outcome))
    upload.start()
    during = _callbacks_while(upload, port, msg_ids)
    upload.join()
    return outcome, during


def main(questions: int = QUESTIONS) -> dict[str, dict[str, float]]:
    print(f"generating {questions:,}-question banks …", flush=True)
    files = {"xlsx": xlsx_bytes(rows(questions)),
             # Other stems: the same questions again would be recognised, not imported.
             "csv": csv_bytes([[row[0], f"另{row[1]}", *row[2:]] for row in rows(questions)])}
    results: dict[str, dict[str, float]] = {}
    msg_ids = itertools.count(50_000_000, 1_000_000)
    with warm_sqlite_server(msg_ids) as port:
        for kind, data in files.items():
            stall = measure(port, kind, data, f"bank.{kind}", msg_ids)
            results[f"{kind} ({len(data) / 2**20:.1f} MB)"] = stall.figures()
            print(f"{kind}: upload {stall.upload_status} in {stall.upload_seconds:.1f} s; "
                  f"callbacks during it p50 {stall.during.percentile(50):.1f} ms, "
                  f"p99 {stall.during.percentile(99):.1f} ms, "
                  f"max {max(stall.during.latencies_ms):.1f} ms "
                  f"({stall.during.requests} callbacks); without import p50 "
                  f"{stall.baseline.percentile(50):.1f} ms, p99 "
                  f"{stall.baseline.percentile(99):.1f} ms; p99 ratio "
                  f"{stall.figures()['p99_ratio']:.1f}", flush=True)
    return results


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else QUESTIONS)
