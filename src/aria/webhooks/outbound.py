"""Outbound webhooks: per-organization subscriptions to lifecycle events, rendered with a
sandboxed Jinja2 template, signed (HMAC-SHA256 over ``<timestamp>.<body>``), delivered through
the queue with retries and exponential backoff, auto-disabled after N consecutive failures.

Signing: every request carries ``X-Aria-Timestamp: <unix>`` and
``X-Aria-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<unix>.<body>")>`` (plus
``X-Aria-Event`` and ``X-Aria-Delivery``, a unique id for the receiver's dedupe). Receivers
check the MAC in constant time and refuse timestamps outside a few minutes; `verify_signature`
does exactly that, and so does our inbound ``signature`` method with its defaults.

Templates run in `ImmutableSandboxedEnvironment` (no attribute access to internals, no
mutation, no imports), with ``range`` capped, loops nested at most two deep and the output
capped at `MAX_BODY_BYTES`, so a template can neither execute code nor spin for long.

Target URLs go through the same guard as integration base URLs (`aria.sdk.urls`): link-local
and cloud-metadata addresses are always refused; loopback and private networks only when the
deployment allows them (settings ``webhooks_allow_loopback`` / ``webhooks_allow_private``,
``ARIA_WEBHOOKS_ALLOW_LOOPBACK`` / ``ARIA_WEBHOOKS_ALLOW_PRIVATE``; tests and local
development only). At delivery time the host name is resolved and every address is checked
again, so a DNS name cannot point the platform at its own metadata service.

Secrets: the signing secret and any custom header values are sealed with AES-256-GCM under a
key derived from the master key, bound to the organization and subscription (associated
data); the API shows the secret once and only the header *names* afterwards.

Lifecycle events are published after their transaction commits (`aria.grc.events`); fan-out
creates the delivery rows in its own transaction and enqueues them. A crash between the two
commits loses those notifications (at-most-once fan-out; the deliveries themselves are
at-least-once with a unique delivery id).
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from jinja2 import TemplateError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from aria import __version__
from aria.audit import service as audit
from aria.db.engine import transaction
from aria.db.types import utcnow
from aria.errors import AppError, NotFound
from aria.grc import events as lifecycle
from aria.keys import derive_subkey
from aria.logs import redact, register_secret
from aria.runtime import Runtime
from aria.sdk import ConfigError, UrlPolicy, check_base_url
from aria.sdk.urls import is_allowed
from aria.vault import crypto
from aria.webhooks import service
from aria.webhooks.models import Delivery, Subscription
from aria.webhooks.processing import backoff

log = logging.getLogger(__name__)

ENTITIES = ("finding", "incident", "asset", "identity", "indicator", "risk")
ACTIONS = ("created", "updated", "resolved", "reopened")
EVENT_TYPES: tuple[str, ...] = (
    *(f"{entity}.{action}" for entity in ENTITIES for action in ACTIONS),
    "risk.closed",
    "installation.error",
    "installation.recovered",
    "webhook.test",
)
MAX_BODY_BYTES = 256 * 1024
MAX_RANGE = 1000
MAX_LOOP_DEPTH = 2
LEASE = timedelta(minutes=2)
SIGNATURE_HEADER = "X-Aria-Signature"
TIMESTAMP_HEADER = "X-Aria-Timestamp"
RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        SIGNATURE_HEADER.lower(),
        TIMESTAMP_HEADER.lower(),
        "x-aria-event",
        "x-aria-delivery",
    }
)

EnqueueDeliveries = Callable[[list[uuid.UUID], float], None]


class InvalidSubscription(AppError):
    status_code = 422
    code = "invalid_subscription"


# URL policy ---------------------------------------------------------------------------------


def url_policy(settings: Any) -> UrlPolicy:
    """Loopback and private targets only where the deployment allows them (tests, on-prem)."""
    return UrlPolicy(
        allow_loopback=bool(settings.webhooks_allow_loopback),
        allow_private=bool(settings.webhooks_allow_private),
    )


def check_url(url: str, policy: UrlPolicy) -> str:
    try:
        return check_base_url(url, policy)
    except ConfigError as error:
        problem = (error.fields or {}).get("base_url", str(error))
        raise InvalidSubscription("url rejected", details={"fields": {"url": problem}}) from None


def _resolved_problem(url: str, policy: UrlPolicy) -> str | None:
    """Resolve the host now and check every address (a name must not lead to metadata)."""
    host = httpx.URL(url).host
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return f"cannot resolve {host}"
    for info in infos:
        address = str(info[4][0])
        literal = f"[{address}]" if ":" in address else address
        if not is_allowed(f"http://{literal}/", policy):
            return f"{host} resolves to a refused address"
    return None


# Templates ----------------------------------------------------------------------------------


def _small_range(*args: int) -> range:
    found = range(*args)
    if len(found) > MAX_RANGE:
        raise TemplateError(f"range() is limited to {MAX_RANGE} items in payload templates")
    return found


def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(autoescape=False, trim_blocks=True, lstrip_blocks=True)
    env.globals = {"range": _small_range}
    return env


_ENV = _environment()


def _loop_depth(node: nodes.Node, depth: int = 0) -> int:
    here = depth + 1 if isinstance(node, nodes.For) else depth
    return max([here, *(_loop_depth(child, here) for child in node.iter_child_nodes())])


def compile_template(source: str) -> Any:
    """Parse a payload template; raises InvalidSubscription naming the problem."""
    try:
        tree = _ENV.parse(source)
        if _loop_depth(tree) > MAX_LOOP_DEPTH:
            raise TemplateError(f"loops may be nested at most {MAX_LOOP_DEPTH} deep")
        return _ENV.from_string(source)
    except TemplateError as error:
        raise InvalidSubscription(
            "payload_template is invalid", details={"fields": {"payload_template": str(error)}}
        ) from None


def render(source: str | None, event: dict[str, Any]) -> str:
    """The request body: the template's output, or the event as JSON without a template."""
    if not source:
        return json.dumps(event, separators=(",", ":"), default=str)
    template = compile_template(source)
    size, parts = 0, []
    for chunk in template.generate(event=event, type=event["type"], data=event["data"]):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise TemplateError(f"the rendered payload exceeds {MAX_BODY_BYTES} bytes")
        parts.append(chunk)
    return "".join(parts)


