"""Hand-written SQL on the session's own DBAPI connection, for the callback's statements.

Building and compiling a SQLAlchemy statement costs more than a callback's
bare request even when its compiled form is cached, so the callback's few
statements (app/callback_sql.py) are fixed strings executed straight on the
driver, inside the transaction the session owns; values are converted the way
SQLAlchemy's column types store them, so ORM code reads these rows unchanged.

On PostgreSQL every statement is also a round trip. Statements whose results
nobody reads (the stored reply, the saved conversation) are therefore
deferred: they go out in one pipeline with the next statement, or with the
COMMIT; statements the ORM sends go after them. And the statements a
callback declares up front (:class:`DeclaredStatement`: its claim, and a read its
answer will probably need) may go out with the other callbacks' of its batch
in one round trip (app/group_commit.py), those declared as rows of one
statement as that one statement.
bench/NOTES.md has the figures.
"""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Any, NamedTuple

from psycopg.types.json import Json
from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session

Rows = list[tuple[Any, ...]]
# (cursor, sql, params): a statement to send, on a cursor of its own.
_Statement = tuple[Any, str, dict[str, Any]]
_Deferred = list[tuple[str, dict[str, Any]]]


class _Pending(NamedTuple):
    """A transaction's deferred statements, and what sends them: kept in the connection's
    ``info`` while the transaction lasts."""

    dbapi: Any
    cursor: Any
    statements: _Deferred


_PENDING = "rawsql.pending"
_ENGINES_HOLDING_DEFERRED: weakref.WeakSet[Engine] = weakref.WeakSet()


def hold_deferred_in_order(engine: Engine) -> None:
    """Make deferred statements safe on ``engine``'s connections (see :meth:`RawSQL.defer`);
    for the database layer to call on the PostgreSQL engines it makes.

    They go out before any statement the ORM sends and with the COMMIT, and
    a rollback drops them, so none is lost, reordered or left for the next
    user of the pooled connection. The hooks are the engine's, set once:
    set on each transaction's connection, they cost a batch of callbacks more
    than its statements (bench/NOTES.md).
    """
    if engine in _ENGINES_HOLDING_DEFERRED:
        return
    event.listen(engine, "before_cursor_execute", _send_first)
    event.listen(engine, "commit", _commit_with_them)
    event.listen(engine, "rollback", _drop_them)
    _ENGINES_HOLDING_DEFERRED.add(engine)


_BEGIN: tuple[str, dict[str, Any]] = ("BEGIN", {})


def begin_with_first_statement(engine: Engine) -> None:
    """On ``engine``, whose connections are in the driver's autocommit mode, every
    transaction's BEGIN goes out with its first statement, as if deferred.

    Otherwise psycopg sends BEGIN alone before the first statement and waits
    for its answer: a round trip for each batch of callbacks (bench/NOTES.md).
    Until something is sent, nothing has begun; a transaction that sent nothing
    commits nothing.
    """
    hold_deferred_in_order(engine)
    event.listen(engine, "begin", _begin_with_first_statement)


def _begin_with_first_statement(connection: Connection) -> None:
    dbapi = connection.connection.dbapi_connection
    cursors = _Cursors.of(connection, dbapi)
    connection.info[_PENDING] = _Pending(dbapi, cursors.deferred, [_BEGIN])


def _send_first(connection: Connection, *_args: object) -> None:
    pending: _Pending | None = connection.info.get(_PENDING)
    if pending and pending.statements:
        _exchange(pending.dbapi, pending.cursor, pending.statements)


def _commit_with_them(connection: Connection) -> None:
    # One round trip, not two: the driver's own commit, which follows, then
    # finds no transaction open and sends nothing. Should a deferred
    # statement fail, the transaction fails with it and the COMMIT is not
    # run: the error is the commit's.
    pending: _Pending | None = connection.info.pop(_PENDING, None)
    if pending and pending.statements and pending.statements != [_BEGIN]:
        _exchange(pending.dbapi, pending.cursor, pending.statements,
                  then=[(pending.cursor, "COMMIT", {})], fetch=False)


def _drop_them(connection: Connection) -> None:
    pending: _Pending | None = connection.info.pop(_PENDING, None)
    if pending:
        pending.statements.clear()


