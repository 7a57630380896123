"""The public receiver ``POST /hooks/{token}``: look up ▸ limit ▸ verify ▸ persist ▸ 202 ▸ queue.

Order of checks (cheapest first, nothing unbounded before authentication):
token lookup (unknown or disabled → the same 404) → per-endpoint rate limit (429) → content
type (415) → Content-Length, then the body read in chunks with a cap (413) → verification
(401) → the seen-id store (a replay is acknowledged with 200 and not stored again).

Durable before acknowledged: an accepted delivery is handed to a group-commit writer; the
request awaits the COMMIT of the transaction that holds its row, and only then answers 202.
One writer thread commits whatever arrived while the previous commit ran, so throughput comes
from batching rather than from skipping the fsync. After the commit the batch's ids go to the
queue as one task, on a second thread so the next batch commits meanwhile; if that enqueue is
lost (crash), the periodic sweep finds the rows.

Rejections are counted per (endpoint, reason) and written by the same writer as one activity
row per reason and batch: every rejection is counted, and a flood of bad requests costs one
row per commit, not one per request. Unknown tokens have no installation to log against; they
are counted in the process (`Receiver.unknown_tokens`) and logged at debug level.

Endpoint lookups are cached per process for `CACHE_TTL_S` (the decrypted signing secret lives
in that cache entry); changes made through the API in this process invalidate it at once,
other processes see them within the TTL.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import SecretStr
from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from aria.catalog.models import CatalogEntry
from aria.db.types import utcnow
from aria.grc.store import dialect_insert
from aria.installs import activity, config_store, flows
from aria.installs.models import Installation
from aria.runtime import Runtime
from aria.sdk import WebhookEvent
from aria.webhooks import eventtypes, service, verify
from aria.webhooks.models import InboundEvent, SeenDelivery, Webhook

log = logging.getLogger(__name__)

CACHE_TTL_S = 5.0
CACHE_MAX = 10_000
MAX_BATCH = 512
TOKEN_MAX_LENGTH = 128
ALLOWED_CONTENT_TYPES = frozenset(
    {"application/json", "application/x-www-form-urlencoded", "text/plain"}
)
#: Never stored with an event: credentials of the sender (bearer tokens, cookies, API keys).
UNSTORED_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-api-key", "x-auth-token"}
)

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Endpoint:
    """What the hot path needs of one endpoint, loaded once per cache period."""

    webhook_id: uuid.UUID
    organization_id: uuid.UUID
    installation_id: uuid.UUID
    active: bool
    method: str = "hmac"
    config: Any = None
    secrets: tuple[str, ...] = ()
    verifier: Callable[[WebhookEvent], bool] | None = None
    rate_limit_per_minute: int = 6000
    max_body_bytes: int = 1_048_576
    event_types: tuple[str, ...] = ()


@dataclass
class Accepted:
    endpoint: Endpoint
    body: bytes
    headers: dict[str, str]
    content_type: str | None
    source_ip: str | None
    delivery_key: str | None
    replay_ttl_s: int
    received_at: datetime
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)


def _json(status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(payload, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return _json(status, {"error": {"code": code, "message": message, "details": None}}, headers)


def _not_found() -> Response:
    return _error(404, "not_found", "not found")


def content_type_allowed(value: str | None) -> bool:
    if not value:
        return False
    base = value.split(";", 1)[0].strip().lower()
    return base in ALLOWED_CONTENT_TYPES or (
        base.startswith("application/") and base.endswith("+json")
    )


async def read_capped(request: Request, cap: int) -> bytes | None:
    """The body, or None as soon as it grows past ``cap`` (the rest is never read)."""
    chunks = bytearray()
    async for chunk in request.stream():
        chunks.extend(chunk)
        if len(chunks) > cap:
            return None
    return bytes(chunks)


class Writer:
    """Group commit: one thread writes every pending delivery (and rejection count) in one
    transaction, then releases the requests waiting for it."""

    def __init__(self, runtime: Runtime, enqueue: Callable[[list[uuid.UUID]], None]) -> None:
        self.runtime = runtime
        self.enqueue = enqueue
        self._pending: list[tuple[Accepted, asyncio.Future[bool]]] = []
        self._rejections: Counter[tuple[uuid.UUID, uuid.UUID, str]] = Counter()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aria-hooks-writer")
        # Enqueues run on their own thread, in commit order: batch N+1 commits while batch N
        # is handed to the queue, instead of every request waiting for both.
        self._enqueuer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aria-hooks-enqueue")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.batches = 0

    def _kick(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._task is None or self._task.done():
            self._loop, self._wake = loop, asyncio.Event()
            self._task = loop.create_task(self._run())
        assert self._wake is not None
        self._wake.set()

    def reject(self, endpoint: Endpoint, reason: str) -> None:
        self._rejections[(endpoint.webhook_id, endpoint.installation_id, reason)] += 1
        self._kick()

    async def submit(self, item: Accepted) -> bool:
        """True once the delivery is committed; False for a replay of a seen delivery."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        self._kick()
        return await future

    async def _run(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending or self._rejections:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                rejections, self._rejections = self._rejections, Counter()
                try:
                    results = await loop.run_in_executor(
                        self._executor, self.commit, [item for item, _ in batch], rejections
                    )
                except Exception as error:  # the database is down: nothing was acknowledged
                    log.error("webhook writer: commit failed: %s", type(error).__name__)
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for (_, future), accepted in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(accepted)
                # Enqueue after the acknowledgements: the rows are committed, so a lost
                # enqueue only delays processing until the sweep re-enqueues them.
                fresh = [item.event_id for (item, _), ok in zip(batch, results, strict=True) if ok]
                if fresh:
                    self._enqueuer.submit(self._enqueue_committed, fresh)

    def commit(
        self, items: list[Accepted], rejections: Counter[tuple[uuid.UUID, uuid.UUID, str]]
    ) -> list[bool]:
        """Write a batch in one transaction (the caller acknowledges, then enqueues)."""
        now = utcnow()
        results: list[bool] = []
        rows: list[dict[str, Any]] = []
        received: Counter[uuid.UUID] = Counter()
        with self.runtime.write_transaction() as session:
            fresh = self._first_sightings(session, items, now)
            for item in items:
                if item.delivery_key and item.event_id not in fresh:
                    results.append(False)
                    continue
                results.append(True)
                received[item.endpoint.webhook_id] += 1
                rows.append(
                    {
                        "id": item.event_id,
                        "organization_id": item.endpoint.organization_id,
                        "installation_id": item.endpoint.installation_id,
                        "webhook_id": item.endpoint.webhook_id,
                        "received_at": item.received_at,
                        "content_type": (item.content_type or "")[:200] or None,
                        "headers": item.headers,
                        "body": item.body,
                        "body_size": len(item.body),
                        "source_ip": item.source_ip,
                        "delivery_key": item.delivery_key,
                        "status": "received",
                        "attempts": 0,
                        "records_processed": 0,
                    }
                )
            if rows:
                session.execute(insert(InboundEvent.__table__), rows)
            for webhook_id, count in received.items():
                session.execute(
                    update(Webhook)
                    .where(Webhook.id == webhook_id)
                    .values(total_received=Webhook.total_received + count, last_received_at=now)
                )
            self._record_rejections(session, rejections)
        self.batches += 1
        return results

    def _enqueue_committed(self, event_ids: list[uuid.UUID]) -> None:
        try:
            self.enqueue(event_ids)
        except Exception as error:  # the sweep re-enqueues committed rows
            log.warning("webhook writer: enqueue failed (%s); the sweep will retry", error)

    @staticmethod
    def _first_sightings(session: Session, items: list[Accepted], now: datetime) -> set[uuid.UUID]:
        """Record the batch in the seen-id store with ONE multi-row upsert; returns the event
        ids whose delivery was not seen before (or only under an expired entry).

        ``RETURNING`` reports exactly the rows this statement inserted or refreshed, so two
        servers racing on the same delivery cannot both accept it.
        """
        by_key: dict[str, Accepted] = {}
        for item in items:
            if item.delivery_key:
                key = hashlib.sha256(
                    f"{item.endpoint.webhook_id}:{item.delivery_key}".encode()
                ).hexdigest()
                by_key.setdefault(key, item)  # a second copy in the same batch is a replay
        if not by_key:
            return set()
        table = SeenDelivery.__table__
        statement = dialect_insert(session, table)
        statement = statement.on_conflict_do_update(
            index_elements=["key"],
            set_={"expires_at": statement.excluded.expires_at},
            where=table.c.expires_at < bindparam("now"),
        ).returning(table.c.key)
        # executemany + RETURNING: SQLAlchemy sends one multi-row INSERT ("insertmanyvalues")
        # and the compiled form is cached, whatever the batch size.
        inserted = set(
            session.execute(
                statement,
                [
                    {
                        "key": key,
                        "webhook_id": item.endpoint.webhook_id,
                        "expires_at": now + timedelta(seconds=item.replay_ttl_s),
                        "now": now,
                    }
                    for key, item in by_key.items()
                ],
            ).scalars()
        )
        return {by_key[key].event_id for key in inserted}

    @staticmethod
    def _record_rejections(
        session: Session, rejections: Counter[tuple[uuid.UUID, uuid.UUID, str]]
    ) -> None:
        per_webhook: Counter[uuid.UUID] = Counter()
        for (webhook_id, installation_id, reason), count in sorted(rejections.items(), key=str):
            per_webhook[webhook_id] += count
            installation = session.get(Installation, installation_id)
            if installation is None:
                continue
            activity.record(
                session,
                installation=installation,
                activity_type="webhook",
                direction="inbound",
                status="rejected",
                message=f"webhook delivery rejected ({reason})"
                + (f", {count} times" if count > 1 else ""),
                triggered_by="webhook",
                error_code=reason,
                records_failed=count,
                details={"webhook_id": str(webhook_id), "reason": reason, "count": count},
            )
        for webhook_id, count in per_webhook.items():
            session.execute(
                update(Webhook)
                .where(Webhook.id == webhook_id)
                .values(total_rejected=Webhook.total_rejected + count)
            )


class Receiver:
    """Per-app state of the receiver: endpoint cache, rate-limit windows, the writer."""

    def __init__(self, runtime: Runtime, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.runtime = runtime
        self.clock = clock
        self._cache: dict[str, tuple[float, Endpoint | None]] = {}
        self._loading: dict[str, asyncio.Future[Endpoint | None]] = {}
        self._generation = 0  # bumped by invalidate(): older refreshes are not cached
        self._windows: dict[uuid.UUID, tuple[int, int]] = {}
        self.writer = Writer(runtime, self._enqueue)
        self.unknown_tokens = 0

    def _enqueue(self, event_ids: list[uuid.UUID]) -> None:
        self.runtime.tasks.webhooks.process(event_ids)

    def invalidate(self) -> None:
        """Forget cached endpoints (after a rotation, an update or a delete)."""
        self._cache.clear()
        self._loading.clear()  # a refresh already running must not be reused
        self._generation += 1

    def load(self, digest: str) -> Endpoint | None:
        """The endpoint for a token hash, read from the database (runs in a thread)."""
        now = utcnow()
        with self.runtime.sessions() as session:
            found = service.find_by_token(session, digest=digest, now=now)
            if found is None:
                return None
            webhook, installation = found
            if not service.is_receiving(webhook, installation):
                return Endpoint(webhook.id, webhook.organization_id, installation.id, active=False)
            secrets = service.open_secrets(
                session, self.runtime, webhook=webhook, installation=installation, now=now
            )
            verifier = None
            if webhook.verification_method == "integration":
                verifier = self._integration_verifier(session, installation, secrets)
            return Endpoint(
                webhook_id=webhook.id,
                organization_id=webhook.organization_id,
                installation_id=installation.id,
                active=True,
                method=webhook.verification_method,
                config=verify.parse(webhook.verification_method, webhook.verification_config),
                secrets=tuple(secrets),
                verifier=verifier,
                rate_limit_per_minute=webhook.rate_limit_per_minute,
                max_body_bytes=webhook.max_body_bytes,
                event_types=tuple(webhook.event_types or ()),
            )

    def _integration_verifier(
        self, session: Session, installation: Installation, secrets: list[str]
    ) -> Callable[[WebhookEvent], bool] | None:
        """The integration's own ``verify_webhook``; the endpoint's secret (when it has one)
        takes the place of the configuration's ``webhook_secret``."""
        entry = session.get(CatalogEntry, installation.integration_id)
        if entry is None:
            return None
        cls = flows.integration_class(self.runtime, entry)
        values = config_store.load(
            session,
            installation=installation,
            model=cls.config_class(),
            master_key=self.runtime.master_key,
        )
        if values is None:
            return None
        if secrets and "webhook_secret" in type(values).model_fields:
            values = values.model_copy(update={"webhook_secret": SecretStr(secrets[0])})
        return flows.build(self.runtime, cls, installation.mode, values).verify_webhook

    async def endpoint(self, digest: str) -> Endpoint | None:
        """The cached endpoint for a token hash. One load per token at a time: when an entry
        expires under load, the requests in flight share one refresh (an expired entry is
        served meanwhile) instead of each loading and decrypting the endpoint again."""
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > self.clock():
            return cached[1]
        pending = self._loading.get(digest)
        if pending is None:
            pending = asyncio.ensure_future(self._refresh(digest, self._generation))
            self._loading[digest] = pending
            pending.add_done_callback(lambda done: self._loaded(digest, done))
        if cached is not None:
            return cached[1]
        return await asyncio.shield(pending)

    async def _refresh(self, digest: str, generation: int) -> Endpoint | None:
        found = await run_in_threadpool(self.load, digest)
        if generation != self._generation:
            return found  # invalidated meanwhile: answer this request, cache nothing
        now = self.clock()
        if len(self._cache) >= CACHE_MAX:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
        self._cache[digest] = (now + CACHE_TTL_S, found)
        return found

    def _loaded(self, digest: str, done: asyncio.Future[Endpoint | None]) -> None:
        if self._loading.get(digest) is done:
            del self._loading[digest]
        if not done.cancelled() and done.exception() is not None:
            log.warning("webhook endpoint lookup failed: %s", type(done.exception()).__name__)

    def throttle(self, endpoint: Endpoint) -> int:
        """Seconds until the endpoint's one-minute window resets when it is spent, else 0."""
        now = time.time()
        window = int(now // 60)
        start, count = self._windows.get(endpoint.webhook_id, (window, 0))
        if start != window:
            start, count = window, 0
        count += 1
        self._windows[endpoint.webhook_id] = (start, count)
        if count <= endpoint.rate_limit_per_minute:
            return 0
        return max(1, int((window + 1) * 60 - now) + 1)


def receiver_for(app: Any) -> Receiver:
    """The app's receiver, built on first use."""
    found = getattr(app.state, "webhook_receiver", None)
    if found is None:
        found = Receiver(app.state.runtime)
        app.state.webhook_receiver = found
    return found


async def receive(request: Request) -> Response:
    """Accept one vendor delivery: 202 once it is committed, 200 for a replay of one."""
    token: str = request.path_params["token"]
    receiver = receiver_for(request.app)
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return _not_found()
    endpoint = await receiver.endpoint(service.token_hash(token))
    if endpoint is None:
        receiver.unknown_tokens += 1
        log.debug("webhook for an unknown token refused")
        return _not_found()
    writer = receiver.writer
    if not endpoint.active:
        writer.reject(endpoint, "endpoint_disabled")
        return _not_found()
    retry_after = receiver.throttle(endpoint)
    if retry_after:
        writer.reject(endpoint, "rate_limited")
        return _error(
            429,
            "rate_limited",
            f"at most {endpoint.rate_limit_per_minute} deliveries per minute",
            {"Retry-After": str(retry_after)},
        )
    content_type = request.headers.get("content-type")
    if not content_type_allowed(content_type):
        writer.reject(endpoint, "unsupported_media_type")
        return _error(415, "unsupported_media_type", "send JSON, form or text bodies")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > endpoint.max_body_bytes):
        writer.reject(endpoint, "body_too_large")
        return _error(413, "payload_too_large", f"at most {endpoint.max_body_bytes} bytes")
    body = await read_capped(request, endpoint.max_body_bytes)
    if body is None:
        writer.reject(endpoint, "body_too_large")
        return _error(413, "payload_too_large", f"at most {endpoint.max_body_bytes} bytes")
    headers = {k.lower(): v for k, v in request.headers.items()}
    client_ip = request.client.host if request.client else None
    now = utcnow()

    def integration_verify() -> bool:
        assert endpoint.verifier is not None
        return endpoint.verifier(WebhookEvent(headers=headers, body=body, received_at=now))

    verdict = verify.verify(
        endpoint.method,
        endpoint.config,
        secrets=list(endpoint.secrets),
        headers=headers,
        body=body,
        client_ip=client_ip,
        now=now,
        integration_verify=integration_verify if endpoint.verifier else None,
    )
    if not verdict.ok:
        writer.reject(endpoint, verdict.reason or "verification_failed")
        return _error(401, "unauthorized", "webhook verification failed")
    if endpoint.event_types:
        kind = eventtypes.event_type(headers, body)
        if not eventtypes.accepted(endpoint.event_types, kind):
            # 200, not an error: the sender must not retry what this endpoint does not take.
            writer.reject(endpoint, "event_type_not_accepted")
            return _json(200, {"status": "ignored", "event_type": kind})
    item = Accepted(
        endpoint=endpoint,
        body=body,
        headers={k: v[:2000] for k, v in headers.items() if k not in UNSTORED_HEADERS},
        content_type=content_type,
        source_ip=client_ip,
        delivery_key=verdict.delivery_key,
        replay_ttl_s=verdict.replay_ttl_s,
        received_at=now,
    )
    try:
        accepted = await writer.submit(item)
    except Exception:
        return _error(
            503, "unavailable", "could not store the delivery; retry", {"Retry-After": "1"}
        )
    if not accepted:
        return _json(200, {"status": "duplicate"})
    return _json(202, {"status": "accepted", "id": str(item.event_id)})


# A plain Starlette route, not a FastAPI one: the handler reads the raw request itself, and
# FastAPI's per-request dependency solving cost more than the bare endpoint's whole request.
router.add_route("/hooks/{token}", receive, methods=["POST"], include_in_schema=False)
