"""Vault figure: `rotate` over 10,000 installations' data keys (target: under 10 s).

Why it matters: rotation re-wraps every data key on a live server; it must finish quickly
enough that operators actually rotate. Setup is bulk-inserted; only `rotate` is timed.
Set ARIA_BENCH_DATABASE_URL (postgresql+psycopg://…) to also measure PostgreSQL.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

from aria.accounts.models import Organization
from aria.catalog.models import CatalogEntry
from aria.db import migrate
from aria.db.engine import make_engine, make_session_factory, transaction
from aria.db.types import utcnow
from aria.installs.models import Installation
from aria.vault import crypto, service
from aria.vault.models import DataKey

N = 10_000
ORGS = 100  # 100 organizations x 100 integrations = 10,000 distinct installations


def seed(engine: Engine, master_key: bytes, n: int = N) -> None:
    """Bulk-create organizations, catalog entries, installations and their wrapped data keys."""
    now = utcnow()
    per_org = n // ORGS
    orgs = [uuid.uuid4() for _ in range(ORGS)]
    entries = [uuid.uuid4() for _ in range(per_org)]
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        session.execute(
            insert(Organization),
            [
                {"id": o, "name": f"Org {i}", "slug": f"org-{i}", "settings": {}}
                | {"created_at": now, "updated_at": now}
                for i, o in enumerate(orgs)
            ],
        )
        session.execute(
            insert(CatalogEntry),
            [
                {"id": e, "key": f"int-{i}", "name": f"Integration {i}", "vendor": "V"}
                | {"category": "edr", "version": "1.0", "created_at": now, "updated_at": now}
                for i, e in enumerate(entries)
            ],
        )
        installations = [(uuid.uuid4(), o, e) for o in orgs for e in entries]
        session.execute(
            insert(Installation),
            [
                {"id": i, "organization_id": o, "integration_id": e}
                | {"created_at": now, "updated_at": now}
                for i, o, e in installations
            ],
        )
        kek_id, kek = service._ensure_active_kek(session, master_key)
        rows = []
        for installation_id, _, _ in installations:
            wrapped, nonce = crypto.seal(
                kek, crypto.new_key(), crypto.data_key_aad(installation_id, kek_id)
            )
            rows.append(
                {"installation_id": installation_id, "kek_id": kek_id, "wrapped_key": wrapped}
                | {"nonce": nonce, "created_at": now}
            )
        session.execute(insert(DataKey), rows)


def measure(label: str, engine: Engine) -> None:
    master_key = os.urandom(32)
    migrate.upgrade(engine)
    started = time.perf_counter()
    seed(engine, master_key)
    print(
        f"{label}: setup of {N} installations + data keys in {time.perf_counter() - started:.2f} s"
    )
    sessions = make_session_factory(engine)
    started = time.perf_counter()
    result = service.rotate(sessions, master_key=master_key, batch_size=500)
    elapsed = time.perf_counter() - started
    assert result.rewrapped == N, result  # correctness, not time
    print(
        f"{label}: vault rotate: {result.rewrapped} data keys in {elapsed:.2f} s "
        f"({result.rewrapped / elapsed:,.0f} keys/s)"
    )
    started = time.perf_counter()
    again = service.rotate(sessions, master_key=master_key, batch_size=2000)
    elapsed = time.perf_counter() - started
    print(f"{label}: second rotate, batch 2000: {again.rewrapped} data keys in {elapsed:.2f} s")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            measure("sqlite", engine)
        finally:
            engine.dispose()
    url = os.environ.get("ARIA_BENCH_DATABASE_URL")
    if url:
        name = f"aria_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine = make_engine(make_url(url).set(database=name).render_as_string(hide_password=False))
        try:
            measure("postgresql", engine)
        finally:
            engine.dispose()
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
