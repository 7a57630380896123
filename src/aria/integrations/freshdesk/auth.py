"""Freshdesk's API key: HTTP Basic with the key as the user name and ``X`` as the password.

The SDK's ``Basic`` kind reads both halves from config fields and ``ApiKey`` cannot base64 a
template, so this small ``Custom`` kind builds the header from ``api_key`` alone.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from aria.sdk import auth

PASSWORD = "X"  # noqa: S105 - Freshdesk ignores the password half; "X" is its convention


class FreshdeskApiKey(auth.Custom):
    """``Authorization: Basic base64(<api_key>:X)`` on every request."""

    method = "api_key"

    def __init__(self) -> None:
        super().__init__("api_key")

    async def apply(
        self, request: httpx.Request, ctx: auth.AuthContext, session: dict[str, Any]
    ) -> None:
        pair = f"{ctx.config.value('api_key')}:{PASSWORD}".encode()
        request.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
