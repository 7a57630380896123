"""The suite's wire: a transport around the sandbox's ASGI app that counts, times and breaks.

Every request the integration makes passes through :class:`SuiteTransport`, which records it
(method, path, status, fake time), can inject a :class:`TransportFault` (an HTTP status, a
timeout, or a replay of an earlier page), and stops a read that never ends (a paginator that
loops) with :class:`RunawayRead` instead of hanging the test run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import httpx

_BODY_HEADERS = {b"content-length", b"content-encoding", b"transfer-encoding"}


class RunawayRead(Exception):
    """The integration kept requesting far beyond what a clean read needs (a loop)."""


@dataclass(frozen=True)
class TransportFault:
    """A failure injected on data requests (token endpoints are spared).

    ``kind``: ``status`` answers ``status`` instead of the sandbox; ``timeout`` raises
    ``httpx.ReadTimeout``; ``replay`` answers every later request to the first data path with
    that path's first response (a vendor stuck on one page). ``every``: fail only every Nth
    data request (None: all of them).
    """

    kind: Literal["status", "timeout", "replay"]
    status: int = 503
    every: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Exchange:
    """One request as seen on the wire."""

    method: str
    path: str
    sent_at: float
    status: int | None = None
    answered_at: float | None = None
    injected: bool = False
    exempt: bool = False


class SuiteTransport(httpx.AsyncBaseTransport):
    """Wraps the sandbox transport: records exchanges, injects faults, bounds the read."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        clock: Callable[[], float],
        exempt_paths: Sequence[str] = (),
        budget: int = 5_000,
    ) -> None:
        self.inner = inner
        self.clock = clock
        self.exempt_paths = tuple(p for p in exempt_paths if p)
        self.budget = budget
        self.exchanges: list[Exchange] = []
        self.fault: TransportFault | None = None
        self.armed = False
        self._armed_count = 0
        self._first: tuple[str, str, int, list[tuple[bytes, bytes]], bytes] | None = None

    def inject(self, fault: TransportFault | None, *, armed: bool = True) -> None:
        """Set the fault; with ``armed=False`` it waits for :meth:`arm` (e.g. after page 1)."""
        self.fault = fault
        self.armed = armed
        self._armed_count = 0

    def arm(self) -> None:
        """Start injecting the fault from the next data request on."""
        self.armed = True

    @property
    def data_requests(self) -> list[Exchange]:
        """Exchanges other than token/login calls."""
        return [e for e in self.exchanges if not e.exempt]

    def requests_to(self, suffix: str) -> int:
        """How many requests went to a path ending in ``suffix`` (token fetches, say)."""
        return sum(1 for e in self.exchanges if e.path.endswith(suffix))

    def _is_exempt(self, path: str) -> bool:
        return any(path.endswith(p) for p in self.exempt_paths)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        exchange = Exchange(request.method, path, self.clock(), exempt=self._is_exempt(path))
        self.exchanges.append(exchange)
        if not exchange.exempt and len(self.data_requests) > self.budget:
            raise RunawayRead(
                f"{len(self.data_requests) - 1} requests and still reading (a clean read needs "
                "far fewer)"
            )
        response = await self._answer(request, exchange)
        exchange.status = response.status_code
        exchange.answered_at = self.clock()
        return response

    async def _answer(self, request: httpx.Request, exchange: Exchange) -> httpx.Response:
        fault = self.fault
        if exchange.exempt or fault is None or not self.armed:
            return await self._pass(request)
        if fault.kind == "replay":
            return await self._replay(request, exchange)
        self._armed_count += 1
        if fault.every is not None and self._armed_count % fault.every != 0:
            return await self._pass(request)
        exchange.injected = True
        if fault.kind == "timeout":
            raise httpx.ReadTimeout("injected by the conformance suite", request=request)
        return httpx.Response(
            fault.status,
            json={
                "errors": [{"code": fault.status, "message": "injected by the conformance suite"}]
            },
            headers=fault.headers,
            request=request,
        )

    async def _pass(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        return response

    async def _replay(self, request: httpx.Request, exchange: Exchange) -> httpx.Response:
        if self._first is None:
            response = await self._pass(request)
            self._first = (
                request.method,
                request.url.path,
                response.status_code,
                list(response.headers.raw),
                response.content,
            )
            return response
        method, path, status, headers, content = self._first
        if (request.method, request.url.path) != (method, path):
            return await self._pass(request)
        exchange.injected = True
        kept = [(k, v) for k, v in headers if k.lower() not in _BODY_HEADERS]
        return httpx.Response(status, headers=kept, content=content, request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()


__all__ = ["Exchange", "RunawayRead", "SuiteTransport", "TransportFault"]
