"""Fixtures for the Splunk tests: asyncio, an instant clock, a recording transport, the corpus."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from aria.integrations.splunk import Splunk
from aria.integrations.splunk.sandbox import SplunkState, make_sandbox
from aria.sdk.testing import InstantTime, no_jitter

# Resolved at import: the repository's autouse fixture clears ARIA_* variables per test.
CORPUS = Path(
    os.environ.get("ARIA_CORPUS_DIR") or Path(__file__).parents[3].parent / "shared" / "corpus"
)
NOTABLES_SAMPLE = CORPUS / "vendor-api" / "splunk" / "response_two_events.json"
MGMT_HOST = "splunk.example.com:8089"
HEC_HOST = "splunk.example.com:8088"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def instant() -> InstantTime:
    return InstantTime()


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests to the sandbox and remembers them; ``before`` runs ahead of each."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.requests: list[httpx.Request] = []
        self.before: Callable[[httpx.Request], None] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        if self.before is not None:
            self.before(request)
        return await self.inner.handle_async_request(request)

    def to(self, suffix: str, method: str = "GET") -> list[httpx.Request]:
        """Requests with this method whose path ends with ``suffix``."""
        return [r for r in self.requests if r.url.path.endswith(suffix) and r.method == method]

    def forms(self) -> list[dict[str, str]]:
        """The form bodies of search job dispatches."""
        return [
            dict(httpx.QueryParams(r.content.decode()))
            for r in self.to("/services/search/jobs", "POST")
        ]

    def status_polls(self) -> list[httpx.Request]:
        """Job status checks (``GET /services/search/jobs/<sid>``)."""
        return [
            r
            for r in self.requests
            if r.method == "GET"
            and r.url.path.startswith("/services/search/jobs/")
            and not r.url.path.endswith("/results")
        ]


Build = Callable[..., tuple[Splunk, SplunkState, Recorder]]


@pytest.fixture
def splunk(instant: InstantTime) -> Build:
    """``splunk(size=.., faults=.., polls=.., config=..)`` -> (integration, sandbox state,
    recorder)."""

    def build(
        *,
        size: int = 120,
        faults: Any = None,
        polls: int = 2,
        config: dict[str, Any] | None = None,
    ) -> tuple[Splunk, SplunkState, Recorder]:
        app = make_sandbox(size=size, faults=faults, polls_until_done=polls)
        recorder = Recorder(app)
        settings = {**Splunk.sandbox_config, **(config or {})}
        integ = Splunk(
            {k: v for k, v in settings.items() if v is not None},
            transport=recorder,
            mode="sandbox",
            sleep=instant.sleep,
            clock=instant.clock,
            jitter=no_jitter,
        )
        return integ, app.state.splunk, recorder

    return build


def corpus_notables() -> list[dict[str, Any]]:
    """The real ES notables sample, or skip when the corpus is absent."""
    if not NOTABLES_SAMPLE.is_file():
        pytest.skip(f"real Splunk samples not found at {NOTABLES_SAMPLE} (set ARIA_CORPUS_DIR)")
    return list(json.loads(NOTABLES_SAMPLE.read_text(encoding="utf-8")))
