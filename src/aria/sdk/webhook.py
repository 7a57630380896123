"""Webhook signature checks shared by integrations (constant-time, replay-window aware)."""

from __future__ import annotations

import hmac
from datetime import datetime

from aria.sdk.auth import hmac_sign


def verify_hmac(
    secret: str,
    body: bytes,
    signature: str | None,
    *,
    algorithm: str = "sha256",
    encoding: str = "hex",
    prefix: str = "",
    timestamp: str | None = None,
    now: datetime | None = None,
    tolerance_s: float = 300.0,
) -> bool:
    """True when ``signature`` is the HMAC of ``[timestamp + "." +] body`` under ``secret``.

    With ``timestamp`` (Unix seconds) and ``now`` the event must also be recent, which stops
    replays of captured deliveries.
    """
    if not signature or not secret:
        return False
    message = body
    if timestamp is not None:
        try:
            sent = float(timestamp)
        except ValueError:
            return False
        if now is not None and abs(now.timestamp() - sent) > tolerance_s:
            return False
        message = timestamp.encode() + b"." + body
    expected = prefix + hmac_sign(
        secret, message, algorithm, "base64" if encoding == "base64" else "hex"
    )
    return hmac.compare_digest(expected.encode(), signature.strip().encode())
