"""Fixtures for the Sentinel tests: asyncio, an instant clock, a recording transport, the corpus."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from aria.integrations.microsoft_sentinel import MicrosoftSentinel
from aria.integrations.microsoft_sentinel.sandbox import NOW, make_sandbox
from aria.sdk.testing import InstantTime, no_jitter

# Resolved at import: the repository's autouse fixture clears ARIA_* variables per test.
CORPUS = Path(
    os.environ.get("ARIA_CORPUS_DIR") or Path(__file__).parents[3].parent / "shared" / "corpus"
)
SAMPLES = CORPUS / "vendor-api" / "microsoft-sentinel"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def instant() -> InstantTime:
    """The integration's clock, starting at the sandbox's ``now`` (events are stamped then)."""
    return InstantTime(start=NOW.timestamp())


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests to the sandbox and remembers them (method, URL, headers, body)."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    def to_host(self, host: str) -> list[httpx.Request]:
        """Requests sent to ``host``."""
        return [r for r in self.requests if r.url.host == host]

    def tokens(self) -> list[dict[str, str]]:
        """The form bodies of token requests."""
        return [
            dict(httpx.QueryParams(r.content.decode()))
            for r in self.requests
            if r.url.path.endswith("/oauth2/v2.0/token")
        ]


Build = Callable[..., tuple[MicrosoftSentinel, Any, Recorder]]


@pytest.fixture
def sentinel(instant: InstantTime) -> Build:
    """``sentinel(size=.., faults=.., roles=.., config=..)`` -> (integration, app, recorder)."""

    def build(
        *,
        size: int = 60,
        faults: Any = None,
        roles: Any = None,
        config: dict[str, Any] | None = None,
    ) -> tuple[MicrosoftSentinel, Any, Recorder]:
        kwargs: dict[str, Any] = {"roles": roles} if roles is not None else {}
        app = make_sandbox(size=size, faults=faults, **kwargs)
        recorder = Recorder(app)
        integ = MicrosoftSentinel(
            {**MicrosoftSentinel.sandbox_config, **(config or {})},
            transport=recorder,
            mode="sandbox",
            sleep=instant.sleep,
            clock=instant.clock,
            jitter=no_jitter,
        )
        return integ, app, recorder

    return build


def iso(moment: datetime) -> str:
    """ISO 8601 with ``Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
