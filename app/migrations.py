"""Schema upgrades, driven from code so no ini file or working directory is needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

# alembic/ sits beside the packages (the contract's layout); installs are editable.
SCRIPT_LOCATION = Path(__file__).resolve().parent.parent / "alembic"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
