"""Probes for load balancers and orchestrators (no auth: they reveal nothing tenant-owned)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from aria import __version__
from aria.status.service import readiness

router = APIRouter(tags=["status"])


@router.get("/healthz")
def healthz() -> dict[str, Any]:
    """The process is alive and serving requests."""
    return {"status": "ok", "version": __version__}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """200 when the database is migrated to head and the queue is reachable, else 503."""
    report = await run_in_threadpool(readiness, request.app.state.runtime)
    return JSONResponse(report, status_code=200 if report["ready"] else 503)
