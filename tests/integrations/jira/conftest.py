"""Fixtures for the Jira tests: asyncio, an instant clock, a recording transport, the corpus."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from aria.integrations.jira import Jira
from aria.integrations.jira.sandbox import DEMO, make_sandbox
from aria.sdk.testing import InstantTime, no_jitter

# Resolved at import: the repository's autouse fixture clears ARIA_* variables per test.
CORPUS = Path(
    os.environ.get("ARIA_CORPUS_DIR") or Path(__file__).parents[3].parent / "shared" / "corpus"
)
SEARCH_SAMPLE = CORPUS / "vendor-api" / "jira" / "get_issue_query_test" / "raw_response.json"
ISSUE_SAMPLE = CORPUS / "vendor-api" / "jira" / "get_issue_test" / "raw_response.json"
BASIC = "Basic " + base64.b64encode(f"{DEMO['email']}:{DEMO['api_token']}".encode()).decode()


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

    def bodies(self, path: str, method: str = "POST") -> list[Any]:
        """Decoded JSON bodies sent to ``path``."""
        return [json.loads(r.content) for r in self.to(path, method)]


Build = Callable[..., tuple[Jira, Any, Recorder]]


@pytest.fixture
def jira(instant: InstantTime) -> Build:
    """``jira(size=.., faults=.., config=.., **sandbox_options)`` -> (integration, app,
    recorder); the integration and the sandbox share the instant clock."""

    def build(
        *,
        size: int = 40,
        faults: Any = None,
        config: dict[str, Any] | None = None,
        **options: Any,
    ) -> tuple[Jira, Any, Recorder]:
        app = make_sandbox(size=size, faults=faults, clock=instant.clock, **options)
        recorder = Recorder(app)
        integ = Jira(
            {**DEMO, **(config or {})},
            transport=recorder,
            mode="sandbox",
            sleep=instant.sleep,
            clock=instant.clock,
            jitter=no_jitter,
        )
        return integ, app, recorder

    return build


def site(app: Any) -> httpx.AsyncClient:
    """A client that talks to the sandbox as a person (or a script) would, with demo creds."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=DEMO["base_url"],
        headers={"Authorization": BASIC},
    )


async def move(app: Any, key: str, status: str) -> None:
    """Change an issue's status through the sandbox's transitions endpoint."""
    async with site(app) as client:
        listed = (await client.get(f"/rest/api/3/issue/{key}/transitions")).json()
        chosen = next(t for t in listed["transitions"] if t["to"]["name"] == status)
        answer = await client.post(
            f"/rest/api/3/issue/{key}/transitions", json={"transition": {"id": chosen["id"]}}
        )
        assert answer.status_code == 204, answer.text


def corpus(path: Path) -> Any:
    """A corpus sample, or skip when the corpus is absent."""
    if not path.is_file():
        pytest.skip(f"real Jira samples not found at {path} (set ARIA_CORPUS_DIR)")
    return json.loads(path.read_text(encoding="utf-8"))
