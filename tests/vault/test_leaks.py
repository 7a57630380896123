"""No plaintext secret (nor any unwrapped key) reaches the database."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from aria.vault import crypto, service
from aria.vault.models import DataKey, VaultKey

from .conftest import MakeInstallation
from .helpers import store

PLANTED = "PLANTED-S3CRET-7f3a9c1e5d"


def _unwrapped_keys(session: Session, master_key: bytes) -> list[bytes]:
    """Every KEK and data key in plaintext (test-only: to prove none of them is stored)."""
    keys = {}
    for kek in session.execute(select(VaultKey)).scalars():
        keys[kek.key_id] = service._unwrap_kek(master_key, kek)
    found = list(keys.values())
    for row in session.execute(select(DataKey)).scalars():
        found.append(
            service._unwrap_data_key(
                keys[row.kek_id], row.installation_id, row.kek_id, row.wrapped_key, row.nonce
            )
        )
    return found


def test_planted_secret_never_reaches_the_database(
    engine: Engine,
    session: Session,
    master_key: bytes,
    make_installation: MakeInstallation,
    database_url: str,
) -> None:
    installation = make_installation()
    store(session, master_key, installation, "api_key", PLANTED)
    store(session, master_key, installation, "password", PLANTED * 3)
    service.seal_webhook_secret(
        session,
        master_key=master_key,
        installation=installation,
        webhook_id=uuid.uuid4(),
        secret=PLANTED,
    )
    session.commit()
    secrets = [
        PLANTED.encode(),
        master_key,
        crypto.kek_wrapping_key(master_key),
        *_unwrapped_keys(session, master_key),
    ]
    for table in (VaultKey.__table__, DataKey.__table__):
        for row in session.execute(select(table)).all():
            blob = b"|".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
            assert not any(secret in blob for secret in secrets), table.name
    session.close()
    engine.dispose()  # last connection closed: SQLite checkpoints its WAL into the file
    if engine.dialect.name == "sqlite":
        path = Path(make_url(database_url).database or "")
        files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
        data = b"".join(p.read_bytes() for p in files)
        assert len(data) > 10_000
        for secret in secrets:
            assert secret not in data
