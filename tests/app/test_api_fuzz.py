"""Schemathesis against our own OpenAPI: no admin, organizer or mini-program call gets a 500.

A live `hongxin serve` with demo data answers requests generated from its own
schema, as an admin (for /api/admin) and as a signed-in mini-program member
(for /api/mp); every response must be below 500, and every 4xx must be one the
operation documents, in the error envelope.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from app.fakewechat import FakeWeChatServer
from tests.support.servers import hongxin_process

ADMIN_TOKEN = "hx_fuzz_admin_token"
EXAMPLES_PER_OPERATION = 15


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("api-fuzz")
    with FakeWeChatServer() as platform:
        env = {"HONGXIN_DATABASE_URL": f"sqlite:///{folder / 'fuzz.db'}",
               "HONGXIN_ADMIN_TOKEN": ADMIN_TOKEN, "HONGXIN_WECHAT_API_BASE": platform.url}
        subprocess.run([sys.executable, "-m", "app.cli", "demo-data"],
                       env={**os.environ, **env}, check=True, capture_output=True)
        with hongxin_process(["serve", "--no-scheduler"], env,
                             log_path=Path(folder) / "serve.log") as url:
            login = httpx.post(f"{url}/api/mp/login", json={"code": "fuzz-member-code"})
            assert login.status_code == 200, login.text
            yield url, login.json()["token"]


def operations(url: str) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    found = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith(("/api/admin", "/api/mp")):
            found.append(operation)
    return found


def is_error_envelope(response: Any) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return (isinstance(body, dict) and isinstance(body.get("code"), str)
            and isinstance(body.get("message"), str))


def test_no_generated_request_gets_a_server_error(live_server: tuple[str, str]) -> None:
    url, member_token = live_server
    server_errors: list[str] = []
    undocumented: list[str] = []
    checked = 0
    for operation in operations(url):
        token = member_token if operation.path.startswith("/api/mp") else ADMIN_TOKEN
        headers = {"Authorization": f"Bearer {token}"}
        documented = set(operation.definition.raw.get("responses", {}))

        # Derandomized: the same requests every run, so CI never fails by luck of the draw.
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def call(case: schemathesis.Case) -> None:
            response = case.call(base_url=url, headers=headers)  # noqa: B023 - called right here
            answer = f"{case.method} {case.formatted_path} -> {response.status_code}"
            if response.status_code >= 500:
                server_errors.append(f"{answer}: {case.body!r} {case.query!r}")
            elif response.status_code >= 400 and (
                    str(response.status_code) not in documented  # noqa: B023 - called right here
                    or not is_error_envelope(response)):
                undocumented.append(f"{answer}: {response.text[:200]}")

        call()
        checked += 1
    assert checked >= 20, "the admin and mini-program APIs should all be in the schema"
    assert server_errors == []
    assert sorted(set(undocumented)) == []
