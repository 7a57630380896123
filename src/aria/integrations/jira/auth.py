"""Jira Cloud auth: Basic with e-mail + API token, or Bearer with an OAuth 2.0 access token.

The SDK's kinds each read fixed fields; Jira's choice depends on ``auth_type`` in the Config,
so a small :class:`aria.sdk.auth.Custom` picks the header per request. Secrets are unwrapped
only while a request is signed.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from aria.sdk import auth


class JiraAuth(auth.Custom):
    """``Authorization: Basic base64(email:api_token)`` or ``Authorization: Bearer <token>``."""

    method = "basic"  # the catalog lists both (see Jira.metadata)

    def __init__(self) -> None:
        super().__init__("email", "api_token", "access_token")

    async def apply(
        self, request: httpx.Request, ctx: auth.AuthContext, session: dict[str, Any]
    ) -> None:
        """Sign ``request`` in place from the installation's settings."""
        request.headers["Authorization"] = authorization(ctx.config)


def authorization(config: Any) -> str:
    """The Authorization header value for ``config`` (a :class:`.config.JiraConfig`)."""
    if config.value("auth_type") == "oauth_token":
        return f"Bearer {config.value('access_token') or ''}"
    pair = f"{config.value('email') or ''}:{config.value('api_token') or ''}"
    return "Basic " + base64.b64encode(pair.encode()).decode()
