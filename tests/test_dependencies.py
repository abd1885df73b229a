"""Every library the shipped code imports is declared in ``[project.dependencies]``.

The dev environment has more installed than the wheel brings (the dev extra and
what it pulls in), so an undeclared import works in every other test and fails
only in production. tests/test_install.py starts the real install; this check
also covers modules imported late (an XLSX import, a CLI command).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
# What the wheel carries: the three packages and the migrations (see pyproject.toml).
SHIPPED = ("app", "bots", "quizzes", "alembic")
OWN = {"app", "bots", "quizzes"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_top_level_modules() -> dict[str, set[str]]:
    """Each third-party top-level module imported by the shipped code, with where."""
    found: dict[str, set[str]] = {}
    for folder in SHIPPED:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in OWN:
                        found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_imported_library_is_a_declared_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {canonical(Requirement(line).name) for line in project["dependencies"]}
    providers = packages_distributions()
    imports = imported_top_level_modules()
    assert "sqlalchemy" in imports  # the scan sees the code
    undeclared = {
        module: sorted(where)[:3] for module, where in imports.items()
        if not {canonical(dist) for dist in providers.get(module, [module])} & declared
    }
    assert undeclared == {}, f"imported but not in [project.dependencies]: {undeclared}"
