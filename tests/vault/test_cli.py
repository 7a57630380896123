"""`aria vault status` and `aria vault rotate` as an operator runs them: fresh processes."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

from aria.config import load_settings
from aria.db.engine import transaction
from aria.installs.models import Credential
from aria.runtime import Runtime

from .conftest import _entry, _organization
from .helpers import read, store

ARIA = [sys.executable, "-m", "aria"]


def _aria(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARIA_")}
    env["ARIA_DATA_DIR"] = str(tmp_path / "aria-data")
    env["COLUMNS"] = "120"
    env.update(extra)
    return subprocess.run(
        [*ARIA, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


def _key_ids(output: str) -> list[str]:
    return re.findall(r"kek-[0-9a-f]{8}", output)


def test_status_and_rotate(tmp_path: Path) -> None:
    assert _aria(tmp_path, "setup").returncode == 0
    empty = _aria(tmp_path, "vault", "status")
    assert empty.returncode == 0, empty.stderr
    assert "no keys yet" in empty.stdout

    settings = load_settings(data_dir=tmp_path / "aria-data")
    master_key = settings.master_key_bytes()
    runtime = Runtime(settings)
    from aria.installs.models import Installation

    with transaction(runtime.sessions) as session:
        installations = []
        for i in range(3):
            org, entry = _organization(session), _entry(session)
            session.flush()
            installation = Installation(organization_id=org.id, integration_id=entry.id)
            session.add(installation)
            session.flush()
            store(session, master_key, installation, "api_key", f"cli-secret-{i}")
            installations.append(installation)

    before = _aria(tmp_path, "vault", "status")
    assert before.returncode == 0, before.stderr
    (old_id,) = set(_key_ids(before.stdout))
    assert re.search(rf"{old_id}\s.*active.*\s3\s", before.stdout), before.stdout

    rotated = _aria(tmp_path, "vault", "rotate", "--batch-size", "2")
    assert rotated.returncode == 0, rotated.stderr
    assert "re-wrapped 3 data keys" in rotated.stdout
    new_id = _key_ids(rotated.stdout)[0]
    assert new_id != old_id and f"retired {old_id}" in rotated.stdout

    after = _aria(tmp_path, "vault", "status")
    assert re.search(rf"{old_id}\s.*retired.*\s0\s", after.stdout), after.stdout
    assert re.search(rf"{new_id}\s.*active.*\s3\s", after.stdout), after.stdout
    for output in (before, rotated, after):
        assert "cli-secret" not in output.stdout + output.stderr

    with runtime.sessions() as session:
        for installation in installations:
            credential = session.query(Credential).filter_by(installation_id=installation.id).one()
            assert read(session, master_key, installation, credential).startswith("cli-secret-")
    runtime.close()

    wrong = base64.b64encode(os.urandom(32)).decode()
    refused = _aria(tmp_path, "vault", "rotate", ARIA_MASTER_KEY=wrong)
    assert refused.returncode == 1
    assert "master key" in refused.stderr and "Traceback" not in refused.stderr
    assert _aria(tmp_path, "vault", "rotate", "--batch-size", "0").returncode == 2


def test_rotate_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = _aria(tmp_path, "vault", "rotate")
    assert result.returncode == 1
    assert "aria db upgrade" in result.stderr
