"""Metrics and log hygiene shared by the whole service."""

from __future__ import annotations

import hashlib
import logging

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
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # httpx logs full URLs (access tokens, openids in query strings); alembic's
    # plugin set-up is noise. Their warnings still come through.
    for noisy in ("httpx", "httpcore", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
