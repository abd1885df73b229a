"""The one place where SQLite and PostgreSQL are told apart in ORM statements.

Both dialects spell ``INSERT … ON CONFLICT`` the same way, but SQLAlchemy
builds it from each dialect's own ``insert``; services call these helpers and
never ask which database they are on.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult
from sqlalchemy import literal as sa_literal
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


def insert_many_or_ignore(session: Session, table: Any, rows: list[dict[str, Any]]) -> int:
    """Insert ``rows`` into ``table`` in one executemany, skipping each a unique key already
    holds; how many were inserted.

    SQLite's driver counts the rows an executemany changed; psycopg's does not, so
    there the inserted rows are returned and counted. ``Any``: a table or model.
    """
    if not rows:
        return 0
    statement = insert_or_ignore(session, table)
    if session.get_bind().dialect.name == "postgresql":
        return len(session.execute(statement.returning(sa_literal(1)), rows).all())
    # An INSERT's result is a CursorResult, which the Session's signature does not say.
    result = cast("CursorResult[Any]", session.execute(statement, rows))
    return int(result.rowcount)
