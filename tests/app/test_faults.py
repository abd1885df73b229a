"""The service when its database is gone: health says so, WeChat still gets an answer."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from app.main import create_app
from tests.app.conftest import make_settings
from tests.support.postgres import free_port
from tests.support.wechat import Platform, message_xml


def test_unreachable_database_gives_503_health_and_success_callbacks() -> None:
    # Nothing listens on this port: every connection attempt is refused at once.
    url = f"postgresql://hongxin@127.0.0.1:{free_port()}/hongxin"
    with TestClient(create_app(make_settings(url))) as client:
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["status"] == "unavailable"
        started = time.monotonic()
        response = client.post("/wechat", params=Platform().params(),
                               content=message_xml("text").encode())
        assert response.status_code == 200
        assert response.text == "success"  # never a 500: the member sees nothing broken
        assert time.monotonic() - started < 5.0  # WeChat stops waiting at 5 s
        metrics = client.get("/metrics").text
        # The turn waits for the database past the budget rather than failing.
        assert 'handler="deferred"' in metrics
