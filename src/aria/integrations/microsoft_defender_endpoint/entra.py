"""Microsoft Entra (Azure AD) client credentials for the two Defender APIs.

Entra's token endpoint is per tenant and on its own host:
``{login}/{tenant_id}/oauth2/v2.0/token``, form-encoded ``client_id``, ``client_secret``,
``grant_type=client_credentials`` and ``scope={api}/.default``. The SDK's
``OAuth2ClientCredentials`` takes a fixed ``token_url`` and ``scope``; this subclass computes
both from the installation's config when it is built, then lets the SDK do the rest (Authlib,
token caching, refresh on 401, redaction).

The declared ``token_url`` (``/oauth2/v2.0/token``) is only the path suffix: the conformance
harness uses it to recognise token calls, and every real token URL ends with it.
"""

from __future__ import annotations

import copy
from typing import Literal

from aria.sdk import auth

TOKEN_PATH = "/oauth2/v2.0/token"  # noqa: S105 - a path, not a secret

Audience = Literal["api", "incidents"]


class EntraClientCredentials(auth.OAuth2ClientCredentials):
    """Client credentials against the tenant's Entra v2.0 endpoint, for one API audience.

    ``audience="api"`` asks for the Defender for Endpoint scope (``api_scope``),
    ``"incidents"`` for the Defender XDR one (``incidents_scope``).
    """

    def __init__(self, audience: Audience = "api") -> None:
        super().__init__(token_url=TOKEN_PATH, auth_method="client_secret_post")
        self.audience = audience

    def fields(self) -> tuple[str, ...]:
        return ("tenant_id", "client_id", "client_secret", "login_base_url", "api_scope")

    def build(self, ctx: auth.AuthContext) -> auth.SdkAuth:
        config = ctx.config
        concrete = copy.copy(self)
        concrete.token_url = config.token_url  # type: ignore[attr-defined]
        scope_field = "api_scope" if self.audience == "api" else "incidents_scope"
        concrete.scope = str(config.value(scope_field))
        # Resolve the base class's build explicitly: it validates the absolute token URL
        # with the URL guard before any secret is sent.
        return auth.OAuth2ClientCredentials.build(concrete, ctx)
