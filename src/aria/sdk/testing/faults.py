"""The failure scenarios the suite puts an integration through, in one place.

Where the sandbox's :class:`~aria.sdk.sandbox.Faults` can produce a failure (429 with
``Retry-After``, 403/5xx on every call, token expiry, malformed or truncated pages, a repeated
cursor) the suite asks the sandbox; what ``Faults`` cannot express (a timeout, a failure that
starts mid-read or hits every other call, a page served twice) is injected on the wire by
:class:`~aria.sdk.testing.transport.TransportFault`.
"""

from __future__ import annotations

from aria.sdk.sandbox import Faults
from aria.sdk.testing.transport import TransportFault

RETRY_AFTER = 7.0
"""Seconds the sandbox asks for on 429; distinct from every backoff step, so it is traceable."""

BAD_SECRET = "aria-conformance-wrong-credential-7Qx9"  # noqa: S105 - a deliberately wrong value
"""Replaces every secret in the sandbox config for the bad-credentials checks."""


def rate_limited_every_other() -> Faults:
    """Every second call answers 429 with ``Retry-After``: a retry must get through."""
    return Faults(rate_limit_every=2, retry_after=RETRY_AFTER)


def rate_limited_always() -> Faults:
    """Every call answers 429: retries run out and the read ends with ``RateLimited``."""
    return Faults(rate_limit_every=1, retry_after=RETRY_AFTER)


def forbidden() -> Faults:
    """Every data call answers 403 (valid credentials without permission)."""
    return Faults(error_rate=1.0, error_status=403)


def expiring_token(after: int = 2) -> Faults:
    """Issued tokens die after ``after`` uses: an OAuth2 integration must refresh and go on."""
    return Faults(expire_token_after_requests=after)


def malformed(page: int) -> Faults:
    """Page ``page`` is an HTML error page instead of JSON."""
    return Faults(malformed_page=page)


def truncated(page: int) -> Faults:
    """Page ``page`` is cut in half mid-JSON."""
    return Faults(truncated_page=page)


def repeated_cursor(page: int = 2) -> Faults:
    """Page ``page`` hands back the cursor it was requested with (a vendor pagination loop)."""
    return Faults(repeat_cursor=page)


def server_error_every_other() -> TransportFault:
    """Every second data call answers 503: retries must get through."""
    return TransportFault("status", status=503, every=2)


def server_error_always() -> TransportFault:
    """Every data call answers 503 once armed: retries run out, ``TransientError``."""
    return TransportFault("status", status=503)


def unauthorized_always() -> TransportFault:
    """Every data call answers 401 once armed (revoked credentials): ``AuthError``."""
    return TransportFault("status", status=401)


def timeout_every_other() -> TransportFault:
    """Every second data call times out: retries must get through."""
    return TransportFault("timeout", every=2)


def timeout_always() -> TransportFault:
    """Every data call times out once armed: ``TransientError``."""
    return TransportFault("timeout")


def replayed_page() -> TransportFault:
    """Later calls to the list endpoint get the first page again (loop without a cursor)."""
    return TransportFault("replay")


__all__ = [
    "BAD_SECRET",
    "RETRY_AFTER",
    "expiring_token",
    "forbidden",
    "malformed",
    "rate_limited_always",
    "rate_limited_every_other",
    "repeated_cursor",
    "replayed_page",
    "server_error_always",
    "server_error_every_other",
    "timeout_always",
    "timeout_every_other",
    "truncated",
    "unauthorized_always",
]
