"""Signing in to ServiceNow: HTTP Basic, or OAuth 2.0 with the password grant.

ServiceNow's OAuth endpoint for external clients is ``POST /oauth_token.do`` (form-encoded,
never JSON) with ``grant_type=password``, ``client_id``, ``client_secret``, ``username`` and
``password``; it answers ``{"access_token", "refresh_token", "scope", "token_type": "Bearer",
"expires_in": 1799}``. A new access token comes from ``grant_type=refresh_token``; when the
refresh token is gone too, the password grant runs again.

The SDK's ``OAuth2ClientCredentials`` only does client credentials, and one auth kind is
declared per integration class, so this ``Custom`` kind reads ``auth_type`` per installation:
Basic installations send ``Authorization: Basic`` and never call the token endpoint.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from aria.sdk import AuthError, FatalError, TransientError, auth

TOKEN_PATH = "/oauth_token.do"  # noqa: S105 - a path, not a secret
LEEWAY = 60.0  # renew this many seconds before the token expires


class ServiceNowAuth(auth.Custom):
    """Basic or OAuth (password grant) by the installation's ``auth_type``."""

    method = "basic"  # the catalog's primary method; OAuth is the per-installation option

    def __init__(self) -> None:
        super().__init__("username", "password", "client_id", "client_secret")

    async def login(self, ctx: auth.AuthContext, session: dict[str, Any]) -> None:
        """OAuth: fetch a token now, so wrong credentials fail in test_connection."""
        if ctx.config.value("auth_type") == "oauth":
            await self._grant(ctx, session, refresh=False)

    async def apply(
        self, request: httpx.Request, ctx: auth.AuthContext, session: dict[str, Any]
    ) -> None:
        config = ctx.config
        if config.value("auth_type") != "oauth":
            pair = f"{config.value('username')}:{config.value('password')}".encode()
            request.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
            return
        if not session.get("access_token") or session.get("expires_at", 0.0) <= ctx.clock():
            await self._grant(ctx, session, refresh=bool(session.get("refresh_token")))
        request.headers["Authorization"] = f"Bearer {session['access_token']}"

    async def refresh(self, ctx: auth.AuthContext, session: dict[str, Any]) -> bool:
        """After a 401: a new access token (OAuth only; Basic credentials are just wrong)."""
        if ctx.config.value("auth_type") != "oauth":
            return False
        session.pop("access_token", None)
        await self._grant(ctx, session, refresh=bool(session.get("refresh_token")))
        return True

    async def _grant(
        self, ctx: auth.AuthContext, session: dict[str, Any], *, refresh: bool
    ) -> None:
        config = ctx.config
        form = {
            "client_id": str(config.value("client_id") or ""),
            "client_secret": str(config.value("client_secret") or ""),
        }
        if refresh:
            form |= {"grant_type": "refresh_token", "refresh_token": session["refresh_token"]}
        else:
            form |= {
                "grant_type": "password",
                "username": str(config.value("username")),
                "password": str(config.value("password")),
            }
        try:
            async with ctx.client() as client:
                response = await client.post(TOKEN_PATH, data=form)
        except httpx.TimeoutException:
            raise TransientError("ServiceNow token endpoint timed out") from None
        except httpx.TransportError as exc:
            raise TransientError(
                ctx.redactor(f"ServiceNow token endpoint unreachable ({exc})")
            ) from None
        if refresh and response.status_code in (400, 401):
            # The refresh token expired or was revoked: sign in with the password again.
            session.pop("refresh_token", None)
            await self._grant(ctx, session, refresh=False)
            return
        if response.status_code in (400, 401, 403):
            raise AuthError(
                "ServiceNow refused the OAuth sign-in (HTTP "
                f"{response.status_code}): check client_id, client_secret, username and "
                f"password ({TOKEN_PATH})",
                status_code=401,
            )
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(
                f"ServiceNow token endpoint failed (HTTP {response.status_code})",
                status_code=response.status_code,
            )
        try:
            body = response.json()
            token = str(body["access_token"])
            expires_in = float(body.get("expires_in") or 1799)
        except (ValueError, KeyError, TypeError):
            raise FatalError("malformed response from the ServiceNow token endpoint") from None
        if not response.is_success or not token:
            raise FatalError(f"ServiceNow token endpoint answered HTTP {response.status_code}")
        ctx.redactor.add(token)
        session["access_token"] = token
        session["expires_at"] = ctx.clock() + max(0.0, expires_in - LEEWAY)
        session["fetched"] = int(session.get("fetched", 0)) + 1
        if body.get("refresh_token"):
            ctx.redactor.add(str(body["refresh_token"]))
            session["refresh_token"] = str(body["refresh_token"])
