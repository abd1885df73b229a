"""Tokens are ids: listed and revoked from the command line, revocation and sign-out at once.

Also what a deployment must not leave open: a short bootstrap admin token,
the OpenAPI document and /metrics, a console cookie without ``Secure``, and an
API that lets one address guess tokens without end.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app import cli
from app.auth.bearer import FAILURES
from app.auth.tokens import Role, create_token
from app.console.session import COOKIE
from app.db import Database
from app.main import create_app
from app.settings import Settings, SettingsError, load_settings
from tests.app.conftest import make_settings
from tests.support.units import run_unit

ADMIN = "tokens-admin-token-0123456789abcdefgh"
PRODUCTION = {"wechat_app_secret": "a-real-app-secret", "mp_app_secret": "a-real-mp-secret"}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, admin_token=ADMIN)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    proxied = ProxyHeadersMiddleware(create_app(settings), trusted_hosts="*")  # type: ignore[arg-type]
    with TestClient(proxied) as test_client:
        yield test_client


def bearer(token: str, address: str = "192.0.2.1") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "X-Forwarded-For": address}


def organizer(database: Database, name: str) -> str:
    return run_unit(database, lambda session: create_token(session, Role.ORGANIZER, name))


def token_ids(capsys: pytest.CaptureFixture[str], database_url: str,
              monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    monkeypatch.setenv("HONGXIN_DATABASE_URL", database_url)
    assert cli.main(["token", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t") == ["id", "role", "name", "org", "created", "last used",
                                      "revoked"]
    return [line.split("\t") for line in lines[1:]]


def new_event(client: TestClient, organizer: object) -> httpx.Response:
    starts = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    return client.post("/api/admin/events", headers=bearer(ADMIN), json={
        "title": "主题党日", "location": "三楼", "starts_at": starts, "capacity": 5,
        "organizer": organizer})


# ------------------------------------------------------------------ one name, two tokens


def test_two_tokens_with_one_name_share_nothing(
        client: TestClient, database: Database, database_url: str,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    first = organizer(database, "张老师")
    [[first_id, *_]] = token_ids(capsys, database_url, monkeypatch)
    assigned = new_event(client, "张老师")  # the only token of that name: unambiguous
    assert assigned.status_code == 201, assigned.text
    assert assigned.json()["organizer_token_id"] == int(first_id)

    second = organizer(database, "张老师")
    assert client.get("/api/admin/events", headers=bearer(second)).json() == []
    event_id = assigned.json()["id"]
    assert client.get(f"/api/admin/events/{event_id}/signups",
                      headers=bearer(second)).status_code == 403
    assert [e["id"] for e in client.get("/api/admin/events", headers=bearer(first)).json()] \
        == [event_id]

    ambiguous = new_event(client, "张老师")
    assert ambiguous.status_code == 422
    [problem] = ambiguous.json()["errors"]
    assert problem["field"] == "organizer" and "token list" in problem["message"]
    by_id = new_event(client, int(first_id))
    assert by_id.status_code == 201 and by_id.json()["organizer"] == "张老师"
    assert new_event(client, 999_999).status_code == 422


# ------------------------------------------------------------------ list and revoke


def test_list_shows_tokens_but_never_the_token(
        client: TestClient, database: Database, database_url: str,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    token = organizer(database, "李老师")
    [[token_id, role, name, org, created, last_used, revoked]] = token_ids(
        capsys, database_url, monkeypatch)
    assert (role, name, org, last_used, revoked) == ("organizer", "李老师", "-", "-", "-")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", created)

    assert client.get("/api/admin/events", headers=bearer(token)).status_code == 200
    monkeypatch.setenv("HONGXIN_DATABASE_URL", database_url)
    assert cli.main(["token", "list"]) == 0
    listing = capsys.readouterr().out
    assert token not in listing and token_id in listing
    assert listing.splitlines()[1].split("\t")[5] != "-"  # last used, now


def test_revoke_takes_effect_at_once_for_the_api_and_the_console(
        client: TestClient, database: Database, database_url: str,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    token = organizer(database, "王老师")
    [[token_id, *_]] = token_ids(capsys, database_url, monkeypatch)
    sign_in(client, token)
    assert client.get("/console", follow_redirects=False).status_code == 200
    assert client.get("/api/admin/events", headers=bearer(token)).status_code == 200

    assert cli.main(["token", "revoke", token_id]) == 0
    assert "revoked" in capsys.readouterr().out

    assert client.get("/api/admin/events", headers=bearer(token)).status_code == 401
    assert client.get("/console", follow_redirects=False).status_code == 303
    [[_, _, _, _, _, _, revoked]] = token_ids(capsys, database_url, monkeypatch)
    assert revoked != "-"
    assert cli.main(["token", "revoke", "4242"]) == 1
    assert "no token with id 4242" in capsys.readouterr().err


# ------------------------------------------------------------------ console sessions


def sign_in(client: TestClient, token: str) -> str:
    form = client.get("/console/login").text
    found = re.search(r'name="csrf" value="([^"]+)"', form)
    assert found
    response = client.post("/console/login", data={"token": token, "csrf": found.group(1)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["set-cookie"]


def test_logout_ends_the_session_on_the_server(client: TestClient, database: Database) -> None:
    sign_in(client, organizer(database, "赵老师"))
    stolen = client.cookies[COOKIE]
    page = client.get("/console").text
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    client.post("/console/logout", data={"csrf": found.group(1)}, follow_redirects=False)

    client.cookies.set(COOKIE, stolen, path="/console")  # a copy taken before the logout
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_console_cookie_is_secure_when_the_public_url_is_https(database_url: str,
                                                               database: Database) -> None:
    settings = make_settings(database_url, admin_token=ADMIN,
                             public_url="https://dj.example.cn")
    # Plain http behind a proxy that does not say X-Forwarded-Proto.
    with TestClient(create_app(settings)) as client:
        form = client.get("/console/login")
        login_cookie = form.headers["set-cookie"]
        assert "secure" in login_cookie.lower()
        found = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert found
        # The test client keeps Secure cookies to https: hand this one over by hand.
        signed_in = client.post(
            "/console/login", data={"token": organizer(database, "钱老师"),
                                    "csrf": found.group(1)},
            headers={"Cookie": login_cookie.split(";")[0]}, follow_redirects=False)
        assert signed_in.status_code == 303
        session_cookie = [value for name, value in signed_in.headers.multi_items()
                          if name == "set-cookie" and value.startswith(COOKIE + "=")]
        assert session_cookie and "secure" in session_cookie[0].lower()


# ------------------------------------------------------------------ guessing


def test_a_guesser_is_stopped_and_a_good_token_still_works_elsewhere(
        client: TestClient, database: Database) -> None:
    good = organizer(database, "孙老师")
    guesser = "198.51.100.20"
    for n in range(FAILURES.max_hits):
        assert client.get("/api/admin/events", headers=bearer(f"hx_guess_{n}", guesser)
                          ).status_code == 401
    refused = client.get("/api/admin/events", headers=bearer(good, guesser))
    assert refused.status_code == 429
    assert 540 < int(refused.headers["Retry-After"]) <= 600
    assert client.get("/api/admin/events", headers=bearer(good, "203.0.113.5")).status_code \
        == 200
    # A request without any token is not a guess.
    assert client.get("/api/admin/events", headers={"X-Forwarded-For": "203.0.113.6"}
                      ).status_code == 401


# ------------------------------------------------------------------ deployment settings


def test_a_short_admin_token_is_refused_outside_development() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"HONGXIN_ADMIN_TOKEN": "123", "HONGXIN_WECHAT_APP_SECRET": "real"})
    message = str(refused.value)
    assert message.startswith("HONGXIN_ADMIN_TOKEN: must be at least 32 characters")
    assert "\n" not in message
    # In development (the dev app secrets) a short one is fine.
    assert load_settings({"HONGXIN_ADMIN_TOKEN": "123"}).admin_token is not None
    assert load_settings({"HONGXIN_ADMIN_TOKEN": "x" * 32,
                          "HONGXIN_WECHAT_APP_SECRET": "real"}).admin_token is not None


def test_start_up_names_the_short_admin_token(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HONGXIN_ADMIN_TOKEN", "123")
    monkeypatch.setenv("HONGXIN_WECHAT_APP_SECRET", "real")
    assert cli.main(["db", "upgrade"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "HONGXIN_ADMIN_TOKEN" in line


def test_docs_and_metrics_are_closed_in_production(database_url: str) -> None:
    with TestClient(create_app(make_settings(database_url, **PRODUCTION))) as client:
        for path in ("/docs", "/redoc", "/openapi.json", "/metrics"):
            assert client.get(path).status_code == 404, path
        assert client.get("/healthz").status_code == 200

    opened = make_settings(database_url, public_docs=True, metrics_token="scrape-me",
                           **PRODUCTION)
    with TestClient(create_app(opened)) as client:
        assert client.get("/openapi.json").status_code == 200
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer nope"}
                          ).status_code == 401
        scraped = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert scraped.status_code == 200 and "hongxin_callbacks_total" in scraped.text


def test_docs_and_metrics_are_open_in_development(client: TestClient) -> None:
    for path in ("/docs", "/openapi.json", "/metrics"):
        assert client.get(path).status_code == 200, path




def test_token_create_works_on_a_database_that_does_not_exist_yet(
        tmp_path: object, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A newcomer's first command may be `hongxin token create`, before any `serve`."""
    monkeypatch.setenv("HONGXIN_DATABASE_URL", f"sqlite:///{tmp_path}/new.db")
    assert cli.main(["token", "create", "--role", "admin", "--name", "第一位管理员"]) == 0
    assert capsys.readouterr().out.startswith("hx_")
    assert cli.main(["token", "list"]) == 0
    assert "第一位管理员" in capsys.readouterr().out
