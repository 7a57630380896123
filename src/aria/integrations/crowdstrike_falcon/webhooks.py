"""Falcon webhook deliveries: signature check and event decoding.

Falcon's Webhook notification (CrowdStrike Store > Webhook, used by Fusion SOAR workflows and
notification rules) posts JSON and signs it with the *HMAC secret key* configured there:

* ``X-Cs-Delivery-Timestamp``: when Falcon sent it (Unix seconds or ISO 8601);
* ``X-Cs-Primary-Signature``: HMAC-SHA256 of ``body + timestamp`` under the secret, base64;
* ``X-Cs-Signature-Algorithm``: ``hmac-sha256``.

Published receivers disagree on the byte order (``body + timestamp`` vs ``timestamp +
body``) and on the encoding (base64 vs hex), so we accept either: each is an HMAC under the
shared secret, so an attacker without the secret can forge none of them. Deliveries older or
newer than five minutes are refused to stop replays.

The body is an event-streams event: ``{"metadata": {"eventType": ...}, "event": {...}}`` (or a
list of them). ``DetectionSummaryEvent`` becomes a detection finding, ``IncidentSummaryEvent``
an incident; other event types are acknowledged and ignored.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aria.integrations.crowdstrike_falcon.normalize import (
    detection_summary_event,
    incident_summary_event,
)
from aria.sdk import FatalError, IntegrationError, WebhookEvent
from aria.sdk.auth import hmac_sign
from aria.sdk.cursors import to_datetime

log = logging.getLogger("aria.integrations.crowdstrike_falcon")

SIGNATURE_HEADER = "X-Cs-Primary-Signature"
TIMESTAMP_HEADER = "X-Cs-Delivery-Timestamp"
ALGORITHM_HEADER = "X-Cs-Signature-Algorithm"
TOLERANCE_S = 300.0
DETECTION_EVENTS = frozenset({"DetectionSummaryEvent", "EppDetectionSummaryEvent"})
INCIDENT_EVENTS = frozenset({"IncidentSummaryEvent"})


def _candidates(secret: str, body: bytes, timestamp: str) -> list[str]:
    stamp = timestamp.encode()
    out = []
    for message in (body + stamp, stamp + body):
        out.append(hmac_sign(secret, message, "sha256", "base64"))
        out.append(hmac_sign(secret, message, "sha256", "hex"))
    return out


def verify(
    secret: str | None,
    event: WebhookEvent,
    now: datetime | None = None,
    *,
    max_age_s: float | None = TOLERANCE_S,
) -> bool:
    """True when the delivery is signed with ``secret`` and (unless ``max_age_s`` is None)
    was sent within ``max_age_s`` seconds of ``now`` (default: when it was received)."""
    signature = (event.header(SIGNATURE_HEADER) or "").strip()
    timestamp = (event.header(TIMESTAMP_HEADER) or "").strip()
    algorithm = (event.header(ALGORITHM_HEADER) or "hmac-sha256").strip().lower()
    if not (secret and signature and timestamp) or algorithm != "hmac-sha256":
        return False
    try:
        sent = to_datetime(timestamp)
    except IntegrationError:
        return False
    moment = now or event.received_at
    if sent is None:
        return False
    if max_age_s is not None and abs((moment - sent).total_seconds()) > max_age_s:
        return False
    matches = [
        hmac.compare_digest(expected.encode(), signature.encode())
        for expected in _candidates(secret, event.body, timestamp)
    ]
    return any(matches)


def sign(body: bytes, secret: str, timestamp: str) -> dict[str, str]:
    """The headers Falcon sends with ``body`` (for the sandbox, tests and the docs)."""
    return {
        SIGNATURE_HEADER: hmac_sign(secret, body + timestamp.encode(), "sha256", "base64"),
        TIMESTAMP_HEADER: timestamp,
        ALGORITHM_HEADER: "hmac-sha256",
        "Content-Type": "application/json",
    }


def parse(payload: Any) -> list[Any]:
    """Canonical records from one event or a list of events."""
    events = payload if isinstance(payload, list) else [payload]
    records: list[Any] = []
    for item in events:
        if not isinstance(item, Mapping):
            raise FatalError("malformed webhook: an event is not a JSON object")
        metadata, event = item.get("metadata"), item.get("event")
        if not isinstance(metadata, Mapping) or not isinstance(event, Mapping):
            raise FatalError("malformed webhook: expected 'metadata' and 'event' objects")
        kind = metadata.get("eventType")
        try:
            if kind in DETECTION_EVENTS:
                records.append(detection_summary_event(event, metadata))
            elif kind in INCIDENT_EVENTS:
                records.append(incident_summary_event(event, metadata))
            else:
                log.info("ignoring Falcon webhook event type %r", kind)
        except (KeyError, ValueError) as exc:
            raise FatalError(f"malformed webhook {kind}: {type(exc).__name__}") from None
    return records


def signed_event(payload: Any, secret: str, timestamp: str) -> WebhookEvent:
    """A delivery as Falcon would make it: JSON body plus signature headers."""
    body = json.dumps(payload).encode()
    return WebhookEvent(headers=sign(body, secret, timestamp), body=body)


SAMPLE_DETECTION: dict[str, Any] = {
    "metadata": {
        "customerIDString": "0123456789abcdef0123456789abcdef",
        "offset": 14562,
        "eventType": "DetectionSummaryEvent",
        "eventCreationTime": 1748865600000,
        "version": "1.0",
    },
    "event": {
        "ProcessStartTime": 1748865480,
        "ProcessEndTime": 0,
        "ProcessId": 38684386611,
        "ParentProcessId": 38682494050,
        "ComputerName": "WS-FIN-042",
        "UserName": "jsmith",
        "DetectName": "Credential Dumping",
        "DetectDescription": "A process read LSASS memory, consistent with credential theft.",
        "Severity": 4,
        "SeverityName": "High",
        "FileName": "rundll32.exe",
        "FilePath": "\\Device\\HarddiskVolume3\\Windows\\System32",
        "CommandLine": "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 612 l.dmp full",
        "SHA256String": "4f1e2d7b0c4a8e3f9d6b5a2c1e0f7d8c9b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e",
        "MD5String": "9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d",
        "MachineDomain": "acme.example",
        "SensorId": "5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b",
        "LocalIP": "10.20.30.42",
        "MACAddress": "00-50-56-8f-12-34",
        "DetectId": "ldt:5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b:38684386611",
        "Objective": "Gain Access",
        "Tactic": "Credential Access",
        "Technique": "OS Credential Dumping",
        "PatternDispositionDescription": "Prevention, process killed.",
        "PatternDispositionValue": 16,
        "FalconHostLink": "https://falcon.crowdstrike.com/activity/detections/detail/"
        "5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b/38684386611",
    },
}

SAMPLE_INCIDENT: dict[str, Any] = {
    "metadata": {
        "customerIDString": "0123456789abcdef0123456789abcdef",
        "offset": 14563,
        "eventType": "IncidentSummaryEvent",
        "eventCreationTime": 1748866200000,
        "version": "1.0",
    },
    "event": {
        "IncidentStartTime": 1748865480,
        "IncidentEndTime": 1748866080,
        "FalconHostLink": "https://falcon.crowdstrike.com/crowdscore/incidents/details/"
        "inc:5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b:7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a",
        "State": "open",
        "FineScore": 7.5,
        "LateralMovement": 0,
        "IncidentType": 1,
        "IncidentID": "inc:5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b:7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a",
        "HostID": "5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b",
        "LMHostIDs": [],
        "UserId": "jsmith@acme.example",
    },
}
