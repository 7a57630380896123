"""The public receiver: verified, durable before acknowledged, limited, and every rejection
counted; processing exactly once into the risk register."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import timedelta

from sqlalchemy import select

from aria.db.types import utcnow
from aria.installs.models import ActivityLog
from aria.webhooks import processing
from aria.webhooks.models import Webhook
from tests.support import bearer
from tests.webhooks.conftest import Hooks, alert


def rejections(hooks: Hooks) -> dict[str, int]:
    with hooks.runtime.sessions() as session:
        rows = session.scalars(
            select(ActivityLog).where(
                ActivityLog.activity_type == "webhook", ActivityLog.status == "rejected"
            )
        ).all()
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.error_code or "?"] = counts.get(row.error_code or "?", 0) + row.details["count"]
    return counts


def wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Rejection counts are written by the group-commit writer right after the response."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_create_shows_url_and_secret_once(hooks: Hooks) -> None:
    created = hooks.create(name="primary")
    assert created["preset"] == "acme-edr" and created["verification_method"] == "hmac"
    assert created["url"].startswith("http://127.0.0.1:8000/hooks/") and created["secret"]
    token = created["url"].rsplit("/", 1)[1]
    listed = hooks.client.get(
        f"/api/v1/installations/{hooks.installation_id}/webhooks", headers=hooks.headers
    )
    assert listed.status_code == 200
    text = listed.text
    assert created["secret"] not in text and token not in text
    assert listed.json()[0]["has_secret"] is True
    with hooks.runtime.sessions() as session:
        row = session.get(Webhook, uuid.UUID(created["id"]))
        assert row is not None and row.token_hash != token and len(row.token_hash) == 64
        assert created["secret"].encode() not in (row.secret_ciphertext or b"")


def test_signed_delivery_is_committed_then_processed_once(hooks: Hooks) -> None:
    created = hooks.create()
    response = hooks.send(created, alert("a-1"))
    assert response.status_code == 202, response.text
    events = hooks.events()
    assert [(str(e.id), e.status) for e in events] == [(response.json()["id"], "received")]
    assert "authorization" not in events[0].headers
    outcome = hooks.drain()
    assert outcome.processed == 1 and hooks.findings() == 1
    assert hooks.events()[0].status == "processed"
    # A retried task (same ids again) finds nothing to claim.
    again = processing.process(hooks.runtime, [events[0].id])
    assert (again.processed, again.skipped) == (0, 1)
    assert hooks.findings() == 1
    log = hooks.client.get(
        f"/api/v1/installations/{hooks.installation_id}/webhooks/{created['id']}/deliveries",
        headers=hooks.headers,
    ).json()
    assert log["total"] == 1 and log["items"][0]["status"] == "processed"
    assert log["items"][0]["records_processed"] == 1
    endpoint = hooks.client.get(
        f"/api/v1/installations/{hooks.installation_id}/webhooks/{created['id']}",
        headers=hooks.headers,
    ).json()
    assert endpoint["total_received"] == 1 and endpoint["last_received_at"]


def test_concurrent_tasks_process_an_event_once(hooks: Hooks, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    created = hooks.create()
    ids = [uuid.UUID(hooks.send(created, alert(f"c-{i}")).json()["id"]) for i in range(20)]
    outcomes: list[processing.Outcome] = []
    # Tasks of one process take turns: never two batches decoding at once.
    inside, most = [0], [0]
    decode = processing._decode

    def counted(*args):  # type: ignore[no-untyped-def]
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        try:
            time.sleep(0.02)  # a window in which an unserialized second task would enter
            return decode(*args)
        finally:
            inside[0] -= 1

    monkeypatch.setattr(processing, "_decode", counted)
    monkeypatch.setattr(processing, "CLAIM_BATCH", 0)  # each task claims only its own ids
    threads = [
        threading.Thread(
            target=lambda part=part: outcomes.append(processing.process(hooks.runtime, part))
        )
        for part in (ids[:7], ids[7:14], ids[14:], ids)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(o.processed for o in outcomes) == 20
    assert hooks.findings() == 20
    assert most == [1]


def test_bad_signature_is_rejected_counted_and_not_stored(hooks: Hooks) -> None:
    created = hooks.create()
    bad = hooks.send(created, alert("x"), secret="not-the-secret")
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "unauthorized"
    missing = hooks.client.post(
        hooks.path(created), content=b"{}", headers={"Content-Type": "application/json"}
    )
    assert missing.status_code == 401
    assert hooks.events() == []
    wait_for(lambda: rejections(hooks).get("bad_signature") == 1)
    wait_for(lambda: rejections(hooks).get("missing_signature") == 1)
    with hooks.runtime.sessions() as session:
        rows = session.scalars(select(ActivityLog)).all()
        dumped = json.dumps([(r.message, r.error_message, r.details) for r in rows], default=str)
    assert created["secret"] not in dumped and '"alert"' not in dumped


def test_replayed_delivery_is_acknowledged_but_processed_once(hooks: Hooks) -> None:
    created = hooks.create()
    first = hooks.send(created, alert("r-1"))
    replay = hooks.send(created, alert("r-1"))
    assert (first.status_code, replay.status_code) == (202, 200)
    assert replay.json() == {"status": "duplicate"}
    assert len(hooks.events()) == 1
    hooks.drain()
    assert hooks.send(created, alert("r-1")).status_code == 200
    assert hooks.findings() == 1


def test_stale_timestamp_is_refused(hooks: Hooks) -> None:
    created = hooks.create(
        verification_method="signature", verification_config={"header": "X-Signature"}
    )
    from aria.webhooks.verify import sign_timestamped

    body = json.dumps(alert("t-1")).encode()
    old = int(time.time()) - 3600
    stale = hooks.client.post(
        hooks.path(created),
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Signature": sign_timestamped(created["secret"], body, old),
        },
    )
    assert stale.status_code == 401
    fresh = hooks.client.post(
        hooks.path(created),
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Signature": sign_timestamped(created["secret"], body, int(time.time())),
        },
    )
    assert fresh.status_code == 202
    wait_for(lambda: rejections(hooks).get("stale_timestamp") == 1)


def test_limits_body_size_content_type_and_rate(hooks: Hooks) -> None:
    created = hooks.create(max_body_bytes=2048, rate_limit_per_minute=5)
    big = json.dumps({"alert": {"id": "b", "pad": "x" * 5000}}).encode()
    assert hooks.send(created, None, raw=big).status_code == 413

    def chunks():  # no Content-Length: the cap is enforced while reading
        for _ in range(10):
            yield b"x" * 1000

    streamed = hooks.client.post(
        hooks.path(created), content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    xml = hooks.send(created, alert("c"), headers={"Content-Type": "application/xml"})
    assert xml.status_code == 415
    assert hooks.send(created, alert("ok")).status_code == 202
    assert hooks.send(created, alert("ok2")).status_code == 202
    limited = hooks.send(created, alert("ok3"))
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    wait_for(
        lambda: (
            rejections(hooks)
            == {"body_too_large": 2, "unsupported_media_type": 1, "rate_limited": 1}
        )
    )


def test_unknown_disabled_and_uninstalled_look_the_same(hooks: Hooks) -> None:
    created = hooks.create()
    unknown = hooks.client.post("/hooks/" + "A" * 43, content=b"{}")
    disabled_path = hooks.path(created)
    patched = hooks.client.patch(
        f"/api/v1/installations/{hooks.installation_id}/webhooks/{created['id']}",
        json={"is_active": False},
        headers=hooks.headers,
    )
    assert patched.status_code == 200
    disabled = hooks.send(created, alert("d"))
    assert unknown.status_code == disabled.status_code == 404
    assert unknown.json() == disabled.json()
    hooks.client.patch(
        f"/api/v1/installations/{hooks.installation_id}/webhooks/{created['id']}",
        json={"is_active": True},
        headers=hooks.headers,
    )
    assert hooks.send(created, alert("d")).status_code == 202
    off = hooks.client.post(
        f"/api/v1/installations/{hooks.installation_id}/disable", headers=hooks.headers
    )
    assert off.status_code == 200, off.text
    from aria.webhooks.receiver import receiver_for

    receiver_for(hooks.client.app).invalidate()
    assert hooks.send(created, alert("d2")).status_code == 404
    assert hooks.client.post(disabled_path + "x", content=b"{}").status_code == 404
    wait_for(lambda: rejections(hooks).get("endpoint_disabled") == 2)


def test_rotation_overlap_then_old_token_stops(hooks: Hooks) -> None:
    created = hooks.create()
    rotated = hooks.client.post(
        f"/api/v1/installations/{hooks.installation_id}/webhooks/{created['id']}/rotate",
        json={"overlap_minutes": 60, "rotate_secret": True},
        headers=hooks.headers,
    )
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["url"] != created["url"] and new["secret"] != created["secret"]
    assert new["previous_token_expires_at"] is not None
    # Both tokens, and both secrets, work inside the overlap window.
    assert hooks.send(created, alert("o-1")).status_code == 202
    assert hooks.send(new, alert("o-2")).status_code == 202
    assert hooks.send({**new, "secret": created["secret"]}, alert("o-3")).status_code == 202
    again = hooks.client.post(
        f"/api/v1/installations/{hooks.installation_id}/webhooks/{created['id']}/rotate",
        json={"overlap_minutes": 0},
        headers=hooks.headers,
    )
    latest = {**again.json(), "secret": new["secret"]}
    assert hooks.send(new, alert("o-4")).status_code == 404
    assert hooks.send(created, alert("o-5")).status_code == 404
    assert hooks.send(latest, alert("o-6")).status_code == 202


def test_bearer_and_ip_whitelist_endpoints(hooks: Hooks) -> None:
    bearer_hook = hooks.create(verification_method="bearer_token", secret="vendor-chosen-token")
    assert bearer_hook["secret"] == "vendor-chosen-token"
    path = hooks.path(bearer_hook)
    body = json.dumps(alert("b-1"))
    ok = hooks.client.post(
        path,
        content=body,
        headers={"Content-Type": "application/json", "Authorization": "Bearer vendor-chosen-token"},
    )
    assert ok.status_code == 202
    stored = hooks.events()[0]
    assert "authorization" not in stored.headers  # the sender's credential is not kept
    bad = hooks.client.post(
        path,
        content=body,
        headers={"Content-Type": "application/json", "Authorization": "Bearer x"},
    )
    assert bad.status_code == 401
    allowed = hooks.create(
        verification_method="ip_whitelist", verification_config={"cidrs": ["10.0.0.0/8"]}
    )
    assert allowed["secret"] is None
    refused = hooks.client.post(
        hooks.path(allowed), content=body, headers={"Content-Type": "application/json"}
    )
    assert refused.status_code == 401  # the test client is not on 10/8


def test_invalid_endpoint_configuration_is_422(hooks: Hooks) -> None:
    response = hooks.client.post(
        f"/api/v1/installations/{hooks.installation_id}/webhooks",
        json={"verification_method": "hmac", "verification_config": {"algorithm": "md5"}},
        headers=hooks.headers,
    )
    assert response.status_code == 422
    assert "algorithm" in response.json()["error"]["details"]["fields"]
    unknown = hooks.client.post(
        f"/api/v1/installations/{hooks.installation_id}/webhooks",
        json={"preset": "nope"},
        headers=hooks.headers,
    )
    assert unknown.status_code == 422


def test_integration_method_uses_the_integrations_verifier(hooks: Hooks) -> None:
    """Acme's own ``verify_webhook`` with the endpoint's secret as ``webhook_secret``."""
    created = hooks.create(verification_method="integration")
    assert created["verification_method"] == "integration"
    assert hooks.send(created, alert("i-1")).status_code == 202
    assert hooks.send(created, alert("i-2"), secret="wrong-secret-1").status_code == 401
    hooks.drain()
    assert hooks.findings() == 1


def test_failures_retry_with_backoff_then_dead_letter_and_replay(hooks: Hooks, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.sdk.example_integration import AcmeEdr

    created = hooks.create()
    event_id = hooks.send(created, alert("f-1")).json()["id"]

    def broken(self, payload):  # type: ignore[no-untyped-def]
        raise RuntimeError("database of the vendor on fire")

    monkeypatch.setattr(AcmeEdr, "parse_webhook", broken)
    now = utcnow()
    queued: list[tuple[list[uuid.UUID], float]] = []
    for attempt in range(1, processing.MAX_ATTEMPTS + 1):
        outcome = processing.process(
            hooks.runtime,
            [uuid.UUID(event_id)],
            enqueue=lambda ids, delay: queued.append((ids, delay)),
            now=lambda now=now: now,
        )
        event = hooks.events()[0]
        if attempt < processing.MAX_ATTEMPTS:
            assert outcome.retrying == 1 and event.status == "retrying"
            assert event.next_attempt_at is not None and event.next_attempt_at > now
            # Not due yet: a duplicated task must wait for the backoff.
            assert (
                processing.process(hooks.runtime, [event.id], now=lambda now=now: now).skipped == 1
            )
            now = event.next_attempt_at + timedelta(seconds=1)
        else:
            assert outcome.dead == 1 and event.status == "dead"
    delays = [delay for _, delay in queued]
    assert delays == sorted(delays) and delays[0] >= 5
    letters = hooks.client.get("/api/v1/dead-letters", headers=hooks.headers).json()
    assert letters["total"] == 1
    letter = letters["items"][0]
    assert letter["event_id"] == event_id and letter["reason"] == "retries_exhausted"
    assert "on fire" in letter["error_message"]
    monkeypatch.undo()
    replayed = hooks.client.post(
        f"/api/v1/dead-letters/{letter['id']}/replay", headers=hooks.headers
    )
    assert replayed.status_code == 202 and replayed.json()["status"] == "replayed"
    assert (
        hooks.client.post(
            f"/api/v1/dead-letters/{letter['id']}/replay", headers=hooks.headers
        ).status_code
        == 409
    )
    assert hooks.drain().processed == 1
    assert hooks.findings() == 1


def test_malformed_payload_is_dead_lettered_at_once(hooks: Hooks) -> None:
    created = hooks.create()
    assert hooks.send(created, {"not": "an alert"}).status_code == 202
    assert hooks.send(created, None, raw=b"not json").status_code == 202
    outcome = hooks.drain()
    assert outcome.dead == 2 and outcome.retrying == 0
    letters = hooks.client.get(
        "/api/v1/dead-letters?kind=inbound&status=open", headers=hooks.headers
    ).json()
    assert {i["reason"] for i in letters["items"]} == {"permanent_error"}


def test_other_organization_gets_404(hooks: Hooks) -> None:
    created = hooks.create()
    other = bearer(hooks.world.owner_b)
    base = f"/api/v1/installations/{hooks.installation_id}/webhooks"
    assert hooks.client.get(base, headers=other).status_code == 404
    assert hooks.client.post(base, headers=other).status_code == 404
    for method, suffix, body in [
        ("GET", "", None),
        ("PATCH", "", {"is_active": False}),
        ("POST", "/rotate", None),
        ("GET", "/deliveries", None),
        ("DELETE", "", None),
    ]:
        response = hooks.client.request(
            method, f"{base}/{created['id']}{suffix}", json=body, headers=other
        )
        assert response.status_code == 404, (method, suffix, response.text)
    assert hooks.send(created, alert("still-mine")).status_code == 202


def test_event_type_filter_takes_listed_types_only(hooks: Hooks) -> None:
    """An endpoint listing event types stores only those; others get 200 "ignored" (so the
    vendor does not retry), are counted as rejections, and never reach processing."""
    created = hooks.create(event_types=["alert.created", "incident.*"])
    taken = hooks.send(created, alert("t-1"), headers={"X-Event-Type": "alert.created"})
    assert taken.status_code == 202, taken.text
    wildcard = hooks.send(created, {**alert("t-2"), "type": "incident.updated"})
    assert wildcard.status_code == 202, wildcard.text
    skipped = hooks.send(created, alert("t-3"), headers={"X-Event-Type": "alert.deleted"})
    assert skipped.status_code == 200
    assert skipped.json() == {"status": "ignored", "event_type": "alert.deleted"}
    untyped = hooks.send(created, alert("t-4"))
    assert untyped.status_code == 200 and untyped.json()["event_type"] is None
    assert len(hooks.events()) == 2
    wait_for(lambda: rejections(hooks).get("event_type_not_accepted") == 2)
    hooks.drain()
    assert hooks.findings() == 2


def test_event_type_is_read_from_headers_before_the_body() -> None:
    from aria.webhooks.eventtypes import accepted, event_type

    body = json.dumps({"webhookEvent": "jira:issue_updated"}).encode()
    assert event_type({}, body) == "jira:issue_updated"
    assert event_type({"x-github-event": "push"}, body) == "push"
    assert event_type({}, b"not json") is None
    assert event_type({}, b"[1, 2]") is None
    assert accepted([], None) and not accepted(["a"], None)
    assert accepted(["jira:issue_*"], "jira:issue_created")
    assert not accepted(["jira:issue_*"], "jira:comment_created")
