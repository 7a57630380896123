"""The job queue: Huey on SQLite (embedded default) or Redis (many workers, many hosts).

Tasks are registered on whichever Huey instance the settings select, through the same code
path, so tests can exercise both storages.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from huey import Huey, RedisHuey, SqliteHuey
from huey.api import TaskWrapper
from huey.constants import EmptyData
from huey.consumer import Consumer

log = logging.getLogger(__name__)

HEARTBEAT_KEY = "aria:worker-heartbeat"


def build_huey(url: str, *, name: str = "aria", immediate: bool = False) -> Huey:
    """A Huey instance for ``url`` (``sqlite:///path`` or ``redis://host:port/db``)."""
    if url.startswith(("redis://", "rediss://")):
        return RedisHuey(name=name, url=url, immediate=immediate)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name=name, filename=str(path), immediate=immediate)
    raise ValueError("queue URL must start with sqlite:/// or redis://")


@dataclass
class Tasks:
    """The tasks registered on one Huey instance."""

    heartbeat: TaskWrapper


def register_tasks(huey: Huey) -> Tasks:
    """Attach our tasks to ``huey``; later issues add sync, health and webhook tasks here."""

    @huey.task(name="aria.heartbeat")
    def heartbeat(worker: str) -> str:
        """Record that a worker is alive; /readyz reports how long ago it last ran."""
        stamp = datetime.now(UTC).isoformat()
        huey.storage.put_data(HEARTBEAT_KEY, f"{worker}|{stamp}".encode())
        return stamp

    return Tasks(heartbeat=heartbeat)


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


class _QuietConsumer(Consumer):
    """A consumer that leaves signal handling to the host process (uvicorn owns it)."""

    def _set_signal_handlers(self) -> None:
        return None


class EmbeddedWorker:
    """Huey consumer threads inside the web process (the one-machine default)."""

    def __init__(self, huey: Huey, tasks: Tasks, *, workers: int = 2) -> None:
        self.huey = huey
        self.tasks = tasks
        self.consumer = _QuietConsumer(huey, workers=workers, worker_type="thread", periodic=True)
        self.name = f"{socket.gethostname()}:embedded"

    def start(self) -> None:
        self.consumer.start()
        self.tasks.heartbeat(self.name)
        log.info("embedded worker started with %d threads", len(self.consumer.worker_threads))

    def stop(self) -> None:
        self.consumer.stop(graceful=True)
        log.info("embedded worker stopped")
