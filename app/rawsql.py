"""Hand-written SQL on the session's own DBAPI connection, for the callback's hot path.

Building and compiling a SQLAlchemy statement costs more than a callback's
bare request even when its compiled form is cached, so the callback's few
statements are fixed strings executed straight on the driver, inside the
transaction the session owns; values are converted the way SQLAlchemy's
column types store them, so ORM code reads these rows unchanged.

On PostgreSQL every statement is also a round trip. Statements whose results
nobody reads (the stored reply, the saved conversation) are therefore
deferred: they go out in one pipeline with the next statement, or with the
COMMIT; statements the ORM sends go after them (see
:func:`hold_deferred_statements_in_order`). bench/NOTES.md has the figures.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from psycopg import pq
from psycopg.types.json import Json
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
    event.listen(engine, "commit", _commit_with_deferred)
    event.listen(engine, "rollback", _drop_deferred)


def _send_deferred(connection: Connection, *_args: object) -> None:
    deferred = connection.info.get(_DEFERRED)
    if deferred:
        dbapi = connection.connection.dbapi_connection
        assert dbapi is not None  # a connection in use always has one
        _exchange(dbapi, dbapi_cursor(dbapi), deferred)


def _commit_with_deferred(connection: Connection) -> None:
    """Send the deferred statements and the COMMIT in one round trip, not two.

    The driver's own commit, which follows, then finds no transaction open
    and sends nothing. Should a deferred statement fail, the transaction
    fails with it and the COMMIT is not run: the error is the commit's.
    """
    deferred = connection.info.get(_DEFERRED)
    if deferred:
        dbapi = connection.connection.dbapi_connection
        assert dbapi is not None  # a connection in use always has one
        cursor = dbapi_cursor(dbapi)
        _exchange(dbapi, cursor, deferred, then=[(cursor, "COMMIT", {})])


def _drop_deferred(connection: Connection) -> None:
    deferred = connection.info.get(_DEFERRED)
    if deferred:
        deferred.clear()


Rows = list[tuple[Any, ...]]
# (cursor, sql, params): a statement to send, on a cursor of its own.
_Statement = tuple[Any, str, dict[str, Any]]


def dbapi_cursor(dbapi: Any) -> Any:
    """A cursor of the driver's own: psycopg's, also under SQLAlchemy's asyncio adapter."""
    return getattr(dbapi, "driver_connection", dbapi).cursor()


def _exchange(
    dbapi: Any, deferred_cursor: Any, deferred: list[tuple[str, dict[str, Any]]],
    then: Sequence[_Statement] = (),
) -> list[Rows]:
    """Send the deferred statements, then each of ``then``, in one round trip; the rows
    each of ``then`` returned.

    Under SQLAlchemy's asyncio adapter (the event loop's connection, see
    app/db.py) the driver is psycopg's AsyncConnection, awaited through the
    adapter's :meth:`run_async`.
    """
    run_async = getattr(dbapi, "run_async", None)
    try:
        if run_async is None:
            return _exchange_now(dbapi, deferred_cursor, deferred, then)
        rows: list[Rows] = run_async(
            lambda driver: _exchange_async(driver, deferred_cursor, deferred, then))
        return rows
    finally:
        # Sent, or failed with the transaction, which a rollback ends: never sent twice.
        deferred.clear()


def _exchange_now(
    dbapi: Any, deferred_cursor: Any, deferred: list[tuple[str, dict[str, Any]]],
    then: Sequence[_Statement],
) -> list[Rows]:
    if not deferred and len(then) == 1 and _in_transaction(dbapi):
        cursor, statement, params = then[0]
        cursor.execute(statement, params)
    else:
        with dbapi.pipeline():
            for statement, params in deferred:
                deferred_cursor.execute(statement, params)
            for cursor, statement, params in then:
                cursor.execute(statement, params)
    return [cursor.fetchall() if _has_rows(cursor) else [] for cursor, _, _ in then]


# _exchange_now, awaited: psycopg's asyncio connection has the same calls as coroutines.
async def _exchange_async(
    driver: Any, deferred_cursor: Any, deferred: list[tuple[str, dict[str, Any]]],
    then: Sequence[_Statement],
) -> list[Rows]:
    if not deferred and len(then) == 1 and _in_transaction(driver):
        cursor, statement, params = then[0]
        await cursor.execute(statement, params)
    else:
        async with driver.pipeline():
            for statement, params in deferred:
                await deferred_cursor.execute(statement, params)
            for cursor, statement, params in then:
                await cursor.execute(statement, params)
    return [await cursor.fetchall() if _has_rows(cursor) else [] for cursor, _, _ in then]


def _in_transaction(connection: Any) -> bool:
    # Outside one, psycopg sends BEGIN first, a round trip of its own unless in a pipeline.
    return bool(connection.info.transaction_status != pq.TransactionStatus.IDLE)


def _has_rows(cursor: Any) -> bool:
    # Not cursor.description: that builds a Column object for each of the result's columns.
    result = cursor.pgresult
    return result is not None and result.status == pq.ExecStatus.TUPLES_OK


class _Fetched:
    """A statement's rows, read the way a DBAPI cursor's are."""

    __slots__ = ("_rows",)

    def __init__(self, rows: Rows) -> None:
        self._rows = rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> Rows:
        return self._rows


def _json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


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
        self._deferred: list[tuple[str, dict[str, Any]]] = []
        if self.is_postgres:
            self._dbapi = dbapi
            self._cursor = dbapi_cursor(dbapi)
            self._deferred_cursor = dbapi_cursor(dbapi)
            # Where the engine hooks find them; a new session starts afresh.
            connection.info[_DEFERRED] = self._deferred
        else:
            self._cursor = dbapi.cursor()

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        if not self.is_postgres:
            self._cursor.execute(sql, params or {})
            return self._cursor
        (rows,) = _exchange(self._dbapi, self._deferred_cursor, self._deferred,
                            then=[(self._cursor, _to_pyformat(sql), params or {})])
        return _Fetched(rows)

    def defer(self, sql: str, params: dict[str, Any] | None = None) -> None:
        """Execute ``sql`` with the next statement; on SQLite (no round trips) now."""
        if not self.is_postgres:
            self._cursor.execute(sql, params or {})
        else:
            self._deferred.append((_to_pyformat(sql), params or {}))

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
            return Json(value)
        return json.dumps(value, ensure_ascii=False)

    def from_json(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value
