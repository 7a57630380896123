"""Fixtures for the Elasticsearch tests: asyncio, an instant clock, a recording transport, the
corpus."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from aria.integrations.elasticsearch import Elasticsearch
from aria.integrations.elasticsearch.sandbox import ElasticState, make_sandbox
from aria.sdk.testing import InstantTime, no_jitter

# Resolved at import: the repository's autouse fixture clears ARIA_* variables per test.
CORPUS = Path(
    os.environ.get("ARIA_CORPUS_DIR") or Path(__file__).parents[3].parent / "shared" / "corpus"
)
SEARCH_SAMPLE = CORPUS / "vendor-api" / "elasticsearch" / "incidents_first_iteration.json"


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

    def answers(self, path: str, method: str = "POST") -> list[Any]:
        """The JSON bodies answered to this path."""
        return [
            json.loads(resp.content)
            for req, resp in zip(self.requests, self.responses, strict=True)
            if req.url.path == path and req.method == method
        ]

    def to(self, path: str, method: str | None = None) -> list[httpx.Request]:
        """Requests to this path (and method)."""
        return [
            r
            for r in self.requests
            if r.url.path == path and (method is None or r.method == method)
        ]

    def bodies(self, path: str, method: str = "POST") -> list[dict[str, Any]]:
        """The JSON bodies sent to this path."""
        return [json.loads(r.content) for r in self.to(path, method)]

    def calls(self) -> list[str]:
        """``METHOD /path`` of every request, in order."""
        return [f"{r.method} {r.url.path}" for r in self.requests]


Build = Callable[..., tuple[Elasticsearch, ElasticState, Recorder]]


@pytest.fixture
def elastic(instant: InstantTime) -> Build:
    """``elastic(size=.., faults=.., pit=.., privileges=.., config=.., rotate_pit_ids=..)`` ->
    (integration, sandbox state, recorder)."""

    def build(
        *,
        size: int = 60,
        faults: Any = None,
        config: dict[str, Any] | None = None,
        **sandbox: Any,
    ) -> tuple[Elasticsearch, ElasticState, Recorder]:
        app = make_sandbox(size=size, faults=faults, **sandbox)
        recorder = Recorder(app)
        settings = {**Elasticsearch.sandbox_config, **(config or {})}
        integ = Elasticsearch(
            {k: v for k, v in settings.items() if v is not None},
            transport=recorder,
            mode="sandbox",
            sleep=instant.sleep,
            clock=instant.clock,
            jitter=no_jitter,
        )
        return integ, app.state.elastic, recorder

    return build


def corpus_hits(path: Path) -> list[dict[str, Any]]:
    """``hits.hits`` of a corpus search response, or skip when the corpus is absent."""
    if not path.is_file():
        pytest.skip(f"real Elasticsearch samples not found at {path} (set ARIA_CORPUS_DIR)")
    return list(json.loads(path.read_text(encoding="utf-8"))["hits"]["hits"])
