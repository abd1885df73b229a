"""What a 300 MiB request body costs a running ``hongxin serve`` before it is refused.

Starts ``hongxin serve`` on a scratch SQLite database (from ``--source``, so an
older checkout can be measured the same way), sends each hostile request once
with ``Content-Length`` and once chunked, and reports per request: the status,
the server's resident memory before and its peak (VmHWM) after, how many bytes
it read (``rchar``: sockets included) and wrote to disk (``write_bytes``:
spooled multipart uploads) meanwhile.

    python -m bench.big_bodies [--source DIR] [--mib 300]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

CHUNK = 1024 * 1024
BOUNDARY = "hongxinbench"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def _reset_peak(pid: int) -> None:
    # Writing 5 to clear_refs resets VmHWM to the current resident size (Linux 4.0+).
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def _io(pid: int) -> dict[str, int]:
    """rchar counts every byte the process read (sockets included); write_bytes what it
    sent to disk (a spooled upload)."""
    pairs = (line.split(": ") for line in Path(f"/proc/{pid}/io").read_text().splitlines())
    return {name: int(value) for name, value in pairs}


def _body(size: int, head: bytes) -> Iterator[bytes]:
    yield head
    sent = len(head)
    block = b"x" * CHUNK
    while sent < size:
        piece = block[:min(CHUNK, size - sent)]
        sent += len(piece)
        yield piece


CASES = [
    ("POST /api/mp/login (JSON)", "/api/mp/login", "application/json", b'{"code": "'),
    ("POST /api/admin/events, no token (JSON)", "/api/admin/events", "application/json",
     b'{"title": "'),
    ("POST /console/login (multipart)", "/console/login",
     f"multipart/form-data; boundary={BOUNDARY}",
     (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="token"; filename="t"\r\n'
      "Content-Type: text/plain\r\n\r\n").encode()),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--mib", type=int, default=300)
    args = parser.parse_args()
    size = args.mib * 1024 * 1024
    work = Path(tempfile.mkdtemp(prefix="hx-bodies-"))
    spool = work / "tmp"
    spool.mkdir()
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": args.source, "TMPDIR": str(spool),
           "HONGXIN_DATABASE_URL": f"sqlite:///{work / 'bench.db'}"}
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port),
                               "--no-scheduler"], cwd=args.source, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        print(f"source: {args.source}; body: {args.mib} MiB")
        print("| request | framing | status | RSS before MiB | peak RSS MiB | read MiB "
              "| written to disk MiB | s |")
        print("|---|---|---|---|---|---|---|---|")
        for label, path, content_type, head in CASES:
            for framing in ("Content-Length", "chunked"):
                _reset_peak(server.pid)
                before = _memory_kib(server.pid, "VmRSS")
                io_before = _io(server.pid)
                headers = {"Content-Type": content_type}
                if framing == "Content-Length":
                    headers["Content-Length"] = str(size)
                started = time.monotonic()
                try:
                    status = str(httpx.post(base + path, content=_body(size, head),
                                            headers=headers, timeout=120).status_code)
                except httpx.TransportError as error:
                    status = f"closed ({type(error).__name__})"
                elapsed = time.monotonic() - started
                time.sleep(0.5)
                peak = _memory_kib(server.pid, "VmHWM")
                io_after = _io(server.pid)
                read, written = (io_after[key] - io_before[key] for key in
                                 ("rchar", "write_bytes"))
                print(f"| {label} | {framing} | {status} | {before / 1024:.0f} | "
                      f"{peak / 1024:.0f} | {read / 2**20:.1f} | {written / 2**20:.1f} | "
                      f"{elapsed:.1f} |")
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
