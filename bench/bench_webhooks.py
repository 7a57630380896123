"""Inbound webhook throughput: `aria serve` on SQLite with one worker process, driven over
loopback by wrk (C, keep-alive connections) replaying pre-signed, unique deliveries.

Prints, for the same server in the same run: verified, durably accepted webhooks/s with p50/p99
latency; the ceiling of a bare endpoint behind the same middleware (so the figure reads as a
ratio); and the processing queue lag (received → processed) of the accepted events.
Sizes: ARIA_BENCH_WEBHOOK_SECONDS (default 8), ARIA_BENCH_WEBHOOK_CONNECTIONS (default 32),
ARIA_BENCH_WEBHOOK_THREADS (wrk threads, default 2). `make bench` installs wrk when missing.
ARIA_BENCH_WEBHOOK_WORKER: ``process`` (default: `aria serve --no-worker` plus one worker
process, as deployed for load), ``embedded`` (the worker threads inside the server) or ``none``
(no worker: the accept path alone, nothing processed, no lag figure).
ARIA_BENCH_WEBHOOK_DATABASE_URL: a PostgreSQL database to use (emptied first) instead of SQLite.
Prints figures; never asserts on time.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import httpx  # noqa: E402
from benchdb import reset_postgres  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from tests.support import World, bearer, example_registry  # noqa: E402

from aria.app import create_app  # noqa: E402
from aria.catalog.service import sync_catalog  # noqa: E402
from aria.config import load_settings  # noqa: E402
from aria.db import migrate  # noqa: E402
from aria.db.engine import make_engine, transaction  # noqa: E402
from aria.runtime import Runtime  # noqa: E402
from aria.sdk.auth import hmac_sign  # noqa: E402
from aria.webhooks.models import InboundEvent  # noqa: E402

SECONDS = float(os.environ.get("ARIA_BENCH_WEBHOOK_SECONDS", "8"))
CONNECTIONS = int(os.environ.get("ARIA_BENCH_WEBHOOK_CONNECTIONS", "32"))
THREADS = int(os.environ.get("ARIA_BENCH_WEBHOOK_THREADS", "2"))
WORKER = os.environ.get("ARIA_BENCH_WEBHOOK_WORKER", "process")
#: PostgreSQL instead of SQLite for the server's database (the queue stays on SQLite).
DATABASE_URL = os.environ.get("ARIA_BENCH_WEBHOOK_DATABASE_URL")


def prepare(data_dir: Path) -> tuple[Runtime, str, str]:
    """A migrated database (SQLite, or DATABASE_URL emptied first) with one enabled Acme
    installation and one endpoint."""
    url = DATABASE_URL or f"sqlite:///{data_dir}/aria.db"
    if DATABASE_URL:
        reset_postgres(DATABASE_URL)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    settings = load_settings(
        data_dir=data_dir, database_url=url, queue_url=f"sqlite:///{data_dir}/queue.db"
    )
    runtime = Runtime(settings, _registry=example_registry())
    with transaction(runtime.sessions) as session:
        sync_catalog(session, registry=runtime.registry)
    with TestClient(create_app(runtime=runtime)) as client:
        world = World(runtime)
        headers = bearer(world.owner_a)
        installation = client.post(
            "/api/v1/installations",
            json={"integration_key": "acme-edr", "mode": "sandbox", "sync_frequency": "manual"},
            headers=headers,
        ).json()
        client.post(f"/api/v1/installations/{installation['id']}/enable", headers=headers)
        created = client.post(
            f"/api/v1/installations/{installation['id']}/webhooks",
            json={"rate_limit_per_minute": 1_000_000},
            headers=headers,
        ).json()
    return runtime, "/hooks/" + created["url"].rsplit("/hooks/", 1)[1], created["secret"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(runtime: Runtime) -> dict[str, str]:
    settings = runtime.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARIA_")}
    env.update(
        ARIA_DATA_DIR=str(settings.resolved_data_dir),
        ARIA_DATABASE_URL=settings.resolved_database_url,
        ARIA_QUEUE_URL=settings.resolved_queue_url,
    )
    return env


def start_worker(runtime: Runtime) -> subprocess.Popen[bytes]:
    """One queue worker process beside the server (`aria worker` with the example registry)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.webhooks.serve_worker"],
        cwd=ROOT,
        env=_env(runtime),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_server(runtime: Runtime, port: int) -> subprocess.Popen[bytes]:
    env = _env(runtime)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.webhooks.serve_app",
            str(port),
            "--bare",
            *(["--no-worker"] if WORKER != "embedded" else []),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start")


