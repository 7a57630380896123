"""The HTTP layer every integration shares: retries, rate-limit headers, error mapping, metrics.

Authors never call httpx directly; :class:`HttpClient` wraps one ``httpx.AsyncClient`` per
integration instance. A ``transport`` can be injected (``httpx.ASGITransport`` reaches a
sandbox in process), and so can ``sleep``, ``clock`` and ``jitter`` so retry tests run
instantly and deterministically.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import anyio
import httpx

from aria.sdk.errors import (
    AuthError,
    ConfigError,
    FatalError,
    IntegrationError,
    RateLimited,
    TransientError,
)
from aria.sdk.ratelimit import Limiter, NoLimiter
from aria.sdk.redact import Redactor
from aria.sdk.urls import same_origin

log = logging.getLogger("aria.sdk.http")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
Jitter = Callable[[float], float]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
USER_AGENT = "aria-integration-sdk/0.1"
_SNIPPET = 200


def full_jitter(ceiling: float) -> float:
    """AWS "full jitter": a uniform delay in ``[0, ceiling]`` spreads retry storms."""
    return random.uniform(0.0, ceiling)  # noqa: S311 - not cryptographic


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before giving up; delays grow as ``base * 2**n`` capped at ``cap``."""

    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 300.0  # a longer server-requested wait ends the call with RateLimited

    def backoff(self, attempt: int) -> float:
        """The un-jittered ceiling for the delay after failed ``attempt`` (1-based)."""
        return min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))


