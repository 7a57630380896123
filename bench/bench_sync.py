"""End-to-end sync throughput: sandbox (in process) → normalize → mapping → upsert, through
the real sync runner, against a naive one-ORM-select-then-insert-per-record baseline.

Prints records/s for SQLite (and PostgreSQL when ARIA_BENCH_DATABASE_URL is set), the speed-up
over the baseline, and the peak RSS of a sync of ARIA_BENCH_MEMORY_RECORDS records
(default 1,000,000; run in a fresh process so the figure is the sync's own).
Sizes: ARIA_BENCH_SYNC_RECORDS (default 200,000); ARIA_BENCH_SKIP_SQLITE=1 measures only
PostgreSQL.

Also printed, so the figures can be read against what the machine allows: two floors of the
pipeline measured alone. The source side (sandbox page → HTTP → JSON → the integration's
normalizer, nothing stored) and, on SQLite, the findings rows of the sync inserted again by
the driver alone (one prepared INSERT, executemany, into an empty table with the same
indexes). No pipeline that does both can be faster than the two together.
"""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from benchdb import reset_postgres  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sync_fixture import BenchEdr, alert  # noqa: E402

from aria.accounts.models import Organization  # noqa: E402
from aria.catalog.service import sync_catalog  # noqa: E402
from aria.config import load_settings  # noqa: E402
from aria.db import migrate  # noqa: E402
from aria.db.checkpoint import background_checkpoints  # noqa: E402
from aria.db.engine import make_engine, transaction  # noqa: E402
from aria.grc import models  # noqa: E402
from aria.heap import freeze_startup_heap  # noqa: E402
from aria.installs.models import Installation  # noqa: E402
from aria.runtime import Runtime  # noqa: E402
from aria.sdk.registry import Registry  # noqa: E402
from aria.sync import service  # noqa: E402
from aria.sync.runner import run_job  # noqa: E402


def prepare(url: str, data_dir: Path, size: int) -> tuple[Runtime, uuid.UUID]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    BenchEdr.size = size
    runtime = Runtime(
        load_settings(data_dir=data_dir, database_url=url, queue_url=f"sqlite:///{data_dir}/q.db"),
        _registry=Registry(integrations={BenchEdr.key: BenchEdr}),
    )
    from aria.installs import config_store

    with transaction(runtime.sessions) as session:
        sync_catalog(session, registry=runtime.registry)
        org = Organization(name=f"Bench {uuid.uuid4().hex[:6]}", slug=uuid.uuid4().hex[:12])
        session.add(org)
        session.flush()
        from aria.catalog.models import CatalogEntry

        entry = session.scalar(select(CatalogEntry).where(CatalogEntry.key == BenchEdr.key))
        installation = Installation(
            organization_id=org.id, integration_id=entry.id, status="enabled", mode="sandbox"
        )
        session.add(installation)
        session.flush()
        model = BenchEdr.config_class()
        config_store.save(
            session,
            installation=installation,
            model=model,
            values=model.parse(BenchEdr.sandbox_config),
            previous=None,
            master_key=runtime.master_key,
        )
        job = service.create(
            session, installation=installation, job_type="full", triggered_by="bench"
        )
    return runtime, job.id


def ours(url: str, data_dir: Path, size: int) -> float:
    runtime, job_id = prepare(url, data_dir, size)
    with background_checkpoints(runtime.engine):  # as in `aria worker` and `aria serve`
        started = time.perf_counter()
        status = run_job(runtime, job_id)
        elapsed = time.perf_counter() - started
    with runtime.sessions() as session:
        stored = session.query(models.Finding).count()
    assert status == "succeeded" and stored == size, (status, stored)
    runtime.close()
    return size / elapsed


def source_floor(data_dir: Path, size: int) -> float:
    """Records/s of the source side alone: pages read and normalized, nothing stored."""
    from aria.asyncbridge import run_async
    from aria.installs import flows
    from aria.sdk import SyncOptions

    runtime, _job_id = prepare(f"sqlite:///{data_dir}/source.db", data_dir, size)
    values = BenchEdr.config_class().parse(BenchEdr.sandbox_config)
    counted = [0]

    async def read() -> None:
        async with flows.build(runtime, BenchEdr, "sandbox", values) as integration:
            async for page in integration.sync(SyncOptions(streams=["alerts"], full=True)):
                counted[0] += len(page.records)

    started = time.perf_counter()
    run_async(read)
    elapsed = time.perf_counter() - started
    runtime.close()
    assert counted[0] == size, counted
    return size / elapsed


