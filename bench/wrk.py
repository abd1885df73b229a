"""Timed runs with wrk (a load generator in C), when it is installed.

The Python generator (bench/loadgen.py) spends CPU of its own on every
request, on the same two cores as the servers; against the bare endpoint,
which costs little per request, it becomes the bottleneck, so the bare figure
comes out low and Hongxin's ratio to it high (bench/NOTES.md). wrk costs far
less per request, and runs for a fixed time rather than a fixed count, so
that periodic costs (SQLite checkpoints, collections) fall inside the run.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.loadgen import LoadResult

SCRIPT = Path(__file__).with_name("wrk.lua")
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(port: int, requests: Sequence[bytes], concurrency: int,
            seconds: float) -> LoadResult:
    """Load ``port`` for ``seconds`` with ``requests``, each sent once.

    Raises when the run needed more requests than given: wrk would start over
    and send duplicates, which Hongxin answers from its store, a cheaper path.
    """
    with tempfile.NamedTemporaryFile(suffix=".requests") as file:
        file.write(b"\0".join(requests) + b"\0")
        file.flush()
        output = subprocess.run(
            ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds:g}s", "--latency",
             "-s", str(SCRIPT), f"http://127.0.0.1:{port}", "--", file.name],
            capture_output=True, text=True, check=True).stdout
    sent = int(_field(r"(\d+) requests in", output))
    if sent > len(requests):
        raise RuntimeError(f"wrk sent {sent} requests but only {len(requests)} were built")
    elapsed = float(_field(r"requests in ([\d.]+)s", output))
    errors = int(_field(r"Non-2xx or 3xx responses: (\d+)", output, default="0"))
    percentiles: dict[float, float] = {p: _latency_ms(output, p) for p in (50, 75, 90, 99)}
    return LoadResult(sent, elapsed, [], {200: sent - errors, 500: errors} if errors
                      else {200: sent}, percentiles_ms=percentiles)


def _field(pattern: str, output: str, default: str | None = None) -> str:
    found = re.search(pattern, output)
    if found is None:
        if default is not None:
            return default
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    return found.group(1)


def _latency_ms(output: str, percent: int) -> float:
    found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"no {percent}% latency in wrk output:\n{output}")
    return float(found.group(1)) * _UNITS_MS[found.group(2)]
