"""Microsoft Entra ID (Azure AD) client credentials, for every Microsoft API an integration reads.

Entra's token endpoint is per tenant and lives on its own host:
``POST {login}/{tenant}/oauth2/v2.0/token`` with form-encoded ``client_id``, ``client_secret``,
``grant_type=client_credentials`` and ``scope={resource}/.default``; the token is valid only
for that resource (its *audience*). :class:`EntraClientCredentials` computes the token URL and
the scope from the installation's config when it is built, then lets
:class:`~aria.sdk.auth.OAuth2ClientCredentials` do the rest (Authlib, caching until expiry,
one refresh on 401, redaction, the URL guard on the token host).

An integration that talks to several Microsoft APIs needs one token per audience, so it
declares one instance per audience: Defender for Endpoint reads the MDE API and the Defender
XDR API, Sentinel reads Azure Resource Manager and the Log Analytics query API::

    auth = EntraClientCredentials(scope_field="management_scope")     # field holds the scope
    logs = EntraClientCredentials(scope="https://api.loganalytics.io/.default")  # fixed scope

The declared ``token_url`` (``/oauth2/v2.0/token``) is only the path suffix: the conformance
harness uses it to recognise token calls, and every real token URL ends with it.
"""

from __future__ import annotations

import copy

from aria.sdk import auth

TOKEN_PATH = "/oauth2/v2.0/token"  # noqa: S105 - a path, not a secret
PUBLIC_LOGIN = "https://login.microsoftonline.com"


def token_url(login_base_url: str, tenant: str) -> str:
    """Entra's v2.0 token endpoint of ``tenant`` on ``login_base_url``."""
    return f"{login_base_url.rstrip('/')}/{tenant}{TOKEN_PATH}"


class EntraClientCredentials(auth.OAuth2ClientCredentials):
    """Client credentials against the tenant's Entra v2.0 endpoint, for one API audience.

    The scope is either the value of the config field ``scope_field`` or the fixed ``scope``
    (exactly one). ``tenant_field`` and ``login_field`` name the config fields holding the
    tenant (GUID or primary domain) and the sign-in host; a config without ``login_field``, or
    with it empty, signs in at ``default_login`` (the public cloud's host).
    """

    def __init__(
        self,
        *,
        scope_field: str | None = None,
        scope: str | None = None,
        tenant_field: str = "tenant_id",
        login_field: str = "login_base_url",
        default_login: str = PUBLIC_LOGIN,
        client_id: str = "client_id",
        client_secret: str = "client_secret",  # noqa: S107 - a config field name
    ) -> None:
        if (scope_field is None) == (scope is None):
            raise ValueError("EntraClientCredentials needs exactly one of scope_field= or scope=")
        super().__init__(
            token_url=TOKEN_PATH,
            scope=scope,
            client_id=client_id,
            client_secret=client_secret,
            auth_method="client_secret_post",
        )
        self.scope_field = scope_field
        self.tenant_field = tenant_field
        self.login_field = login_field
        self.default_login = default_login

    def fields(self) -> tuple[str, ...]:
        # ``login_field`` is optional (absent or empty: ``default_login``), so it is not listed.
        names = [self.tenant_field, self.client_id, self.client_secret]
        if self.scope_field:
            names.append(self.scope_field)
        return tuple(names)

    def build(self, ctx: auth.AuthContext) -> auth.SdkAuth:
        config = ctx.config
        login = (
            config.value(self.login_field)
            if self.login_field in type(config).model_fields
            else None
        )
        concrete = copy.copy(self)
        concrete.token_url = token_url(
            str(login or self.default_login), str(config.value(self.tenant_field))
        )
        if self.scope_field:
            concrete.scope = str(config.value(self.scope_field))
        # Resolve the base class's build explicitly: it validates the absolute token URL
        # with the URL guard before any secret is sent.
        return auth.OAuth2ClientCredentials.build(concrete, ctx)


__all__ = ["PUBLIC_LOGIN", "TOKEN_PATH", "EntraClientCredentials", "token_url"]
