"""Fixtures for the Defender tests: asyncio, an instant clock, a recording transport, the corpus."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from aria.integrations.microsoft_defender_endpoint import MicrosoftDefenderEndpoint
from aria.integrations.microsoft_defender_endpoint.sandbox import make_sandbox
from aria.sdk.testing import InstantTime, no_jitter

# Resolved at import: the repository's autouse fixture clears ARIA_* variables per test.
CORPUS = Path(
    os.environ.get("ARIA_CORPUS_DIR") or Path(__file__).parents[3].parent / "shared" / "corpus"
)
ALERTS_SAMPLE = CORPUS / "vendor-api" / "microsoft-defender-endpoint" / "first_response_alerts.json"
VULNS_SAMPLE = CORPUS / "scans" / "ms_defender" / "report_many_vulns.json"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def instant() -> InstantTime:
    return InstantTime()


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests to the sandbox and remembers them (method, URL, body)."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    def to(self, path: str, method: str = "GET") -> list[httpx.Request]:
        """Requests with this method and path."""
        return [r for r in self.requests if r.url.path == path and r.method == method]

    def tokens(self) -> list[dict[str, str]]:
        """The form bodies of token requests."""
        return [
            dict(httpx.QueryParams(r.content.decode()))
            for r in self.requests
            if r.url.path.endswith("/oauth2/v2.0/token")
        ]


Build = Callable[..., tuple[MicrosoftDefenderEndpoint, Any, Recorder]]


@pytest.fixture
def defender(instant: InstantTime) -> Build:
    """``defender(size=.., faults=.., roles=.., config=.., next_links=..)`` ->
    (integration, sandbox app, recorder)."""

    def build(
        *,
        size: int = 60,
        faults: Any = None,
        roles: Any = None,
        config: dict[str, Any] | None = None,
        next_links: bool = True,
    ) -> tuple[MicrosoftDefenderEndpoint, Any, Recorder]:
        kwargs: dict[str, Any] = {"roles": roles} if roles is not None else {}
        app = make_sandbox(size=size, faults=faults, next_links=next_links, **kwargs)
        recorder = Recorder(app)
        integ = MicrosoftDefenderEndpoint(
            {**MicrosoftDefenderEndpoint.sandbox_config, **(config or {})},
            transport=recorder,
            mode="sandbox",
            sleep=instant.sleep,
            clock=instant.clock,
            jitter=no_jitter,
        )
        return integ, app, recorder

    return build


def corpus_values(path: Path) -> list[dict[str, Any]]:
    """``value`` of an OData corpus sample, or skip when the corpus is absent."""
    if not path.is_file():
        pytest.skip(f"real Defender samples not found at {path} (set ARIA_CORPUS_DIR)")
    return list(json.loads(path.read_text(encoding="utf-8"))["value"])
