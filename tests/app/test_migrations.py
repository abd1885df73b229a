"""Every migration upgrades, downgrades and upgrades again, and matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

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



# The last revision of the first release: a deployment upgrading from it has members,
# ledgers and sign-ups that every later migration must carry over.
FIRST_RELEASE = "76b72059c6a4"
NOW = "2026-12-01 00:00:00"


def _first_release_rows(connection: Connection) -> None:
    for member_id, deltas in {1: [5, 3, -3], 2: [1], 3: []}.items():
        connection.execute(text(
            "INSERT INTO members (id, openid, first_seen_at, last_interaction_at, subscribed, "
            "daily_push) VALUES (:id, :openid, :now, :now, true, false)"),
            {"id": member_id, "openid": f"o{member_id}", "now": NOW})
        for number, delta in enumerate(deltas):
            connection.execute(text(
                "INSERT INTO points_entries (member_id, activity, reference, delta, note, "
                "created_at) VALUES (:member, 'lesson_read', :ref, :delta, '', :now)"),
                {"member": member_id, "ref": f"r{number}", "delta": delta, "now": NOW})
    connection.execute(text(
        "INSERT INTO events (id, title, description, location, starts_at, capacity, seats_taken, "
        "remind_before_minutes, status, created_at, updated_at) VALUES "
        "(1, '主题党日', '', '三楼', :now, 10, 2, 60, 'scheduled', :now, :now)"), {"now": NOW})
    for member_id in (1, 2):
        connection.execute(text(
            "INSERT INTO event_signups (event_id, member_id, status, created_at) "
            "VALUES (1, :member, 'confirmed', :now)"), {"member": member_id, "now": NOW})


def test_upgrading_a_first_release_database_keeps_every_row(database_url: str) -> None:
    """Later migrations alter tables that others refer to with ON DELETE CASCADE; on
    SQLite such an alteration copies and drops the table, which must not cascade.
    The balances migration also sums each member's existing ledger, reversals included,
    and so does the week totals migration, per week."""
    migrations.downgrade(database_url, "base")
    migrations.upgrade(database_url, FIRST_RELEASE)
    engine = create_db_engine(database_url)
    try:
        with engine.begin() as connection:
            _first_release_rows(connection)
        migrations.upgrade(database_url)
        with engine.connect() as connection:
            def count(table: str) -> int:
                return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())

            counts = {table: count(table)
                      for table in ("members", "points_entries", "events", "event_signups")}
            balances = dict(connection.execute(text(
                "SELECT member_id, total FROM points_balances")).all())
            pushes = connection.execute(text("SELECT daily_push FROM members")).scalars().all()
            weeks = {(str(week), member_id): points for week, member_id, points in
                     connection.execute(text(
                         "SELECT week, member_id, points FROM points_week_totals")).all()}
    finally:
        engine.dispose()
    assert counts == {"members": 3, "points_entries": 4, "events": 1, "event_signups": 2}
    assert balances == {1: 5, 2: 1}  # a member without lines has no balance row
    assert all(pushes)  # the daily push became opt-out for existing members too
    # Lines read then count as 学习; 08:00 on Tuesday 1 December in Shanghai is in the
    # week of Monday 30 November.
    assert weeks == {("2026-11-30", 1): 5, ("2026-11-30", 2): 1}


def test_the_quiz_week_totals_migration_counts_the_answers_given(database_url: str) -> None:
    """Answers stored before the quiz week totals existed count in the weeks they were
    given in (Mondays in Shanghai), once each."""
    from datetime import UTC, date, datetime

    from app.db import Database
    from tests.support.activity import populate
    from tests.support.units import run_unit

    # The answers are given five minutes earlier: Sunday 6 December 2026, 20:00 UTC, already
    # Monday 7 December in Shanghai, so a new week there.
    now = datetime(2026, 12, 6, 20, 5, tzinfo=UTC)
    migrations.upgrade(database_url)
    database = Database(database_url)
    try:
        world = run_unit(database, lambda session: populate(session, now))
        migrations.downgrade(database_url, "7b1e4f0c9a52")
        migrations.upgrade(database_url)
        with database.engine.connect() as connection:
            weeks = {(str(week), member_id): (answers, correct)
                     for week, member_id, answers, correct in connection.execute(text(
                         "SELECT week, member_id, answers, correct FROM quiz_week_totals"))}
    finally:
        database.close()
    monday = str(date(2026, 12, 7))
    assert weeks == {(monday, world.members["A1"]): (3, 2), (monday, world.members["B1"]): (1, 0),
                     (monday, world.members["U"]): (2, 1)}
