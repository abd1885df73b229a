"""Fixtures shared by every test package: the two databases.

Tests that take ``database_url`` (or ``database``) run once on SQLite and once
on a real PostgreSQL server started for this test run. Each backend is migrated
once; tables are emptied after each test instead of rolling a transaction back,
because the code under test commits from its own threads and processes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app import migrations
from app.db import Database, normalize_url
from app.models import Base
from tests.support.postgres import PostgresUnavailable, running_postgres

# The fake WeChat platform's fixtures (`fake_server`, `fake`), for any test that asks.
pytest_plugins = ["tests.support.fake_platform"]


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    try:
        with running_postgres() as url:
            yield url
    except PostgresUnavailable as problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {problem}")
        pytest.skip(f"PostgreSQL not available: {problem}")


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "hongxin.db"
    url = f"sqlite:///{path}"
    migrations.upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgres_url(postgres_server_url: str) -> str:
    engine = create_engine(normalize_url(postgres_server_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("CREATE DATABASE hongxin_test"))
    engine.dispose()
    url = postgres_server_url.rsplit("/", 1)[0] + "/hongxin_test"
    migrations.upgrade(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    url: str = request.getfixturevalue(f"{request.param}_url")
    yield url
    empty_tables(url)


def empty_tables(url: str) -> None:
    engine = create_engine(normalize_url(url))
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.close()
