"""Callback throughput: `帮助` from 1,000 members, unique MsgIds, concurrency 32.

Hongxin's `POST /wechat` and a bare endpoint (bench/bare_app.py) run in the same
way (one uvicorn worker, same event loop and HTTP parser) and are loaded by the
same generator in the same run; the figure that matters is the ratio.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.wechat.crypto import MessageCrypto
from app.wechat.signature import sign
from bench.loadgen import LoadResult, build_request, run_load

TOKEN = "bench-token"
APP_ID = "wxbench0000000000"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
MEMBERS = 1000
CONCURRENCY = 32


@dataclass(frozen=True)
class Comparison:
    label: str
    ours: LoadResult
    bare: LoadResult

    @property
    def ratio(self) -> float:
        return self.ours.per_second / self.bare.per_second


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(command: list[str], env: dict[str, str], log: Path) -> Iterator[int]:
    port = free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen([*command, "--port", str(port)], stdout=out,
                                   stderr=subprocess.STDOUT, env={**os.environ, **env})
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                if process.poll() is not None:
                    raise RuntimeError(f"server exited early; see {log}")
                time.sleep(0.1)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=15)


def callback_requests(count: int, start_id: int, safe: bool) -> list[bytes]:
    crypto = MessageCrypto(TOKEN, [AES_KEY], APP_ID)
    now = str(int(time.time()))
    requests = []
    for n in range(count):
        msg_id = start_id + n
        xml = (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA["
               f"o_bench_{n % MEMBERS:04d}]]></FromUserName><CreateTime>{now}</CreateTime>"
               f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[帮助]]></Content>"
               f"<MsgId>{msg_id}</MsgId></xml>")
        nonce = secrets.token_hex(8)
        query = f"timestamp={now}&nonce={nonce}&signature={sign(TOKEN, now, nonce)}"
        if safe:
            from app.wechat import codec

            encrypted = str(codec.parse_fields(crypto.encrypt(xml, 0, now))["Encrypt"])
            query += f"&encrypt_type=aes&msg_signature={sign(TOKEN, now, nonce, encrypted)}"
            xml = (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName>"
                   f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>")
        requests.append(build_request("127.0.0.1", f"/wechat?{query}", xml.encode()))
    return requests


def load(port: int, count: int, safe: bool, start_id: int) -> LoadResult:
    run_load("127.0.0.1", port, callback_requests(500, start_id, safe), CONCURRENCY)  # warm-up
    return run_load("127.0.0.1", port, callback_requests(count, start_id + 500, safe),
                    CONCURRENCY)


def compare(database_url: str, label: str, count: int, workdir: Path) -> list[Comparison]:
    env = {"HONGXIN_DATABASE_URL": database_url, "HONGXIN_WECHAT_TOKEN": TOKEN,
           "HONGXIN_WECHAT_APP_ID": APP_ID, "HONGXIN_WECHAT_AES_KEY": AES_KEY}
    python = sys.executable
    results = []
    with server([python, "-m", "uvicorn", "bench.bare_app:app", "--log-level", "warning",
                 "--no-access-log"], env, workdir / "bare.log") as port:
        bare = {safe: load(port, count, safe, 10_000_000 + safe * 1_000_000)
                for safe in (False, True)}
    with server([python, "-m", "app.cli", "serve", "--no-scheduler"], env,
                workdir / f"hongxin-{label}.log") as port:
        for safe in (False, True):
            ours = load(port, count, safe, 20_000_000 + safe * 1_000_000)
            results.append(Comparison(f"{label}, {'safe' if safe else 'plain'} mode", ours,
                                      bare[safe]))
    return results


def main(count: int = 5000, postgres_url: str | None = None) -> list[Comparison]:
    results = []
    with tempfile.TemporaryDirectory(prefix="hongxin-bench-") as tmp:
        workdir = Path(tmp)
        results += compare(f"sqlite:///{workdir / 'bench.db'}", "SQLite", count, workdir)
        if postgres_url:
            results += compare(postgres_url, "PostgreSQL", count, workdir)
    for result in results:
        print(f"{result.label}: ratio {result.ratio:.2f} (Hongxin throughput / bare)")
        print(f"  hongxin {result.ours.summary()}")
        print(f"  bare    {result.bare.summary()}")
    return results


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
