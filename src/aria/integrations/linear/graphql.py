"""Linear's GraphQL errors in the SDK's error taxonomy.

Linear answers GraphQL errors with HTTP 200 or 400 and an ``errors`` array whose
``extensions`` carry a ``code`` (``AUTHENTICATION_ERROR``, ``FORBIDDEN``, ``RATELIMITED``,
``INVALID_INPUT``...) and a readable ``type`` ("authentication error", "ratelimited"...).
:func:`translate` is an httpx response hook that gives those answers the HTTP status they mean
(401, 403, 429 with ``Retry-After`` from ``X-RateLimit-*-Reset``, 5xx), so the SDK's HTTP client
raises ``AuthError``/``RateLimited`` and retries exactly as for any REST vendor. It also turns an
exhausted request or complexity budget on a *successful* answer into the
``X-RateLimit-Remaining: 0``/``X-RateLimit-Reset`` pair the SDK pauses on. :func:`execute` sends
one of the fixed documents and raises on whatever errors remain (invalid input: ``FatalError``,
or ``ConfigError`` with status 404 for a missing entity).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from aria.integrations.linear.documents import request_body
from aria.sdk import AuthError, ConfigError, FatalError, HttpClient, RateLimited, TransientError
from aria.sdk.http import parse_reset

GRAPHQL_PATH = "/graphql"
# extensions.code (or extensions.type) -> the HTTP status it means.
STATUS_FOR_CODE: dict[str, int] = {
    "AUTHENTICATION_ERROR": 401,
    "AUTHENTICATION ERROR": 401,
    "FORBIDDEN": 403,
    "RATELIMITED": 429,
    "INTERNAL_SERVER_ERROR": 500,
    "INTERNAL ERROR": 500,
    "LOCK_TIMEOUT": 503,
    "LOCK TIMEOUT": 503,
}
RESET_HEADERS = ("x-ratelimit-requests-reset", "x-ratelimit-complexity-reset")


def error_codes(body: Any) -> list[str]:
    """The upper-cased ``extensions.code`` (else ``type``) of each GraphQL error."""
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return []
    codes = []
    for error in body["errors"]:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        if isinstance(extensions, dict):
            code = extensions.get("code") or extensions.get("type")
            if code:
                codes.append(str(code).upper())
    return codes


def error_message(body: Any) -> str:
    """The first error's most readable message."""
    for error in body.get("errors") or [] if isinstance(body, dict) else []:
        if isinstance(error, dict):
            extensions = error.get("extensions") or {}
            text = extensions.get("userPresentableMessage") or error.get("message")
            if text:
                return str(text)[:300]
    return "unknown GraphQL error"


def translate(clock: Callable[[], float]) -> Callable[[httpx.Response], Any]:
    """An httpx response hook for the GraphQL endpoint (see the module doc)."""

    async def hook(response: httpx.Response) -> None:
        if response.request.url.path != GRAPHQL_PATH:
            return
        if response.status_code < 300:
            _note_budget(response, clock())
        if response.status_code >= 500 or response.status_code in (401, 403, 429):
            return
        try:
            body = json.loads(response.content) if response.content else None
        except ValueError:
            return  # the stream reports malformed bodies itself
        statuses = [STATUS_FOR_CODE[c] for c in error_codes(body) if c in STATUS_FOR_CODE]
        if not statuses:
            return
        status = 429 if 429 in statuses else min(statuses)
        response.status_code = status
        if status == 429 and "retry-after" not in response.headers:
            wait = _reset_wait(response, clock())
            if wait is not None:
                response.headers["Retry-After"] = f"{wait:.3f}"

    return hook


def _reset_wait(response: httpx.Response, now: float) -> float | None:
    """Seconds until the exhausted budget (requests or complexity) refills."""
    waits = []
    for name in RESET_HEADERS:
        value = response.headers.get(name)
        remaining = response.headers.get(name.replace("-reset", "-remaining"))
        if value and (remaining is None or remaining.strip() in ("0", "0.0")):
            wait = parse_reset(value, now)
            if wait is not None:
                waits.append(wait)
    return max(waits) if waits else None


def _note_budget(response: httpx.Response, now: float) -> None:
    """An exhausted budget on a good answer: tell the SDK to pause until it refills."""
    headers = response.headers
    requests_left = headers.get("x-ratelimit-requests-remaining")
    complexity_left = headers.get("x-ratelimit-complexity-remaining")
    cost = headers.get("x-complexity")
    exhausted = []
    if requests_left is not None and requests_left.strip() in ("0", "0.0"):
        exhausted.append("x-ratelimit-requests-reset")
    try:
        if complexity_left is not None and float(complexity_left) < float(cost or 1):
            exhausted.append("x-ratelimit-complexity-reset")
    except ValueError:
        pass
    waits = [parse_reset(headers[h], now) for h in exhausted if headers.get(h)]
    waits = [w for w in waits if w is not None]
    if waits:
        headers["X-RateLimit-Remaining"] = "0"
        headers["X-RateLimit-Reset"] = f"{max(waits):.3f}"


def check(body: Any, operation: str, redact: Callable[[str], str]) -> dict[str, Any]:
    """``data`` of a GraphQL answer, or the SDK error its ``errors`` mean."""
    if not isinstance(body, dict):
        raise FatalError(f"malformed response to {operation}: not a GraphQL response object")
    data = body.get("data")
    if body.get("errors"):
        codes = error_codes(body)
        message = redact(f"{operation}: {error_message(body)}")
        statuses = [STATUS_FOR_CODE[c] for c in codes if c in STATUS_FOR_CODE]
        if 401 in statuses or 403 in statuses:
            raise AuthError(message, status_code=401 if 401 in statuses else 403)
        if 429 in statuses:
            raise RateLimited(message)
        if any(s >= 500 for s in statuses):
            raise TransientError(message, status_code=max(statuses))
        if "not found" in message.lower():
            raise ConfigError(message, status_code=404, details={"codes": codes})
        raise FatalError(message, details={"codes": codes})
    if not isinstance(data, dict):
        raise FatalError(f"malformed response to {operation}: no data")
    return data


async def execute(
    http: HttpClient,
    operation: str,
    variables: dict[str, Any] | None = None,
    *,
    idempotent: bool = True,
) -> dict[str, Any]:
    """Send one of the fixed documents and return its ``data``."""
    body = await http.request_json(
        "POST", GRAPHQL_PATH, json=request_body(operation, variables), idempotent=idempotent
    )
    return check(body, operation, http.redact)
