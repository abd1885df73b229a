"""A mini-program client logged in through a running fake platform, roster imported first."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import httpx
from fastapi.testclient import TestClient

from app.fakewechat import FakeWeChatServer
from app.main import create_app
from tests.app.conftest import make_settings
from tests.support.roster import roster_csv


@contextmanager
def logged_in_client(database_url: str, platform: FakeWeChatServer, admin_token: str,
                     people: Sequence[tuple[str, ...]]) -> Iterator[TestClient]:
    """The member is logged in but not yet bound; ``people`` is the roster."""
    httpx.post(f"{platform.url}/_fake/reset").raise_for_status()
    app = create_app(make_settings(database_url, wechat_api_base=platform.url,
                                   admin_token=admin_token))
    with TestClient(app) as client:
        imported = client.post("/api/admin/roster",
                               headers={"Authorization": f"Bearer {admin_token}"},
                               files={"file": ("r.csv", roster_csv(people))})
        assert imported.status_code == 201, imported.text
        token = client.post("/api/mp/login", json={"code": "mp-code"}).json()["token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client
