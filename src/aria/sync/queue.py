"""The job queue: Huey on SQLite (embedded default) or Redis (many workers, many hosts).

Tasks are registered on whichever Huey instance the settings select, through the same code
path, so tests can exercise both storages.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from huey import Huey, RedisHuey, crontab
from huey.api import TaskWrapper
from huey.constants import EmptyData
from huey.consumer import Consumer
from huey.storage import SqliteStorage

from aria.sync.tasks import SyncTasks, register_sync_tasks
from aria.webhooks.tasks import WebhookTasks, register_webhook_tasks

if TYPE_CHECKING:  # the runtime imports this module; the tasks import it lazily
    from aria.runtime import Runtime

log = logging.getLogger(__name__)

HEARTBEAT_KEY = "aria:worker-heartbeat"
#: Health sweeps run every 5 minutes; one not started within 4 minutes (worker down or busy)
#: is dropped instead of piling up behind the next one.
HEALTH_SWEEP = crontab(minute="*/5")
HEALTH_SWEEP_EXPIRES = 240
#: Daily jobs (UTC): yesterday's usage rollup first, the activity purge later.
USAGE_ROLLUP = crontab(minute="20", hour="0")
ACTIVITY_PURGE = crontab(minute="40", hour="3")
DAILY_EXPIRES = 6 * 3600
#: Longest pause between two polls of an idle SQLite queue (Huey's default grows to 10 s, so a
#: webhook arriving after a quiet spell would wait that long). Redis consumers block instead.
MAX_POLL_DELAY_S = 0.5


class WalSqliteStorage(SqliteStorage):
    """Huey's SQLite storage with ``synchronous=NORMAL`` (Huey leaves SQLite's FULL in place).

    In WAL mode NORMAL survives a process crash and skips the fsync on every enqueue, which
    serialized the webhook receiver behind the disk. It is the setting of the main database
    too; what a power cut could drop is found again by the sweeps (webhook events unprocessed
    after 30 s are re-enqueued) and the scheduler.
    """

    def _create_connection(self) -> Any:
        conn = super()._create_connection()
        conn.execute("pragma synchronous=1")
        return conn


def build_huey(url: str, *, name: str = "aria", immediate: bool = False) -> Huey:
    """A Huey instance for ``url`` (``sqlite:///path`` or ``redis://host:port/db``)."""
    if url.startswith(("redis://", "rediss://")):
        return RedisHuey(name=name, url=url, immediate=immediate)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return Huey(
            name=name, filename=str(path), immediate=immediate, storage_class=WalSqliteStorage
        )
    raise ValueError("queue URL must start with sqlite:/// or redis://")


@dataclass
class Tasks:
    """The tasks registered on one Huey instance."""

    heartbeat: TaskWrapper
    health_sweep: TaskWrapper
    usage_rollup: TaskWrapper
    purge_activity: TaskWrapper
    sync: SyncTasks
    webhooks: WebhookTasks


def register_tasks(huey: Huey, *, runtime: Runtime | None = None) -> Tasks:
    """Attach our tasks to ``huey``; later issues add sync and webhook tasks here.

    ``runtime`` is what the database tasks work with; without one, the first task that needs
    it builds one from the process settings (what a worker started from the environment has).
    """
    runtimes: list[Runtime] = [runtime] if runtime is not None else []

    def current() -> Runtime:
        if not runtimes:
            from aria.config import get_settings
            from aria.runtime import Runtime

            runtimes.append(Runtime(get_settings()))
        return runtimes[0]

    @huey.task(name="aria.heartbeat")
    def heartbeat(worker: str) -> str:
        """Record that a worker is alive; /readyz reports how long ago it last ran."""
        stamp = datetime.now(UTC).isoformat()
        huey.storage.put_data(HEARTBEAT_KEY, f"{worker}|{stamp}".encode())
        return stamp

    @huey.periodic_task(HEALTH_SWEEP, name="aria.health-sweep", expires=HEALTH_SWEEP_EXPIRES)
    def health_sweep() -> dict[str, Any]:
        """Check every enabled and failing installation (failing ones recover by this)."""
        from aria.installs import health

        return asdict(health.run_sweep(current()))

    @huey.periodic_task(USAGE_ROLLUP, name="aria.usage-rollup", expires=DAILY_EXPIRES)
    def usage_rollup() -> int:
        """Finalize yesterday's usage figures (today's are rolled up on demand)."""
        from aria.analytics import service as analytics

        today = datetime.now(UTC).date()
        return analytics.rollup_days(current().sessions, days=[today - timedelta(days=1)])

    @huey.periodic_task(ACTIVITY_PURGE, name="aria.activity-purge", expires=DAILY_EXPIRES)
    def purge_activity() -> int:
        """Delete activity logs older than ARIA_ACTIVITY_RETENTION_DAYS, in batches."""
        from aria.installs import retention

        rt = current()
        return retention.purge_activity(
            rt.sessions, retention_days=rt.settings.activity_retention_days
        ).deleted

    return Tasks(
        heartbeat=heartbeat,
        health_sweep=health_sweep,
        usage_rollup=usage_rollup,
        purge_activity=purge_activity,
        sync=register_sync_tasks(huey, current),
        webhooks=register_webhook_tasks(huey, current),
    )


def last_heartbeat(huey: Huey) -> tuple[str, datetime] | None:
    """The worker name and time of the last heartbeat, without consuming it."""
    raw = huey.storage.peek_data(HEARTBEAT_KEY)
    if raw is None or raw is EmptyData:
        return None
    try:
        worker, stamp = bytes(raw).decode().split("|", 1)
        return worker, datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return None


def check_queue(huey: Huey) -> None:
    """Raise if the queue storage cannot be reached (used by /readyz)."""
    huey.storage.queue_size()


def describe_queue(url: str) -> str:
    """The queue location without credentials, for logs and /readyz."""
    parsed = urlparse(url)
    if parsed.scheme.startswith("redis"):
        return f"redis://{parsed.hostname}:{parsed.port or 6379}{parsed.path}"
    return url


def build_consumer(
    huey: Huey, *, workers: int, periodic: bool = True, consumer_class: type[Consumer] = Consumer
) -> Consumer:
    """Worker threads for ``huey`` that poll an idle queue at least every ``MAX_POLL_DELAY_S``."""
    return consumer_class(
        huey,
        workers=workers,
        worker_type="thread",
        periodic=periodic,
        max_delay=MAX_POLL_DELAY_S,
    )


class _QuietConsumer(Consumer):
    """A consumer that leaves signal handling to the host process (uvicorn owns it)."""

    def _set_signal_handlers(self) -> None:
        return None


class EmbeddedWorker:
    """Huey consumer threads inside the web process (the one-machine default)."""

    def __init__(
        self, huey: Huey, tasks: Tasks, *, workers: int = 2, periodic: bool = True
    ) -> None:
        """``periodic=False`` runs only enqueued tasks (tests that must not race the
        scheduler, health sweep and rollups)."""
        self.huey = huey
        self.tasks = tasks
        self.consumer = build_consumer(
            huey, workers=workers, periodic=periodic, consumer_class=_QuietConsumer
        )
        self.name = f"{socket.gethostname()}:embedded"

    def start(self) -> None:
        self.consumer.start()
        self.tasks.heartbeat(self.name)
        log.info("embedded worker started with %d threads", len(self.consumer.worker_threads))

    def stop(self) -> None:
        self.consumer.stop(graceful=True)
        log.info("embedded worker stopped")
