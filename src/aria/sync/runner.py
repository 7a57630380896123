"""Run one sync job: read pages from the integration, map, upsert, and commit each page
together with its checkpoint, so a worker killed at any point resumes without losing or
doubling a record.

Flow: claim the job and the installation's lease → decrypt the configuration (audited) →
for each stream not yet finished in this job: read pages from the saved state → per page, in
ONE transaction: upsert records, save the stream state and job counters, renew the lease →
publish lifecycle events after commit → on a complete full read, resolve what the source no
longer reports → finish (or retry with backoff on transient errors, fail otherwise).
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from aria.asyncbridge import run_async
from aria.audit import service as audit
from aria.catalog.models import CatalogEntry
from aria.db.engine import transaction
from aria.db.types import utcnow
from aria.grc import events, risks, store
from aria.grc import flows as grc_flows
from aria.installs import activity, config_store, flows
from aria.installs.models import Installation
from aria.logs import redact
from aria.mapping.rules import SpecError
from aria.runtime import Runtime
from aria.sdk import Config, IntegrationError, Page, SyncOptions, TransientError
from aria.sync.mappings import Mapper, load_mapper
from aria.sync.models import SyncJob
from aria.vault.errors import VaultError

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(minutes=30)

Enqueue = Callable[[uuid.UUID, float], None]


class Cancelled(Exception):
    """The job was cancelled between pages."""


@dataclass
class Plan:
    """What a claimed job needs to run, loaded once up front."""

    job_id: uuid.UUID
    full: bool
    source: store.Source
    cls: Any
    mode: str
    values: Config
    streams: list[str]
    done_streams: list[str]
    states: dict[str, Any]
    entities: dict[str, list[str]] = field(default_factory=dict)
    mapper: Mapper | None = None


def backoff(retry: int) -> timedelta:
    """Exponential backoff with full jitter, capped."""
    ceiling = min(RETRY_MAX, RETRY_BASE * (2 ** max(0, retry - 1)))
    return timedelta(seconds=random.uniform(ceiling.total_seconds() / 2, ceiling.total_seconds()))  # noqa: S311 - jitter, not crypto


def _claim(session: Session, runtime: Runtime, job_id: uuid.UUID, now: datetime) -> Plan | str:
    """Take the job and the installation's lease, or say why not (the job's status)."""
    job = session.get(SyncJob, job_id)
    if job is None:
        return "missing"
    stale = job.status == "running"
    if job.status not in ("pending", "retrying") and not stale:
        return job.status
    if job.cancel_requested_at is not None:
        job.status, job.completed_at = "cancelled", now
        return "cancelled"
    installation = session.get(Installation, job.installation_id)
    if installation is None or installation.status not in ("enabled", "error"):
        job.status, job.completed_at = "failed", now
        job.error_message = "installation is no longer enabled"
        return "failed"
    leased = session.execute(
        update(Installation)
        .where(
            Installation.id == installation.id,
            or_(
                Installation.sync_lease_job_id.is_(None),
                # A lease only changes hands when it expired: a "running" job whose worker
                # still renews it is alive, even if this job id holds it.
                Installation.sync_lease_expires_at < now,
            ),
        )
        .values(sync_lease_job_id=job.id, sync_lease_expires_at=now + LEASE)
    ).rowcount
    if not leased:
        return "busy"
    entry = session.get(CatalogEntry, installation.integration_id)
    assert entry is not None
    cls = flows.integration_class(runtime, entry)
    values = config_store.load(
        session, installation=installation, model=cls.config_class(), master_key=runtime.master_key
    )
    if values is None:
        raise IntegrationError("installation has no configuration")
    job.status = "running"
    job.started_at = job.started_at or now
    checkpoint = dict(job.checkpoint or {})
    audit.append(
        session,
        key=runtime.audit_key,
        action="credentials.used",
        actor=f"sync:{job.id}",
        organization_id=installation.organization_id,
        target_type="installation",
        target_id=str(installation.id),
        details={"purpose": f"{job.job_type} sync", "resumed": stale or job.retry_count > 0},
    )
    return Plan(
        job_id=job.id,
        full=job.job_type == "full",
        source=store.Source(
            organization_id=installation.organization_id,
            installation_id=installation.id,
            integration_key=entry.key,
            job_id=job.id,
        ),
        cls=cls,
        mode=installation.mode,
        values=values,
        streams=[stream.name for stream in cls.streams],
        done_streams=list(checkpoint.get("done_streams", [])),
        states=dict(installation.sync_state or {}),
        entities={k: list(v) for k, v in checkpoint.get("entities", {}).items()},
        mapper=load_mapper(session, installation.id),
    )


def _commit_page(
    runtime: Runtime, plan: Plan, page: Page, mapper: Mapper | None, now: Callable[[], datetime]
) -> None:
    """One transaction per page: records, stream state, job counters and lease together."""
    records, dropped = mapper(page.stream, page.records) if mapper else (page.records, 0)
    stamp = now()
    with runtime.write_transaction() as session:  # the write gate: see aria.db.writegate
        job = session.get(SyncJob, plan.job_id)
        assert job is not None
        if job.cancel_requested_at is not None:
            raise Cancelled()
        stats = store.upsert(session, source=plan.source, stream=page.stream, records=records)
        seen = plan.entities.setdefault(page.stream, [])
        for record in records:
            if record.record_type not in seen:
                seen.append(record.record_type)
        done_streams = list(plan.done_streams)
        if page.done:
            if plan.full:
                for entity in seen:
                    stats.add(
                        store.resolve_absent(
                            session, source=plan.source, stream=page.stream, entity=entity
                        )
                    )
            done_streams.append(page.stream)
        outcome = risks.evaluate(
            session, organization_id=plan.source.organization_id, events=stats.events
        )
        plan.states[page.stream] = page.state
        session.execute(
            update(Installation)
            .where(Installation.id == plan.source.installation_id)
            .values(sync_state=dict(plan.states), sync_lease_expires_at=stamp + LEASE)
        )
        job.records_processed += stats.processed
        if _crosses_growth_mark(job.records_created, job.records_created + stats.created):
            store.refresh_statistics(session)
        job.records_created += stats.created
        job.records_updated += stats.updated + stats.resolved + stats.reopened
        job.records_failed += len(page.errors) + dropped
        job.checkpoint = {
            "done_streams": done_streams,
            "entities": {k: list(v) for k, v in plan.entities.items()},
            "current_stream": None if page.done else page.stream,
        }
        job.progress = Decimal(100 * len(done_streams) // max(1, len(plan.streams)))
        job.updated_at = stamp
    plan.done_streams = done_streams
    events.publish(stats.events + risk_events(plan.source, outcome))
    if outcome.changed["created"] or outcome.changed["closed"] or outcome.changed["reopened"]:
        with runtime.sessions() as session:
            grc_flows.dispatch(
                session,
                organization_id=plan.source.organization_id,
                outcome=outcome,
                enqueue=runtime.sync_tasks.enqueue_push,
            )


STATS_FIRST_MARK = 10_000  # new rows before the first ANALYZE; then at every doubling


def _crosses_growth_mark(before: int, after: int) -> bool:
    """True when a job's created count passes 10k, 20k, 40k ... rows."""
    mark = STATS_FIRST_MARK
    while mark <= before:
        mark *= 2
    return after >= mark


