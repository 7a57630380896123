"""Fixtures for the Freshdesk tests: asyncio, an instant clock, a recording transport, an
agent who changes tickets through the sandbox's own API, and the corpus."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from aria.integrations.freshdesk import Freshdesk
from aria.integrations.freshdesk.sandbox import AGENT_KEY, HELPDESK, make_sandbox
from aria.sdk.testing import InstantTime, no_jitter

# Resolved at import: the repository's autouse fixture clears ARIA_* variables per test.
CORPUS = Path(
    os.environ.get("ARIA_CORPUS_DIR") or Path(__file__).parents[3].parent / "shared" / "corpus"
)
TICKETS_SAMPLE = CORPUS / "vendor-api" / "freshdesk" / "first_page_incindents_respone.json"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def instant() -> InstantTime:
    return InstantTime()


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests to the sandbox and remembers them and their answers."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.requests: list[httpx.Request] = []
        self.responses: list[httpx.Response] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.responses.append(response)
        return response

    @property
    def statuses(self) -> list[int]:
        return [r.status_code for r in self.responses]

    def to(self, path: str, method: str = "GET") -> list[httpx.Request]:
        """Requests with this method and path."""
        return [r for r in self.requests if r.url.path == path and r.method == method]

    def bodies(self, path: str, method: str) -> list[Any]:
        """JSON bodies sent with this method to this path."""
        return [json.loads(r.content) for r in self.to(path, method)]


Build = Callable[..., tuple[Freshdesk, Any, Recorder]]


@pytest.fixture
def freshdesk(instant: InstantTime) -> Build:
    """``freshdesk(size=.., faults=.., config=.., **sandbox)`` -> (integration, app, recorder)."""

    def build(
        *, size: int = 40, faults: Any = None, config: dict[str, Any] | None = None, **sandbox: Any
    ) -> tuple[Freshdesk, Any, Recorder]:
        app = make_sandbox(size=size, faults=faults, clock=instant.clock, **sandbox)
        recorder = Recorder(app)
        integ = Freshdesk(
            {**Freshdesk.sandbox_config, **(config or {})},
            transport=recorder,
            mode="sandbox",
            sleep=instant.sleep,
            clock=instant.clock,
            jitter=no_jitter,
        )
        return integ, app, recorder

    return build


async def as_agent(app: Any, method: str, path: str, body: Any = None) -> httpx.Response:
    """A Freshdesk agent (not ARIA) calling the sandbox's API with their own key."""
    token = base64.b64encode(f"{AGENT_KEY}:X".encode()).decode()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=HELPDESK,
        headers={"Authorization": f"Basic {token}"},
    ) as client:
        return await client.request(method, path, json=body)


def corpus_tickets(path: Path) -> list[dict[str, Any]]:
    """A list-tickets corpus sample, or skip when the corpus is absent."""
    if not path.is_file():
        pytest.skip(f"real Freshdesk samples not found at {path} (set ARIA_CORPUS_DIR)")
    return list(json.loads(path.read_text(encoding="utf-8")))
