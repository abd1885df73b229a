"""Running a test's setup or check in a unit of work of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from app.db import Database

T = TypeVar("T")


def run_unit(database: Database, work: Callable[[Session], T]) -> T:
    """``work`` in its own unit of work, committed when it returns."""
    with database.unit_of_work() as session:
        return work(session)
