"""Authenticating a request from its Authorization header, in a unit of work of its own.

Shared by the request guard (which runs before the body is read) and the
``get_principal`` dependency (for routes the guard does not cover).
"""

from __future__ import annotations

from datetime import UTC, datetime

from app.auth import bearer
from app.auth.tokens import Principal
from app.db import Database
from app.errors import AppError
from app.settings import Settings

# Where the request guard leaves the principal in the ASGI scope's state.
PRINCIPAL_STATE = "principal"


def bearer_value(authorization: str) -> str | None:
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def authenticate_request(database: Database, settings: Settings, authorization: str,
                               address: str) -> Principal | AppError:
    token = bearer_value(authorization)
    if token is None:
        return bearer.missing_token()
    bootstrap = settings.admin_token.get_secret_value() if settings.admin_token else None
    now = datetime.now(UTC)
    return await database.run(
        lambda session: bearer.authenticate(session, token, bootstrap, address, now))