def risk_events(source: store.Source, outcome: risks.Outcome) -> list[events.LifecycleEvent]:
    """Risk changes as lifecycle events (``risk.created`` / ``risk.reopened`` /
    ``risk.resolved`` for outbound webhook subscribers)."""
    kinds = {"created": "new", "reopened": "reopened", "closed": "resolved"}
    return [
        events.LifecycleEvent(
            kind=kinds[change],
            entity="risk",
            record_id=risk_id,
            organization_id=source.organization_id,
            installation_id=source.installation_id,
            severity_id=0,
            status_id=4 if change == "closed" else 1,
        )
        for change, ids in outcome.changed.items()
        for risk_id in ids
    ]


def _finish(
    runtime: Runtime,
    job_id: uuid.UUID,
    *,
    status: str,
    error: str | None,
    metrics: dict[str, Any],
    started: float,
    now: datetime,
    retry_in: timedelta | None = None,
) -> None:
    with transaction(runtime.sessions) as session:
        job = session.get(SyncJob, job_id)
        assert job is not None
        installation = session.get(Installation, job.installation_id)
        job.status = status
        job.error_message = redact(error)[:2000] if error else None
        if retry_in is not None:
            job.retry_count += 1
            job.next_retry_at = now + retry_in
        else:
            job.completed_at = now
        if status == "succeeded":
            job.progress = Decimal(100)
        if installation is not None:
            if installation.sync_lease_job_id == job.id:
                installation.sync_lease_job_id = None
                installation.sync_lease_expires_at = None
            if retry_in is None:
                installation.last_sync_at = now
                installation.last_sync_status = status
            if error and status != "cancelled":
                installation.last_error = job.error_message
                installation.last_error_at = now
            activity.record(
                session,
                installation=installation,
                activity_type="sync",
                direction="inbound",
                status={"succeeded": "success", "cancelled": "partial"}.get(status, "failure"),
                message=f"{job.job_type} sync {status}"
                + (f": {job.error_message}" if error else ""),
                triggered_by=job.triggered_by,
                user_id=job.triggered_by_user_id,
                error_code=None if status == "succeeded" else status,
                error_message=job.error_message,
                execution_time_ms=int((time.perf_counter() - started) * 1000),
                api_calls=int(metrics.get("api_calls", 0)),
                bytes_transferred=int(metrics.get("bytes_received", 0))
                + int(metrics.get("bytes_sent", 0)),
                records_processed=job.records_processed,
                records_failed=job.records_failed,
                details={"job_id": str(job.id), "created": job.records_created},
            )


