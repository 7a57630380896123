"""Fixtures for the ServiceNow tests: asyncio, an instant clock, a recording transport, an
analyst who changes incidents through the sandbox's own Table API, and the corpus."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from aria.integrations.servicenow import ServiceNow
from aria.integrations.servicenow.sandbox import ANALYST, INSTANCE, make_sandbox
from aria.sdk.testing import InstantTime, no_jitter

# Resolved at import: the repository's autouse fixture clears ARIA_* variables per test.
CORPUS = Path(
    os.environ.get("ARIA_CORPUS_DIR") or Path(__file__).parents[3].parent / "shared" / "corpus"
)
CHANGE_SAMPLE = CORPUS / "vendor-api" / "servicenow" / "create_co_from_template_result.json"


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

    def forms(self, path: str = "/oauth_token.do") -> list[dict[str, str]]:
        """Form bodies sent to the token endpoint."""
        return [dict(httpx.QueryParams(r.content.decode())) for r in self.to(path, "POST")]


Build = Callable[..., tuple[ServiceNow, Any, Recorder]]


@pytest.fixture
def servicenow(instant: InstantTime) -> Build:
    """``servicenow(size=.., faults=.., config=.., **sandbox)`` -> (integration, app, recorder)."""

    def build(
        *, size: int = 40, faults: Any = None, config: dict[str, Any] | None = None, **sandbox: Any
    ) -> tuple[ServiceNow, Any, Recorder]:
        app = make_sandbox(size=size, faults=faults, clock=instant.clock, **sandbox)
        recorder = Recorder(app)
        integ = ServiceNow(
            {**ServiceNow.sandbox_config, **(config or {})},
            transport=recorder,
            mode="sandbox",
            sleep=instant.sleep,
            clock=instant.clock,
            jitter=no_jitter,
        )
        return integ, app, recorder

    return build


async def as_analyst(app: Any, method: str, path: str, body: Any = None) -> httpx.Response:
    """A ServiceNow user (not ARIA) calling the sandbox's Table API, as a person or flow would."""
    token = base64.b64encode(f"{ANALYST[0]}:{ANALYST[1]}".encode()).decode()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=INSTANCE,
        headers={"Authorization": f"Basic {token}", "Accept": "application/json"},
    ) as client:
        return await client.request(method, path, json=body)


def corpus_record(path: Path) -> dict[str, Any]:
    """``result`` of a Table API corpus sample, or skip when the corpus is absent."""
    if not path.is_file():
        pytest.skip(f"real ServiceNow samples not found at {path} (set ARIA_CORPUS_DIR)")
    return dict(json.loads(path.read_text(encoding="utf-8"))["result"])
