"""Zendesk credentials: an API token over HTTP Basic, or an OAuth access token as Bearer.

Zendesk's API token is not a bearer token: it is the password of HTTP Basic with the username
``<agent email>/token``. An OAuth access token (from an OAuth client) is sent as ``Bearer``.
Both are static, so there is nothing to log in to or refresh; the installation's
``auth_method`` decides per request which header to build.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from aria.sdk import auth


class ZendeskAuth(auth.Custom):
    """``Authorization: Basic base64(<email>/token:<api token>)`` or ``Bearer <oauth token>``."""

    method = "api_token"

    def __init__(self) -> None:
        super().__init__("auth_method", "email", "api_token", "oauth_access_token")

    async def apply(
        self, request: httpx.Request, ctx: auth.AuthContext, session: dict[str, Any]
    ) -> None:
        config = ctx.config
        if config.value("auth_method") == "oauth":
            request.headers["Authorization"] = f"Bearer {config.value('oauth_access_token')}"
            return
        pair = f"{config.value('email')}/token:{config.value('api_token')}".encode()
        request.headers["Authorization"] = f"Basic {base64.b64encode(pair).decode()}"
