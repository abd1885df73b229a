"""The one place where SQLite and PostgreSQL are told apart in ORM statements.

Both dialects spell ``INSERT … ON CONFLICT`` the same way, but SQLAlchemy
builds it from each dialect's own ``insert``; services call these helpers and
never ask which database they are on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_on_conflict(session: Session, entity: Any) -> Any:
    """An ``INSERT`` for ``entity`` (a model or table) that takes ``on_conflict_do_*``.

    ``Any``: the two dialects' Insert classes share that API but no base class
    that declares it.
    """
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(entity)
    return sqlite.insert(entity)


def insert_or_ignore(session: Session, entity: Any) -> Any:
    """An ``INSERT`` that leaves the row alone when a unique key already has it."""
    return insert_on_conflict(session, entity).on_conflict_do_nothing()
