"""Inbound webhook throughput: `aria serve` (uvicorn, embedded worker) on SQLite, driven over
loopback by a small asyncio HTTP/1.1 keep-alive load generator in this process.

Prints, for the same server in the same run: verified, durably accepted webhooks/s with p50/p99
latency; the ceiling of a bare endpoint behind the same middleware (so the figure reads as a
ratio); and the processing queue lag (received → processed) of the accepted events.
Sizes: ARIA_BENCH_WEBHOOK_SECONDS (default 8), ARIA_BENCH_WEBHOOK_CONNECTIONS (default 32).
ARIA_BENCH_WEBHOOK_WORKER: ``process`` (default: `aria serve --no-worker` plus one worker
process, as deployed for load) or ``embedded`` (the worker threads inside the server).
Prints figures; never asserts on time.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

import httpx  # noqa: E402
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
WORKER = os.environ.get("ARIA_BENCH_WEBHOOK_WORKER", "process")


def prepare(data_dir: Path) -> tuple[Runtime, str, str]:
    """A migrated SQLite database with one enabled Acme installation and one endpoint."""
    url = f"sqlite:///{data_dir}/aria.db"
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
            *(["--no-worker"] if WORKER == "process" else []),
            *os.environ.get("ARIA_BENCH_SERVER_ARGS", "").split(),
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


def requests_for(path: str, secret: str, count: int, port: int) -> list[bytes]:
    """Pre-built, individually signed requests (unique bodies: no replay dedupe)."""
    out = []
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
        ).encode()
        signature = "sha256=" + hmac_sign(secret, body)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"X-Acme-Signature: {signature}\r\n\r\n"
        ).encode()
        out.append(head + body)
    return out


async def load(
    port: int, requests: list[bytes], seconds: float
) -> tuple[int, dict[int, int], list[float], float]:
    """Keep-alive connections sending requests back to back until time or requests run out."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    cursor = iter(requests)
    deadline = time.perf_counter() + seconds

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                request = next(cursor, None)
                if request is None:
                    return
                started = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))
    elapsed = time.perf_counter() - began
    return len(latencies), statuses, latencies, elapsed


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def report(
    name: str, done: int, statuses: dict[int, int], latencies: list[float], elapsed: float
) -> float:
    rate = statuses.get(202, 0) / elapsed
    print(
        f"{name:<28} {rate:>8.0f}/s accepted  ({done} requests in {elapsed:.1f}s, "
        f"statuses {statuses})"
        f"  p50 {pct(latencies, 0.5) * 1000:.1f} ms  p99 {pct(latencies, 0.99) * 1000:.1f} ms"
    )
    return rate


def main() -> None:
    workers = (
        "uvicorn, plus 1 worker process" if WORKER == "process" else "uvicorn + embedded worker"
    )
    print(
        f"# {CONNECTIONS} keep-alive connections on loopback, {SECONDS:.0f}s per phase, "
        f"1 server process ({workers}), SQLite WAL"
    )
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        runtime, path, secret = prepare(data_dir)
        port = free_port()
        server = start_server(runtime, port)
        worker = start_worker(runtime) if WORKER == "process" else None
        try:
            warm = requests_for("/bench/bare", secret, 500, port)
            asyncio.run(load(port, warm, 2))
            bare_requests = requests_for("/bench/bare", secret, 200_000, port)
            bare = report(
                "bare endpoint (ceiling)", *asyncio.run(load(port, bare_requests, SECONDS))
            )
            hook_requests = requests_for(path, secret, 200_000, port)
            started = time.monotonic()
            done, statuses, latencies, elapsed = asyncio.run(load(port, hook_requests, SECONDS))
            hooks = report("POST /hooks/{token}", done, statuses, latencies, elapsed)
            print(f"{'ratio to the ceiling':<28} {hooks / bare:>8.0%}")
            accepted = statuses.get(202, 0)
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
