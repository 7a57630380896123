"""Forwarding to Splunk's HTTP Event Collector (HEC).

``POST {hec_url}/services/collector/event`` with ``Authorization: Splunk <hec_token>`` and a
body of concatenated JSON objects, one per event::

    {"time": 1717329600.123, "host": "aria.example.com", "source": "aria",
     "sourcetype": "aria:risk", "index": "aria", "event": {...event_document(...)...}}

HEC answers ``{"text": "Success", "code": 0}``, and on failure a status with
``{"text": ..., "code": N}`` (plus ``invalid-event-number`` when one event of a batch is bad).
:class:`HecClient` turns those codes into errors that say what to fix. Splunk extracts the
event's JSON fields at search time (``AUTO_KV_JSON``), so ``risk_id="42"`` finds it.

HEC lives on another host or port than the REST API, so it has its own ``HttpClient`` (the
SDK client refuses other origins, which keeps each credential on its own host).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from aria.sdk import (
    AuthError,
    ConfigError,
    FatalError,
    HttpClient,
    IntegrationError,
    PushResult,
    TransientError,
    siem,
)

EVENT_PATH = "/services/collector/event"
SOURCETYPE = "aria:risk"
DEFAULT_HOST = "aria"
HEC_PAGE = "Settings > Data inputs > HTTP Event Collector"

# code -> (meaning, what to do). Codes from Splunk's HEC reply table.
REPLIES: dict[int, tuple[str, str]] = {
    0: ("Success", ""),
    1: ("Token disabled", f"enable the token in {HEC_PAGE}"),
    2: ("Token is required", "the request carried no HEC token"),
    3: ("Invalid authorization", "the Authorization header must be 'Splunk <token>'"),
    4: (
        "Invalid token",
        "check hec_token, and that hec_url points at the Splunk deployment that owns it",
    ),
    5: ("No data", "the request had no events"),
    6: ("Invalid data format", "an event could not be parsed"),
    7: (
        "Incorrect index",
        "add the index to the token's allowed indexes, or change index in the settings",
    ),
    8: ("Internal server error", "retry later"),
    9: ("Server is busy", "retry later"),
    10: (
        "Data channel is missing",
        "turn off 'Enable indexer acknowledgement' on the HEC token ARIA uses",
    ),
    11: (
        "Invalid data channel",
        "turn off 'Enable indexer acknowledgement' on the HEC token ARIA uses",
    ),
    12: ("Event field is required", "an event was empty"),
    13: ("Event field cannot be blank", "an event was blank"),
    14: ("ACK is disabled", "indexer acknowledgement is off for this token"),
    15: ("Error in handling indexed fields", "an event's fields could not be indexed"),
    16: ("Query string authorization is not enabled", "send the token in the header"),
    17: ("HEC is healthy", ""),
    18: ("HEC is unhealthy, queues are full", "retry later"),
    19: ("HEC is unhealthy, ack service unavailable", "retry later"),
    20: ("HEC is unhealthy, queues are full, ack service unavailable", "retry later"),
}
BAD_EVENT_CODES = frozenset({6, 12, 13, 15})


def hec_reply(response: httpx.Response) -> dict[str, Any] | None:
    """``{"code", "text", "invalid-event-number"?}`` of an HEC answer, or None."""
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("code"), int):
        return body
    return None


class HecClient(HttpClient):
    """An ``HttpClient`` for HEC whose errors name the HEC reply code and the fix.

    The SDK's client maps statuses to the error taxonomy but has no hook for a vendor's error
    body; HEC's ``code`` says far more than its status (403 is both "token disabled" and
    "invalid token"), so this subclass refines the SDK's classification.
    """

    def _classify(
        self, method: str, url: str, response: httpx.Response
    ) -> tuple[IntegrationError, float | None]:
        error, delay = super()._classify(method, url, response)
        reply = hec_reply(response) if response.status_code != 429 else None
        if reply is None:
            return error, delay
        code = int(reply["code"])
        meaning, fix = REPLIES.get(code, (str(reply.get("text") or "unknown error"), ""))
        bad = reply.get("invalid-event-number")
        where = f" (event #{bad} of the batch)" if isinstance(bad, int) else ""
        advice = f"; {fix}" if fix else ""
        message = self.redact(f"HEC rejected the request: {meaning} (code {code}){where}{advice}")
        details: dict[str, Any] = {"hec_code": code, "hec_text": reply.get("text")}
        if isinstance(bad, int):
            details["invalid_event_number"] = bad
        status = response.status_code
        refined: IntegrationError
        if code in (1, 2, 3, 4):
            refined = AuthError(message, status_code=status, details=details)
        elif code == 7:
            refined = ConfigError(
                message, fields={"index": meaning}, status_code=status, details=details
            )
        elif code in (10, 11, 14, 16):
            refined = ConfigError(
                message, fields={"hec_token": meaning}, status_code=status, details=details
            )
        elif code in (8, 9, 18, 19, 20) or status >= 500:
            refined = TransientError(message, status_code=status, details=details)
        else:
            refined = FatalError(message, status_code=status, details=details)
        refined.retryable = error.retryable
        return refined, delay


def envelopes(payload: Mapping[str, Any], *, index: str | None, now: float) -> list[dict[str, Any]]:
    """One HEC event per forwarded item: ``payload["events"]`` when present, else the payload.

    ``time`` is when ARIA forwards the change; ``host`` is the ARIA host from the payload's
    link back to the risk (``aria`` without one).
    """
    items = payload["events"] if isinstance(payload.get("events"), list) else [payload]
    out: list[dict[str, Any]] = []
    for number, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise FatalError(f"push event #{number} is a {type(item).__name__}, not an object")
        envelope: dict[str, Any] = {
            "time": round(now, 3),
            "host": _host(item.get("link") or payload.get("link")),
            "source": siem.EVENT_SOURCE,
            "sourcetype": SOURCETYPE,
            "event": siem.event_document(item),
        }
        if index:
            envelope["index"] = index
        out.append(envelope)
    return out


def batch_body(events: list[dict[str, Any]]) -> bytes:
    """HEC's batch format: the JSON objects one after another (newline-separated)."""
    return "\n".join(json.dumps(e, separators=(",", ":"), default=str) for e in events).encode()