def sample_event(event_type: str = "finding.created") -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "occurred_at": utcnow().isoformat(),
        "organization_id": str(uuid.uuid4()),
        "data": {
            "entity": event_type.split(".", 1)[0],
            "record_id": 1,
            "installation_id": None,
            "severity_id": 4,
            "status_id": 1,
        },
    }


# Secrets ------------------------------------------------------------------------------------


def _key(runtime: Runtime) -> bytes:
    return derive_subkey(runtime.master_key, "outbound-webhooks")


def _seal(
    runtime: Runtime, sub: Subscription, purpose: str, plaintext: bytes
) -> tuple[bytes, bytes]:
    return crypto.seal(
        _key(runtime), plaintext, crypto.aad(purpose, str(sub.organization_id), str(sub.id))
    )


def _open(
    runtime: Runtime, sub: Subscription, purpose: str, ciphertext: bytes, nonce: bytes
) -> bytes:
    try:
        return crypto.open_sealed(
            _key(runtime),
            ciphertext,
            nonce,
            crypto.aad(purpose, str(sub.organization_id), str(sub.id)),
        )
    except crypto.Undecryptable:
        raise AppError(
            f"the {purpose} of subscription {sub.id} does not open with this master key"
        ) from None


def open_secret(runtime: Runtime, sub: Subscription) -> str:
    secret = _open(
        runtime, sub, "outbound-secret", sub.secret_ciphertext, sub.secret_nonce
    ).decode()
    register_secret(secret)
    return secret


def open_headers(runtime: Runtime, sub: Subscription) -> dict[str, str]:
    if sub.headers_ciphertext is None or sub.headers_nonce is None:
        return {}
    headers: dict[str, str] = json.loads(
        _open(runtime, sub, "outbound-headers", sub.headers_ciphertext, sub.headers_nonce)
    )
    for value in headers.values():
        register_secret(value)
    return headers