def run_job(
    runtime: Runtime,
    job_id: uuid.UUID,
    *,
    enqueue: Enqueue | None = None,
    mapper: Mapper | None = None,
    now: Callable[[], datetime] = utcnow,
    integration_options: dict[str, Any] | None = None,
) -> str:
    """Run (or resume) one job to an end state; returns that state.

    ``enqueue(job_id, delay_s)`` schedules a retry; ``mapper`` applies the installation's
    data mappings to each page; ``integration_options`` reach the integration's constructor.
    """
    started = time.perf_counter()
    metrics: dict[str, Any] = {}

    def finish(status: str, error: str | None = None, retry_in: timedelta | None = None) -> str:
        _finish(
            runtime,
            job_id,
            status=status,
            error=error,
            metrics=metrics,
            started=started,
            now=now(),
            retry_in=retry_in,
        )
        return status

    try:
        with transaction(runtime.sessions) as session:
            claimed = _claim(session, runtime, job_id, now())
    except (IntegrationError, VaultError, SpecError) as error:
        return finish("failed", str(error))
    if isinstance(claimed, str):
        if claimed == "busy" and enqueue is not None:
            enqueue(job_id, LEASE.total_seconds())
        return claimed
    plan = claimed

    async def read() -> None:
        async with flows.build(
            runtime, plan.cls, plan.mode, plan.values, **(integration_options or {})
        ) as integration:
            try:
                for name in plan.streams:
                    if name in plan.done_streams:
                        continue
                    state = plan.states.get(name)
                    options = SyncOptions(
                        streams=[name], full=plan.full, state={name: state} if state else {}
                    )
                    async for page in integration.sync(options):
                        _commit_page(runtime, plan, page, mapper or plan.mapper, now)
            finally:
                metrics.update(integration.metrics.as_dict())

    try:
        run_async(read)
    except Cancelled:
        return finish("cancelled")
    except TransientError as error:
        with runtime.sessions() as session:
            job = session.get(SyncJob, job_id)
            retries, limit = (job.retry_count, job.max_retries) if job else (0, 0)
        if retries >= limit:
            return finish("failed", f"gave up after {retries} retries: {error}")
        delay = backoff(retries + 1)
        retry_after = getattr(error, "retry_after", None)
        if retry_after:
            delay = max(delay, timedelta(seconds=float(retry_after)))
        finish("retrying", str(error), retry_in=delay)
        if enqueue is not None:
            enqueue(job_id, delay.total_seconds())
        return "retrying"
    except (IntegrationError, VaultError) as error:
        return finish("failed", str(error))
    except Exception as error:  # a bug must fail the job visibly, not kill the worker
        log.exception("sync job %s crashed", job_id)
        return finish("failed", f"internal error ({type(error).__name__})")
    return finish("succeeded")
