"""The `aria` command as a user runs it: a fresh process with its own environment."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ARIA = [sys.executable, "-m", "aria"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARIA_")}
    env["ARIA_DATA_DIR"] = str(tmp_path / "aria-data")
    env.update(extra)
    return env


def _aria(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ARIA, *args],
        env=_env(tmp_path, **extra),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_version() -> None:
    from aria import __version__

    result = subprocess.run([*ARIA, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"aria {__version__}"


def test_setup_is_idempotent_and_db_check_passes(tmp_path: Path) -> None:
    first = _aria(tmp_path, "setup", ARIA_ADMIN_EMAIL="owner@example.com")
    assert first.returncode == 0, first.stderr
    assert "created organization" in first.stderr
    assert "owner@example.com" in first.stderr
    assert "password:" in first.stderr
    second = _aria(tmp_path, "setup")
    assert second.returncode == 0, second.stderr
    assert "created" not in second.stderr
    check = _aria(tmp_path, "db", "check")
    assert check.returncode == 0, check.stderr
    assert "agree" in check.stderr
    from aria.db.migrate import head_revision

    assert _aria(tmp_path, "db", "current").stdout.strip() == head_revision()


def test_chosen_admin_password_is_never_printed(tmp_path: Path) -> None:
    result = _aria(
        tmp_path,
        "setup",
        ARIA_ADMIN_EMAIL="owner@example.com",
        ARIA_ADMIN_PASSWORD="a very private passphrase",
    )
    assert result.returncode == 0, result.stderr
    assert "a very private passphrase" not in result.stderr + result.stdout
    assert "password:" not in result.stderr


def test_db_check_fails_before_upgrade(tmp_path: Path) -> None:
    result = _aria(tmp_path, "db", "check")
    assert result.returncode == 1
    assert "aria db upgrade" in result.stderr


def test_bad_setting_fails_with_one_line_naming_it(tmp_path: Path) -> None:
    result = _aria(tmp_path, "setup", ARIA_LOG_FORMAT="yaml")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "ARIA_LOG_FORMAT" in lines[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(url: str, process: subprocess.Popen[str], deadline_s: float) -> httpx.Response:
    """Poll /readyz until 200 or the deadline; fail early if the server died."""
    deadline = time.monotonic() + deadline_s
    last: Exception | httpx.Response | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}")
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
            last = response
        except httpx.TransportError as error:
            last = error
        time.sleep(0.2)
    pytest.fail(f"not ready within {deadline_s}s: {last!r}")


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []

    def start() -> tuple[str, subprocess.Popen[str]]:
        port = _free_port()
        process = subprocess.Popen(
            [*ARIA, "serve", "--prepare", "--port", str(port)],
            env=_env(tmp_path),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        processes.append(process)
        return f"http://127.0.0.1:{port}", process

    yield start  # type: ignore[misc]
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    # uvicorn re-raises the signal after a graceful shutdown, so -SIGTERM is a clean exit.
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "embedded worker stopped" in output
    assert "Application shutdown complete" in output
    return output


def test_serve_comes_up_ready_with_its_worker_and_restarts_cleanly(serve) -> None:  # type: ignore[no-untyped-def]
    base, process = serve()
    ready = _wait_ready(f"{base}/readyz", process, 90).json()
    assert ready["checks"]["database"]["dialect"] == "sqlite"
    # The embedded worker runs a heartbeat task at start; wait for it to land.
    deadline = time.monotonic() + 30
    while "last_worker" not in ready["checks"]["queue"] and time.monotonic() < deadline:
        time.sleep(0.2)
        ready = httpx.get(f"{base}/readyz", timeout=2).json()
    assert ready["checks"]["queue"]["last_worker"].endswith(":embedded")
    first_output = _stop(process)
    assert "created organization" in first_output

    base, process = serve()
    _wait_ready(f"{base}/readyz", process, 90)
    second_output = _stop(process)
    assert "created organization" not in second_output
    assert "password:" not in second_output