def insert_floor(database: Path, data_dir: Path, rows: int = 20_000) -> float:
    """Rows/s of SQLite inserting ``rows`` stored findings again into an empty, migrated
    findings table: the driver's executemany of one prepared INSERT, nothing else."""
    empty = data_dir / "floor.db"
    engine = make_engine(f"sqlite:///{empty}")
    migrate.upgrade(engine)
    engine.dispose()
    with sqlite3.connect(database) as source:
        names = [r[1] for r in source.execute("PRAGMA table_info(findings)") if r[1] != "id"]
        stored = source.execute(f"SELECT {', '.join(names)} FROM findings LIMIT {rows}").fetchall()
    # The driver alone, with the product's journal settings; foreign keys stay off because
    # the rows' organization, installation and assets are not in this empty database.
    target = sqlite3.connect(empty)
    target.execute("PRAGMA journal_mode=WAL")
    target.execute("PRAGMA synchronous=NORMAL")
    statement = f"INSERT INTO findings ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    started = time.perf_counter()
    for start in range(0, len(stored), 1000):  # one transaction per page, as a sync commits
        target.executemany(statement, stored[start : start + 1000])
        target.commit()
    elapsed = time.perf_counter() - started
    target.close()
    return len(stored) / elapsed


def naive(url: str, data_dir: Path, size: int) -> float:
    """The plan's pseudo-code: per record, normalize, SELECT by key, then INSERT or UPDATE."""
    runtime, _job_id = prepare(url, data_dir, 0)
    from sync_fixture import Alerts

    from aria.grc.store import digest

    stream = Alerts(BenchEdr.config_class().parse(BenchEdr.sandbox_config))
    with background_checkpoints(runtime.engine), runtime.sessions() as session:
        installation = session.scalar(select(Installation))
        started = time.perf_counter()
        for index in range(size):
            record = stream.normalize(alert(index))
            key = digest("finding", "detection", *record.dedupe_key(str(installation.id)))
            row = session.scalar(
                select(models.Finding).where(
                    models.Finding.organization_id == installation.organization_id,
                    models.Finding.dedupe_hash == key,
                )
            )
            data = record.model_dump(mode="json", exclude={"raw"})
            if row is None:
                session.add(
                    models.Finding(
                        organization_id=installation.organization_id,
                        installation_id=installation.id,
                        integration_key=BenchEdr.key,
                        stream="alerts",
                        dedupe_hash=key,
                        content_hash=key,
                        uid=record.source_uid,
                        severity_id=int(record.severity),
                        status_id=int(record.status),
                        title=record.title,
                        data=data,
                        raw=record.raw,
                        kind="detection",
                    )
                )
            else:
                row.data = data
            session.commit()
        elapsed = time.perf_counter() - started
    runtime.close()
    return size / elapsed


def memory_child(size: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ours(f"sqlite:///{tmp}/mem.db", Path(tmp), size)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{peak_kb / 1024:.0f}")


def _floors(data_dir: Path, size: int) -> str:
    source = source_floor(data_dir, size)
    insert = insert_floor(data_dir / "bench.db", data_dir)
    both = 1 / (1 / source + 1 / insert)
    return (
        f"\n  floors: source side alone {source:,.0f} records/s; findings INSERT alone "
        f"{insert:,.0f} rows/s; both together at most {both:,.0f} records/s"
    )


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--memory-child":
        memory_child(int(sys.argv[2]))
        return
    # As `aria serve` and `aria worker` do at startup (for the baseline too): the imported
    # modules stay out of the collector's full scans.
    freeze_startup_heap()
    size = int(os.environ.get("ARIA_BENCH_SYNC_RECORDS", "200000"))
    naive_size = max(1000, size // 20)
    targets = [] if os.environ.get("ARIA_BENCH_SKIP_SQLITE") else [("sqlite", None)]
    if os.environ.get("ARIA_BENCH_DATABASE_URL"):
        targets.append(("postgresql", os.environ["ARIA_BENCH_DATABASE_URL"]))
    for name, pg_url in targets:
        with tempfile.TemporaryDirectory() as tmp:
            url = pg_url or f"sqlite:///{tmp}/bench.db"
            if pg_url:
                reset_postgres(pg_url)
            rate = ours(url, Path(tmp), size)
            floors = "" if pg_url else _floors(Path(tmp), size)
            if pg_url:
                reset_postgres(pg_url)
            url = pg_url or f"sqlite:///{tmp}/naive.db"
            baseline = naive(url, Path(tmp), naive_size)
        print(
            f"sync ({name}): {size} records at {rate:,.0f} records/s; naive per-record ORM "
            f"baseline {baseline:,.0f} records/s ({naive_size} records); {rate / baseline:.1f}x"
            + floors
        )
    memory = int(os.environ.get("ARIA_BENCH_MEMORY_RECORDS", "1000000"))
    if memory:
        out = subprocess.run(
            [sys.executable, __file__, "--memory-child", str(memory)],
            capture_output=True,
            text=True,
            check=True,
        )
        print(
            f"sync peak RSS for {memory} records (sqlite): {out.stdout.strip().splitlines()[-1]} MB"
        )


if __name__ == "__main__":
    main()