def _set_headers(runtime: Runtime, sub: Subscription, headers: dict[str, str]) -> None:
    for name in headers:
        if name.lower() in RESERVED_HEADERS or not name.strip() or any(c in name for c in ":\r\n "):
            raise InvalidSubscription(
                "headers are invalid", details={"fields": {"headers": f"{name!r} is not allowed"}}
            )
    if any("\r" in v or "\n" in v for v in headers.values()):
        raise InvalidSubscription("header values may not contain line breaks")
    sub.header_names = sorted(headers)
    if headers:
        sub.headers_ciphertext, sub.headers_nonce = _seal(
            runtime, sub, "outbound-headers", json.dumps(headers).encode()
        )
    else:
        sub.headers_ciphertext = sub.headers_nonce = None


def _check_event_types(event_types: list[str]) -> list[str]:
    bad = [
        t
        for t in event_types
        if t != "*"
        and t not in EVENT_TYPES
        and not (t.endswith(".*") and t.removesuffix(".*") in (*ENTITIES, "installation"))
    ]
    if bad or not event_types:
        raise InvalidSubscription(
            "event_types are invalid",
            details={"fields": {"event_types": f"unknown: {bad}" if bad else "at least one"}},
        )
    return sorted(set(event_types))


def matches(patterns: Iterable[str], event_type: str) -> bool:
    entity = event_type.split(".", 1)[0]
    return any(p == "*" or p == event_type or p == f"{entity}.*" for p in patterns)


# Subscriptions (service functions) -----------------------------------------------------------


@dataclass
class IssuedSubscription:
    subscription: Subscription
    secret: str


def create(
    session: Session,
    runtime: Runtime,
    *,
    organization_id: uuid.UUID,
    values: dict[str, Any],
) -> IssuedSubscription:
    """A new subscription (active); the signing secret is returned once."""
    url = check_url(values["url"], url_policy(runtime.settings))
    if values.get("payload_template"):
        compile_template(values["payload_template"])
        _try_render(values["payload_template"])
    sub = Subscription(
        id=uuid.uuid4(),
        organization_id=organization_id,
        name=values["name"],
        url=url,
        method=values.get("method") or "POST",
        event_types=_check_event_types(list(values["event_types"])),
        payload_template=values.get("payload_template"),
        is_active=True,
        max_attempts=values.get("max_attempts") or 5,
        backoff_base_s=values.get("backoff_base_s") or 10,
        backoff_max_s=values.get("backoff_max_s") or 3600,
        timeout_s=values.get("timeout_s") or 10,
        failure_threshold=values.get("failure_threshold") or 10,
        consecutive_failures=0,
        total_triggers=0,
        total_failures=0,
    )
    secret = "whsec_" + secrets.token_urlsafe(32)
    register_secret(secret)
    sub.secret_ciphertext, sub.secret_nonce = _seal(
        runtime, sub, "outbound-secret", secret.encode()
    )
    _set_headers(runtime, sub, dict(values.get("headers") or {}))
    session.add(sub)
    session.flush()
    return IssuedSubscription(sub, secret)


def _try_render(source: str) -> None:
    try:
        render(source, sample_event())
    except TemplateError as error:
        raise InvalidSubscription(
            "payload_template does not render",
            details={"fields": {"payload_template": str(error)}},
        ) from None


def update_(
    session: Session, runtime: Runtime, *, sub: Subscription, changes: dict[str, Any]
) -> Subscription:
    if changes.get("url") is not None:
        sub.url = check_url(changes["url"], url_policy(runtime.settings))
    if "payload_template" in changes:
        if changes["payload_template"]:
            compile_template(changes["payload_template"])
            _try_render(changes["payload_template"])
        sub.payload_template = changes["payload_template"] or None
    if changes.get("event_types") is not None:
        sub.event_types = _check_event_types(list(changes["event_types"]))
    if changes.get("headers") is not None:
        _set_headers(runtime, sub, dict(changes["headers"]))
    for key in (
        "name",
        "method",
        "max_attempts",
        "backoff_base_s",
        "backoff_max_s",
        "timeout_s",
        "failure_threshold",
    ):
        if changes.get(key) is not None:
            setattr(sub, key, changes[key])
    if changes.get("is_active") is not None:
        sub.is_active = changes["is_active"]
        if sub.is_active:  # re-enabled by a person: start counting afresh
            sub.consecutive_failures = 0
            sub.disabled_at = None
            sub.disabled_reason = None
    sub.updated_at = utcnow()
    session.flush()
    return sub


