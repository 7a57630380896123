"""Sync jobs end with exactly the vendor's records: none lost, none doubled."""

from __future__ import annotations

from sqlalchemy import func, select

from aria.grc import models
from aria.sync.runner import run_job
from tests.sync.conftest import Installed


def _counts(installed: Installed) -> tuple[int, int]:
    with installed.runtime.sessions() as session:
        findings = session.scalar(select(func.count()).select_from(models.Finding)) or 0
        sources = session.scalar(select(func.count()).select_from(models.AssetSource)) or 0
    return findings, sources


def test_full_sync_lands_every_record_once(installed: Installed) -> None:
    installed.sandbox(size=120)
    job_id = installed.new_job("full")
    assert run_job(installed.runtime, job_id) == "succeeded"
    job = installed.job(job_id)
    assert job.status == "succeeded" and int(job.progress) == 100
    assert _counts(installed) == (120, 60)  # the sandbox serves size // 2 devices
    assert job.records_created == 180
    second = installed.new_job("full")
    assert run_job(installed.runtime, second) == "succeeded"
    assert _counts(installed) == (120, 60)  # the sandbox serves size // 2 devices
    assert installed.job(second).records_created == 0


def test_incremental_sync_reads_only_newer_records(installed: Installed) -> None:
    installed.sandbox(size=100)
    assert run_job(installed.runtime, installed.new_job("full")) == "succeeded"
    installed.sandbox(size=130)  # same seed, 30 newer alerts
    job_id = installed.new_job("incremental")
    assert run_job(installed.runtime, job_id) == "succeeded"
    job = installed.job(job_id)
    # Only the 30 newer alerts are read; devices are a full-refresh stream, read whole (65).
    assert job.records_processed == 30 + 65
    findings, _ = _counts(installed)
    assert findings == 130


def test_full_sync_resolves_what_the_source_no_longer_reports(installed: Installed) -> None:
    installed.sandbox(size=100)
    assert run_job(installed.runtime, installed.new_job("full")) == "succeeded"
    installed.sandbox(size=100, seed=8)  # a different set of alerts
    assert run_job(installed.runtime, installed.new_job("full")) == "succeeded"
    with installed.runtime.sessions() as session:
        open_ = session.scalar(
            select(func.count()).select_from(models.Finding).where(models.Finding.status_id != 4)
        )
        resolved = session.scalar(
            select(func.count()).select_from(models.Finding).where(models.Finding.status_id == 4)
        )
    assert open_ == 100 and resolved == 100


def test_cancel_stops_between_pages(installed: Installed) -> None:
    from aria.grc import events
    from aria.sync import service

    installed.sandbox(size=200)
    job_id = installed.new_job("full")
    pages = []

    def cancel_after_first_page(batch: list) -> None:
        pages.append(len(batch))
        if len(pages) == 1:
            with installed.runtime.sessions() as session:
                job = service.get_or_raise(
                    session, organization_id=installed.world.org_a.id, job_id=job_id
                )
                service.cancel(session, job=job)
                session.commit()

    events.subscribe(cancel_after_first_page)
    try:
        assert run_job(installed.runtime, job_id) == "cancelled"
    finally:
        events.unsubscribe(cancel_after_first_page)
    job = installed.job(job_id)
    assert job.status == "cancelled" and job.records_created == 25


def test_transient_failures_retry_then_fail(installed: Installed) -> None:
    from aria.sdk.sandbox import Faults

    installed.sandbox(size=50, faults=Faults(error_rate=1.0))
    job_id = installed.new_job("full")
    queued: list[tuple[object, float]] = []

    async def instant(_seconds: float) -> None:
        return None

    def enqueue(job: object, delay: float) -> None:
        queued.append((job, delay))

    options = {"sleep": instant}
    assert (
        run_job(installed.runtime, job_id, enqueue=enqueue, integration_options=options)
        == "retrying"
    )
    job = installed.job(job_id)
    assert job.retry_count == 1 and job.next_retry_at is not None
    assert queued and queued[0][0] == job_id and queued[0][1] >= 15
    for _ in range(3):
        run_job(installed.runtime, job_id, enqueue=enqueue, integration_options=options)
    job = installed.job(job_id)
    assert job.status == "failed" and "gave up after 3 retries" in (job.error_message or "")
    installed.sandbox(size=50)


def test_worker_killed_mid_sync_resumes_from_its_checkpoint(installed: Installed) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time
    from datetime import timedelta
    from pathlib import Path

    from aria.db.types import utcnow
    from aria.sdk.sandbox import Faults
    from aria.sync.runner import LEASE

    size = 400
    job_id = installed.new_job("full")
    settings = installed.runtime.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARIA_")}
    env.update(
        ARIA_DATA_DIR=str(settings.resolved_data_dir),
        ARIA_DATABASE_URL=settings.resolved_database_url,
        ARIA_QUEUE_URL=settings.resolved_queue_url,
    )
    root = Path(__file__).parents[2]
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.sync.crash_worker", str(job_id), str(size), "40"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    try:
        while installed.job(job_id).records_processed < 50:
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            assert time.monotonic() < deadline, "the worker made no progress"
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    interrupted = installed.job(job_id)
    assert interrupted.status == "running"
    assert 50 <= interrupted.records_processed < size + size // 2
    # A new worker takes over once the dead worker's lease has expired.
    installed.sandbox(size=size, faults=Faults())
    assert run_job(installed.runtime, job_id) == "busy"
    later = lambda: utcnow() + LEASE + timedelta(seconds=1)  # noqa: E731
    assert run_job(installed.runtime, job_id, now=later) == "succeeded"
    assert _counts(installed) == (size, size // 2)
    finished = installed.job(job_id)
    assert finished.records_created == size + size // 2


def test_no_push_targets_means_nothing_is_queued(installed: Installed) -> None:
    from tests.grc.test_push import RecordingQueue

    queue = RecordingQueue()
    installed.runtime.__dict__["tasks"] = type("Tasks", (), {"sync": queue})()
    installed.sandbox(size=20)
    assert run_job(installed.runtime, installed.new_job("full")) == "succeeded"
    assert queue.pushes == []
