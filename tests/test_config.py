"""Settings: defaults, derived paths, and one clear line for every bad variable."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from aria.config import SettingsError, load_settings


def test_defaults_live_under_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "d")
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'd' / 'aria.db'}"
    assert settings.resolved_queue_url == f"sqlite:///{tmp_path / 'd' / 'queue.db'}"
    assert settings.resolved_master_key_file == tmp_path / "d" / "master.key"
    assert settings.log_format == "text"


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARIA_DATABASE_URL", "postgresql://u@db/aria")
    monkeypatch.setenv("ARIA_QUEUE_URL", "redis://cache:6379/2")
    monkeypatch.setenv("ARIA_LOG_FORMAT", "json")
    monkeypatch.setenv("ARIA_BASE_URL", "https://aria.example.com/")
    settings = load_settings()
    assert settings.resolved_database_url == "postgresql+psycopg://u@db/aria"
    assert settings.resolved_queue_url == "redis://cache:6379/2"
    assert settings.log_format == "json"
    assert settings.base_url == "https://aria.example.com"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ARIA_DATABASE_URL", "mysql://x"),
        ("ARIA_QUEUE_URL", "amqp://x"),
        ("ARIA_LOG_FORMAT", "xml"),
        ("ARIA_BASE_URL", "ftp://x"),
        ("ARIA_PORT", "eighty"),
        ("ARIA_MASTER_KEY", "not-base64!"),
        ("ARIA_MASTER_KEY", base64.b64encode(b"short").decode()),
        ("ARIA_LOG_LEVEL", "loud"),
    ],
)
def test_bad_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert variable in message
    assert "\n" not in message
    if variable == "ARIA_MASTER_KEY":
        assert value not in message  # a (bad) secret is never echoed


def test_master_key_file_is_generated_private_and_stable(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "d")
    key = settings.master_key_bytes()
    assert len(key) == 32
    mode = stat.S_IMODE(settings.resolved_master_key_file.stat().st_mode)
    assert mode == 0o600
    assert settings.master_key_bytes() == key
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o700


def test_master_key_from_environment_wins(tmp_path: Path) -> None:
    raw = os.urandom(32)
    settings = load_settings(data_dir=tmp_path, master_key=base64.b64encode(raw).decode())
    assert settings.master_key_bytes() == raw
    assert not settings.resolved_master_key_file.exists()


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    settings.master_key_bytes()
    settings.resolved_master_key_file.chmod(0o644)
    with pytest.raises(SettingsError, match="readable by others"):
        settings.master_key_bytes()


def test_corrupt_key_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "custom.key"
    path.write_text("garbage")
    path.chmod(0o600)
    settings = load_settings(data_dir=tmp_path, master_key_file=path)
    with pytest.raises(SettingsError, match="ARIA_MASTER_KEY_FILE"):
        settings.master_key_bytes()


def test_session_secret_generated_once(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    first = settings.session_secret()
    assert len(first) >= 32
    assert settings.session_secret() == first
    assert load_settings(data_dir=tmp_path, secret_key="configured").session_secret() == (
        "configured"
    )
