"""Outbound subscriptions: URL and template validation, signed deliveries from lifecycle
events, retries with backoff, auto-disable with a notice, the delivery log, dead letters."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from aria.audit.models import AuditEntry
from aria.db.types import utcnow
from aria.grc.events import LifecycleEvent, publish
from aria.webhooks import outbound
from aria.webhooks.models import Delivery, Subscription
from tests.webhooks.conftest import Hooks, alert

TARGET = "https://siem.example.com/ingest"


def subscribe(hooks: Hooks, **extra: object) -> dict:  # type: ignore[type-arg]
    body = {"name": "SIEM", "url": TARGET, "event_types": ["finding.created"], **extra}
    response = hooks.client.post("/api/v1/webhook-subscriptions", json=body, headers=hooks.headers)
    assert response.status_code == 201, response.text
    return response.json()


def recorder(
    status: int | Callable[[int], int] = 200,
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        code = status(len(seen)) if callable(status) else status
        return httpx.Response(code, json={"ok": code < 300})

    return httpx.MockTransport(handle), seen


def pending(hooks: Hooks) -> list[Delivery]:
    with hooks.runtime.sessions() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.created_at)))


def test_urls_are_validated_like_base_urls(hooks: Hooks) -> None:
    for url in (
        "http://169.254.169.254/latest/meta-data",
        "http://metadata.google.internal/",
        "http://[fe80::1]/hook",
        "http://127.0.0.1:9000/hook",
        "http://localhost/hook",
        "http://10.0.0.5/hook",
        "ftp://example.com/x",
        "https://user:pw@example.com/x",
    ):
        response = hooks.client.post(
            "/api/v1/webhook-subscriptions",
            json={"name": "x", "url": url, "event_types": ["finding.created"]},
            headers=hooks.headers,
        )
        assert response.status_code == 422, (url, response.text)
        assert "url" in response.json()["error"]["details"]["fields"]


def test_loopback_only_with_the_deployment_flag(
    hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hooks.runtime.settings, "webhooks_allow_loopback", True)
    created = subscribe(hooks, url="http://127.0.0.1:9000/hook")
    assert created["url"] == "http://127.0.0.1:9000/hook"
    # Metadata stays refused whatever the flag says.
    assert (
        hooks.client.post(
            "/api/v1/webhook-subscriptions",
            json={"name": "x", "url": "http://169.254.169.254/", "event_types": ["*"]},
            headers=hooks.headers,
        ).status_code
        == 422
    )


def test_templates_are_sandboxed(hooks: Hooks) -> None:
    for template in (
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ event.__class__ }}{% for x in range(10**7) %}{% endfor %}",
        "{% for a in range(5) %}{% for b in range(5) %}{% for c in range(5) %}{% endfor %}"
        "{% endfor %}{% endfor %}",
        "{% if %}",
        "{{ event.data.update({'x': 1}) }}",
    ):
        response = hooks.client.post(
            "/api/v1/webhook-subscriptions",
            json={
                "name": "x",
                "url": TARGET,
                "event_types": ["*"],
                "payload_template": template,
            },
            headers=hooks.headers,
        )
        assert response.status_code == 422, (template, response.text)


def test_secret_shown_once_and_header_values_never(hooks: Hooks) -> None:
    created = subscribe(hooks, headers={"Authorization": "Splunk token-abc-123"})
    assert created["secret"].startswith("whsec_") and created["header_names"] == ["Authorization"]
    listed = hooks.client.get("/api/v1/webhook-subscriptions", headers=hooks.headers).text
    assert created["secret"] not in listed and "token-abc-123" not in listed
    with hooks.runtime.sessions() as session:
        row = session.get(Subscription, uuid.UUID(created["id"]))
        assert row is not None
        assert b"token-abc-123" not in (row.headers_ciphertext or b"")
        assert created["secret"].encode() not in row.secret_ciphertext
    rotated = hooks.client.post(
        f"/api/v1/webhook-subscriptions/{created['id']}/rotate-secret", headers=hooks.headers
    ).json()
    assert rotated["secret"] != created["secret"]


def test_lifecycle_events_become_signed_deliveries(hooks: Hooks) -> None:
    created = subscribe(
        hooks,
        event_types=["finding.*"],
        headers={"Authorization": "Splunk token-abc-123"},
        payload_template='{"event": {{ event.data | tojson }}, "kind": "{{ type }}"}',
    )
    subscribe(hooks, name="incidents only", event_types=["incident.created"])
    hooks.runtime.tasks  # noqa: B018 - registers the tasks, which attach the fan-out
    webhook = hooks.create()
    assert hooks.send(webhook, alert("out-1")).status_code == 202
    hooks.drain()  # processing publishes finding.created after its commit
    deliveries = pending(hooks)
    assert [(d.event_type, d.status) for d in deliveries] == [("finding.created", "pending")]
    transport, seen = recorder(204)
    assert outbound.deliver(hooks.runtime, deliveries[0].id, transport=transport) == "succeeded"
    request = seen[0]
    body = request.content
    assert json.loads(body)["kind"] == "finding.created"
    assert request.headers["Authorization"] == "Splunk token-abc-123"
    assert request.headers["X-Aria-Event"] == "finding.created"
    assert request.headers["X-Aria-Delivery"] == str(deliveries[0].id)
    assert outbound.verify_signature(created["secret"], body, dict(request.headers))
    # A duplicated task sends nothing.
    assert outbound.deliver(hooks.runtime, deliveries[0].id, transport=transport) == "skipped"
    assert len(seen) == 1
    log = hooks.client.get(
        f"/api/v1/webhook-subscriptions/{created['id']}/deliveries", headers=hooks.headers
    ).json()
    item = log["items"][0]
    assert (item["status"], item["response_status"]) == ("succeeded", 204)
    assert item["response_time_ms"] is not None
    sub = hooks.client.get(
        f"/api/v1/webhook-subscriptions/{created['id']}", headers=hooks.headers
    ).json()
    assert (sub["total_triggers"], sub["total_failures"]) == (1, 0)
    assert sub["last_triggered_at"] is not None


def _publish(hooks: Hooks, count: int = 1) -> None:
    hooks.runtime.tasks  # noqa: B018
    publish(
        [
            LifecycleEvent(
                kind="new",
                entity="finding",
                record_id=i,
                organization_id=hooks.world.org_a.id,
                installation_id=hooks.installation_id,
                severity_id=4,
                status_id=1,
            )
            for i in range(count)
        ]
    )


def test_retries_with_backoff_then_dead_letter_and_replay(hooks: Hooks) -> None:
    created = subscribe(hooks, max_attempts=3, backoff_base_s=10, failure_threshold=100)
    _publish(hooks)
    delivery = pending(hooks)[0]
    transport, seen = recorder(503)
    queued: list[float] = []
    now = utcnow()
    for attempt in range(1, 4):
        status = outbound.deliver(
            hooks.runtime,
            delivery.id,
            transport=transport,
            enqueue=lambda ids, delay: queued.append(delay),
            now=lambda now=now: now,
        )
        row = pending(hooks)[0]
        if attempt < 3:
            assert status == "retrying" and row.next_attempt_at is not None
            assert (
                outbound.deliver(
                    hooks.runtime, delivery.id, transport=transport, now=lambda now=now: now
                )
                == "skipped"
            )
            now = row.next_attempt_at + timedelta(seconds=1)
        else:
            assert status == "failed"
    assert len(seen) == 3 and 5 <= queued[0] <= 10 and 10 <= queued[1] <= 20
    sub = hooks.client.get(
        f"/api/v1/webhook-subscriptions/{created['id']}", headers=hooks.headers
    ).json()
    assert (sub["total_failures"], sub["consecutive_failures"], sub["is_active"]) == (3, 3, True)
    letters = hooks.client.get("/api/v1/dead-letters?kind=outbound", headers=hooks.headers).json()
    assert letters["total"] == 1 and letters["items"][0]["delivery_id"] == str(delivery.id)
    replay = hooks.client.post(
        f"/api/v1/dead-letters/{letters['items'][0]['id']}/replay", headers=hooks.headers
    )
    assert replay.status_code == 202
    ok, _ = recorder(200)
    assert outbound.deliver(hooks.runtime, delivery.id, transport=ok) == "succeeded"
    sub = hooks.client.get(
        f"/api/v1/webhook-subscriptions/{created['id']}", headers=hooks.headers
    ).json()
    assert sub["consecutive_failures"] == 0


def test_auto_disabled_after_consecutive_failures_with_a_notice(hooks: Hooks) -> None:
    created = subscribe(hooks, max_attempts=1, failure_threshold=3)
    _publish(hooks, count=5)
    transport, seen = recorder(500)
    statuses = [outbound.deliver(hooks.runtime, d.id, transport=transport) for d in pending(hooks)]
    assert statuses == ["failed", "failed", "failed", "cancelled", "cancelled"]
    assert len(seen) == 3
    sub = hooks.client.get(
        f"/api/v1/webhook-subscriptions/{created['id']}", headers=hooks.headers
    ).json()
    assert sub["is_active"] is False and "3 consecutive" in sub["disabled_reason"]
    with hooks.runtime.sessions() as session:
        notice = session.scalar(
            select(AuditEntry).where(AuditEntry.action == "webhook_subscription.disabled")
        )
        assert notice is not None and notice.target_id == created["id"]
    # Disabled subscriptions get no new deliveries; re-enabling resets the count.
    before = len(pending(hooks))
    _publish(hooks)
    assert len(pending(hooks)) == before
    enabled = hooks.client.patch(
        f"/api/v1/webhook-subscriptions/{created['id']}",
        json={"is_active": True},
        headers=hooks.headers,
    ).json()
    assert enabled["is_active"] and enabled["consecutive_failures"] == 0


def test_test_delivery_and_other_organization(hooks: Hooks) -> None:
    from tests.support import bearer

    created = subscribe(hooks)
    queued = hooks.client.post(
        f"/api/v1/webhook-subscriptions/{created['id']}/test", headers=hooks.headers
    )
    assert queued.status_code == 202
    transport, seen = recorder(200)
    assert (
        outbound.deliver(hooks.runtime, uuid.UUID(queued.json()["id"]), transport=transport)
        == "succeeded"
    )
    assert json.loads(seen[0].content)["type"] == "webhook.test"
    other = bearer(hooks.world.owner_b)
    for method, suffix, body in [
        ("GET", "", None),
        ("PATCH", "", {"name": "mine now"}),
        ("POST", "/test", None),
        ("POST", "/rotate-secret", None),
        ("GET", "/deliveries", None),
        ("DELETE", "", None),
    ]:
        response = hooks.client.request(
            method,
            f"/api/v1/webhook-subscriptions/{created['id']}{suffix}",
            json=body,
            headers=other,
        )
        assert response.status_code == 404, (method, suffix)
    assert hooks.client.get("/api/v1/webhook-subscriptions", headers=other).json() == []


def test_delivery_time_dns_check_refuses_internal_addresses(
    hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribe(hooks, max_attempts=1)
    _publish(hooks)
    import socket

    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, 0, 0, "", ("169.254.169.254", 0))]
    )
    transport, seen = recorder(200)
    assert (
        outbound.deliver(hooks.runtime, pending(hooks)[0].id, transport=transport, resolve=True)
        == "failed"
    )
    assert seen == [] and "refused" in (pending(hooks)[0].last_error or "")
