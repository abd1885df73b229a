"""Metrics and log hygiene shared by the whole service."""

from __future__ import annotations

import atexit
import hashlib
import logging
import queue
from logging.handlers import QueueHandler, QueueListener

from prometheus_client import Counter, Histogram

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


def member_ref(openid: str) -> str:
    """A stable, non-reversible stand-in for an openid in logs.

    Openids are personal data; a short hash still lets one follow a member's
    requests through the log without being able to message them.
    """
    return "m_" + hashlib.sha256(openid.encode()).hexdigest()[:10]


def configure_logging(level: int = logging.INFO) -> None:
    """Log to stderr from a thread of its own.

    Writing to stderr blocks, and on the event loop every write (one line per
    callback) released the GIL to whichever database thread wanted it; the loop
    then waited to get it back. Records now go through a queue, and only the
    listener thread formats and writes them.
    """
    root = logging.getLogger()
    # Like basicConfig: whoever set up logging first (a test runner) keeps it.
    if not root.handlers:
        stderr = logging.StreamHandler()
        stderr.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        listener = QueueListener(records, stderr, respect_handler_level=True)
        listener.start()
        # Written out at exit, so the last lines before a shutdown are not lost.
        atexit.register(listener.stop)
        enqueue = QueueHandler(records)
        # The queue carries the bare message; the listener's handler adds the rest.
        enqueue.setFormatter(logging.Formatter("%(message)s"))
        root.addHandler(enqueue)
        root.setLevel(level)
    # httpx logs full URLs (access tokens, openids in query strings); alembic's
    # plugin set-up is noise. Their warnings still come through.
    for noisy in ("httpx", "httpcore", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
