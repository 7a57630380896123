"""Run the SDK's async lifecycle from synchronous service code.

FastAPI runs our sync views in AnyIO worker threads; from there a coroutine must go back to
the event loop (`anyio.from_thread.run`). The CLI and the queue workers have no loop, so a
fresh one is started (`asyncio.run`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio.from_thread

T = TypeVar("T")


def run_async(factory: Callable[[], Awaitable[T]]) -> T:
    """Await ``factory()`` from sync code, wherever that code is running."""
    try:
        return anyio.from_thread.run(factory)
    except RuntimeError as error:
        if "worker thread" not in str(error) and "event loop" not in str(error):
            raise
    return asyncio.run(_call(factory))


async def _call(factory: Callable[[], Awaitable[T]]) -> T:
    return await factory()
