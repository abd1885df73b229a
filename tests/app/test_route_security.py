"""Every admin, organizer, console and mini-program route refuses callers without the right role.

The routes are read from the application itself, so a new route without a
guard fails here without anyone remembering to add it to a list.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from app.auth.tokens import Role, create_token
from app.db import Database

PROTECTED_PREFIXES = ("/api/admin", "/api/mp", "/console")
# Routes that must be reachable without a token: the ways to get one.
PUBLIC = {("POST", "/api/mp/login"), ("GET", "/console/login"), ("POST", "/console/login")}
# Organizers may read their own events' sign-up lists (and list their events); the rest of
# /api/admin is for admins.
ORGANIZER_READABLE = re.compile(r"^/api/admin/events(/\{[^}]+\}(/signups.*)?)?$")
# … and check members in at their own events.
ORGANIZER_WRITABLE = re.compile(r"^/api/admin/events/\{[^}]+\}/signups/\{[^}]+\}/checkin$")


def protected_routes(client: TestClient) -> list[tuple[str, str]]:
    # The OpenAPI document is the public list of what the app serves (FastAPI's
    # route objects for included routers are private); console pages are in it too.
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return [
        (method.upper(), path)
        for path, operations in paths.items() if path.startswith(PROTECTED_PREFIXES)
        for method in operations
        if method.upper() not in {"HEAD", "OPTIONS"} and (method.upper(), path) not in PUBLIC
    ]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_protected_route_needs_a_token(client: TestClient) -> None:
    routes = protected_routes(client)
    assert len(routes) >= 5, "the admin API should be mounted"
    for method, path in routes:
        response = client.request(method, concrete(path), follow_redirects=False)
        if path.startswith("/console"):
            assert response.status_code in (401, 303), (method, path, response.status_code)
            if response.status_code == 303:
                assert response.headers["location"].startswith("/console/login")
        else:
            assert response.status_code == 401, (method, path, response.status_code)


def test_wrong_token_is_refused(client: TestClient) -> None:
    for method, path in protected_routes(client):
        if path.startswith("/console"):
            continue
        response = client.request(method, concrete(path),
                                  headers={"Authorization": "Bearer hx_not_a_real_token"})
        assert response.status_code == 401, (method, path)


@pytest.fixture
def organizer_token(database: Database) -> str:
    with database.unit_of_work() as session:
        return create_token(session, Role.ORGANIZER, "某支部组织员")


def test_organizers_cannot_use_admin_routes(client: TestClient, organizer_token: str) -> None:
    checked = 0
    for method, path in protected_routes(client):
        if not path.startswith("/api/admin"):
            continue
        if (method == "GET" and ORGANIZER_READABLE.match(path)) or ORGANIZER_WRITABLE.match(path):
            continue
        response = client.request(method, concrete(path),
                                  headers={"Authorization": f"Bearer {organizer_token}"})
        assert response.status_code == 403, (method, path, response.status_code)
        checked += 1
    assert checked > 0
