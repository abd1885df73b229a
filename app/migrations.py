"""Schema upgrades, driven from code so no ini file or working directory is needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

_PACKAGE_DIR = Path(__file__).resolve().parent


def script_location() -> Path:
    """Where the migration scripts are: inside the installed wheel, else the source tree.

    The repository keeps them in ``alembic/`` beside the packages. A wheel cannot
    ship a top-level ``alembic`` (it would hide the alembic library), so the build
    maps that folder to ``app/migration_scripts`` (see pyproject.toml). An editable
    install or a checkout has no such folder and reads ``alembic/`` directly.
    """
    packaged = _PACKAGE_DIR / "migration_scripts"
    if packaged.is_dir():
        return packaged
    return _PACKAGE_DIR.parent / "alembic"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
