"""Shared fixtures for SDK tests: anyio backend and a fake clock that makes sleeps instant."""

from __future__ import annotations

import pytest


class FakeTime:
    """A clock that only moves when something sleeps; records every sleep duration."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()
