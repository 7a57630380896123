"""The queue works the same on SQLite and Redis: a task enqueued is run by a worker."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from aria.sync.queue import (
    MAX_POLL_DELAY_S,
    EmbeddedWorker,
    build_consumer,
    build_huey,
    last_heartbeat,
    register_tasks,
)


def test_embedded_worker_runs_enqueued_tasks(queue_url: str) -> None:
    huey = build_huey(queue_url, name="aria-test")
    tasks = register_tasks(huey)
    assert last_heartbeat(huey) is None
    worker = EmbeddedWorker(huey, tasks, workers=1)
    worker.start()
    try:
        result = tasks.heartbeat("test-worker")
        stamp = result.get(blocking=True, timeout=20)
    finally:
        worker.stop()
    assert stamp is not None
    beat = last_heartbeat(huey)
    assert beat is not None
    name, when = beat
    assert name in {"test-worker", worker.name}
    assert (datetime.now(UTC) - when).total_seconds() < 60


def test_unknown_queue_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="queue URL"):
        build_huey("amqp://localhost")


def test_sqlite_queue_commits_without_an_fsync_per_enqueue(tmp_path: Path) -> None:
    """WAL with synchronous=NORMAL (1), like the main database; Huey alone leaves FULL (2)."""
    huey = build_huey(f"sqlite:///{tmp_path}/queue.db", name="aria-test")
    assert huey.storage.conn.execute("pragma synchronous").fetchone()[0] == 1
    assert huey.storage.conn.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_idle_consumers_poll_at_least_twice_a_second(tmp_path: Path) -> None:
    """Huey's default backoff grows to 10 s between polls of an empty queue: a webhook after a
    quiet spell would wait that long. Every consumer we start caps it."""
    huey = build_huey(f"sqlite:///{tmp_path}/queue.db", name="aria-test")
    tasks = register_tasks(huey)
    embedded = EmbeddedWorker(huey, tasks, workers=1)
    standalone = build_consumer(huey, workers=3)
    for consumer in (embedded.consumer, standalone):
        assert consumer.max_delay == MAX_POLL_DELAY_S <= 0.5
        assert all(w.max_delay == MAX_POLL_DELAY_S for w, _ in consumer.worker_threads)
    assert standalone.workers == 3
