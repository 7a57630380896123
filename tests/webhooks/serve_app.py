"""Test-only server: `aria serve` (embedded worker) with the example integration registry.

Usage: ``python -m tests.webhooks.serve_app PORT [--bare]`` with ARIA_* settings in the
environment. ``--bare`` adds ``POST /bench/bare``, a bare endpoint behind the same middleware,
so the benchmark can measure the server's ceiling in the same run.
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aria.app import create_app
from aria.config import load_settings
from aria.heap import freeze_startup_heap
from aria.logs import configure_logging
from aria.runtime import Runtime
from tests.support import example_registry


async def bare(request: Request) -> Response:
    await request.body()
    return Response(b'{"status":"accepted"}', status_code=202, media_type="application/json")


def main(port: int, with_bare: bool) -> None:
    settings = load_settings()
    configure_logging(settings.log_format, "WARNING")
    runtime = Runtime(settings, _registry=example_registry())
    app = create_app(
        runtime=runtime,
        embedded_worker="--no-worker" not in sys.argv,
        background_checkpoints=True,
    )
    if with_bare:
        # First in the route table, like /hooks/{token}: the same routing cost for both.
        app.router.routes.insert(0, Route("/bench/bare", bare, methods=["POST"]))
    freeze_startup_heap()
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)


if __name__ == "__main__":
    main(int(sys.argv[1]), "--bare" in sys.argv[2:])
