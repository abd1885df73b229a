"""Fixtures for the quizzes tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tests.quizzes.files import build_xlsx

XlsxFactory = Callable[..., bytes]


@pytest.fixture
def make_xlsx(tmp_path: Path) -> XlsxFactory:
    """Build an XLSX in a temporary directory and return its bytes."""

    def make(rows: Sequence[Sequence[object]], *, extra_sheet: bool = False) -> bytes:
        path = tmp_path / "bank.xlsx"
        path.write_bytes(build_xlsx(rows, extra_sheet=extra_sheet))
        return path.read_bytes()

    return make
