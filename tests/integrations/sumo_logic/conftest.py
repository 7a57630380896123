"""Fixtures for the Sumo Logic tests: asyncio, an instant clock shared with the sandbox, a
recording transport, and the real Cloud SIEM samples in ../shared/corpus."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from aria.integrations.sumo_logic import SumoLogic
from aria.integrations.sumo_logic.sandbox import SumoState, make_sandbox
from aria.sdk.testing import InstantTime, no_jitter

# Resolved at import: the repository's autouse fixture clears ARIA_* variables per test.
CORPUS = Path(
    os.environ.get("ARIA_CORPUS_DIR") or Path(__file__).parents[3].parent / "shared" / "corpus"
)
INSIGHTS_SAMPLE = CORPUS / "vendor-api" / "sumo-logic" / "insight_list_single.json"
SIGNALS_SAMPLE = CORPUS / "vendor-api" / "sumo-logic" / "signal_list.json"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def instant() -> InstantTime:
    return InstantTime()


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests to the sandbox and remembers them (method, URL, headers, body)."""

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

    def paths(self) -> list[tuple[str, str]]:
        """(method, path) of every request, in order."""
        return [(r.method, r.url.path) for r in self.requests]


Build = Callable[..., tuple[SumoLogic, SumoState, Recorder]]


@pytest.fixture
def sumo(instant: InstantTime) -> Build:
    """``sumo(size=.., faults=.., config=..)`` -> (integration, sandbox state, recorder); the
    sandbox runs on the test's instant clock, so receipt times and the client agree."""

    def build(
        *, size: int = 40, faults: Any = None, config: dict[str, Any] | None = None
    ) -> tuple[SumoLogic, SumoState, Recorder]:
        app = make_sandbox(size=size, faults=faults, clock=instant.clock, sleep=instant.sleep)
        recorder = Recorder(app)
        integ = SumoLogic(
            {**SumoLogic.sandbox_config, **(config or {})},
            transport=recorder,
            mode="sandbox",
            sleep=instant.sleep,
            clock=instant.clock,
            jitter=no_jitter,
        )
        return integ, app.state.sumo, recorder

    return build


def corpus_objects(path: Path) -> list[dict[str, Any]]:
    """``data.objects`` of a Cloud SIEM corpus sample, or skip when the corpus is absent."""
    if not path.is_file():
        pytest.skip(f"real Sumo Logic samples not found at {path} (set ARIA_CORPUS_DIR)")
    return list(json.loads(path.read_text(encoding="utf-8"))["data"]["objects"])
