"""Settings: every knob is an ``ARIA_*`` environment variable, validated once at start.

Why one class: the CLI, the web app and the worker must agree on where the data lives,
and a bad value must stop the process with one clear line naming the variable.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import stat
from collections.abc import Callable
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "ARIA_"


class LogFormat(StrEnum):
    text = "text"
    json = "json"


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names the ``ARIA_*`` variable."""


class Settings(BaseSettings):
    """Process configuration read from ``ARIA_*`` variables (and an optional ``.env``)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("aria-data"), description="Where embedded data lives.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file in the data dir."
    )
    queue_url: str | None = Field(
        default=None, description="Huey storage: sqlite:///path or redis://host:port/db."
    )
    master_key: SecretStr | None = Field(
        default=None, description="Base64 32-byte key-encryption master key."
    )
    master_key_file: Path | None = Field(
        default=None, description="File holding the master key; default: data dir."
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Signs browser sessions; generated into the data dir if absent."
    )
    base_url: str = Field(default="http://127.0.0.1:8000", description="Public URL of this server.")
    log_format: LogFormat = Field(default=LogFormat.text, description="text or json.")
    log_level: str = Field(default="INFO", description="Python logging level name.")
    admin_email: str | None = Field(default=None, description="First owner's email (make run).")
    admin_password: SecretStr | None = Field(default=None, description="First owner's password.")
    host: str = Field(default="127.0.0.1", description="Bind address of `aria serve`.")
    port: int = Field(default=8000, ge=1, le=65535, description="Bind port of `aria serve`.")
    worker_threads: int = Field(default=2, ge=1, le=64, description="Huey worker threads.")
    webhooks_allow_loopback: bool = Field(
        default=False, description="Allow outbound webhooks to loopback addresses (tests, dev)."
    )
    webhooks_allow_private: bool = Field(
        default=False, description="Allow outbound webhooks to private networks (on-premises)."
    )
    api_rate_limit: int = Field(
        default=600, ge=1, le=1_000_000, description="API requests per minute per token/session."
    )
    health_failure_threshold: int = Field(
        default=3,
        ge=1,
        le=100,
        description="Consecutive failed health checks that move an enabled installation to error.",
    )
    activity_retention_days: int = Field(
        default=90, ge=1, le=3650, description="Days of activity logs kept by the daily purge."
    )

    @field_validator("database_url")
    @classmethod
    def _database_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql+psycopg://")
        if value is not None and value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("queue_url")
    @classmethod
    def _queue_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite://", "redis://", "rediss://")):
            raise ValueError("must start with sqlite:// or redis://")
        return value

    @field_validator("master_key")
    @classmethod
    def _master_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            decode_master_key(value.get_secret_value())
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    # Derived values -------------------------------------------------------------------------

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.resolved_data_dir / 'aria.db'}"

    @property
    def resolved_queue_url(self) -> str:
        return self.queue_url or f"sqlite:///{self.resolved_data_dir / 'queue.db'}"

    @property
    def resolved_master_key_file(self) -> Path:
        return (self.master_key_file or self.resolved_data_dir / "master.key").expanduser()

    def ensure_data_dir(self) -> Path:
        """Create the data dir with owner-only permissions; it holds keys and the database."""
        path = self.resolved_data_dir
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path

    def master_key_bytes(self) -> bytes:
        """The 32-byte master key: configured, or generated once into its key file (0600)."""
        if self.master_key is not None:
            return decode_master_key(self.master_key.get_secret_value())
        path = self.resolved_master_key_file
        if self.master_key_file is None:
            self.ensure_data_dir()
        stored = read_or_create_secret_file(
            path, generate=lambda: base64.b64encode(secrets.token_bytes(32)).decode()
        )
        try:
            return decode_master_key(stored)
        except ValueError as error:
            raise SettingsError(f"ARIA_MASTER_KEY_FILE: {path}: {error}") from None

    def session_secret(self) -> str:
        """The session-signing key: configured, or generated once into the data dir (0600)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return read_or_create_secret_file(self.ensure_data_dir() / "secret.key")


def decode_master_key(value: str) -> bytes:
    """Decode a base64 master key, insisting on exactly 32 bytes (AES-256)."""
    try:
        key = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("must be base64 (generate one with `openssl rand -base64 32`)") from None
    if len(key) != 32:
        raise ValueError(f"must decode to 32 bytes, got {len(key)}")
    return key


def read_or_create_secret_file(
    path: Path, generate: Callable[[], str] = lambda: secrets.token_urlsafe(48)
) -> str:
    """Return the secret stored at ``path``, creating it (mode 0600) on first use.

    Refuses a file that group or others may read: a leaked signing key forges sessions.
    """
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise SettingsError(f"{path} is readable by others (mode {mode:o}); chmod 600 it")
        return path.read_text().strip()
    value = generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def describe_validation_error(error: ValidationError) -> str:
    """One line naming the offending ``ARIA_*`` variable(s), never their values."""
    parts = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "?"
        message = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{ENV_PREFIX}{field.upper()}: {message}")
    return "invalid setting " + "; ".join(parts)


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, turning validation errors into `SettingsError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own with `load_settings`)."""
    return load_settings()
