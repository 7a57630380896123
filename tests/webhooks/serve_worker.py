"""Test-only queue worker: `aria worker` with the example integration registry.

Usage: ``python -m tests.webhooks.serve_worker`` with ARIA_* settings in the environment
(the benchmark runs it beside ``serve_app --no-worker``: one server, one worker process).
"""

from __future__ import annotations

from huey.consumer import Consumer

from aria.config import load_settings
from aria.logs import configure_logging
from aria.runtime import Runtime
from tests.support import example_registry


def main() -> None:
    settings = load_settings()
    configure_logging(settings.log_format, "WARNING")
    runtime = Runtime(settings, _registry=example_registry())
    runtime.tasks  # noqa: B018 - registers the tasks on this Huey instance
    Consumer(runtime.huey, workers=settings.worker_threads, worker_type="thread").run()


if __name__ == "__main__":
    main()