def rotate_secret(runtime: Runtime, *, sub: Subscription) -> str:
    secret = "whsec_" + secrets.token_urlsafe(32)
    register_secret(secret)
    sub.secret_ciphertext, sub.secret_nonce = _seal(
        runtime, sub, "outbound-secret", secret.encode()
    )
    sub.updated_at = utcnow()
    return secret


def list_(session: Session, *, organization_id: uuid.UUID) -> list[Subscription]:
    return list(
        session.scalars(
            select(Subscription)
            .where(Subscription.organization_id == organization_id)
            .order_by(Subscription.created_at, Subscription.id)
        )
    )


def get_or_raise(
    session: Session, *, organization_id: uuid.UUID, subscription_id: uuid.UUID
) -> Subscription:
    sub = session.scalar(
        select(Subscription).where(
            Subscription.id == subscription_id, Subscription.organization_id == organization_id
        )
    )
    if sub is None:
        raise NotFound("subscription not found")
    return sub


def deliveries(
    session: Session, *, sub: Subscription, status: str | None, limit: int, offset: int
) -> tuple[list[Delivery], int]:
    from sqlalchemy import func

    query = select(Delivery).where(Delivery.subscription_id == sub.id)
    if status:
        query = query.where(Delivery.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Delivery.created_at.desc(), Delivery.id).limit(limit).offset(offset)
    )
    return list(rows), total


# Fan-out ------------------------------------------------------------------------------------


def event_name(event: lifecycle.LifecycleEvent) -> str:
    return f"{event.entity}.{'created' if event.kind == 'new' else event.kind}"


def _payload(
    event_type: str, organization_id: uuid.UUID, data: dict[str, Any], now: datetime
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "occurred_at": now.isoformat(),
        "organization_id": str(organization_id),
        "data": data,
    }


def queue_events(
    session: Session,
    *,
    items: list[tuple[uuid.UUID, str, dict[str, Any]]],
    now: datetime | None = None,
) -> list[uuid.UUID]:
    """Create deliveries for (organization, event type, data) items; returns their ids."""
    now = now or utcnow()
    orgs = {org for org, _, _ in items}
    if not orgs:
        return []
    subs = list(
        session.scalars(
            select(Subscription).where(
                Subscription.organization_id.in_(orgs), Subscription.is_active.is_(True)
            )
        )
    )
    if not subs:
        return []
    created: list[uuid.UUID] = []
    for sub in subs:
        for org, event_type, data in items:
            if org != sub.organization_id or not matches(sub.event_types, event_type):
                continue
            payload = _payload(event_type, org, data, now)
            delivery = Delivery(
                id=uuid.UUID(payload["id"]),
                organization_id=org,
                subscription_id=sub.id,
                event_type=event_type,
                created_at=now,
                attempts=0,
            )
            try:
                delivery.body = render(sub.payload_template, payload)
                delivery.status = "pending"
                created.append(delivery.id)
            except TemplateError as error:
                delivery.body = ""
                delivery.status = "failed"
                delivery.last_error = f"template: {error}"[:2000]
                sub.total_failures += 1
            session.add(delivery)
            sub.total_triggers += 1
            sub.last_triggered_at = now
    session.flush()
    return created


def fan_out(
    runtime: Runtime,
    batch: list[lifecycle.LifecycleEvent],
    *,
    enqueue: EnqueueDeliveries | None,
) -> list[uuid.UUID]:
    """Deliveries for a committed batch of lifecycle events (one transaction, then enqueue)."""
    items = [
        (
            e.organization_id,
            event_name(e),
            {
                "entity": e.entity,
                "kind": e.kind,
                "record_id": e.record_id,
                "installation_id": str(e.installation_id) if e.installation_id else None,
                "severity_id": e.severity_id,
                "status_id": e.status_id,
            },
        )
        for e in batch
    ]
    return emit_many(runtime, items, enqueue=enqueue)


def emit_many(
    runtime: Runtime,
    items: list[tuple[uuid.UUID, str, dict[str, Any]]],
    *,
    enqueue: EnqueueDeliveries | None,
) -> list[uuid.UUID]:
    """Public entry for other domains (``installation.error`` and the like)."""
    with transaction(runtime.sessions) as session:
        ids = queue_events(session, items=items)
    if ids and enqueue is not None:
        enqueue(ids, 0)
    return ids


