"""Per-process CPU time and resident memory, read from /proc (Linux only).

The benchmarks start servers through bench/callback.py's ``server()``, which
yields a port but not a process, so the process is found again by its parent
and its ``--port`` argument.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    raw = (PROC / str(pid) / "stat").read_text()
    # The command name is in parentheses and may itself hold spaces or parentheses.
    return raw[raw.rindex(")") + 2:].split()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of ``pid`` so far; 0 once it has gone."""
    try:
        fields = _stat_fields(pid)
    except (OSError, ValueError):
        return 0.0
    # fields[0] is the state, so utime and stime (stat fields 14 and 15) sit at 11 and 12.
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mib(pid: int) -> float | None:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _cmdline(pid: int) -> list[str]:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _pids() -> Iterable[int]:
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            yield int(entry.name)


def child_on_port(port: int) -> int:
    """The pid of this process's child started with ``--port <port>``."""
    me = os.getpid()
    for pid in _pids():
        try:
            parent = int(_stat_fields(pid)[1])
        except (OSError, ValueError, IndexError):
            continue
        arguments = _cmdline(pid)
        if parent == me and "--port" in arguments and str(port) in arguments:
            return pid
    raise LookupError(f"no child process serving port {port}")


def pids_mentioning(word: str) -> list[int]:
    """Processes whose command line holds ``word``: PostgreSQL backends show their
    database name there, so a benchmark's own database picks out its backends."""
    return [pid for pid in _pids() if any(word in part for part in _cmdline(pid))]


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, over all cores."""
    values = [int(v) for v in (PROC / "stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    total = sum(values[:8])  # steal included, guest time is already in user
    return (total - idle) / TICKS, total / TICKS


@dataclass
class CpuWindow:
    """CPU seconds spent by given processes (and the machine) between start and stop."""

    pids: dict[str, list[int]]
    backend_word: str | None = None
    started: dict[int, float] = field(default_factory=dict)
    used: dict[str, float] = field(default_factory=dict)
    wall: float = 0.0
    machine_busy: float = 0.0
    backends: int = 0

    def __enter__(self) -> CpuWindow:
        self._wall0 = time.perf_counter()
        self._machine0 = machine_busy_seconds()[0]
        self._self0 = time.process_time()
        for pids in self.pids.values():
            for pid in pids:
                self.started[pid] = cpu_seconds(pid)
        if self.backend_word:
            for pid in pids_mentioning(self.backend_word):
                self.started[pid] = cpu_seconds(pid)
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self._wall0
        self.machine_busy = machine_busy_seconds()[0] - self._machine0
        self.used["load generator"] = time.process_time() - self._self0
        for label, pids in self.pids.items():
            self.used[label] = sum(cpu_seconds(pid) - self.started[pid] for pid in pids)
        if self.backend_word:
            backends = pids_mentioning(self.backend_word)
            self.backends = len(backends)
            # Backends opened during the window started from zero.
            self.used["postgresql backends"] = sum(
                cpu_seconds(pid) - self.started.get(pid, 0.0) for pid in backends)

    def figures(self) -> dict[str, float]:
        shown = {f"{label} cpu s": round(seconds, 2) for label, seconds in self.used.items()}
        shown["machine busy cores"] = round(self.machine_busy / self.wall, 2)
        if self.backend_word:
            shown["postgresql connections at the end"] = self.backends
        return shown


class RssSampler:
    """Samples the resident set of some processes once a second in a thread."""

    def __init__(self, pids: dict[str, int], interval: float = 1.0) -> None:
        self.pids = pids
        self.interval = interval
        self.samples: dict[str, list[tuple[float, float]]] = {label: [] for label in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)
        self._began = time.monotonic()

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while True:
            at = time.monotonic() - self._began
            for label, pid in self.pids.items():
                rss = rss_mib(pid)
                if rss is not None:
                    self.samples[label].append((at, rss))
            if self._stop.wait(self.interval):
                return

    def figures(self) -> dict[str, dict[str, float]]:
        result = {}
        for label, samples in self.samples.items():
            if not samples:
                continue
            values = [rss for _, rss in samples]
            second_half = samples[len(samples) // 2:]
            result[label] = {"start MiB": round(values[0], 1), "peak MiB": round(max(values), 1),
                             "end MiB": round(values[-1], 1),
                             "second-half slope MiB/min": round(_slope(second_half) * 60, 3),
                             "samples": len(samples)}
        return result


def _slope(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope (MiB per second) of the samples."""
    if len(samples) < 2:
        return 0.0
    mean_t = sum(t for t, _ in samples) / len(samples)
    mean_v = sum(v for _, v in samples) / len(samples)
    spread = sum((t - mean_t) ** 2 for t, _ in samples)
    if spread == 0:
        return 0.0
    return sum((t - mean_t) * (v - mean_v) for t, v in samples) / spread
