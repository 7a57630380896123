"""The one place where the public API's routers are mounted (under ``/api/v1``)."""

from __future__ import annotations

from fastapi import APIRouter

from aria import __version__
from aria.accounts.views import router as accounts_router
from aria.audit.views import router as audit_router
from aria.installs.views import router as installs_router

API_PREFIX = "/api/v1"


def build_api_router() -> APIRouter:
    """Every domain's router, mounted once; later issues add theirs here."""
    router = APIRouter(prefix=API_PREFIX)

    @router.get("/meta", tags=["meta"])
    def meta() -> dict[str, str]:
        """Which ARIA this is (version), for API clients checking compatibility."""
        return {"product": "ARIA Integration Marketplace", "version": __version__}

    router.include_router(accounts_router)
    router.include_router(audit_router)
    router.include_router(installs_router)
    return router
