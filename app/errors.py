"""The service's error family and the one JSON envelope every error is answered with.

::

    AppError                 400  bad_request
    ├── Unauthorized         401  unauthorized      missing or unknown token
    ├── Forbidden            403  forbidden         right token, wrong role or not yours
    ├── NotFound             404  not_found
    ├── Conflict             409  conflict          e.g. already signed up
    ├── TooManyRequests      429  rate_limited
    └── InvalidInput         422  invalid_input     ``errors`` names each field or row

Envelope: ``{"code": …, "message": …, "errors": [...]}``; ``errors`` is present
for 422 only. Request validation errors from FastAPI are reshaped into it too.
Expected business failures are always one of these, never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


class AppError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, message: str, *, errors: Sequence[Mapping[str, Any]] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers) if headers else None


class Unauthorized(AppError):
    status, code = 401, "unauthorized"


class Forbidden(AppError):
    status, code = 403, "forbidden"


class NotFound(AppError):
    status, code = 404, "not_found"


class Conflict(AppError):
    status, code = 409, "conflict"


class TooManyRequests(AppError):
    status, code = 429, "rate_limited"


class InvalidInput(AppError):
    status, code = 422, "invalid_input"


def error_body(code: str, message: str, errors: list[Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return body


async def _app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return JSONResponse(error_body(exc.code, exc.message, exc.errors), status_code=exc.status,
                        headers=exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": ".".join(str(part) for part in error["loc"] if part != "body"),
         "message": str(error["msg"])}
        for error in exc.errors()
    ]
    fields = ", ".join(error["field"] for error in errors)
    return JSONResponse(error_body("invalid_input", f"invalid input: {fields}", errors),
                        status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
