"""Webhook endpoint pages (filled in once the webhooks service is complete)."""

from __future__ import annotations

from fastapi import APIRouter

from aria.web.context import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)
