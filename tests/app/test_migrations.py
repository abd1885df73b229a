"""Every migration upgrades, downgrades and upgrades again, and matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app import migrations
from app.db import create_db_engine
from app.models import Base


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    migrations.downgrade(database_url, "base")
    engine = create_db_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrations.upgrade(database_url)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_processes_starting_together_migrate_once(postgres_server_url: str) -> None:
    """README: several processes may start at once on PostgreSQL (the advisory lock)."""
    import os
    import subprocess
    import sys

    from sqlalchemy import create_engine, text

    from app.db import normalize_url

    admin = create_engine(normalize_url(postgres_server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE DATABASE hongxin_together"))
    admin.dispose()
    url = postgres_server_url.rsplit("/", 1)[0] + "/hongxin_together"
    env = {**os.environ, "HONGXIN_DATABASE_URL": url}
    processes = [
        subprocess.Popen([sys.executable, "-m", "app.cli", "db", "upgrade"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], outputs
    # Exactly one process ran the migrations; the others found the schema at head.
    assert sorted(output.count("Running upgrade") > 0 for output in outputs) == [False, False, True]