def write_requests(target: Path, path: str, secret: str | None, count: int) -> None:
    """Pre-built deliveries for the wrk script, signed with ``secret`` (unique bodies: no
    replay dedupe). One line each: path, signature header value, JSON body."""
    with target.open("w") as out:
        for i in range(count):
            body = json.dumps(
                {
                    "alert": {
                        "id": f"bench-{i}",
                        "name": "Credential dumping",
                        "severity": "high",
                        "updated_at": "2024-05-01T11:00:00Z",
                    }
                }
            )
            signature = "sha256=" + hmac_sign(secret, body.encode()) if secret else ""
            out.write(f"{path}\t{signature}\t{body}\n")


@dataclass
class LoadResult:
    requests: int
    seconds: float
    statuses: dict[int, int]
    errors: int
    p50_ms: float
    p99_ms: float
    p999_ms: float

    def rate(self, status: int) -> float:
        return self.statuses.get(status, 0) / self.seconds


def load(port: int, requests_file: Path, seconds: float) -> LoadResult:
    """Run wrk (C, keep-alive, ``THREADS`` threads) with the pre-signed requests."""
    completed = subprocess.run(
        [
            "wrk",
            f"-t{THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{seconds:g}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "bench" / "webhook_load.lua"),
            f"http://127.0.0.1:{port}",
        ],
        env={**os.environ, "REQUESTS": str(requests_file), "THREADS": str(THREADS)},
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in completed.stdout.splitlines() if x.startswith("WRK_RESULT "))
    raw = json.loads(line.removeprefix("WRK_RESULT "))
    return LoadResult(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        statuses={int(k): v for k, v in raw["statuses"].items()},
        errors=raw["errors"],
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        p999_ms=raw["p999_us"] / 1000,
    )


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def report(name: str, result: LoadResult) -> float:
    rate = result.rate(202)
    print(
        f"{name:<28} {rate:>8.0f}/s accepted  ({result.requests} requests in "
        f"{result.seconds:.1f}s, statuses {result.statuses}, socket errors {result.errors})"
        f"  p50 {result.p50_ms:.1f} ms  p99 {result.p99_ms:.1f} ms  "
        f"p99.9 {result.p999_ms:.1f} ms"
    )
    return rate


def main() -> None:
    workers = {
        "process": "uvicorn, plus 1 worker process",
        "embedded": "uvicorn + embedded worker",
        "none": "uvicorn, no worker: nothing is processed",
    }[WORKER]
    print(
        f"# wrk, {THREADS} threads, {CONNECTIONS} keep-alive connections on loopback, "
        f"{SECONDS:.0f}s per phase, "
        f"1 server process ({workers}), "
        f"{'PostgreSQL' if DATABASE_URL else 'SQLite WAL'}"
    )
    if shutil.which("wrk") is None:
        print("wrk is not installed (`make bench` installs it; or apt-get install -y wrk)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        runtime, path, secret = prepare(data_dir)
        port = free_port()
        server = start_server(runtime, port)
        worker = start_worker(runtime) if WORKER == "process" else None
        try:
            bare_file, hooks_file = data_dir / "bare.txt", data_dir / "hooks.txt"
            write_requests(bare_file, "/bench/bare", None, int(SECONDS * 20_000))
            write_requests(hooks_file, path, secret, int(SECONDS * 6_000))
            load(port, bare_file, 2)  # warm-up
            bare = report("bare endpoint (ceiling)", load(port, bare_file, SECONDS))
            started = time.monotonic()
            result = load(port, hooks_file, SECONDS)
            hooks = report("POST /hooks/{token}", result)
            print(f"{'ratio to the ceiling':<28} {hooks / bare:>8.0%}")
            if WORKER == "none":
                return
            accepted = result.statuses.get(202, 0)
            deadline = time.monotonic() + 300
            processed = 0
            while time.monotonic() < deadline:
                with runtime.sessions() as session:
                    processed = (
                        session.scalar(
                            select(func.count())
                            .select_from(InboundEvent)
                            .where(InboundEvent.status == "processed")
                        )
                        or 0
                    )
                if processed >= accepted:
                    break
                time.sleep(0.2)
            drained = time.monotonic() - started
            with runtime.sessions() as session:
                rows = session.execute(
                    select(InboundEvent.received_at, InboundEvent.processed_at).where(
                        InboundEvent.status == "processed"
                    )
                ).all()
            lags = [(p - r).total_seconds() for r, p in rows if p is not None]
            print(
                f"{'queue lag received→processed':<28} p50 {pct(lags, 0.5):.2f}s  "
                f"p99 {pct(lags, 0.99):.2f}s  "
                f"max {max(lags, default=float('nan')):.2f}s  ({processed}/{accepted} processed, "
                f"all done {drained:.1f}s after the load began; "
                f"{processed / max(drained, 1e-9):.0f}/s)"
            )
            if lags:
                print(f"{'mean lag':<28} {statistics.mean(lags):.2f}s")
        finally:
            if worker is not None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            runtime.close()


if __name__ == "__main__":
    main()
