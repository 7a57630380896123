"""Webhook samples for the signature checks, and the tampering the suite applies to them.

Give the suite a signed delivery either as ``conformance(cls, webhook=WebhookCase(...))`` or
from the integration itself, as a classmethod ``webhook_samples()`` returning
``(headers, body)`` pairs signed with the secrets in ``sandbox_config``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aria.sdk.results import WebhookEvent

SIGNATURE_HEADER = re.compile(r"sig|hmac|hub|token|auth", re.IGNORECASE)


@dataclass(frozen=True)
class WebhookCase:
    """One authentic delivery: headers (including the signature) and the exact body bytes.

    ``signature_header`` names the header the suite corrupts or drops; when omitted it is
    guessed (a header mentioning sig/hmac/token/auth), else every header is corrupted.
    """

    headers: Mapping[str, str]
    body: bytes | str | Mapping[str, Any]
    signature_header: str | None = None
    name: str = "sample"

    @classmethod
    def coerce(cls, value: Any, index: int = 0) -> WebhookCase:
        """Accept a WebhookCase or a ``(headers, body)`` pair from ``webhook_samples()``."""
        if isinstance(value, WebhookCase):
            return value
        headers, body = value
        return cls(headers=dict(headers), body=body, name=f"sample{index}")

    @property
    def raw_body(self) -> bytes:
        """The body exactly as delivered."""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()

    def signature_headers(self) -> list[str]:
        """The header(s) that carry the signature."""
        if self.signature_header:
            return [k for k in self.headers if k.lower() == self.signature_header.lower()]
        guessed = [k for k in self.headers if SIGNATURE_HEADER.search(k)]
        return guessed or list(self.headers)

    def event(self) -> WebhookEvent:
        """The authentic delivery."""
        return WebhookEvent(headers=dict(self.headers), body=self.raw_body)

    def with_bad_signature(self) -> WebhookEvent:
        """Same body, signature changed by one character."""
        targets = set(self.signature_headers())
        headers = {k: (_corrupt(v) if k in targets else v) for k, v in self.headers.items()}
        return WebhookEvent(headers=headers, body=self.raw_body)

    def without_signature(self) -> WebhookEvent:
        """Same body, signature header(s) removed."""
        targets = set(self.signature_headers())
        headers = {k: v for k, v in self.headers.items() if k not in targets}
        return WebhookEvent(headers=headers, body=self.raw_body)

    def with_tampered_body(self) -> WebhookEvent:
        """Original signature, body changed (a field added, still valid JSON when it was)."""
        return WebhookEvent(headers=dict(self.headers), body=_tamper(self.raw_body))


def _corrupt(value: str) -> str:
    if not value:
        return "x"
    last = value[-1]
    swap = "1" if last != "1" else "2"
    if not last.isalnum():
        swap = "A"
    return value[:-1] + swap


def _tamper(body: bytes) -> bytes:
    try:
        data = json.loads(body)
    except ValueError:
        return body + b"tampered"
    if isinstance(data, dict):
        data["aria_conformance_tampered"] = True
        return json.dumps(data).encode()
    if isinstance(data, list):
        return json.dumps([*data, {"aria_conformance_tampered": True}]).encode()
    return body + b" "


__all__ = ["WebhookCase"]
