"""Foundation figures: migrating an empty SQLite database, and /readyz latency.

/readyz is what a load balancer polls; it checks the database revision and the queue on
every call, so its cost matters when many instances poll often.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from aria.app import create_app
from aria.config import load_settings
from aria.db import migrate
from aria.db.engine import make_engine


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        started = time.perf_counter()
        migrate.upgrade(engine)
        print(f"migrate empty SQLite to head: {(time.perf_counter() - started) * 1000:.0f} ms")
        engine.dispose()

        settings = load_settings(database_url=url, queue_url=f"sqlite:///{Path(tmp) / 'q.db'}")
        with TestClient(create_app(settings)) as client:
            for path, rounds in (("/healthz", 500), ("/readyz", 300)):
                client.get(path)
                timings = []
                for _ in range(rounds):
                    started = time.perf_counter()
                    response = client.get(path)
                    timings.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200
                print(
                    f"GET {path}: n={rounds} p50={statistics.median(timings):.2f} ms "
                    f"p95={percentile(timings, 95):.2f} ms max={max(timings):.2f} ms"
                )


if __name__ == "__main__":
    main()
