"""``RequestGuard``: what every request must pass before its body is read.

FastAPI reads and parses a request's whole body before it runs a route's
dependencies, and Starlette spools a multipart upload to disk before the
handler sees it. Without a guard in front, a 300 MiB body sent without a
token was read (and parsed) whole before the 401. So, as plain ASGI in front
of everything:

* a body larger than its limit is refused with 413: at once when
  ``Content-Length`` says so, and while it streams in otherwise (chunked), the
  application then never sees more than the limit. Upload routes
  (:data:`UPLOAD_PATHS`) get ``HONGXIN_MAX_UPLOAD_BYTES``, the rest
  ``HONGXIN_MAX_BODY_BYTES``. ``POST /wechat`` keeps its own, smaller limit
  and is passed through untouched: it is the hot path.
* a request under ``/api/admin/`` is authenticated from its headers first: no
  token or a bad one is answered 401 (429 once the address failed too often)
  without a byte of its body read. The principal found is left in the scope
  for the route's ``get_principal`` dependency.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.requests import PRINCIPAL_STATE, authenticate_request
from app.errors import AppError, error_body

ADMIN_PREFIX = "/api/admin/"
# Routes that take files: quiz banks (API and console), the roster, meeting minutes with
# photos, lesson covers.
UPLOAD_PATHS = re.compile(r"^(/api/admin/(quiz-banks|roster|events/\d+/minutes)"
                          r"|/console/quiz-banks|/console/lessons/\d+/cover)/?$")
# Routes that enforce a smaller limit of their own and must stay as fast as they are.
OWN_LIMIT_PATHS = frozenset({"/wechat"})


class BodyTooLarge(Exception):
    """Raised into the application from ``receive`` when the body passes its limit."""


# Answered before the body was read (or all of it), a refusal closes the connection:
# otherwise the server would go on reading, and throwing away, the rest of the body
# to reach the next request on it.
_CLOSE = {"Connection": "close"}


def _too_large(limit: int, path: str = "") -> Response:
    if path.startswith("/console/"):
        # The console's readers are people: a sentence, not an error envelope.
        megabytes = max(limit // (1024 * 1024), 1)
        return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>提交的内容太大</title>"
                            f"<p>提交的内容超过了 {megabytes} MB 的大小限制，未保存。"
                            f"请返回，换一个较小的文件后重试。</p>",
                            status_code=413, headers=_CLOSE)
    return JSONResponse(error_body("body_too_large",
                                   f"the request body is larger than {limit} bytes"),
                        status_code=413, headers=_CLOSE)


def _refused(error: AppError) -> JSONResponse:
    return JSONResponse(error_body(error.code, error.message, error.errors),
                        status_code=error.status, headers={**(error.headers or {}), **_CLOSE})


class RequestGuard:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OWN_LIMIT_PATHS:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = self.max_upload_bytes if UPLOAD_PATHS.match(path) else self.max_body_bytes
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit, path)(scope, receive, send)
            return
        if path.startswith(ADMIN_PREFIX):
            state = scope["app"].state
            client = scope.get("client")
            outcome = await authenticate_request(state.database, state.settings,
                                                 headers.get("authorization", ""),
                                                 client[0] if client else "unknown")
            if isinstance(outcome, AppError):
                await _refused(outcome)(scope, receive, send)
                return
            scope.setdefault("state", {})[PRINCIPAL_STATE] = outcome
        await _LimitedBody(self.app, limit)(scope, receive, send)


class _LimitedBody:
    """Counts the body as the application pulls it and stops it past ``limit``."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.received = 0
        self.tripped = False
        self.response_started = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def limited_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                if self.received > self.limit:
                    self.tripped = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # However the application answered the aborted read (FastAPI makes it a
            # 400 "error parsing the body"), the client gets the 413.
            if self.tripped:
                return
            if message["type"] == "http.response.start":
                self.response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLarge:
            pass
        except Exception:
            if not self.tripped:
                raise
        if self.tripped and not self.response_started:
            await _too_large(self.limit, scope["path"])(scope, _no_more_body, send)


async def _no_more_body() -> dict[str, Any]:
    return {"type": "http.disconnect"}
