"""Bodies past HONGXIN_MAX_BODY_BYTES (uploads: HONGXIN_MAX_UPLOAD_BYTES) are refused unread.

Bodies are async generators that count what the application pulled, so the
tests see how much of a body was read before the 413, whether the size came
in ``Content-Length`` or the body streamed in chunks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from app.settings import Settings
from tests.app.conftest import make_settings

MiB = 1024 * 1024
CHUNK = 64 * 1024
ADMIN = "limits-admin-token-0123456789abcdefgh"
MULTIPART = "multipart/form-data; boundary=xyz"
FILE_PART = (b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
             b"Content-Type: text/csv\r\n\r\n")


@dataclass
class Body:
    """``size`` bytes in chunks, pulled only as the application reads them."""

    size: int
    pulled: int = 0
    # For multipart: the start of a file part, so the parser reads on instead of refusing.
    head: bytes = b""

    async def chunks(self) -> AsyncIterator[bytes]:
        if self.head:
            self.pulled += len(self.head)
            yield self.head
        while self.pulled < self.size:
            chunk = b"x" * min(CHUNK, self.size - self.pulled)
            self.pulled += len(chunk)
            yield chunk


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, admin_token=ADMIN, max_body_bytes=MiB,
                         max_upload_bytes=4 * MiB)


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hongxin") as client:
            yield client


def declared(size: int, **headers: str) -> dict[str, str]:
    return {"Content-Length": str(size), **headers}


@pytest.mark.parametrize("path", ["/api/mp/login", "/api/admin/events", "/console/login"])
async def test_a_declared_300_mib_body_is_refused_unread(http: httpx.AsyncClient,
                                                         path: str) -> None:
    body = Body(300 * MiB)
    response = await http.post(path, content=body.chunks(), headers=declared(
        body.size, **{"Content-Type": "application/json",
                      "Authorization": f"Bearer {ADMIN}"}))
    assert response.status_code == 413
    if path.startswith("/console/"):
        # People read the console: a Chinese sentence, not the API's envelope.
        assert "超过了 1 MB 的大小限制" in response.text
    else:
        assert response.json()["code"] == "body_too_large"
    assert body.pulled == 0
    # uvicorn would otherwise read (and drop) the rest to reach the next request.
    assert response.headers["connection"] == "close"


@pytest.mark.parametrize(("path", "content_type"), [
    ("/api/mp/login", "application/json"),
    ("/api/admin/events", "application/json"),
    ("/console/login", MULTIPART),
])
async def test_a_chunked_body_is_cut_off_at_the_limit(http: httpx.AsyncClient, path: str,
                                                      content_type: str) -> None:
    body = Body(300 * MiB, head=FILE_PART if content_type == MULTIPART else b"")
    response = await http.post(path, content=body.chunks(), headers={
        "Content-Type": content_type, "Authorization": f"Bearer {ADMIN}"})
    assert response.status_code == 413
    assert path.startswith("/api/") or "大小限制" in response.text
    assert "Content-Length" not in response.request.headers
    assert body.pulled <= MiB + CHUNK


async def test_uploads_have_their_own_larger_limit(http: httpx.AsyncClient) -> None:
    auth = {"Authorization": f"Bearer {ADMIN}"}
    over_body_limit = b"x" * (2 * MiB)
    response = await http.post("/api/admin/quiz-banks", headers=auth,
                               files={"file": ("bank.csv", over_body_limit, "text/csv")})
    assert response.status_code == 422  # read and judged, not refused for its size
    body = Body(300 * MiB, head=FILE_PART)
    refused = await http.post("/api/admin/quiz-banks", content=body.chunks(), headers={
        **auth, "Content-Type": MULTIPART})
    assert refused.status_code == 413
    assert body.pulled <= 4 * MiB + CHUNK


async def test_a_body_within_the_limit_goes_through(http: httpx.AsyncClient) -> None:
    response = await http.post("/api/admin/events", headers={"Authorization": f"Bearer {ADMIN}"},
                               json={"title": "x" * 200})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"]


async def test_callbacks_keep_their_own_64_kib_limit(http: httpx.AsyncClient) -> None:
    body = Body(100 * 1024)
    response = await http.post("/wechat?signature=x&timestamp=1&nonce=n",
                               content=body.chunks())
    assert response.status_code == 413
    assert body.pulled <= 64 * 1024 + CHUNK


def test_the_limits_are_settings(database_url: str) -> None:
    settings = make_settings(database_url)
    assert (settings.max_body_bytes, settings.max_upload_bytes) == (MiB, 20 * MiB)
    assert create_app(settings) is not None
