"""FastAPI dependency aliases shared by every router.

``SessionDep`` owns the request's transaction: it commits when the handler
returns and rolls back when it raises; services only flush.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from app.auth.requests import PRINCIPAL_STATE, authenticate_request, bearer_value
from app.auth.tokens import Principal
from app.db import Database
from app.errors import AppError, Forbidden
from app.ratelimit.deps import client_address
from app.settings import Settings

__all__ = ["CurrentAdmin", "CurrentOrganizer", "CurrentUnscopedAdmin", "DatabaseDep", "EntityId",
           "Principal", "SessionDep", "SettingsDep", "bearer_token", "get_principal"]


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


def bearer_token(request: Request) -> str | None:
    return bearer_value(request.headers.get("authorization", ""))


async def get_principal(request: Request) -> Principal:
    """The caller, as :class:`app.limits.RequestGuard` found it before the body was read.

    Routes outside ``/api/admin/`` that need a principal are checked here instead.
    """
    found = getattr(request.state, PRINCIPAL_STATE, None)
    if isinstance(found, Principal):
        return found
    outcome = await authenticate_request(request.app.state.database, request.app.state.settings,
                                         request.headers.get("authorization", ""),
                                         client_address(request))
    if isinstance(outcome, AppError):
        raise outcome
    return outcome


def require_admin(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if not principal.is_admin:
        raise Forbidden("this needs an admin token")
    return principal


def require_organizer(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """Organizers and admins; what an organizer may see is narrowed by the service."""
    return principal


def require_unscoped_admin(principal: Annotated[Principal, Depends(require_admin)]
                           ) -> Principal:
    """Admins not limited to an org: for content every org shares (quiz banks, lessons,
    contests), which one branch must not change for all the others."""
    if not principal.scope.is_everything:
        raise Forbidden("this needs an admin token not limited to an org")
    return principal


CurrentAdmin = Annotated[Principal, Depends(require_admin)]
CurrentUnscopedAdmin = Annotated[Principal, Depends(require_unscoped_admin)]
CurrentOrganizer = Annotated[Principal, Depends(require_organizer)]