_target: list[tuple[Callable[[], Runtime], EnqueueDeliveries]] = []


def _on_lifecycle(batch: list[lifecycle.LifecycleEvent]) -> None:
    if _target:
        current, enqueue = _target[0]
        fan_out(current(), batch, enqueue=enqueue)


def attach(current: Callable[[], Runtime], enqueue: EnqueueDeliveries) -> None:
    """Route published lifecycle events to this runtime's subscriptions. One runtime per
    process receives them (the last one attached: the process's own, in production)."""
    _target[:] = [(current, enqueue)]
    lifecycle.subscribe(_on_lifecycle)


# Delivery -----------------------------------------------------------------------------------


def signature_headers(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    from aria.webhooks.verify import sign_timestamped

    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign_timestamped(secret, body, timestamp),
    }


def verify_signature(
    secret: str,
    body: bytes,
    headers: dict[str, str],
    *,
    now: float | None = None,
    tolerance_s: int = 300,
) -> bool:
    """What a receiver of our deliveries runs (constant-time compare, timestamp window)."""
    from aria.webhooks.verify import verify

    verdict = verify(
        "signature",
        {"header": SIGNATURE_HEADER, "tolerance_s": tolerance_s},
        secrets=[secret],
        headers={k.lower(): v for k, v in headers.items()},
        body=body,
        client_ip=None,
        now=datetime.fromtimestamp(now if now is not None else time.time(), tz=UTC),
    )
    return verdict.ok


def _claim(session: Session, delivery_id: uuid.UUID, now: datetime) -> int | None:
    claimable = or_(
        Delivery.status == "pending",
        and_(
            Delivery.status == "retrying",
            or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
        ),
        and_(Delivery.status == "delivering", Delivery.lease_until < now),
    )
    return session.scalar(
        update(Delivery)
        .where(Delivery.id == delivery_id, claimable)
        .values(
            status="delivering",
            attempts=Delivery.attempts + 1,
            lease_until=now + LEASE,
            next_attempt_at=None,
        )
        .returning(Delivery.attempts)
    )


@dataclass
class Sent:
    ok: bool
    status: int | None
    elapsed_ms: int
    error: str | None
    retry_after: float | None = None


def _send(
    sub: Subscription,
    url: str,
    body: bytes,
    headers: dict[str, str],
    transport: httpx.BaseTransport | None,
) -> Sent:
    started = time.perf_counter()
    try:
        with httpx.Client(
            transport=transport, timeout=float(sub.timeout_s), follow_redirects=False
        ) as client:
            response = client.request(sub.method, url, content=body, headers=headers)
    except httpx.HTTPError as error:
        elapsed = int((time.perf_counter() - started) * 1000)
        return Sent(False, None, elapsed, f"{type(error).__name__}: {error}")
    elapsed = int((time.perf_counter() - started) * 1000)
    if 200 <= response.status_code < 300:
        return Sent(True, response.status_code, elapsed, None)
    retry_after = response.headers.get("retry-after")
    return Sent(
        False,
        response.status_code,
        elapsed,
        f"HTTP {response.status_code}",
        float(retry_after) if retry_after and retry_after.isdigit() else None,
    )


def deliver(
    runtime: Runtime,
    delivery_id: uuid.UUID,
    *,
    enqueue: EnqueueDeliveries | None = None,
    transport: httpx.BaseTransport | None = None,
    now: Callable[[], datetime] = utcnow,
    resolve: bool | None = None,
) -> str:
    """Send one delivery (claimed first, so a duplicated task sends nothing); returns its
    new status. ``transport`` replaces the network in tests (then names are not resolved)."""
    stamp = now()
    with transaction(runtime.sessions) as session:
        attempts = _claim(session, delivery_id, stamp)
        if attempts is None:
            return "skipped"
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        sub = session.get(Subscription, delivery.subscription_id)
        if sub is None or not sub.is_active:
            delivery.status, delivery.lease_until = "cancelled", None
            delivery.last_error = "the subscription is disabled"
            return "cancelled"
        secret = open_secret(runtime, sub)
        custom = open_headers(runtime, sub)
        body = delivery.body.encode()
        url, event_type = sub.url, delivery.event_type
    policy = url_policy(runtime.settings)
    problem = None
    try:
        check_base_url(url, policy)
    except ConfigError as error:
        problem = str(error)
    if problem is None and (resolve if resolve is not None else transport is None):
        problem = _resolved_problem(url, policy)
    if problem is not None:
        sent = Sent(False, None, 0, f"refused target: {problem}")
    else:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"ARIA-Webhooks/{__version__}",
            **custom,
            "X-Aria-Event": event_type,
            "X-Aria-Delivery": str(delivery_id),
            **signature_headers(secret, body, int(time.time())),
        }
        sent = _send(sub, url, body, headers, transport)
    return _record(runtime, delivery_id, attempts, sent, enqueue, now())


