"""Kill the server (SIGKILL) during a burst of signed webhooks and restart it: every delivery
that got a 202 is processed exactly once, none that got an error status is processed.

A delivery whose connection died with the server has no answer; its sender retries it (as
vendors do), and the seen-id store turns the retry into 200 "duplicate" when the first copy
had been committed, so it too ends up processed exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

from aria.db.types import utcnow
from aria.grc import models as grc
from aria.sdk.auth import hmac_sign
from aria.webhooks import processing
from aria.webhooks.models import InboundEvent
from tests.webhooks.conftest import Hooks, alert

ROOT = Path(__file__).parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(hooks: Hooks, port: int) -> subprocess.Popen[bytes]:
    settings = hooks.runtime.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARIA_")}
    env.update(
        ARIA_DATA_DIR=str(settings.resolved_data_dir),
        ARIA_DATABASE_URL=settings.resolved_database_url,
        ARIA_QUEUE_URL=settings.resolved_queue_url,
        ARIA_WORKER_THREADS="2",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.webhooks.serve_app", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, process.stderr.read() if process.stderr else b""
        assert time.monotonic() < deadline, "server did not come up"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.1)


def _counts(hooks: Hooks) -> dict[str, int]:
    with hooks.runtime.sessions() as session:
        rows = session.execute(
            select(grc.Finding.uid, func.count())
            .where(grc.Finding.uid.like("burst-%"))
            .group_by(grc.Finding.uid)
        ).all()
    return {uid: n for uid, n in rows}


def test_kill_during_burst_loses_nothing_and_doubles_nothing(hooks: Hooks) -> None:
    manual = hooks.client.patch(
        f"/api/v1/installations/{hooks.installation_id}",
        json={"sync_frequency": "manual"},
        headers=hooks.headers,
    )
    assert manual.status_code == 200, manual.text  # no scheduled sync competing with the burst
    created = hooks.create(rate_limit_per_minute=1_000_000)
    secret = created["secret"]
    path = hooks.path(created)
    total = 400
    deliveries = []
    for i in range(total):
        body = json.dumps(alert(f"burst-{i}")).encode()
        # Every tenth delivery is forged: it must be refused and never processed.
        key = secret if i % 10 else "forged-secret-value"
        deliveries.append((f"burst-{i}", body, "sha256=" + hmac_sign(key, body)))

    port = _free_port()
    server = _start(hooks, port)
    outcomes: dict[str, int | str] = {}

    def send(item: tuple[str, bytes, str], base: str) -> tuple[str, int | str]:
        uid, body, signature = item
        try:
            response = httpx.post(
                base + path,
                content=body,
                headers={"Content-Type": "application/json", "X-Acme-Signature": signature},
                timeout=10,
            )
            return uid, response.status_code
        except httpx.TransportError as error:
            return uid, type(error).__name__

    base = f"http://127.0.0.1:{port}"
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(send, item, base) for item in deliveries]
            while sum(f.done() for f in futures) < total // 3:
                assert server.poll() is None
                time.sleep(0.005)
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=10)
            for future in futures:
                uid, status = future.result()
                outcomes[uid] = status
    finally:
        if server.poll() is None:
            server.kill()
    accepted = {uid for uid, s in outcomes.items() if s == 202}
    refused = {uid for uid, s in outcomes.items() if isinstance(s, int) and s != 202}
    unanswered = [item for item in deliveries if not isinstance(outcomes[item[0]], int)]
    assert len(accepted) >= 50, outcomes
    assert unanswered, "the kill came too late to interrupt the burst"
    assert all(outcomes[uid] == 401 for uid in refused)

    # Restart; senders retry what got no answer; drain the queue.
    port = _free_port()
    server = _start(hooks, port)
    try:
        base = f"http://127.0.0.1:{port}"
        for item in unanswered:
            uid, status = send(item, base)
            outcomes[uid] = status
            assert status in (200, 202, 401), (uid, status)
            if status in (200, 202):
                accepted.add(uid)
            else:
                refused.add(uid)
        found = processing.sweep(hooks.runtime, stale_received=processing.STALE_RECEIVED * 0)
        for batch in processing.chunks(found.events):
            hooks.runtime.tasks.webhooks.process(batch)
        deadline = time.monotonic() + 60
        while True:  # the restarted server works through the queue ...
            with hooks.runtime.sessions() as session:
                owed = session.scalars(
                    select(InboundEvent.id).where(InboundEvent.status != "processed")
                ).all()
                leased = session.scalars(
                    select(InboundEvent.id).where(
                        InboundEvent.status == "processing", InboundEvent.lease_until > utcnow()
                    )
                ).all()
            if set(owed) <= set(leased):
                break
            assert server.poll() is None
            assert time.monotonic() < deadline, f"{len(owed)} events still open"
            time.sleep(0.1)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    # ... except what the killed worker had claimed: its lease must expire first; then another
    # worker takes it over (as in the sync crash test, the clock is moved forward for that).
    # Read what is still open only now: the server may finish an event while shutting down.
    with hooks.runtime.sessions() as session:
        owed = session.scalars(
            select(InboundEvent.id).where(InboundEvent.status != "processed")
        ).all()
    later = utcnow() + processing.LEASE + timedelta(seconds=1)
    taken_over = processing.process(hooks.runtime, list(owed), now=lambda: later)
    assert taken_over.processed == len(owed)
    counts = _counts(hooks)
    assert set(counts) == accepted  # every accepted delivery is in the register ...
    assert set(counts.values()) == {1}  # ... once
    assert not refused & set(counts)  # and no refused one is
    with hooks.runtime.sessions() as session:
        events = session.execute(select(InboundEvent.status, InboundEvent.records_processed)).all()
    assert len(events) == len(accepted)  # one stored event per accepted delivery
    assert {tuple(e) for e in events} == {("processed", 1)}
