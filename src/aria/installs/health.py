"""Installation health: one check on demand, or many at once on a schedule.

Why three phases (read ▸ check ▸ write): a check waits on a vendor for up to its timeout, and
a thousand of them must not hold a thousand database sessions. So configurations are read and
decrypted first in one session, the checks run concurrently with no session at all (bounded
by a capacity limiter, each under its own timeout), and results are written in batches.

What a result does to its installation: ``health_status`` and ``last_health_check_at`` always
change; a ``down`` result counts one more consecutive failure (``error_count``, ``last_error``)
and after ``failure_threshold`` of them an ``enabled`` installation moves to ``error``, saying
why; any passing result (healthy or degraded) resets the count, and an installation in
``error`` goes back to ``enabled`` by itself. Credentials about to expire, or overdue for
rotation, make a passing result ``degraded`` with a warning that names the field, never the
value. Every check writes one activity row.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
from sqlalchemy import or_, select, update
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session

from aria.asyncbridge import run_async
from aria.audit import service as audit
from aria.catalog.models import CatalogEntry
from aria.db.engine import transaction
from aria.db.types import utcnow
from aria.errors import AppError, Conflict, NotFound
from aria.installs import activity, flows, service
from aria.installs.models import ActivityLog, Credential, Installation
from aria.installs.state import check_transition
from aria.logs import redact, request_id_var
from aria.sdk import Config, Integration, IntegrationError, Metrics
from aria.vault.errors import VaultError

if TYPE_CHECKING:
    from aria.accounts.principal import Principal
    from aria.config import Settings
    from aria.runtime import Runtime

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
T = TypeVar("T")

#: What each health status is in the activity log (its status column has no "degraded").
ACTIVITY_STATUS = {"healthy": "success", "degraded": "partial", "down": "failure"}
#: Installations the scheduled sweep looks at: working ones, and failing ones (to recover).
SWEEP_STATUSES = ("enabled", "error")
WRITE_BATCH = 200
SYSTEM_ACTOR = "system:health-check"


@dataclass(frozen=True)
class HealthPolicy:
    """The knobs of a check; ``failure_threshold`` comes from settings, the rest are defaults
    callers (tests, benchmarks, the scheduler) may override."""

    failure_threshold: int = 3
    timeout_s: float = 30.0
    concurrency: int = 50
    expiry_window: timedelta = timedelta(days=14)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> HealthPolicy:
        return cls(failure_threshold=settings.health_failure_threshold, **overrides)


@dataclass
class Target:
    """Everything one check needs, read before any network I/O; ``problem`` says why the
    check cannot even start (package missing, credentials unreadable)."""

    installation_id: uuid.UUID
    config_version: int
    integration_key: str
    mode: str
    cls: type[Integration] | None
    values: Config | None
    warnings: list[str] = field(default_factory=list)
    problem: str | None = None


@dataclass
class Outcome:
    """The result of one check, not yet written anywhere."""

    installation_id: uuid.UUID
    config_version: int
    status: str  # healthy | degraded | down
    message: str
    checked_at: datetime
    execution_time_ms: int = 0
    api_calls: int = 0
    bytes_transferred: int = 0
    warnings: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status != "down"


@dataclass
class Applied:
    """An outcome as written: the installation after it, and the state move it caused."""

    outcome: Outcome
    installation: Installation
    moved_to: str | None = None


@dataclass
class SweepSummary:
    """What a scheduled (or benchmark) run did."""

    checked: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {"healthy": 0, "degraded": 0, "down": 0})
    moved_to_error: int = 0
    recovered: int = 0
    skipped: int = 0  # uninstalled or reconfigured while being checked: result discarded
    duration_s: float = 0.0
    #: Where the time went: reading/decrypting, checking, writing (for tuning the bounds).
    phases_s: dict[str, float] = field(
        default_factory=lambda: {"read": 0.0, "check": 0.0, "write": 0.0}
    )


@dataclass
class LastKnown:
    """The installation's health as of now: stored fields, live credential warnings, and
    the newest health-check activity row (None when it was never checked)."""

    installation: Installation
    warnings: list[str]
    last_check: ActivityLog | None


def batched(items: Iterable[T], size: int) -> Iterator[tuple[T, ...]]:
    """``itertools.batched`` (Python 3.12+) for 3.11."""
    iterator = iter(items)
    while chunk := tuple(islice(iterator, size)):
        yield chunk


# --- credential metadata ------------------------------------------------------------------


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def credential_warnings(
    credentials: Iterable[Credential], *, now: datetime, window: timedelta
) -> list[str]:
    """Warnings for credentials that expire within ``window`` (or already did) and for those
    past their rotation period. Names fields and dates only: a value is never read here."""
    warnings: list[str] = []
    for row in sorted(credentials, key=lambda r: r.field_name):
        name = row.field_name
        if row.expires_at is not None:
            if row.expires_at <= now:
                warnings.append(f"credential '{name}' expired on {_day(row.expires_at)}")
            elif row.expires_at - now <= window:
                days = (row.expires_at - now).days
                warnings.append(
                    f"credential '{name}' expires on {_day(row.expires_at)} "
                    f"(in {days} day{'s' if days != 1 else ''})"
                )
        if row.rotation_frequency_days and row.last_rotated is not None:
            due = row.last_rotated + timedelta(days=row.rotation_frequency_days)
            if due <= now:
                warnings.append(
                    f"credential '{name}' is overdue for rotation (every "
                    f"{row.rotation_frequency_days} days; last rotated {_day(row.last_rotated)})"
                )
    return warnings


def _credentials_of(
    session: Session, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Credential]]:
    found: dict[uuid.UUID, list[Credential]] = {i: [] for i in ids}
    for chunk in batched(ids, 500):
        for row in session.scalars(select(Credential).where(Credential.installation_id.in_(chunk))):
            found[row.installation_id].append(row)
    return found


# --- phase 1: read ------------------------------------------------------------------------


def _problem_text(error: Exception) -> str:
    if isinstance(error, VaultError):
        return f"credentials cannot be read: {error.message}"
    if isinstance(error, IntegrationError):
        return f"stored configuration is no longer valid: {error}"
    if isinstance(error, AppError):
        return error.message
    return f"configuration cannot be loaded ({type(error).__name__})"


def prepare(
    session: Session,
    runtime: Runtime,
    pairs: Sequence[tuple[Installation, CatalogEntry]],
    *,
    now: datetime,
    policy: HealthPolicy,
) -> list[Target]:
    """Load and decrypt each configuration and compute credential warnings, in one session.

    A configuration that cannot be loaded still yields a target (with ``problem`` set), so the
    failure is recorded like any other and counts toward moving the installation to error.
    """
    credentials = _credentials_of(session, [i.id for i, _ in pairs])
    targets = []
    for installation, entry in pairs:
        target = Target(
            installation_id=installation.id,
            config_version=installation.config_version,
            integration_key=entry.key,
            mode=installation.mode,
            cls=None,
            values=None,
            warnings=credential_warnings(
                credentials[installation.id], now=now, window=policy.expiry_window
            ),
        )
        try:
            installed = flows.Installed(installation, entry)
            target.cls = flows.integration_class(runtime, entry)
            target.values = flows.current_config(session, runtime, installed)
        except (AppError, VaultError, IntegrationError) as error:
            target.problem = redact(_problem_text(error))
        targets.append(target)
    return targets


# --- phase 2: check (no database) ---------------------------------------------------------


def _with_warnings(status: str, message: str, warnings: list[str]) -> tuple[str, str]:
    if not warnings or status == "down":
        return status, message
    return "degraded", f"{message}; {len(warnings)} credential warning(s)"


async def check(
    runtime: Runtime, target: Target, *, timeout_s: float, clock: Clock = utcnow
) -> Outcome:
    """Run the integration's ``health_check`` under a timeout; never raises for the vendor's
    (or the integration's) failures: they come back as a ``down`` outcome."""
    started = time.perf_counter()

    def outcome(
        status: str, message: str, details: dict[str, Any], metrics: Metrics | None = None
    ) -> Outcome:
        status, message = _with_warnings(status, redact(message), target.warnings)
        return Outcome(
            installation_id=target.installation_id,
            config_version=target.config_version,
            status=status,
            message=message,
            checked_at=clock(),
            execution_time_ms=int((time.perf_counter() - started) * 1000),
            api_calls=metrics.api_calls if metrics else 0,
            bytes_transferred=(metrics.bytes_sent + metrics.bytes_received) if metrics else 0,
            warnings=list(target.warnings),
            details=details,
        )

    if target.problem is not None or target.cls is None or target.values is None:
        return outcome("down", target.problem or "configuration missing", {"error": "config"})
    try:
        integration = flows.build(runtime, target.cls, target.mode, target.values)
    except IntegrationError as error:  # settings the integration refuses (e.g. its base URL)
        return outcome("down", str(error), {"error": type(error).__name__})
    except Exception as error:  # e.g. sandbox mode for an integration that ships none
        return outcome(
            "down", f"integration cannot be started ({type(error).__name__})", {"error": "build"}
        )
    try:
        async with integration:
            with anyio.move_on_after(timeout_s) as deadline:
                result = await integration.health_check()
    except Exception as error:  # a bug in one integration must not stop the others
        log.warning("health check of %s crashed: %s", target.installation_id, type(error).__name__)
        return outcome(
            "down",
            f"unexpected error ({type(error).__name__})",
            {"error": "crash"},
            integration.metrics,
        )
    if deadline.cancelled_caught:
        return outcome(
            "down",
            f"health check timed out after {timeout_s:g} s without an answer",
            {"error": "timeout", "timeout_s": timeout_s},
            integration.metrics,
        )
    details = {
        k: v for k, v in result.details.items() if k in ("latency_ms", "error", "status_code")
    }
    return outcome(result.status, result.message, details, integration.metrics)


async def check_many(
    runtime: Runtime,
    targets: Sequence[Target],
    *,
    concurrency: int,
    timeout_s: float,
    clock: Clock = utcnow,
) -> list[Outcome]:
    """Check every target, at most ``concurrency`` at a time; results keep the input order."""
    limiter = anyio.CapacityLimiter(concurrency)
    results: list[Outcome | None] = [None] * len(targets)

    async def one(index: int, target: Target) -> None:
        async with limiter:
            results[index] = await check(runtime, target, timeout_s=timeout_s, clock=clock)

    async with anyio.create_task_group() as group:
        for index, target in enumerate(targets):
            group.start_soon(one, index, target)
    return [r for r in results if r is not None]


# --- phase 3: write -----------------------------------------------------------------------


def _move(
    session: Session,
    runtime: Runtime,
    installation: Installation,
    *,
    target: str,
    reason: str | None,
    user_id: uuid.UUID | None,
) -> None:
    """A state change made by the health checker itself (legal moves only), logged and
    audited like one made by a person."""
    check_transition(installation.status, target)
    previous = installation.status
    installation.status = target
    installation.status_reason = reason
    activity.record(
        session,
        installation=installation,
        activity_type="state_change",
        status="success",
        message=f"{previous} → {target}: {reason or 'health check passed again'}",
        triggered_by="system",
        user_id=user_id,
        details={"from": previous, "to": target, "by": "health_check"},
    )
    audit.append(
        session,
        key=runtime.audit_key,
        action=f"installation.{target}",
        actor=SYSTEM_ACTOR,
        organization_id=installation.organization_id,
        target_type="installation",
        target_id=str(installation.id),
        details={"from": previous, "to": target, "by": "health_check"},
    )


def _health_log(
    installation: Installation, outcome: Outcome, user_id: uuid.UUID | None
) -> ActivityLog:
    """The check's activity row. Built here rather than by ``activity.record`` because that
    flushes each row; a sweep writes hundreds per batch and lets them go in one flush.
    Messages are already redacted (``check`` does it before anything else sees them)."""
    return ActivityLog(
        organization_id=installation.organization_id,
        installation_id=installation.id,
        integration_id=installation.integration_id,
        activity_type="health_check",
        direction="outbound",
        status=ACTIVITY_STATUS[outcome.status],
        message=outcome.message,
        error_code=None if outcome.passed else str(outcome.details.get("error") or "down"),
        error_message=None if outcome.passed else outcome.message,
        execution_time_ms=outcome.execution_time_ms,
        api_calls=outcome.api_calls,
        bytes_transferred=outcome.bytes_transferred,
        request_id=request_id_var.get(),
        triggered_by="user" if user_id else "system",
        triggered_by_user_id=user_id,
        details={"health": outcome.status, "warnings": outcome.warnings, **outcome.details},
        created_at=outcome.checked_at,
    )


def apply(
    session: Session,
    runtime: Runtime,
    installation: Installation,
    outcome: Outcome,
    *,
    policy: HealthPolicy,
    user_id: uuid.UUID | None = None,
) -> Applied:
    """Write one outcome onto its installation (in the caller's transaction); the check's
    activity row comes before the state change it causes."""
    installation.health_status = outcome.status
    installation.last_health_check_at = outcome.checked_at
    if outcome.passed:
        installation.error_count = 0
    else:
        installation.error_count += 1
        installation.last_error = outcome.message
        installation.last_error_at = outcome.checked_at
    session.add(_health_log(installation, outcome, user_id))
    moved_to: str | None = None
    if outcome.passed and installation.status == "error":
        _move(session, runtime, installation, target="enabled", reason=None, user_id=user_id)
        moved_to = "enabled"
    elif (
        not outcome.passed
        and installation.status == "enabled"
        and installation.error_count >= policy.failure_threshold
    ):
        reason = (
            f"{installation.error_count} consecutive health checks failed; last: {outcome.message}"
        )
        _move(session, runtime, installation, target="error", reason=reason, user_id=user_id)
        moved_to = "error"
    return Applied(outcome, installation, moved_to)


# --- entry points ----------------------------------------------------------------------


def installed_or_raise(
    session: Session, principal: Principal, installation_id: uuid.UUID
) -> flows.Installed:
    """The caller's installation with its catalog entry; 404 for another organization's."""
    installation = service.get_or_raise(
        session, organization_id=principal.organization_id, installation_id=installation_id
    )
    entry = session.get(CatalogEntry, installation.integration_id)
    assert entry is not None  # the foreign key is RESTRICT: entries are never deleted
    return flows.Installed(installation, entry)


def check_now(
    session: Session,
    runtime: Runtime,
    principal: Principal,
    installed: flows.Installed,
    *,
    policy: HealthPolicy | None = None,
    clock: Clock = utcnow,
) -> Applied:
    """The "Check health" button: one check, same three phases as a sweep.

    The request's transaction is committed before the vendor is called, so no lock (SQLite's
    write lock, say, taken when the API token's last use was stamped) is held while waiting
    on the vendor; the installation is then re-read, locked, and updated.
    """
    policy = policy or HealthPolicy.from_settings(runtime.settings)
    installation = installed.installation
    (target,) = prepare(
        session, runtime, [(installation, installed.entry)], now=clock(), policy=policy
    )
    session.commit()
    outcome = run_async(lambda: check(runtime, target, timeout_s=policy.timeout_s, clock=clock))
    try:
        session.refresh(installation, with_for_update=True)
    except InvalidRequestError:  # uninstalled while it was being checked
        raise NotFound("installation not found") from None
    if installation.config_version != target.config_version:
        raise Conflict("the configuration changed while it was being checked; check again")
    return apply(session, runtime, installation, outcome, policy=policy, user_id=principal.user_id)


def last_known(
    session: Session,
    installation: Installation,
    *,
    policy: HealthPolicy | None = None,
    clock: Clock = utcnow,
) -> LastKnown:
    """Stored health plus warnings computed now (an expiry approaches between checks too)."""
    policy = policy or HealthPolicy()
    credentials = _credentials_of(session, [installation.id])[installation.id]
    newest = session.scalar(
        select(ActivityLog)
        .where(
            ActivityLog.organization_id == installation.organization_id,
            ActivityLog.installation_id == installation.id,
            ActivityLog.activity_type == "health_check",
        )
        .order_by(ActivityLog.id.desc())
        .limit(1)
    )
    return LastKnown(
        installation=installation,
        warnings=credential_warnings(credentials, now=clock(), window=policy.expiry_window),
        last_check=newest,
    )


def _claim(
    session: Session,
    *,
    statuses: Sequence[str],
    now: datetime,
    min_interval: timedelta,
    organization_id: uuid.UUID | None,
) -> list[uuid.UUID]:
    """Stamp and return the installations due for a check, in one UPDATE … RETURNING.

    Why a claim: with several workers (or a sweep slower than its schedule) two sweeps could
    check the same installation and count one failure twice; the stamp makes the second
    sweep skip what the first one took, and expires by itself if a worker dies mid-sweep.
    """
    statement = (
        update(Installation)
        .where(
            Installation.status.in_(statuses),
            or_(
                Installation.last_health_check_at.is_(None),
                Installation.last_health_check_at <= now - min_interval,
            ),
        )
        .values(last_health_check_at=now)
        .returning(Installation.id)
        .execution_options(synchronize_session=False)
    )
    if organization_id is not None:
        statement = statement.where(Installation.organization_id == organization_id)
    return list(session.scalars(statement))


def run_sweep(
    runtime: Runtime,
    *,
    policy: HealthPolicy | None = None,
    statuses: Sequence[str] = SWEEP_STATUSES,
    min_interval: timedelta = timedelta(minutes=2),
    organization_id: uuid.UUID | None = None,
    chunk_size: int = 1000,
    clock: Clock = utcnow,
) -> SweepSummary:
    """Check every due installation in ``statuses``: read, check concurrently, write in
    batches. Installations are taken ``chunk_size`` at a time so decrypted configurations
    of a large fleet are not all held in memory at once."""
    policy = policy or HealthPolicy.from_settings(runtime.settings)
    summary = SweepSummary()
    started = time.perf_counter()
    with transaction(runtime.sessions) as session:
        ids = _claim(
            session,
            statuses=statuses,
            now=clock(),
            min_interval=min_interval,
            organization_id=organization_id,
        )
    for chunk in batched(sorted(ids), chunk_size):
        mark = time.perf_counter()
        with transaction(runtime.sessions) as session:
            pairs = [
                (i, e)
                for i, e in session.execute(
                    select(Installation, CatalogEntry)
                    .join(CatalogEntry, CatalogEntry.id == Installation.integration_id)
                    .where(Installation.id.in_(chunk))
                )
            ]
            targets = prepare(session, runtime, pairs, now=clock(), policy=policy)
        mark = _lap(summary, "read", mark)
        outcomes = run_async(
            lambda targets=targets: check_many(
                runtime,
                targets,
                concurrency=policy.concurrency,
                timeout_s=policy.timeout_s,
                clock=clock,
            )
        )
        mark = _lap(summary, "check", mark)
        for batch in batched(outcomes, WRITE_BATCH):
            _write_batch(runtime, batch, policy=policy, summary=summary)
        _lap(summary, "write", mark)
    summary.duration_s = round(time.perf_counter() - started, 3)
    log.info(
        "health sweep: %d checked (%s), %d to error, %d recovered, %d skipped in %.2f s (%s)",
        summary.checked,
        ", ".join(f"{k} {v}" for k, v in summary.counts.items()),
        summary.moved_to_error,
        summary.recovered,
        summary.skipped,
        summary.duration_s,
        ", ".join(f"{k} {v:.2f} s" for k, v in summary.phases_s.items()),
    )
    return summary


def _lap(summary: SweepSummary, phase: str, since: float) -> float:
    now = time.perf_counter()
    summary.phases_s[phase] = round(summary.phases_s[phase] + now - since, 3)
    return now


def _write_batch(
    runtime: Runtime, batch: Sequence[Outcome], *, policy: HealthPolicy, summary: SweepSummary
) -> None:
    """One transaction per batch; rows are locked (PostgreSQL) so a concurrent request's
    change to the same installation is not lost, and results for installations that were
    uninstalled or reconfigured meanwhile are discarded rather than misattributed."""
    with transaction(runtime.sessions) as session:
        rows = {
            row.id: row
            for row in session.scalars(
                select(Installation)
                .where(Installation.id.in_([o.installation_id for o in batch]))
                .order_by(Installation.id)
                .with_for_update()
            )
        }
        for outcome in batch:
            installation = rows.get(outcome.installation_id)
            if installation is None or installation.config_version != outcome.config_version:
                summary.skipped += 1
                continue
            applied = apply(session, runtime, installation, outcome, policy=policy)
            summary.checked += 1
            summary.counts[outcome.status] += 1
            summary.moved_to_error += applied.moved_to == "error"
            summary.recovered += applied.moved_to == "enabled"