@dataclass
class Metrics:
    """Counters for activity logs and analytics, per integration instance."""

    api_calls: int = 0
    errors: int = 0
    retries: int = 0
    rate_limited: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    latency_ms_total: float = 0.0
    latency_ms_max: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def latency_ms_avg(self) -> float:
        """Mean latency of timed calls, 0 when none were made."""
        return self.latency_ms_total / len(self.latencies_ms) if self.latencies_ms else 0.0

    def observe_latency(self, ms: float) -> None:
        """Record one call's latency (the list keeps the last 1000 for percentiles)."""
        self.latency_ms_total += ms
        self.latency_ms_max = max(self.latency_ms_max, ms)
        self.latencies_ms.append(ms)
        if len(self.latencies_ms) > 1000:
            del self.latencies_ms[0]

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly snapshot without the raw latency list."""
        data = asdict(self)
        data.pop("latencies_ms")
        data["latency_ms_avg"] = self.latency_ms_avg
        return data


class HttpClient:
    """One vendor connection: base URL, auth, timeouts, retries, limiter and metrics.

    ``request`` returns only successful responses; everything else becomes an
    :class:`~aria.sdk.errors.IntegrationError` whose message has been scrubbed of secrets.
    """

    def __init__(
        self,
        *,
        base_url: str,
        auth: httpx.Auth | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        headers: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        limiter: Limiter | None = None,
        redactor: Redactor | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
        jitter: Jitter | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.limiter = limiter or NoLimiter()
        self.redact = redactor or Redactor()
        self.sleep: Sleep = sleep or anyio.sleep
        self.clock: Clock = clock or time.time
        self.jitter: Jitter = jitter or full_jitter
        self.metrics = metrics or Metrics()
        self.transport = transport
        self.timeout = timeout
        self._resume_at = 0.0
        self.client = httpx.AsyncClient(
            base_url=self.base_url,
            auth=auth,
            transport=transport,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            follow_redirects=False,
            event_hooks=self.event_hooks(),
        )

    def event_hooks(self) -> dict[str, list[Callable[..., Awaitable[None]]]]:
        """Hooks that count every wire request (also token fetches made by auth clients)."""
        return {"request": [self._on_request], "response": [self._on_response]}

    async def _on_request(self, request: httpx.Request) -> None:
        self.metrics.api_calls += 1
        with contextlib.suppress(httpx.RequestNotRead):  # streamed bodies are not counted
            self.metrics.bytes_sent += len(request.content)

    async def _on_response(self, response: httpx.Response) -> None:
        await response.aread()
        self.metrics.bytes_received += response.num_bytes_downloaded or len(response.content)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """Send with retries; return a 2xx response or raise a taxonomy error.

        ``idempotent=False`` (creating tickets, pushing events) disables retries after a
        request may have reached the vendor (timeouts, 5xx); 429 and connect errors still retry.
        """
        method = method.upper()
        self._check_origin(url)
        attempt = 0
        while True:
            attempt += 1
            await self._wait_for_quota()
            started = self.clock()
            failure: IntegrationError
            delay: float | None = None
            try:
                response = await self.client.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    content=content,
                    headers=headers,
                )
            except IntegrationError:  # raised by an auth flow (token endpoint refused us)
                self.metrics.errors += 1
                raise
            except httpx.ConnectError as exc:
                failure = TransientError(self._say(method, url, f"connection failed ({exc})"))
            except httpx.TimeoutException:
                failure = TransientError(self._say(method, url, "timed out"))
                failure.retryable = idempotent
            except httpx.TransportError as exc:
                failure = TransientError(self._say(method, url, f"network error ({exc})"))
                failure.retryable = idempotent
            else:
                elapsed_ms = (self.clock() - started) * 1000.0
                self.metrics.observe_latency(elapsed_ms)
                log.debug(
                    "%s %s -> %s in %.0f ms",
                    method,
                    httpx.URL(url).path,
                    response.status_code,
                    elapsed_ms,
                )
                self._note_quota_headers(response)
                if response.is_success:
                    return response
                failure, delay = self._classify(method, url, response)
                if response.status_code >= 500 and not idempotent:
                    failure.retryable = False
            if not failure.retryable or attempt >= self.retry.max_attempts:
                self.metrics.errors += 1
                raise failure
            if delay is None:
                delay = self.jitter(self.retry.backoff(attempt))
            if delay > self.retry.max_retry_after:
                self.metrics.errors += 1
                raise failure
            self.metrics.retries += 1
            await self.sleep(delay)

    async def request_json(self, method: str, url: str, **kwargs: Any) -> Any:
        """:meth:`request` then :meth:`parse_json`."""
        return self.parse_json(await self.request(method, url, **kwargs))

    def parse_json(self, response: httpx.Response) -> Any:
        """Decode a JSON body or raise ``FatalError("malformed response ...")``."""
        try:
            return decode_json(response)
        except FatalError as exc:
            exc.message = self.redact(exc.message)
            raise

    def _check_origin(self, url: str) -> None:
        if url.startswith(("http://", "https://")) and not same_origin(url, self.base_url):
            raise FatalError(
                self.redact(
                    f"refusing to call {httpx.URL(url).host}: only the configured base_url's host "
                    "may receive credentials"
                )
            )

    def _say(self, method: str, url: str, what: str) -> str:
        return self.redact(f"{method} {httpx.URL(url).path}: {what}")

    def _classify(
        self, method: str, url: str, response: httpx.Response
    ) -> tuple[IntegrationError, float | None]:
        status = response.status_code
        snippet = self.redact(response.text[:_SNIPPET].strip()) if response.content else ""
        detail = f": {snippet}" if snippet else ""
        if status == 401:
            return AuthError(
                self._say(method, url, "401 unauthorized, credentials were rejected"),
                status_code=status,
            ), None
        if status == 403:
            return AuthError(
                self._say(method, url, "403 forbidden, the credentials lack permission"),
                status_code=status,
            ), None
        if status == 429:
            self.metrics.rate_limited += 1
            wait = self._server_wait(response)
            msg = self._say(method, url, "429 rate limited by the vendor")
            return RateLimited(msg, retry_after=wait), wait
        if status == 404:
            return ConfigError(
                self._say(method, url, "404 not found; check base_url and the tenant settings"),
                status_code=status,
            ), None
        if status == 408 or (status >= 500 and status not in (501, 505)):
            err = TransientError(
                self._say(method, url, f"{status} vendor error{detail}"), status_code=status
            )
            return err, self._server_wait(response)
        return FatalError(
            self._say(method, url, f"{status} request rejected{detail}"), status_code=status
        ), None

    def _server_wait(self, response: httpx.Response) -> float | None:
        """Seconds the server asked us to wait (Retry-After, then X-RateLimit-Reset)."""
        headers = response.headers
        retry_after = headers.get("Retry-After")
        if retry_after:
            wait = parse_retry_after(retry_after, self.clock())
            if wait is not None:
                return wait
        reset = headers.get("X-RateLimit-Reset") or headers.get("RateLimit-Reset")
        if reset:
            return parse_reset(reset, self.clock())
        return None

    def _note_quota_headers(self, response: httpx.Response) -> None:
        remaining = response.headers.get("X-RateLimit-Remaining") or response.headers.get(
            "RateLimit-Remaining"
        )
        if response.is_success and remaining is not None and remaining.strip() in ("0", "0.0"):
            reset = response.headers.get("X-RateLimit-Reset") or response.headers.get(
                "RateLimit-Reset"
            )
            wait = parse_reset(reset, self.clock()) if reset else None
            if wait:
                self._resume_at = self.clock() + min(wait, self.retry.max_retry_after)

    async def _wait_for_quota(self) -> None:
        wait = self._resume_at - self.clock()
        if wait > 0:
            await self.sleep(wait)
        await self.limiter.acquire()


def decode_json(response: httpx.Response) -> Any:
    """JSON body of ``response`` (None when empty) or ``FatalError("malformed response ...")``."""
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        where = f"{response.request.method} {response.request.url.path}"
        raise FatalError(
            f"malformed response from {where}: body is not valid JSON",
            status_code=response.status_code,
        ) from None


def parse_retry_after(value: str, now: float) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP date."""
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def parse_reset(value: str, now: float) -> float | None:
    """``X-RateLimit-Reset`` as seconds from ``now``: epoch seconds, epoch ms or a delta."""
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if number > 1e12:
        number = number / 1000.0 - now
    elif number > 1e9:
        number -= now
    return max(0.0, number)
