"""Metrics and log hygiene shared by the whole service."""

from __future__ import annotations

import atexit
import hashlib
import hmac
import logging
import queue
import sys
import threading
import time
from contextlib import suppress
from logging.handlers import QueueHandler
from typing import TextIO

from prometheus_client import Counter, Histogram

from app.errors import NotFound, Unauthorized
from app.settings import Settings

CALLBACKS = Counter(
    "hongxin_callbacks_total",
    "WeChat callbacks handled, by message type, handling rule and outcome.",
    ["kind", "handler", "outcome"],
)
CALLBACK_SECONDS = Histogram(
    "hongxin_callback_seconds",
    "Time from receiving a WeChat callback to having its reply ready.",
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 4.5, 10),
)
CALLBACKS_REFUSED = Counter(
    "hongxin_callbacks_refused_total",
    "WeChat callbacks refused before reaching a handler, by reason.",
    ["reason"],
)


def metrics_access(settings: Settings, authorization: str) -> None:
    """Let a scrape through, or raise: /metrics names handlers, rates and failures, which
    tell an outsider how the service is doing and where it hurts.

    With ``HONGXIN_METRICS_TOKEN`` set, only ``Authorization: Bearer <it>`` passes
    (401 otherwise); without it, /metrics is served in development and is not
    there (404) elsewhere.
    """
    expected = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    if expected is None:
        if not settings.development:
            raise NotFound("/metrics is off; set HONGXIN_METRICS_TOKEN to scrape it")
        return
    scheme, _, sent = authorization.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(),
                                                             expected.encode()):
        raise Unauthorized("/metrics needs Authorization: Bearer <HONGXIN_METRICS_TOKEN>",
                           headers={"WWW-Authenticate": "Bearer"})


def member_ref(openid: str) -> str:
    """A stable, non-reversible stand-in for an openid in logs.

    Openids are personal data; a short hash still lets one follow a member's
    requests through the log without being able to message them.
    """
    return "m_" + hashlib.sha256(openid.encode()).hexdigest()[:10]


def configure_logging(level: int | str = logging.INFO) -> None:
    """Log to stderr from a thread of its own, a batch of lines per write.

    Writing to stderr blocks, and on the event loop every write (one line per
    callback) released the GIL to whichever database thread wanted it; the loop
    then waited to get it back. Records therefore go through a queue. A writer
    woken for every record still handed the GIL back and forth once per
    callback, so it now wakes at most every few milliseconds and writes all
    that came in meanwhile at once (bench/NOTES.md).
    """
    root = logging.getLogger()
    # Like basicConfig: whoever set up logging first (a test runner) keeps it.
    if not root.handlers:
        records: queue.SimpleQueue[logging.LogRecord | None] = queue.SimpleQueue()
        writer = _BatchingLogWriter(records, sys.stderr)
        writer.start()
        # Written out at exit, so the last lines before a shutdown are not lost.
        atexit.register(writer.stop)
        root.addHandler(_Enqueue(records))
        root.setLevel(level)
    # httpx logs full URLs (access tokens, openids in query strings); alembic's
    # plugin set-up is noise. Their warnings still come through.
    for noisy in ("httpx", "httpcore", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class _Enqueue(QueueHandler):
    """Hands records over as they are: the writer thread formats them."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        # QueueHandler formats here and copies the record, so that it could be
        # pickled to another process; ours stays in this one.
        return record


class _BatchingLogWriter(threading.Thread):
    # Long enough to gather a busy second's lines into a few hundred writes,
    # short enough that a line shows up as it happens.
    PAUSE_SECONDS = 0.02

    def __init__(self, records: queue.SimpleQueue[logging.LogRecord | None],
                 stream: TextIO) -> None:
        super().__init__(name="log-writer", daemon=True)
        self._records = records
        self._stream = stream
        self._formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")

    def run(self) -> None:
        stopping = False
        while not stopping:
            batch = [self._records.get()]
            time.sleep(self.PAUSE_SECONDS)
            with suppress(queue.Empty):
                while True:
                    batch.append(self._records.get_nowait())
            stopping = None in batch
            self._write([record for record in batch if record is not None])

    def _write(self, records: list[logging.LogRecord]) -> None:
        lines = []
        for record in records:
            try:
                lines.append(self._formatter.format(record) + "\n")
            except Exception:  # a bad format string must not silence the other lines
                lines.append(f"unformattable log record from {record.name}: {record.msg!r}\n")
        with suppress(OSError, ValueError):  # stderr closed or gone: nowhere to say so
            self._stream.write("".join(lines))
            self._stream.flush()

    def stop(self) -> None:
        self._records.put(None)
        self.join(timeout=5)
