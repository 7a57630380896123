"""Fixtures for the Zendesk tests: asyncio, an instant clock, a recording transport, the corpus."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from aria.integrations.zendesk import Zendesk
from aria.integrations.zendesk.sandbox import NOW, make_sandbox
from aria.sdk.testing import InstantTime, no_jitter

# Resolved at import: the repository's autouse fixture clears ARIA_* variables per test.
CORPUS = Path(
    os.environ.get("ARIA_CORPUS_DIR") or Path(__file__).parents[3].parent / "shared" / "corpus"
)
ZENDESK_CORPUS = CORPUS / "vendor-api" / "zendesk"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def instant() -> InstantTime:
    """A fake clock a day after the sandbox's data, shared by integration and sandbox."""
    return InstantTime(start=NOW.timestamp() + 86_400)


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests to the sandbox and remembers them (method, URL, body, status)."""

    def __init__(self, app: Any, clock: Callable[[], float] = lambda: 0.0) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.clock = clock
        self.requests: list[httpx.Request] = []
        self.responses: list[httpx.Response] = []
        self.statuses: list[int] = []
        self.times: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        self.times.append(self.clock())
        response = await self.inner.handle_async_request(request)
        self.responses.append(response)
        self.statuses.append(response.status_code)
        return response

    def to(self, path: str, method: str = "GET") -> list[httpx.Request]:
        """Requests with this method and path."""
        return [r for r in self.requests if r.url.path == path and r.method == method]


Build = Callable[..., tuple[Zendesk, Any, Recorder]]


@pytest.fixture
def zendesk(instant: InstantTime) -> Build:
    """``zendesk(size=.., faults=.., limits=.., config=.., app=..)`` ->
    (integration, sandbox app, recorder); sandbox and integration share the instant clock."""

    def build(
        *,
        size: int = 40,
        faults: Any = None,
        limits: bool = False,
        config: dict[str, Any] | None = None,
        app: Any = None,
    ) -> tuple[Zendesk, Any, Recorder]:
        if app is None:
            app = make_sandbox(
                size=size, faults=faults, limits=limits, clock=instant.clock, sleep=instant.sleep
            )
        recorder = Recorder(app, instant.clock)
        integ = Zendesk(
            {**Zendesk.sandbox_config, **(config or {})},
            transport=recorder,
            mode="sandbox",
            sleep=instant.sleep,
            clock=instant.clock,
            jitter=no_jitter,
        )
        return integ, app, recorder

    return build


def corpus_json(name: str) -> Any:
    """A file of the Zendesk corpus, or skip when the corpus is absent."""
    path = ZENDESK_CORPUS / name
    if not path.is_file():
        pytest.skip(f"real Zendesk samples not found at {path} (set ARIA_CORPUS_DIR)")
    return json.loads(path.read_text(encoding="utf-8"))
