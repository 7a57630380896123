"""Health figure: 1,000 sandbox installations health-checked by the runner, each sandbox call
answering after 100 ms (target: under 10 s on a 2-core machine, concurrency 50).

Why it matters: the scheduled sweep runs every 5 minutes over every enabled installation; it
must finish well inside that, without holding a database session per check. Setup bulk-inserts
organizations and installations and stores their credentials through the config store (the
vault encrypts them as in production); only the sweep is timed: reading and decrypting the
configurations, the checks themselves (OAuth token + first page through the in-process
sandbox), and writing the results and activity rows.
Set ARIA_BENCH_DATABASE_URL (postgresql+psycopg://…) to also measure PostgreSQL.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.sdk.example_integration

from tests.sdk.example_integration import DEMO, AcmeEdr

from aria.accounts.models import Organization
from aria.catalog.service import get_by_key_or_raise, sync_catalog
from aria.config import load_settings
from aria.db import migrate
from aria.db.engine import make_engine, transaction
from aria.db.types import utcnow
from aria.installs import config_store, health
from aria.installs.models import Installation
from aria.runtime import Runtime
from aria.sdk.registry import Registry
from aria.sdk.sandbox import Faults

N = 1_000
LATENCY_MS = 100.0
CONCURRENCY = 50


def seed(runtime: Runtime, n: int = N) -> None:
    """One organization per installation (one install per organization and integration)."""
    now = utcnow()
    model = AcmeEdr.config_class()
    values = model.parse(dict(DEMO))
    with transaction(runtime.sessions) as session:
        sync_catalog(session, registry=runtime.registry)
        entry = get_by_key_or_raise(session, key=AcmeEdr.key)
        orgs = [uuid.uuid4() for _ in range(n)]
        session.execute(
            insert(Organization),
            [
                {"id": o, "name": f"Org {i}", "slug": f"org-{i}", "settings": {}}
                | {"created_at": now, "updated_at": now}
                for i, o in enumerate(orgs)
            ],
        )
        ids = [uuid.uuid4() for _ in range(n)]
        session.execute(
            insert(Installation),
            [
                {"id": i, "organization_id": o, "integration_id": entry.id, "status": "enabled"}
                | {"mode": "sandbox", "created_at": now, "updated_at": now}
                for i, o in zip(ids, orgs, strict=True)
            ],
        )
        for installation in session.query(Installation).all():
            config_store.save(
                session,
                installation=installation,
                model=model,
                values=values,
                previous=None,
                master_key=runtime.master_key,
            )


def measure(label: str, database_url: str, tmp: Path) -> None:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    engine.dispose()
    settings = load_settings(
        data_dir=tmp / f"data-{label}",
        database_url=database_url,
        queue_url=f"sqlite:///{tmp / f'queue-{label}.db'}",
    )
    runtime = Runtime(settings, _registry=Registry(integrations={AcmeEdr.key: AcmeEdr}))
    try:
        started = time.perf_counter()
        seed(runtime)
        print(
            f"{label}: setup of {N} sandbox installations in {time.perf_counter() - started:.2f} s"
        )
        runtime.sandbox_app(AcmeEdr.key).state.sandbox.faults = Faults(latency_ms=LATENCY_MS)
        policy = health.HealthPolicy(concurrency=CONCURRENCY, timeout_s=30)
        for run in ("first", "second"):
            started, cpu = time.perf_counter(), time.process_time()
            summary = health.run_sweep(runtime, policy=policy, min_interval=timedelta(0))
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            assert summary.checked == N, summary  # correctness, not time
            counts = ", ".join(f"{k} {v}" for k, v in summary.counts.items())
            phases = ", ".join(f"{k} {v:.2f} s" for k, v in summary.phases_s.items())
            print(
                f"{label}: health ({run} sweep): {summary.checked} sandbox installations "
                f"({LATENCY_MS:.0f} ms latency) in {elapsed:.2f} s, concurrency {CONCURRENCY}"
            )
            print(
                f"{label}:   [{counts}] phases: {phases}; process CPU {cpu:.2f} s; "
                f"latency floor {N / CONCURRENCY * LATENCY_MS / 1000:.1f} s; "
                f"load average {os.getloadavg()[0]:.1f}"
            )
    finally:
        runtime.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        measure("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp))
        url = os.environ.get("ARIA_BENCH_DATABASE_URL")
        if url:
            name = f"aria_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                target = make_url(url).set(database=name).render_as_string(hide_password=False)
                measure("postgresql", target, Path(tmp))
            finally:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
