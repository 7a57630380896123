"""The concurrent health runner and the scheduled tasks, on every database (and queue)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import anyio
import pytest
from sqlalchemy import func, select

from aria.accounts import service as accounts
from aria.catalog import service as catalog
from aria.db.engine import transaction
from aria.installs import config_store, health
from aria.installs.models import ActivityLog, Installation
from aria.runtime import Runtime
from aria.sdk.sandbox import Faults
from aria.sync.queue import build_huey, register_tasks
from tests.sdk.example_integration import DEMO, AcmeEdr


def make_installations(runtime: Runtime, count: int, *, status: str = "enabled") -> list[uuid.UUID]:
    """``count`` sandbox installations of acme-edr, one per organization (one install per
    organization and integration), written through the config store so secrets are vaulted."""
    model = AcmeEdr.config_class()
    values = model.parse(dict(DEMO))
    ids = []
    with transaction(runtime.sessions) as session:
        entry = catalog.get_by_key_or_raise(session, key="acme-edr")
        for _ in range(count):
            org = accounts.create_organization(session, name=f"Runner Org {uuid.uuid4().hex[:8]}")
            installation = Installation(
                organization_id=org.id,
                integration_id=entry.id,
                status=status,
                mode="sandbox",
                sync_frequency="daily",
            )
            session.add(installation)
            session.flush()
            config_store.save(
                session,
                installation=installation,
                model=model,
                values=values,
                previous=None,
                master_key=runtime.master_key,
            )
            ids.append(installation.id)
    return ids


class Clock:
    """A settable UTC clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _installations(runtime: Runtime) -> dict[uuid.UUID, Installation]:
    with runtime.sessions() as session:
        return {i.id: i for i in session.scalars(select(Installation))}


def test_runner_respects_the_concurrency_bound_and_summarizes(app_runtime: Runtime) -> None:
    ids = make_installations(app_runtime, 8)
    sandbox = app_runtime.sandbox_app("acme-edr").state.sandbox
    limit = 3
    in_flight = 0
    peak = 0
    full = anyio.Event()

    async def gate(_seconds: float) -> None:
        """Hold each vendor call until ``limit`` are in flight at once: if the runner let
        fewer run concurrently this would never open (the fail_after turns that into an error)."""
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        if in_flight >= limit:
            full.set()
        with anyio.fail_after(10):
            await full.wait()
        in_flight -= 1

    sandbox.sleep = gate
    sandbox.faults = Faults(latency_ms=1)
    summary = health.run_sweep(
        app_runtime, policy=health.HealthPolicy(concurrency=limit, timeout_s=20)
    )
    assert peak == limit
    assert summary.checked == 8
    assert summary.counts == {"healthy": 8, "degraded": 0, "down": 0}
    assert (summary.moved_to_error, summary.recovered, summary.skipped) == (0, 0, 0)
    assert summary.duration_s > 0
    stored = _installations(app_runtime)
    assert {stored[i].health_status for i in ids} == {"healthy"}
    with app_runtime.sessions() as session:
        logs = session.scalars(
            select(ActivityLog).where(ActivityLog.activity_type == "health_check")
        ).all()
        assert len(logs) == 8
        assert {log.triggered_by for log in logs} == {"system"}
        assert all(log.api_calls >= 2 for log in logs)


def test_sweep_moves_failing_installations_to_error_and_back(app_runtime: Runtime) -> None:
    ids = make_installations(app_runtime, 3)
    clock = Clock(datetime(2024, 5, 1, 12, tzinfo=UTC))
    policy = health.HealthPolicy(failure_threshold=2, timeout_s=20)
    _sandbox = app_runtime.sandbox_app("acme-edr").state.sandbox
    _sandbox.faults = Faults(error_rate=1.0, error_status=403)

    def sweep() -> health.SweepSummary:
        summary = health.run_sweep(app_runtime, policy=policy, clock=clock)
        clock.now += timedelta(minutes=5)
        return summary

    first = sweep()
    assert first.counts["down"] == 3 and first.moved_to_error == 0
    second = sweep()
    assert second.moved_to_error == 3
    stored = _installations(app_runtime)
    for installation_id in ids:
        installation = stored[installation_id]
        assert (installation.status, installation.error_count) == ("error", 2)
        assert installation.status_reason and "2 consecutive" in installation.status_reason
        assert installation.last_error_at == datetime(2024, 5, 1, 12, 5, tzinfo=UTC)
    _sandbox.faults = Faults()
    third = sweep()  # error installations are swept too, and recover
    assert (third.counts["healthy"], third.recovered) == (3, 3)
    stored = _installations(app_runtime)
    assert {(stored[i].status, stored[i].error_count) for i in ids} == {("enabled", 0)}
    assert {stored[i].last_health_check_at for i in ids} == {
        datetime(2024, 5, 1, 12, 10, tzinfo=UTC)
    }


