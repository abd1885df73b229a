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
for 422 only, and an error's ``details`` add fields beside them (a rejected
quiz bank's ``error_count``). Request validation errors from FastAPI are reshaped into it too.
Expected business failures are always one of these, never a 500.
:func:`document_errors` makes ``/openapi.json`` say so.
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
                 headers: Mapping[str, str] | None = None,
                 details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers) if headers else None
        self.details = dict(details) if details else {}


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
    body = {**exc.details, **error_body(exc.code, exc.message, exc.errors)}
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


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
    document_errors(app)


_ERROR_SCHEMA = {
    "title": "ErrorBody",
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        # {field, message} for request fields, {row, column, message} for file rows.
        "errors": {"type": "array", "items": {"type": "object"}},
        # A rejected file: how many problems in all (errors lists the first 200),
        # and for XLSX the worksheet its rows are numbered in.
        "error_count": {"type": "integer"},
        "sheet": {"type": "string"},
    },
}
_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
_DESCRIPTIONS = {400: "Bad request", 401: "Missing or unknown token",
                 403: "Wrong role, or not yours", 404: "Not found",
                 409: "Conflict with the current state",
                 413: "Request body too large (HONGXIN_MAX_BODY_BYTES, uploads "
                      "HONGXIN_MAX_UPLOAD_BYTES); refused before it is read",
                 422: "Invalid input",
                 429: "Too many requests; Retry-After says when to come back",
                 503: "WeChat did not answer"}
# Routes under these need a token; /api/mp/login is how a member gets one.
_SECURED = ("/api/admin/", "/api/mp/")
_OPEN = frozenset({"/api/mp/login"})


def errors_answered(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route answers beyond the usual ones."""
    return {status: {"description": _DESCRIPTIONS[status]} for status in statuses}


def document_errors(app: FastAPI) -> None:
    """Describe the error envelope in ``/openapi.json``.

    Every 4xx and 5xx entry gets the envelope's schema (FastAPI's own 422
    entry describes a body we never send); routes that need a token also
    list 401, admin routes 403, and routes with an id in the path 404. Others
    are declared on the routes with :func:`errors_answered`.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _describe_errors(generate())
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def _describe_errors(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorBody"] = _ERROR_SCHEMA
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for path, item in schema.get("paths", {}).items():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            if path.startswith(_SECURED) and path not in _OPEN:
                responses.setdefault("401", {"description": _DESCRIPTIONS[401]})
            if path.startswith("/api/admin/"):
                responses.setdefault("403", {"description": _DESCRIPTIONS[403]})
                # Failed tokens are limited per client address.
                responses.setdefault("429", {"description": _DESCRIPTIONS[429]})
            if "requestBody" in operation:
                responses.setdefault("413", {"description": _DESCRIPTIONS[413]})
            if path.startswith(_SECURED) and "{" in path:
                responses.setdefault("404", {"description": _DESCRIPTIONS[404]})
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = {"application/json": {"schema": _ERROR_REF}}
                    response["description"] = _DESCRIPTIONS.get(int(status),
                                                                 response["description"])