class _Cursors:
    """A connection's cursors, kept as long as it lives.

    A new psycopg cursor finds the loaders for its result's columns afresh;
    a cursor used before has them.
    """

    __slots__ = ("_ahead", "_dbapi", "deferred", "reads")

    @classmethod
    def of(cls, connection: Connection, dbapi: Any) -> _Cursors:
        info = connection.connection.info  # the pooled connection's, for its whole life
        cursors = info.get("rawsql.cursors")
        if not isinstance(cursors, _Cursors):
            cursors = info["rawsql.cursors"] = cls(dbapi)
        return cursors

    def __init__(self, dbapi: Any) -> None:
        self._dbapi = dbapi
        self.reads = dbapi_cursor(dbapi)
        self.deferred = dbapi_cursor(dbapi)
        self._ahead: list[Any] = []

    def ahead(self, count: int) -> list[Any]:
        """A cursor for each of ``count`` statements sent together: each keeps its rows."""
        while len(self._ahead) < count:
            self._ahead.append(dbapi_cursor(self._dbapi))
        return self._ahead[:count]


def dbapi_cursor(dbapi: Any) -> Any:
    """A cursor of the driver's own: psycopg's, also under SQLAlchemy's asyncio adapter."""
    return getattr(dbapi, "driver_connection", dbapi).cursor()


def _exchange(
    dbapi: Any, deferred_cursor: Any, deferred: _Deferred, then: Sequence[_Statement] = (),
    *, fetch: bool = True,
) -> list[Rows]:
    """Send the deferred statements, then each of ``then``, in one round trip; with
    ``fetch``, the rows each of ``then`` returned (each must return rows).

    Under SQLAlchemy's asyncio adapter (the event loop's connection, see
    app/group_commit.py) the driver is psycopg's AsyncConnection, awaited
    through the adapter's :meth:`run_async`.
    """
    run_async = getattr(dbapi, "run_async", None)
    try:
        if run_async is None:
            return _exchange_now(dbapi, deferred_cursor, deferred, then, fetch)
        rows: list[Rows] = run_async(
            lambda driver: _exchange_async(driver, deferred_cursor, deferred, then, fetch))
        return rows
    finally:
        # Sent, or failed with the transaction, which a rollback ends: never sent twice.
        deferred.clear()


def _exchange_now(dbapi: Any, deferred_cursor: Any, deferred: _Deferred,
                  then: Sequence[_Statement], fetch: bool) -> list[Rows]:
    if not deferred and len(then) == 1:
        cursor, statement, params = then[0]
        cursor.execute(statement, params)
    else:
        with dbapi.pipeline():
            # A run of one statement (a batch's stored replies) with one
            # executemany, whose results are counted rather than each read.
            for statement, run in groupby(deferred, key=itemgetter(0)):
                deferred_cursor.executemany(statement, [params for _, params in run])
            for cursor, statement, params in then:
                cursor.execute(statement, params)
    return [cursor.fetchall() for cursor, _, _ in then] if fetch else []


# _exchange_now, awaited: psycopg's asyncio connection has the same calls as coroutines.
async def _exchange_async(driver: Any, deferred_cursor: Any, deferred: _Deferred,
                          then: Sequence[_Statement], fetch: bool) -> list[Rows]:
    if not deferred and len(then) == 1:
        cursor, statement, params = then[0]
        await cursor.execute(statement, params)
    else:
        async with driver.pipeline():
            # A run of one statement (a batch's stored replies) with one
            # executemany, whose results are counted rather than each read.
            for statement, run in groupby(deferred, key=itemgetter(0)):
                await deferred_cursor.executemany(statement, [params for _, params in run])
            for cursor, statement, params in then:
                await cursor.execute(statement, params)
    return [await cursor.fetchall() for cursor, _, _ in then] if fetch else []


