"""Linear credentials: a personal API key as the bare ``Authorization`` value, or OAuth Bearer.

Linear refuses a personal API key behind ``Bearer`` and an OAuth token without it, so the
header depends on the installation's ``auth_method``. Both are static (nothing to refresh).
"""

from __future__ import annotations

from typing import Any

import httpx

from aria.sdk import auth


class LinearAuth(auth.Custom):
    """``Authorization: <api key>`` or ``Authorization: Bearer <oauth token>``."""

    method = "api_key"

    def __init__(self) -> None:
        super().__init__("auth_method", "api_key", "oauth_access_token")

    async def apply(
        self, request: httpx.Request, ctx: auth.AuthContext, session: dict[str, Any]
    ) -> None:
        config = ctx.config
        if config.value("auth_method") == "oauth":
            request.headers["Authorization"] = f"Bearer {config.value('oauth_access_token')}"
        else:
            request.headers["Authorization"] = str(config.value("api_key"))
