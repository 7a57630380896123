"""Fixtures for the Falcon tests: asyncio, an instant clock, a recording transport, the corpus."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from aria.integrations.crowdstrike_falcon import CrowdStrikeFalcon
from aria.integrations.crowdstrike_falcon.sandbox import make_sandbox
from aria.sdk.testing import InstantTime, no_jitter

# Resolved at import: the repository's autouse fixture clears ARIA_* variables per test.
CORPUS = Path(
    os.environ.get("ARIA_CORPUS_DIR") or Path(__file__).parents[3].parent / "shared" / "corpus"
)
FALCON_CORPUS = CORPUS / "vendor-api" / "crowdstrike-falcon"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def instant() -> InstantTime:
    return InstantTime()


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests to the sandbox and remembers them (method, path, params, form body)."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]


@pytest.fixture
def falcon(instant: InstantTime) -> Callable[..., tuple[CrowdStrikeFalcon, Any, Recorder]]:
    """``falcon(size=.., faults=.., scopes=.., config=..)`` -> (integration, app, recorder)."""

    def build(
        *,
        size: int = 60,
        faults: Any = None,
        scopes: Any = None,
        config: dict[str, Any] | None = None,
    ) -> tuple[CrowdStrikeFalcon, Any, Recorder]:
        kwargs: dict[str, Any] = {"scopes": scopes} if scopes is not None else {}
        app = make_sandbox(size=size, faults=faults, **kwargs)
        recorder = Recorder(app)
        integ = CrowdStrikeFalcon(
            {**CrowdStrikeFalcon.sandbox_config, **(config or {})},
            transport=recorder,
            mode="sandbox",
            sleep=instant.sleep,
            clock=instant.clock,
            jitter=no_jitter,
        )
        return integ, app, recorder

    return build


def corpus_resources(name: str) -> list[dict[str, Any]]:
    """``resources`` of a Falcon corpus sample, or skip when the corpus is absent."""
    path = FALCON_CORPUS / name
    if not path.is_file():
        pytest.skip(f"real Falcon samples not found at {FALCON_CORPUS} (set ARIA_CORPUS_DIR)")
    return list(json.loads(path.read_text(encoding="utf-8"))["resources"])
