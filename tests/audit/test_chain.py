"""The audit log's hash chain catches edits, deletions and forgeries."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aria.audit import service as audit
from aria.audit.models import AuditEntry

KEY = b"k" * 32


def _entries(session: Session, count: int) -> list[AuditEntry]:
    entries = [
        audit.append(
            session, key=KEY, action=f"test.{i}", actor="tester", details={"n": i, "names": ["a"]}
        )
        for i in range(count)
    ]
    session.commit()
    return entries


def test_intact_chain_verifies(session: Session) -> None:
    entries = _entries(session, 5)
    assert entries[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(entries))
    result = audit.verify(session, key=KEY)
    assert (result.ok, result.checked) == (True, 5)


def test_edited_entry_is_found(session: Session) -> None:
    entries = _entries(session, 5)
    session.execute(
        update(AuditEntry).where(AuditEntry.id == entries[2].id).values(details={"n": 99})
    )
    session.commit()
    result = audit.verify(session, key=KEY)
    assert not result.ok
    assert result.broken_at == entries[2].id
    assert result.checked == 2


def test_deleted_entry_is_found(session: Session) -> None:
    entries = _entries(session, 5)
    session.execute(delete(AuditEntry).where(AuditEntry.id == entries[1].id))
    session.commit()
    result = audit.verify(session, key=KEY)
    assert not result.ok and result.broken_at == entries[2].id


def test_recomputed_chain_without_the_key_is_found(session: Session) -> None:
    _entries(session, 3)
    assert not audit.verify(session, key=b"x" * 32).ok


def test_chain_cannot_fork(session: Session) -> None:
    first = _entries(session, 1)[0]
    session.add(
        AuditEntry(
            actor="forger",
            action="fork",
            details={},
            created_at=first.created_at,
            prev_hash=first.prev_hash,
            entry_hash="f" * 64,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_details_are_redacted(session: Session) -> None:
    entry = audit.append(
        session, key=KEY, action="x", actor="t", details={"note": "password=hunter2222"}
    )
    session.commit()
    assert "hunter2222" not in str(entry.details)
    assert session.scalar(select(AuditEntry.details).where(AuditEntry.id == entry.id)) == {
        "note": "password=[REDACTED]"
    }


def test_cli_verify_reports_tampering(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARIA_")}
    env["ARIA_DATA_DIR"] = str(tmp_path / "data")

    def aria(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "aria", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )

    assert aria("setup").returncode == 0
    created = aria(
        "user",
        "create",
        "--email",
        "ana@example.com",
        "--org",
        "Blue Team",
        "--role",
        "analyst",
        "--password",
        "long enough password",
    )
    assert created.returncode == 0, created.stderr
    token = aria("token", "create", "--email", "ana@example.com", "--name", "ci")
    assert token.returncode == 0, token.stderr
    plaintext = token.stdout.strip()
    assert plaintext.startswith("aria_")
    assert aria("audit", "verify").returncode == 0
    revoked = aria("token", "revoke", plaintext)
    assert revoked.returncode == 0 and "revoked" in revoked.stderr
    assert plaintext not in revoked.stderr + revoked.stdout
    assert "already revoked" in aria("token", "revoke", plaintext).stderr
    duplicate = aria(
        "user",
        "create",
        "--email",
        "ana@example.com",
        "--org",
        "Blue Team",
        "--role",
        "viewer",
        "--password",
        "long enough password",
    )
    assert duplicate.returncode == 2 and "already a member" in duplicate.stderr

    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "aria.db") as db:
        db.execute("UPDATE audit_log SET actor = 'someone else' WHERE action = 'token.created'")
    tampered = aria("audit", "verify")
    assert tampered.returncode == 1
    assert "tampered" in tampered.stderr
