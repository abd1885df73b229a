"""Runtime configuration, read once from ``HONGXIN_*`` environment variables.

The variable names and defaults are fixed by the product contract. A wrong value
must stop start-up with one line naming the variable, so validators raise with
messages that read well after the variable name (see :func:`load_settings`).
"""

from __future__ import annotations

import base64
import binascii
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEV_WECHAT_TOKEN = "hongxin-dev-token"  # noqa: S105 - the contract's documented default
DEFAULT_PORT = 8000


def local_url(port: int) -> str:
    """``HONGXIN_PUBLIC_URL``'s default: this machine, on the port ``hongxin serve`` uses."""
    return f"http://127.0.0.1:{port}"


# The dev app secrets only work against ``hongxin fake-wechat``: while both are left
# as they are, this cannot be a deployment that real members reach.
DEV_APP_SECRET = "hongxin-dev-app-secret"  # noqa: S105
DEV_MP_APP_SECRET = "hongxin-dev-mp-secret"  # noqa: S105
# A bootstrap admin token short enough to guess is a front door left open.
MIN_ADMIN_TOKEN_LENGTH = 32


class SettingsError(Exception):
    """A setting has a value Hongxin cannot run with; ``str()`` is one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HONGXIN_", extra="ignore", frozen=True)

    database_url: str = "sqlite:///./hongxin.db"
    wechat_token: SecretStr = SecretStr(DEV_WECHAT_TOKEN)
    wechat_app_id: str = "wxdev00000000000000"
    wechat_app_secret: SecretStr = SecretStr(DEV_APP_SECRET)
    wechat_aes_key: SecretStr | None = None
    wechat_aes_key_previous: SecretStr | None = None
    wechat_replay_window_seconds: int = Field(default=300, gt=0)
    wechat_safe_only: bool = False
    wechat_api_base: str = "https://api.weixin.qq.com"
    mp_app_id: str = "wxdevmp000000000000"
    mp_app_secret: SecretStr = SecretStr(DEV_MP_APP_SECRET)
    admin_token: SecretStr | None = None
    timezone: str = "Asia/Shanghai"
    dispatch_interval_seconds: float = Field(default=10, gt=0)
    reminder_template_id: str | None = None
    # The mini-program's subscribe-message template for reminders (HONGXIN_MP_REMINDER_TEMPLATE_ID).
    mp_reminder_template_id: str | None = None
    daily_lesson_cron: str = "0 8 * * *"
    # Where members' browsers reach this service (lesson pages linked from news replies).
    # `hongxin serve --port P` makes the default http://127.0.0.1:P (see app/cli.py).
    public_url: str = local_url(DEFAULT_PORT)
    # Larger request bodies are refused with 413 before they are read.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    # Where uploaded images (lesson covers, photos of meeting minutes) go; unset: into the database.
    media_dir: Path | None = None
    # /docs, /redoc and /openapi.json; unset: served in development only.
    public_docs: bool | None = None
    # When set, /metrics answers only to "Authorization: Bearer <this>"; unset: /metrics
    # is served in development only.
    metrics_token: SecretStr | None = None
    # DEBUG adds a line for every callback, which the metrics count and time anyway.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(f"not a database URL: {value!r}") from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise ValueError("only sqlite:// and postgresql:// URLs are supported")
        return value

    @field_validator("admin_token")
    @classmethod
    def _check_admin_token(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        length = len(value.get_secret_value())
        if length < MIN_ADMIN_TOKEN_LENGTH and not _development(info.data):
            raise ValueError(f"must be at least {MIN_ADMIN_TOKEN_LENGTH} characters outside "
                             f"development, got {length} (make one with: "
                             "python -c 'import secrets; print(secrets.token_urlsafe(32))')")
        return value

    @field_validator("media_dir", mode="before")
    @classmethod
    def _empty_media_dir_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("wechat_aes_key", "wechat_aes_key_previous", mode="before")
    @classmethod
    def _check_aes_key(cls, value: object) -> object:
        if value is None or value == "":
            return None
        raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if len(raw) != 43:
            raise ValueError(f"must be 43 characters, got {len(raw)}")
        try:
            decoded = base64.b64decode(raw + "=", validate=True)
        except binascii.Error:
            raise ValueError("must be Base64 (letters, digits, + and /)") from None
        if len(decoded) != 32:
            raise ValueError("does not decode to a 32-byte AES key")
        return raw

    @field_validator("wechat_api_base", "public_url")
    @classmethod
    def _check_api_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("daily_lesson_cron")
    @classmethod
    def _check_cron(cls, value: str) -> str:
        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(f"not a 5-field cron expression: {exc}") from None
        return value

    @property
    def development(self) -> bool:
        """True while both app secrets keep their dev values (see :data:`DEV_APP_SECRET`)."""
        return _development(dict(self))

    @property
    def docs_served(self) -> bool:
        return self.development if self.public_docs is None else self.public_docs

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def aes_keys(self) -> list[str]:
        """Current key first, then the one before a rotation (decrypt only)."""
        return [
            key.get_secret_value()
            for key in (self.wechat_aes_key, self.wechat_aes_key_previous)
            if key is not None
        ]


def _development(values: dict[str, object]) -> bool:
    def secret(name: str) -> object:
        value = values.get(name)
        return value.get_secret_value() if isinstance(value, SecretStr) else value

    return (secret("wechat_app_secret") == DEV_APP_SECRET
            and secret("mp_app_secret") == DEV_MP_APP_SECRET)


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from the environment, raising :class:`SettingsError` on a bad value."""
    env = os.environ if environ is None else environ
    values = {
        name.removeprefix("HONGXIN_").lower(): value
        for name, value in env.items()
        if name.startswith("HONGXIN_")
    }
    try:
        # Passing values explicitly keeps tests independent of the process environment.
        return Settings.model_validate(values) if environ is not None else Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "?"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"HONGXIN_{field.upper()}: {message}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
