"""Every admin, organizer, console and mini-program route refuses callers without the right role.

The routes are read from the application itself, so a new route without a
guard fails here without anyone remembering to add it to a list. Admin routes
must refuse a caller without a good token before reading the request body.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.auth.tokens import Role, create_token
from app.db import Database

PROTECTED_PREFIXES = ("/api/admin", "/api/mp", "/console")
# Routes that must be reachable without a token: the ways to get one.
PUBLIC = {("POST", "/api/mp/login"), ("GET", "/console/login"), ("POST", "/console/login"),
          # The one-time link from 后台 is the credential itself.
          ("GET", "/console/login/link/{code}"), ("POST", "/console/login/link/{code}")}
# Organizers may read their own events' sign-up lists (and list their events); the rest of
# /api/admin is for admins.
# Meetings (attendance, minutes, compliance); red points: the catalogue, claims, 一人一册 and
# the 先锋指数 of their scope; the notices of their scope.
ORGANIZER_READABLE = re.compile(
    r"^/api/admin/(events(/\{[^}]+\}(/signups.*|/attendance.*|/minutes.*)?)?"
    r"|notices(/\{[^}]+\})?"
    r"|orgs/\{[^}]+\}/compliance|points/(rules|claims)"
    r"|members/\{[^}]+\}/record(\.xlsx)?|pioneer-index(\.xlsx)?)$")
# … and check members in (and take a mistaken check-in back: the same path, DELETE) at their
# own events and meetings, record a meeting's minutes, record deeds, decide claims, correct
# lines, write and send notices to their scope.
ORGANIZER_WRITABLE = re.compile(
    r"^/api/admin/(events/\{[^}]+\}/(signups/\{[^}]+\}/checkin|attendance/\{[^}]+\}/checkin"
    r"|minutes)|points/awards|notices(/\{[^}]+\}/send)?"
    r"|points/claims/\{[^}]+\}/(approve|reject)|points/entries/\{[^}]+\}/reverse)$")


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    # Behind uvicorn's proxy-headers middleware, as `hongxin serve` runs it, so that each
    # request can come from an address of its own: failed tokens are limited per address.
    proxied = ProxyHeadersMiddleware(app, trusted_hosts="*")  # type: ignore[arg-type]
    with TestClient(proxied) as test_client:
        yield test_client


_addresses = (f"10.9.{n // 250}.{n % 250 + 1}" for n in itertools.count())


def elsewhere() -> dict[str, str]:
    return {"X-Forwarded-For": next(_addresses)}


def protected_routes(app: FastAPI) -> list[tuple[str, str]]:
    # The OpenAPI document is the public list of what the app serves (FastAPI's
    # route objects for included routers are private); console pages are in it too.
    paths = app.openapi()["paths"]
    return [
        (method.upper(), path)
        for path, operations in paths.items() if path.startswith(PROTECTED_PREFIXES)
        for method in operations
        if method.upper() not in {"HEAD", "OPTIONS"} and (method.upper(), path) not in PUBLIC
    ]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_protected_route_needs_a_token(app: FastAPI, client: TestClient) -> None:
    routes = protected_routes(app)
    assert len(routes) >= 5, "the admin API should be mounted"
    for method, path in routes:
        response = client.request(method, concrete(path), follow_redirects=False)
        if path.startswith("/console"):
            assert response.status_code in (401, 303), (method, path, response.status_code)
            if response.status_code == 303:
                assert response.headers["location"].startswith("/console/login")
        else:
            assert response.status_code == 401, (method, path, response.status_code)


def test_wrong_token_is_refused(app: FastAPI, client: TestClient) -> None:
    for method, path in protected_routes(app):
        if path.startswith("/console"):
            continue
        response = client.request(method, concrete(path), headers={
            "Authorization": "Bearer hx_not_a_real_token", **elsewhere()})
        assert response.status_code == 401, (method, path)


@pytest.fixture
def organizer_token(database: Database) -> str:
    with database.unit_of_work() as session:
        return create_token(session, Role.ORGANIZER, "某支部组织员")


def test_organizers_cannot_use_admin_routes(app: FastAPI, client: TestClient,
                                            organizer_token: str) -> None:
    checked = 0
    for method, path in protected_routes(app):
        if not path.startswith("/api/admin"):
            continue
        if (method == "GET" and ORGANIZER_READABLE.match(path)) or ORGANIZER_WRITABLE.match(path):
            continue
        response = client.request(method, concrete(path),
                                  headers={"Authorization": f"Bearer {organizer_token}"},
                                  json={})
        assert response.status_code == 403, (method, path, response.status_code)
        checked += 1
    assert checked > 0


async def test_admin_routes_refuse_before_reading_the_body(app: FastAPI) -> None:
    """No token, or a wrong one: 401 before a byte of a (chunked) body is pulled."""
    pulled = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(16):
            pulled += 65536
            yield b"x" * 65536

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hongxin") as http:
            admin_routes = [(method, path) for method, path in protected_routes(app)
                            if path.startswith("/api/admin") and method != "GET"]
            assert admin_routes
            for number, (method, path) in enumerate(admin_routes):
                headers = {} if number % 2 else {"Authorization": "Bearer hx_wrong"}
                response = await http.request(method, concrete(path), content=endless(),
                                              headers=headers)
                assert response.status_code == 401, (method, path, response.status_code)
                assert pulled == 0, (method, path)
                # A fresh address for the next wrong token (see test_wrong_token_is_refused).
                transport.client = (f"10.8.0.{number + 1}", 123)

