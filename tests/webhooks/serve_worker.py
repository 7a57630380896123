"""Test-only queue worker: `aria worker` with the example integration registry.

Usage: ``python -m tests.webhooks.serve_worker`` with ARIA_* settings in the environment
(the benchmark runs it beside ``serve_app --no-worker``: one server, one worker process).
"""

from __future__ import annotations

from aria.config import load_settings
from aria.db.checkpoint import background_checkpoints
from aria.heap import freeze_startup_heap
from aria.logs import configure_logging
from aria.runtime import Runtime
from aria.sync.queue import build_consumer
from tests.support import example_registry


def main() -> None:
    settings = load_settings()
    configure_logging(settings.log_format, "WARNING")
    runtime = Runtime(settings, _registry=example_registry())
    runtime.tasks  # noqa: B018 - registers the tasks on this Huey instance
    consumer = build_consumer(runtime.huey, workers=settings.worker_threads)
    freeze_startup_heap()
    with background_checkpoints(runtime.engine):
        consumer.run()


if __name__ == "__main__":
    main()
