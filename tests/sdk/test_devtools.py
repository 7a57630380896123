"""``aria integration list/test/new``: the report, the errors, and a scaffold that starts green."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aria.cli import app
from aria.sdk import registry
from aria.sdk.devtools import cli as devtools_cli
from aria.sdk.devtools.scaffold import plan
from tests.sdk.example_integration import AcmeConfig, AcmeEdr

runner = CliRunner()
ROOT = Path(__file__).parents[2]


class PlainTokenConfig(AcmeConfig):
    api_token: str = "not-masked"


class PlainToken(AcmeEdr):
    """Fails the secret check: used to prove `aria integration test` exits non-zero."""

    key = "plain-token"
    config = PlainTokenConfig


def ep(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group="aria.integrations")


def test_list_shows_installed_and_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = registry.discover(
        [
            ep("acme-edr", "tests.sdk.example_integration:AcmeEdr"),
            ep("broken", "tests.sdk.no_such_module:Thing"),
        ]
    )
    monkeypatch.setattr(devtools_cli, "discover", lambda: fake)
    result = runner.invoke(app, ["integration", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "acme-edr" in result.output and "Acme EDR" in result.output
    assert "1.2.0" in result.output and "tests.sdk.example_integration" in result.output
    assert "Failed to load" in result.output and "ModuleNotFoundError" in result.output


def test_list_with_nothing_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devtools_cli, "discover", lambda: registry.Registry())
    result = runner.invoke(app, ["integration", "list"])
    assert result.exit_code == 0 and "No integrations installed" in result.output


def test_test_runs_the_suite_by_import_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    target = "tests.sdk.example_integration:AcmeEdr"
    result = runner.invoke(
        app, ["integration", "test", target, "-k", "metadata or webhook"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "metadata_valid" in result.output and "webhook_tampered_body_rejected" in result.output
    assert "5 passed" in result.output


def test_test_fails_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(
        app,
        ["integration", "test", "tests.sdk.test_devtools:PlainToken", "-k", "secret_fields"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 1, result.output
    assert "failed" in result.output and "api_token" in result.output


def test_test_unknown_key_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devtools_cli, "discover", lambda: registry.Registry())
    result = runner.invoke(app, ["integration", "test", "no-such-thing"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == ["error: no integration 'no-such-thing' is installed (installed: none)"]
    bad_path = runner.invoke(app, ["integration", "test", "tests.sdk.nowhere:Thing"])
    assert bad_path.exit_code == 2 and "cannot import" in bad_path.output


def test_new_validates_and_refuses_to_overwrite(tmp_path: Path) -> None:
    for bad in ("Acme", "acme_edr", "a", "acme-", "acme--edr"):
        result = runner.invoke(app, ["integration", "new", bad, "--dir", str(tmp_path)])
        assert result.exit_code == 2 and "invalid key" in result.output, bad
    result = runner.invoke(
        app, ["integration", "new", "acme", "--dir", str(tmp_path), "--category", "antivirus"]
    )
    assert result.exit_code == 2 and "unknown category" in result.output
    ok = runner.invoke(app, ["integration", "new", "acme", "--dir", str(tmp_path)])
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(app, ["integration", "new", "acme", "--dir", str(tmp_path)])
    assert again.exit_code == 2 and "already exists" in again.output


def test_plan_derives_names() -> None:
    spec = plan("9lives-siem", category="siem")
    assert spec.dist == "aria-integration-9lives-siem"
    assert spec.module == "aria_integration_9lives_siem"
    assert spec.cls == "Integration9livesSiem" and spec.name == "9lives Siem"


@pytest.mark.slow
def test_scaffolded_package_passes_the_suite_as_generated(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "integration",
            "new",
            "zeta-siem",
            "--dir",
            str(tmp_path),
            "--name",
            "Zeta SIEM",
            "--vendor",
            "Zeta Corp",
            "--category",
            "siem",
        ],
    )
    assert result.exit_code == 0, result.output
    root = tmp_path / "aria-integration-zeta-siem"
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == [
        "README.md",
        "pyproject.toml",
        "src/aria_integration_zeta_siem/__init__.py",
        "src/aria_integration_zeta_siem/sandbox.py",
        "tests/test_conformance.py",
    ]
    pyproject = (root / "pyproject.toml").read_text()
    assert '[project.entry-points."aria.integrations"]' in pyproject
    assert 'zeta-siem = "aria_integration_zeta_siem:ZetaSiem"' in pyproject
    assert '"aria-marketplace' in pyproject
    code = (root / "src/aria_integration_zeta_siem/__init__.py").read_text()
    assert "TODO" not in code and 'vendor = "Zeta Corp"' in code and "api_key: Secret" in code
    assert "conformance(ZetaSiem)" in (root / "tests/test_conformance.py").read_text()
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    env = {k: v for k, v in env.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " passed" in proc.stdout and "failed" not in proc.stdout
