"""Fixtures for the Linear tests: asyncio, an instant clock, a recording transport."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from aria.integrations.linear import Linear
from aria.integrations.linear.sandbox import NOW, make_sandbox
from aria.sdk.testing import InstantTime, no_jitter


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def instant() -> InstantTime:
    """A fake clock a day after the sandbox's data, shared by integration and sandbox."""
    return InstantTime(start=NOW.timestamp() + 86_400)


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests to the sandbox and remembers them with their answers and times."""

    def __init__(self, app: Any, clock: Callable[[], float]) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.clock = clock
        self.requests: list[httpx.Request] = []
        self.responses: list[httpx.Response] = []
        self.statuses: list[int] = []  # as the sandbox answered (hooks may reinterpret)
        self.codes: list[str | None] = []  # extensions.code of the first GraphQL error
        self.times: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        self.times.append(self.clock())
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.responses.append(response)
        self.statuses.append(response.status_code)
        try:
            errors = json.loads(response.content).get("errors") or []
        except (ValueError, AttributeError):
            errors = []
        first = errors[0] if errors and isinstance(errors[0], dict) else {}
        self.codes.append((first.get("extensions") or {}).get("code"))
        return response

    def operations(self) -> list[str]:
        """The operationName of every GraphQL request, in order."""
        return [json.loads(r.content)["operationName"] for r in self.requests]

    def variables(self, operation: str) -> list[dict[str, Any]]:
        """The variables of every request of one operation."""
        bodies = [json.loads(r.content) for r in self.requests]
        return [b["variables"] for b in bodies if b["operationName"] == operation]


Build = Callable[..., tuple[Linear, Any, Recorder]]


@pytest.fixture
def linear(instant: InstantTime) -> Build:
    """``linear(size=.., faults=.., limits=.., config=.., app=.., mode=..)`` ->
    (integration, sandbox app, recorder); sandbox and integration share the instant clock."""

    def build(
        *,
        size: int = 30,
        faults: Any = None,
        limits: bool = False,
        config: dict[str, Any] | None = None,
        app: Any = None,
        mode: str = "sandbox",
        **sandbox: Any,
    ) -> tuple[Linear, Any, Recorder]:
        if app is None:
            app = make_sandbox(
                size=size,
                faults=faults,
                limits=limits,
                clock=instant.clock,
                sleep=instant.sleep,
                **sandbox,
            )
        recorder = Recorder(app, instant.clock)
        integ = Linear(
            {**Linear.sandbox_config, **(config or {})},
            transport=recorder,
            mode=mode,  # type: ignore[arg-type]
            sleep=instant.sleep,
            clock=instant.clock,
            jitter=no_jitter,
            allow_private=True,
        )
        return integ, app, recorder

    return build


async def graphql(app: Any, token: str, operation: str, variables: dict[str, Any]) -> Any:
    """Call the sandbox as another Linear client would (the analyst's own update call)."""
    from aria.integrations.linear.documents import request_body

    auth = token if token.startswith("lin_api_") else f"Bearer {token}"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://api.linear.app"
    ) as client:
        response = await client.post(
            "/graphql", json=request_body(operation, variables), headers={"Authorization": auth}
        )
    return response
