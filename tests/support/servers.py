"""Real ``hongxin`` processes on loopback, for end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.support.postgres import free_port


@contextlib.contextmanager
def hongxin_process(args: list[str], env: dict[str, str], ready_path: str = "/healthz",
                    log_path: Path | None = None) -> Iterator[str]:
    """Run ``hongxin ARGS --port P`` and yield its base URL once it answers."""
    port = free_port()
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args, "--port", str(port)],
        env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"hongxin {args[0]} exited with {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + ready_path, timeout=1).status_code < 500:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError(f"hongxin {args[0]} did not start")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log_path:
            log.close()  # type: ignore[union-attr]