async def forward(http: HecClient, events: list[dict[str, Any]]) -> PushResult:
    """Send ``events`` in one batch. Token, index and acknowledgement problems raise (the
    installation needs fixing); an event HEC could not take is reported per item."""
    if not events:
        return PushResult(ok=True, message="nothing to forward", details={"accepted": 0})
    try:
        # Not idempotent: a batch resent after a timeout would be indexed twice.
        body = await http.request_json(
            "POST",
            EVENT_PATH,
            content=batch_body(events),
            headers={"Content-Type": "application/json"},
            idempotent=False,
        )
    except FatalError as exc:
        code = exc.details.get("hec_code")
        if code not in BAD_EVENT_CODES:
            raise
        bad = exc.details.get("invalid_event_number")
        failed = events[bad] if isinstance(bad, int) and 0 <= bad < len(events) else None
        return PushResult(
            ok=False,
            message=exc.message
            + (
                "; HEC takes a batch in order, so the events before it may already be indexed"
                if isinstance(bad, int) and bad > 0
                else ""
            ),
            details={
                "accepted": 0,
                "sent": len(events),
                "hec_code": code,
                "failed": [
                    {
                        "index": bad,
                        "risk_id": (failed or {}).get("event", {}).get("risk_id"),
                        "reason": REPLIES.get(int(code), ("", ""))[0],
                    }
                ],
                "possibly_indexed": bad if isinstance(bad, int) else 0,
            },
        )
    code = body.get("code") if isinstance(body, dict) else None
    if code != 0:
        raise FatalError(f"malformed HEC answer: expected code 0, got {str(body)[:120]!r}")
    return PushResult(
        ok=True,
        message=f"{len(events)} event(s) sent to Splunk HEC",
        details={"accepted": len(events), "sourcetype": SOURCETYPE},
    )


async def check_token(http: HecClient) -> None:
    """Prove the HEC token without indexing anything: an empty POST is refused with
    "No data" (code 5) only after the token passed; a bad token raises ``AuthError``."""
    try:
        await http.request(
            "POST",
            EVENT_PATH,
            content=b"",
            headers={"Content-Type": "application/json"},
            idempotent=False,
        )
    except FatalError as exc:
        if exc.details.get("hec_code") == 5:
            return
        raise


def _host(link: Any) -> str:
    if not isinstance(link, str) or not link:
        return DEFAULT_HOST
    try:
        return httpx.URL(link).host or DEFAULT_HOST
    except (httpx.InvalidURL, TypeError, ValueError):
        return DEFAULT_HOST
