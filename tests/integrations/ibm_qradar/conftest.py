"""Fixtures for the QRadar tests: asyncio, an instant clock, a recording transport, the corpus."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from aria.integrations.ibm_qradar import IbmQradar
from aria.integrations.ibm_qradar.sandbox import make_sandbox
from aria.sdk.testing import InstantTime, no_jitter

# Resolved at import: the repository's autouse fixture clears ARIA_* variables per test.
CORPUS = Path(
    os.environ.get("ARIA_CORPUS_DIR") or Path(__file__).parents[3].parent / "shared" / "corpus"
)
COMMANDS_SAMPLE = CORPUS / "vendor-api" / "qradar" / "command_test_data.json"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def instant() -> InstantTime:
    return InstantTime()


Answer = Callable[[httpx.Request], httpx.Response | None]


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests to the sandbox and remembers them; ``override`` may answer instead."""

    def __init__(self, app: Any, override: Answer | None = None) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.override = override
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        if self.override is not None:
            answer = self.override(request)
            if answer is not None:
                return answer
        return await self.inner.handle_async_request(request)

    def to(self, path: str, method: str = "GET") -> list[httpx.Request]:
        """Requests with this method and path."""
        return [r for r in self.requests if r.url.path == path and r.method == method]


Build = Callable[..., tuple[IbmQradar, Any, Recorder]]


@pytest.fixture
def qradar(instant: InstantTime) -> Build:
    """``qradar(size=.., faults=.., config=.., override=..)`` -> (integration, app, recorder)."""

    def build(
        *,
        size: int = 60,
        faults: Any = None,
        config: dict[str, Any] | None = None,
        override: Answer | None = None,
    ) -> tuple[IbmQradar, Any, Recorder]:
        app = make_sandbox(size=size, faults=faults)
        recorder = Recorder(app, override)
        integ = IbmQradar(
            {**IbmQradar.sandbox_config, **(config or {})},
            transport=recorder,
            mode="sandbox",
            sleep=instant.sleep,
            clock=instant.clock,
            jitter=no_jitter,
        )
        return integ, app, recorder

    return build


def qradar_error(status: int, code: int, message: str) -> httpx.Response:
    """A response in QRadar's error envelope."""
    return httpx.Response(
        status,
        json={
            "message": message,
            "details": {},
            "description": "",
            "code": code,
            "http_response": {"code": status, "message": "error"},
        },
    )


def corpus_command(name: str) -> Any:
    """The raw QRadar ``response`` recorded for one XSOAR command, or skip without corpus."""
    if not COMMANDS_SAMPLE.is_file():
        pytest.skip(f"real QRadar samples not found at {COMMANDS_SAMPLE} (set ARIA_CORPUS_DIR)")
    return json.loads(COMMANDS_SAMPLE.read_text(encoding="utf-8"))[name]["response"]