def _record(
    runtime: Runtime,
    delivery_id: uuid.UUID,
    attempts: int,
    sent: Sent,
    enqueue: EnqueueDeliveries | None,
    stamp: datetime,
) -> str:
    retry_in: float | None = None
    with transaction(runtime.sessions) as session:
        delivery = session.get(Delivery, delivery_id)
        sub = session.get(Subscription, delivery.subscription_id) if delivery else None
        if delivery is None or sub is None:
            return "missing"
        if delivery.status != "delivering" or delivery.attempts != attempts:
            return "skipped"  # another worker took over after our lease expired
        delivery.response_status = sent.status
        delivery.response_time_ms = sent.elapsed_ms
        delivery.lease_until = None
        if sent.ok:
            delivery.status, delivery.delivered_at, delivery.last_error = "succeeded", stamp, None
            sub.consecutive_failures = 0
            sub.last_success_at = stamp
            return "succeeded"
        delivery.last_error = redact(sent.error or "failed")[:2000]
        sub.total_failures += 1
        sub.consecutive_failures += 1
        sub.last_failure_at = stamp
        if sub.is_active and sub.consecutive_failures >= sub.failure_threshold:
            _disable(session, runtime, sub, stamp)
        if sub.is_active and attempts < sub.max_attempts:
            delay = backoff(
                attempts,
                timedelta(seconds=sub.backoff_base_s),
                timedelta(seconds=sub.backoff_max_s),
            ).total_seconds()
            if sent.retry_after:
                delay = max(delay, min(sent.retry_after, float(sub.backoff_max_s)))
            delivery.status = "retrying"
            delivery.next_attempt_at = stamp + timedelta(seconds=delay)
            retry_in = delay
        else:
            delivery.status = "failed"
            service.record_dead_letter(
                session,
                organization_id=delivery.organization_id,
                kind="outbound",
                reason="subscription_disabled" if not sub.is_active else "retries_exhausted",
                error=delivery.last_error,
                attempts=attempts,
                delivery_id=delivery.id,
                now=stamp,
            )
        status = delivery.status
    if retry_in is not None and enqueue is not None:
        enqueue([delivery_id], retry_in)
    return status


def _disable(session: Session, runtime: Runtime, sub: Subscription, stamp: datetime) -> None:
    """Auto-disable with a notice: audit entry (the organization's trail) and a warning log."""
    sub.is_active = False
    sub.disabled_at = stamp
    sub.disabled_reason = (
        f"disabled automatically after {sub.consecutive_failures} consecutive failed deliveries"
    )
    audit.append(
        session,
        key=runtime.audit_key,
        action="webhook_subscription.disabled",
        actor="system:webhooks",
        organization_id=sub.organization_id,
        target_type="webhook_subscription",
        target_id=str(sub.id),
        details={"reason": sub.disabled_reason, "consecutive_failures": sub.consecutive_failures},
    )
    log.warning("outbound webhook %s disabled: %s", sub.id, sub.disabled_reason)


def send_test(session: Session, *, sub: Subscription) -> uuid.UUID:
    """Queue a ``webhook.test`` delivery to this subscription only (even if not subscribed)."""
    now = utcnow()
    payload = _payload("webhook.test", sub.organization_id, {"message": "test delivery"}, now)
    delivery = Delivery(
        id=uuid.UUID(payload["id"]),
        organization_id=sub.organization_id,
        subscription_id=sub.id,
        event_type="webhook.test",
        body=json.dumps(payload, separators=(",", ":")),
        status="pending",
        attempts=0,
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    return delivery.id
