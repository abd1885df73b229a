"""quizzes is a pure library: the standard library and openpyxl only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import quizzes

PACKAGE = Path(quizzes.__file__).parent
FORBIDDEN = {
    "app", "bots", "fastapi", "starlette", "sqlalchemy", "httpx", "pydantic",
    "wechatpy", "apscheduler", "alembic",
}  # fmt: skip
CLOCK_AND_GLOBAL_RANDOM = (
    "time.time(", "time.monotonic(", ".now(", ".today(", "random.random(", "random.seed(",
    "random.shuffle(", "random.choice(", "random.sample(", "random.randint(", "import time",
)  # fmt: skip


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_sources_import_only_stdlib_and_openpyxl() -> None:
    allowed = set(sys.stdlib_module_names) | {"openpyxl", "quizzes"}
    files = sorted(PACKAGE.rglob("*.py"))

    assert len(files) > 10
    for path in files:
        assert imported_roots(path) <= allowed, path


def test_importing_quizzes_loads_no_forbidden_module() -> None:
    probe = "import sys, quizzes; print('\\n'.join(sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout.split()

    assert {name.split(".")[0] for name in loaded} & FORBIDDEN == set()


def test_no_clock_or_global_randomness() -> None:
    for path in PACKAGE.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for needle in CLOCK_AND_GLOBAL_RANDOM:
            assert needle not in source, (path, needle)


def test_py_typed_is_shipped() -> None:
    assert (PACKAGE / "py.typed").exists()
