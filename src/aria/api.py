"""The one place where the public API's routers are mounted (under ``/api/v1``)."""

from __future__ import annotations

from fastapi import APIRouter

from aria import __version__
from aria.accounts.views import router as accounts_router
from aria.analytics.views import router as analytics_router
from aria.audit.views import router as audit_router
from aria.catalog.views import router as catalog_router
from aria.grc.views import router as grc_router
from aria.installs.health_views import router as health_router
from aria.installs.views import router as installs_router
from aria.mapping.views import router as mapping_router
from aria.siemquery.views import router as query_router
from aria.sync.views import router as sync_router
from aria.webhooks.views import router as webhooks_router

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
    router.include_router(catalog_router)
    router.include_router(installs_router)
    router.include_router(mapping_router)
    router.include_router(health_router)
    router.include_router(analytics_router)
    router.include_router(sync_router)
    router.include_router(grc_router)
    router.include_router(webhooks_router)
    router.include_router(query_router)
    return router