@dataclass(frozen=True, slots=True, eq=False)
class DeclaredStatement:
    """A statement a unit of work declares before it runs: it may go out ahead, with its batch.

    The unit reads its row with :meth:`RawSQL.declared_row`, which runs it then
    if it did not go ahead, or its rows with :meth:`RawSQL.rows_sent_ahead`
    when it has a read of its own to fall back on. Sent ahead with its
    batch's others, it runs before any unit of the batch does, so it may
    depend only on units that share one of its ``keys`` (the rows it touches,
    as names): those run in batch order, each with its own statements.

    With ``as_row``, ``sql`` takes ``params`` as one element of the JSON array
    ``:rows`` and leads each row it returns with that element's ordinal: the
    statements of a batch with the same such ``sql`` go out as one, a
    statement's cost on both sides paid once rather than per unit.
    """

    sql: str
    params: dict[str, Any]
    keys: tuple[str, ...]
    as_row: bool = False

    def params_sent(self, together: Sequence[DeclaredStatement] = ()) -> dict[str, Any]:
        """The parameters to send: with ``as_row``, the rows of ``together`` (else its own)."""
        if not self.as_row:
            return self.params
        return {"rows": Json([each.params for each in together or [self]], dumps=_json_text)}


def _rows_of_each(group: Sequence[DeclaredStatement], rows: Rows) -> dict[DeclaredStatement, Rows]:
    """Each statement's rows, from the rows of ``group`` sent as one."""
    if not group[0].as_row:
        (statement,) = group
        return {statement: rows}
    each: dict[DeclaredStatement, Rows] = {statement: [] for statement in group}
    for ordinal, *row in rows:
        each[group[ordinal - 1]].append(tuple(row))
    return each


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
        self._rows_ahead: dict[DeclaredStatement, Rows] = {}
        if self.is_postgres:
            if connection.engine not in _ENGINES_HOLDING_DEFERRED:
                raise RuntimeError("RawSQL needs an engine from app.db.create_db_engine "
                                   "(see hold_deferred_in_order)")
            self._dbapi = dbapi
            self._cursors = _Cursors.of(connection, dbapi)
            self._cursor = self._cursors.reads
            self._deferred_cursor = self._cursors.deferred
            # After a BEGIN waiting to go out with the first statement, if there is one.
            pending = connection.info.setdefault(
                _PENDING, _Pending(dbapi, self._deferred_cursor, []))
            self._deferred: _Deferred = pending.statements
        else:
            self._cursor = dbapi.cursor()

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        """Run ``sql``, which returns rows (a SELECT, or RETURNING), now."""
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

    def run_ahead(self, statements: Sequence[DeclaredStatement]) -> None:
        """Run units' declared statements now, in one round trip; PostgreSQL only."""
        groups: dict[object, list[DeclaredStatement]] = {}
        for each in statements:
            groups.setdefault(each.sql if each.as_row else each, []).append(each)
        sent = [(cursor, _to_pyformat(group[0].sql), group[0].params_sent(group))
                for cursor, group in zip(self._cursors.ahead(len(groups)), groups.values(),
                                         strict=True)]
        results = _exchange(self._dbapi, self._deferred_cursor, self._deferred, then=sent)
        for group, rows in zip(groups.values(), results, strict=True):
            self._rows_ahead.update(_rows_of_each(group, rows))

    def rows_sent_ahead(self, declared: DeclaredStatement) -> Rows | None:
        """The rows of a declared statement if it went ahead with its batch, else None."""
        return self._rows_ahead.pop(declared, None)

    def declared_row(self, declared: DeclaredStatement) -> tuple[Any, ...] | None:
        """The row of a declared statement (at most one): run ahead with its batch, or now.

        Either way the statement runs once, so the unit must ask once.
        """
        rows = self._rows_ahead.pop(declared, None)
        if rows is None:
            ran = self.execute(declared.sql, declared.params_sent()).fetchall()
            rows = _rows_of_each([declared], ran)[declared]
        return rows[0] if rows else None

    def time(self, value: datetime) -> object:
        if self.is_postgres:
            return value
        # The same text SQLAlchemy's SQLite DateTime writes (isoformat rather than the
        # slower strftime); microseconds are always written so the text sorts right.
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    def from_time(self, value: Any) -> datetime:
        """A timestamp column's value as SQLAlchemy's ``UTCDateTime`` reads it: aware, in UTC."""
        if isinstance(value, str):
            # SQLite's text is naive UTC; with the offset written on, fromisoformat
            # makes it aware at once, several times cheaper than replace(tzinfo=...).
            return datetime.fromisoformat(value + "+00:00")
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def json(self, value: object) -> object:
        if value is None:
            return None
        if self.is_postgres:
            return Json(value)
        return json.dumps(value, ensure_ascii=False)

    def from_json(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value
