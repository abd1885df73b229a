"""Hand-written SQL on the session's own DBAPI connection, for the callback's hot path.

Building and compiling a SQLAlchemy statement costs about a tenth of a
millisecond even when its compiled form is cached; a callback needs three or
four statements, which would cost more than the whole bare request does. Here
the SQL is a fixed string executed straight on the driver, inside the same
transaction the session owns, and values are converted the way SQLAlchemy's
column types store them, so ORM code reads these rows unchanged.

On PostgreSQL every statement is also a round trip, and psycopg spends about
50 µs of CPU on each. Statements whose results nobody reads (savepoints, the
stored reply) can therefore be deferred: they travel in front of the next
statement, all in one simple-protocol query with client-side binding, or go
out together at :meth:`RawSQL.flush`. Statements the ORM sends, and commits,
flush the deferred ones first (see :func:`hold_deferred_statements_in_order`).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session

_DEFERRED = "rawsql_deferred"


def hold_deferred_statements_in_order(engine: Engine) -> None:
    """Make deferred statements safe on ``engine``'s connections, whoever runs them.

    They go out before any statement the ORM sends and before a commit, and a
    rollback drops them, so none is lost, reordered or left for the next user
    of a pooled connection.
    """
    event.listen(engine, "before_cursor_execute", _send_deferred)
    event.listen(engine, "commit", _send_deferred)
    event.listen(engine, "rollback", _drop_deferred)


def _send_deferred(connection: Connection, *_args: object) -> None:
    deferred = connection.info.get(_DEFERRED)
    if deferred:
        statements = "; ".join(deferred)
        deferred.clear()
        dbapi = connection.connection.dbapi_connection
        assert dbapi is not None  # a connection in use always has one
        dbapi.execute(statements)


def _drop_deferred(connection: Connection) -> None:
    deferred = connection.info.get(_DEFERRED)
    if deferred:
        deferred.clear()


@lru_cache(maxsize=256)
def _to_pyformat(sql: str) -> str:
    # psycopg takes %(name)s; sqlite3 takes :name. Literal % never appears in our SQL.
    return re.sub(r"(?<!:):(\w+)", r"%(\1)s", sql)


class RawSQL:
    @classmethod
    def of(cls, session: Session) -> RawSQL:
        """The session's RawSQL, made once (our sessions live for one transaction)."""
        raw = session.info.get("rawsql")
        if not isinstance(raw, RawSQL):
            raw = session.info["rawsql"] = cls(session)
        return raw

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        self.is_postgres = connection.dialect.name == "postgresql"
        dbapi = connection.connection.dbapi_connection
        assert dbapi is not None  # a checked-out connection always has one
        self._deferred: list[str] = []
        self._cursor = dbapi.cursor()
        if self.is_postgres:
            from psycopg import ClientCursor, Connection

            assert isinstance(dbapi, Connection)
            # Client-side binding lets several statements share one query string.
            self._combining_cursor: ClientCursor[Any] = ClientCursor(dbapi)
            # Where the engine hooks find them; a new session starts afresh.
            connection.info[_DEFERRED] = self._deferred

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        if not self.is_postgres:
            self._cursor.execute(sql, params or {})
            return self._cursor
        if not self._deferred:
            self._cursor.execute(_to_pyformat(sql), params or {})
            return self._cursor
        cursor = self._combining_cursor
        self._deferred.append(cursor.mogrify(_to_pyformat(sql), params) if params else sql)
        cursor.execute("; ".join(self._deferred))
        self._deferred.clear()
        while cursor.nextset():
            pass  # the caller wants the last statement's result
        return cursor

    def defer(self, sql: str, params: dict[str, Any] | None = None) -> None:
        """Execute ``sql`` with the next statement; on SQLite (no round trips) now."""
        if not self.is_postgres:
            self._cursor.execute(sql, params or {})
        elif params:
            self._deferred.append(self._combining_cursor.mogrify(_to_pyformat(sql), params))
        else:
            self._deferred.append(sql)

    def flush(self) -> None:
        """Send the deferred statements, so that their errors surface now."""
        if self._deferred:
            self._combining_cursor.execute("; ".join(self._deferred))
            self._deferred.clear()

    def discard(self) -> None:
        """Drop the deferred statements unsent (after a failed unit)."""
        self._deferred.clear()

    def one(self, sql: str, params: dict[str, Any] | None = None) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self.execute(sql, params).fetchone()
        return row

    def time(self, value: datetime) -> object:
        if self.is_postgres:
            return value
        # The same text SQLAlchemy's SQLite DateTime writes; isoformat is ~5x faster
        # than strftime, and microseconds are always written so the text sorts right.
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    def json(self, value: object) -> object:
        if value is None:
            return None
        if self.is_postgres:
            from psycopg.types.json import Json

            return Json(value)
        return json.dumps(value, ensure_ascii=False)

    def from_json(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value