def test_sweep_skips_what_was_checked_recently_and_what_is_not_running(
    app_runtime: Runtime,
) -> None:
    enabled = make_installations(app_runtime, 2)
    make_installations(app_runtime, 1, status="disabled")
    make_installations(app_runtime, 1, status="configuring")
    clock = Clock(datetime(2024, 5, 1, 12, tzinfo=UTC))

    def run() -> health.SweepSummary:
        return health.run_sweep(app_runtime, clock=clock, min_interval=timedelta(minutes=2))

    assert run().checked == 2
    clock.now += timedelta(minutes=1)
    assert run().checked == 0  # a second worker's sweep right after: nothing is due
    clock.now += timedelta(minutes=1)
    assert run().checked == 2
    stored = _installations(app_runtime)
    assert {i for i, row in stored.items() if row.health_status == "healthy"} == set(enabled)


def test_results_for_reconfigured_or_uninstalled_installations_are_discarded(
    app_runtime: Runtime,
) -> None:
    keep, reconfigure, remove = make_installations(app_runtime, 3)
    policy = health.HealthPolicy(timeout_s=20)
    now = datetime.now(UTC)
    with app_runtime.sessions() as session:
        pairs = [
            (i, catalog.get_by_key_or_raise(session, key="acme-edr"))
            for i in session.scalars(select(Installation).order_by(Installation.id))
        ]
        targets = health.prepare(session, app_runtime, pairs, now=now, policy=policy)
    outcomes = anyio.run(
        lambda: health.check_many(app_runtime, targets, concurrency=5, timeout_s=20)
    )
    with transaction(app_runtime.sessions) as session:
        changed = session.get(Installation, reconfigure)
        gone = session.get(Installation, remove)
        assert changed is not None and gone is not None
        changed.config_version += 1
        session.delete(gone)
    summary = health.SweepSummary()
    health._write_batch(app_runtime, outcomes, policy=policy, summary=summary)
    assert (summary.checked, summary.skipped) == (1, 2)
    stored = _installations(app_runtime)
    assert stored[keep].health_status == "healthy"
    assert stored[reconfigure].health_status == "unknown"


def test_periodic_tasks_are_registered_and_run(app_runtime: Runtime, queue_url: str) -> None:
    ids = make_installations(app_runtime, 2)
    huey = build_huey(queue_url, name=f"aria-test-{uuid.uuid4().hex[:6]}")
    tasks = register_tasks(huey, runtime=app_runtime)

    mine = {"aria.health-sweep", "aria.usage-rollup", "aria.activity-purge"}

    def due(hour: int, minute: int) -> set[str]:
        at = datetime(2024, 5, 1, hour, minute, tzinfo=UTC)
        return {task.name for task in huey.read_periodic(at)} & mine

    assert due(0, 20) == {"aria.health-sweep", "aria.usage-rollup"}
    assert due(0, 21) == set()
    assert due(3, 40) == {"aria.health-sweep", "aria.activity-purge"}
    assert due(13, 5) == {"aria.health-sweep"}

    summary = tasks.health_sweep.call_local()
    assert summary["checked"] == 2 and summary["counts"]["healthy"] == 2
    stored = _installations(app_runtime)
    assert {stored[i].health_status for i in ids} == {"healthy"}

    retention = app_runtime.settings.activity_retention_days
    with transaction(app_runtime.sessions) as session:
        first, second = session.scalars(select(ActivityLog).order_by(ActivityLog.id)).all()
        first.created_at = datetime.now(UTC) - timedelta(days=retention + 1)
        second.created_at = datetime.now(UTC) - timedelta(days=1)
    assert tasks.purge_activity.call_local() == 1
    assert tasks.usage_rollup.call_local() == 1  # yesterday: one (organization, integration)
    with app_runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ActivityLog)) == 1


def test_runner_is_usable_from_immediate_mode_huey(app_runtime: Runtime) -> None:
    make_installations(app_runtime, 1)
    huey = build_huey("sqlite:///unused.db", name="aria-immediate", immediate=True)
    tasks = register_tasks(huey, runtime=app_runtime)
    tasks.health_sweep()  # enqueued and run at once (periodic tasks keep no result)
    stored = _installations(app_runtime)
    assert {row.health_status for row in stored.values()} == {"healthy"}


def test_a_crashing_integration_is_down_not_a_crashed_sweep(
    app_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_installations(app_runtime, 2)

    async def boom(self: AcmeEdr) -> None:
        raise RuntimeError("bug in an override")

    monkeypatch.setattr(AcmeEdr, "health_check", boom)
    summary = health.run_sweep(app_runtime)
    assert summary.counts["down"] == 2
    with app_runtime.sessions() as session:
        messages = set(
            session.scalars(
                select(ActivityLog.message).where(ActivityLog.activity_type == "health_check")
            )
        )
    assert messages == {"unexpected error (RuntimeError)"}


def test_a_missing_integration_package_is_down_with_the_reason(
    app_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_installations(app_runtime, 1)
    monkeypatch.delitem(app_runtime.registry.integrations, "acme-edr")
    summary = health.run_sweep(app_runtime)
    assert summary.counts["down"] == 1
    (installation,) = _installations(app_runtime).values()
    assert installation.last_error == (
        "integration 'acme-edr' is not installed on this server (its package is missing)"
    )
