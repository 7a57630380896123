"""Falcon webhook deliveries: HMAC verification and both summary event types."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from aria.integrations.crowdstrike_falcon import CrowdStrikeFalcon, webhooks
from aria.sdk import AuthError, FatalError, Finding, Incident, WebhookEvent
from aria.sdk.auth import hmac_sign
from aria.sdk.records import IncidentStatus, Severity

SECRET = str(CrowdStrikeFalcon.sandbox_config["webhook_secret"])


def live() -> CrowdStrikeFalcon:
    """A live-mode instance (no HTTP happens: webhooks are verified and parsed locally)."""
    return CrowdStrikeFalcon(dict(CrowdStrikeFalcon.sandbox_config))


def now_stamp() -> str:
    return str(int(time.time()))


@pytest.mark.anyio
async def test_detection_summary_event() -> None:
    event = webhooks.signed_event(webhooks.SAMPLE_DETECTION, SECRET, now_stamp())
    async with live() as integ:
        (finding,) = await integ.handle_webhook(event)
    assert isinstance(finding, Finding)
    assert finding.source_uid == webhooks.SAMPLE_DETECTION["event"]["DetectId"]
    assert finding.severity is Severity.HIGH and finding.title == "Credential Dumping"
    assert (finding.asset.hostname, finding.asset.domain) == ("ws-fin-042", "acme.example")
    assert finding.asset.mac == "00:50:56:8f:12:34"
    attack = finding.detection_info.attacks[0]
    assert (attack.tactic, attack.technique) == ("Credential Access", "OS Credential Dumping")
    assert finding.created_at == datetime.fromtimestamp(1748865480, UTC)


@pytest.mark.anyio
async def test_incident_summary_event_and_batches() -> None:
    payload = [webhooks.SAMPLE_INCIDENT, webhooks.SAMPLE_DETECTION]
    event = webhooks.signed_event(payload, SECRET, now_stamp())
    async with live() as integ:
        incident, finding = await integ.handle_webhook(event)
    assert isinstance(incident, Incident) and isinstance(finding, Finding)
    assert incident.source_uid.startswith("inc:")
    assert incident.severity is Severity.HIGH  # FineScore 7.5 on the 0-10 scale
    assert incident.status is IncidentStatus.NEW
    assert incident.last_seen == datetime.fromtimestamp(1748866080, UTC)


@pytest.mark.anyio
async def test_signature_variants_and_rejections() -> None:
    body = json.dumps(webhooks.SAMPLE_DETECTION).encode()
    stamp = now_stamp()
    hex_first = hmac_sign(SECRET, stamp.encode() + body, "sha256", "hex")
    headers = {webhooks.TIMESTAMP_HEADER: stamp, webhooks.SIGNATURE_HEADER: hex_first}
    async with live() as integ:
        assert await integ.handle_webhook(WebhookEvent(headers=headers, body=body))
        forged = webhooks.signed_event(webhooks.SAMPLE_DETECTION, "guessed-secret", stamp)
        with pytest.raises(AuthError):
            await integ.handle_webhook(forged)
        good = webhooks.signed_event(webhooks.SAMPLE_DETECTION, SECRET, stamp)
        tampered = WebhookEvent(headers=good.headers, body=good.body.replace(b"High", b"Low"))
        with pytest.raises(AuthError):
            await integ.handle_webhook(tampered)
        stale = webhooks.signed_event(webhooks.SAMPLE_DETECTION, SECRET, "1748866200")
        with pytest.raises(AuthError):
            await integ.handle_webhook(stale)  # replayed delivery from 2025
        unknown_algo = WebhookEvent(
            headers={**good.headers, webhooks.ALGORITHM_HEADER: "hmac-md5"}, body=good.body
        )
        with pytest.raises(AuthError):
            await integ.handle_webhook(unknown_algo)
    no_secret = CrowdStrikeFalcon({**CrowdStrikeFalcon.sandbox_config, "webhook_secret": None})
    async with no_secret:
        with pytest.raises(AuthError):
            await no_secret.handle_webhook(good)


@pytest.mark.anyio
async def test_sandbox_accepts_recorded_samples_and_ignores_other_events() -> None:
    async with CrowdStrikeFalcon.for_sandbox(size=5) as integ:
        for headers, body in CrowdStrikeFalcon.webhook_samples():
            records = await integ.handle_webhook(WebhookEvent(headers=headers, body=body))
            assert len(records) == 1
        audit = {"metadata": {"eventType": "AuthActivityAuditEvent"}, "event": {"x": 1}}
        assert await integ.handle_webhook(webhooks.signed_event(audit, SECRET, "0")) == []
        with pytest.raises(FatalError, match="malformed webhook"):
            await integ.handle_webhook(webhooks.signed_event({"event": {}}, SECRET, "0"))
        with pytest.raises(FatalError, match="malformed webhook"):
            broken = {"metadata": {"eventType": "IncidentSummaryEvent"}, "event": {}}
            await integ.handle_webhook(webhooks.signed_event(broken, SECRET, "0"))
