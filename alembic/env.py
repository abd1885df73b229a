"""Alembic environment: migrates whatever database the settings (or the caller) name."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from app.db import create_db_engine
from app.models import Base
from app.settings import get_settings

# Any fixed number works; every Hongxin process agrees on it.
MIGRATION_LOCK_ID = 0x486F6E67

config = context.config


def database_url() -> str:
    url = config.attributes.get("database_url")
    if url:
        return str(url)
    return get_settings().database_url


def _stop_cascades(connection: Connection) -> None:
    """SQLite alters a table by copying it, dropping the original and renaming the copy.

    With foreign keys enforced, that drop deletes (ON DELETE CASCADE) every row
    that refers to the table: altering ``members`` would empty the ledger and
    the sign-ups. So migrations run with enforcement off, and
    :func:`_check_references` proves afterwards that no reference broke. The
    pragma is ignored inside a transaction, hence on the driver's connection
    before the first one.
    """
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None
    driver_connection.execute("PRAGMA foreign_keys=OFF")


def _check_references(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"a migration left rows with broken references: {broken[:5]}")


def run_migrations_online() -> None:
    engine = create_db_engine(database_url())
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                _stop_cascades(connection)
            if connection.dialect.name == "postgresql":
                # Several `hongxin serve` processes may start at once; one migrates,
                # the others wait here and then find the schema at head.
                connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
                connection.commit()
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
                if connection.dialect.name == "sqlite":
                    _check_references(connection)
            if connection.dialect.name == "postgresql":
                unlock = text("SELECT pg_advisory_unlock(:id)")
                connection.execute(unlock, {"id": MIGRATION_LOCK_ID})
                connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `hongxin db upgrade`")
run_migrations_online()
