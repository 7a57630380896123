"""The queue works the same on SQLite and Redis: a task enqueued is run by a worker."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aria.sync.queue import EmbeddedWorker, build_huey, last_heartbeat, register_tasks


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
