"""Signing REST calls: a Splunk authentication token (Bearer) or a username and password (Basic).

Splunk's management port accepts both on every endpoint. Tokens are static (Splunk cannot
refresh them; an expired or revoked one is a 401 the admin must fix), so there is nothing to
fetch up front and nothing to refresh. HEC uses its own token and scheme (``Splunk <token>``),
see :mod:`.hec`.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from aria.sdk import auth


class SplunkAuth(auth.Custom):
    """``Authorization: Bearer <auth_token>`` when a token is configured, else HTTP Basic."""

    def __init__(self) -> None:
        super().__init__("auth_token", "username", "password")

    async def apply(
        self, request: httpx.Request, ctx: auth.AuthContext, session: dict[str, Any]
    ) -> None:
        token = ctx.config.value("auth_token")
        if token:
            request.headers["Authorization"] = f"Bearer {token}"
            return
        pair = f"{ctx.config.value('username')}:{ctx.config.value('password')}"
        request.headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
