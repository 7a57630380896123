"""`create_app()`: the ASGI application — API, probes, and (optionally) the embedded worker."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from aria import __version__
from aria.accounts.views import session_router
from aria.api import API_PREFIX, build_api_router
from aria.config import Settings, get_settings
from aria.db import checkpoint
from aria.errors import install_error_handlers
from aria.middleware import RequestIdMiddleware
from aria.runtime import Runtime
from aria.status.views import router as status_router
from aria.sync.queue import EmbeddedWorker
from aria.web.views import STATIC_DIR
from aria.web.views import router as web_router
from aria.webhooks.receiver import router as webhook_receiver_router

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    runtime: Runtime | None = None,
    embedded_worker: bool = False,
    background_checkpoints: bool = False,
) -> FastAPI:
    """Build the app. ``embedded_worker`` runs Huey consumer threads inside this process;
    ``background_checkpoints`` moves SQLite's WAL checkpoints off the request path (for the
    serving process; see aria.db.checkpoint)."""
    runtime = runtime or Runtime(settings or get_settings())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker: EmbeddedWorker | None = None
        checkpoints = ExitStack()
        if background_checkpoints:
            checkpoints.enter_context(checkpoint.background_checkpoints(runtime.engine))
        if embedded_worker:
            worker = EmbeddedWorker(
                runtime.huey, runtime.tasks, workers=runtime.settings.worker_threads
            )
            worker.start()
        log.info("ARIA %s ready at %s", __version__, runtime.settings.base_url)
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            checkpoints.close()
            runtime.close()

    app = FastAPI(
        title="ARIA Integration Marketplace API",
        version=__version__,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(webhook_receiver_router)  # first: vendors' hot path, fewest routes to scan
    app.include_router(status_router)
    app.include_router(build_api_router())
    app.include_router(session_router)
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/integrations")

    return app
