"""A small HTTP/1.1 load generator: pre-built requests, keep-alive connections, latencies.

Written on asyncio streams rather than with an HTTP client library so that the
generator costs little per request and the server, not the client, is measured.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]
    # Set instead of latencies_ms by a generator that reports only percentiles (wrk).
    percentiles_ms: dict[float, float] | None = None

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        if self.percentiles_ms is not None:
            return self.percentiles_ms[p]
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    def summary(self) -> str:
        mean = (f"  mean {statistics.fmean(self.latencies_ms):.1f} ms" if self.latencies_ms
                else "")
        return (f"{self.per_second:8.0f} req/s  p50 {self.percentile(50):6.1f} ms  "
                f"p99 {self.percentile(99):6.1f} ms{mean}  statuses {self.statuses}")


def build_request(host: str, path_and_query: str, body: bytes) -> bytes:
    head = (f"POST {path_and_query} HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/xml\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def _worker(host: str, port: int, queue: list[bytes], latencies: list[float],
                  statuses: dict[int, int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while queue:
            request = queue.pop()
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            status = int(status_line.split()[1])
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def _run(host: str, ports: Sequence[int], requests: Sequence[bytes],
               concurrency: int) -> LoadResult:
    queue = list(reversed(requests))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    # Connections are dealt to the ports in turn, as a round-robin proxy would.
    await asyncio.gather(*(_worker(host, ports[n % len(ports)], queue, latencies, statuses)
                           for n in range(concurrency)))
    return LoadResult(len(requests), time.perf_counter() - started, latencies, statuses)


def run_load(host: str, port: int | Sequence[int], requests: Sequence[bytes],
             concurrency: int) -> LoadResult:
    """Send ``requests`` over ``concurrency`` keep-alive connections, spread over ``port``
    when it names several servers."""
    ports = [port] if isinstance(port, int) else list(port)
    return asyncio.run(_run(host, ports, requests, concurrency))
