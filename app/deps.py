"""FastAPI dependency aliases shared by every router.

``SessionDep`` owns the request's transaction: it commits when the handler
returns and rolls back when it raises; services only flush.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from app.auth.tokens import Role, find_token
from app.db import Database
from app.errors import Forbidden, Unauthorized
from app.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_session(request: Request) -> Iterator[Session]:
    with get_database(request).unit_of_work() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
# Ids in paths are database keys. A number past 64 bits can only mean "not found",
# and must not reach the driver: SQLite refuses it with an OverflowError (a 500).
EntityId = Annotated[int, Path(ge=1, le=2**63 - 1)]
DatabaseDep = Annotated[Database, Depends(get_database)]
SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an admin or an organizer, by the name given at token creation."""

    role: Role
    name: str

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def get_principal(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("an Authorization: Bearer token is required",
                           headers={"WWW-Authenticate": "Bearer"})
    bootstrap = settings.admin_token.get_secret_value() if settings.admin_token else None
    if bootstrap and hmac.compare_digest(token.encode(), bootstrap.encode()):
        return Principal(Role.ADMIN, "admin")
    stored = find_token(session, token)
    if stored is None:
        raise Unauthorized("unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
    return Principal(Role(stored.role), stored.name)


def require_admin(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if not principal.is_admin:
        raise Forbidden("this needs an admin token")
    return principal


def require_organizer(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """Organizers and admins; what an organizer may see is narrowed by the service."""
    return principal


CurrentAdmin = Annotated[Principal, Depends(require_admin)]
CurrentOrganizer = Annotated[Principal, Depends(require_organizer)]
