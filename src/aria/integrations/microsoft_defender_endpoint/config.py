"""Settings of a Defender for Endpoint installation: which cloud, the Entra app, page size.

Defender for Endpoint lives in a different Microsoft cloud per customer (commercial, GCC, GCC
High, DoD). Each cloud has its own API host, Entra login host and token audience, so ``cloud``
fills all of them; every one can still be set by hand (a regional host such as
``https://api-eu.securitycenter.microsoft.com``, a proxy, a private endpoint).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from aria.sdk import Config, Secret

Cloud = Literal["commercial", "gcc", "gcc-high", "dod"]

# (MDE API, Defender XDR API for incidents, Entra login host, MDE scope, XDR scope) per cloud.
CLOUDS: dict[str, tuple[str, str, str, str, str]] = {
    "commercial": (
        "https://api.securitycenter.microsoft.com",
        "https://api.security.microsoft.com",
        "https://login.microsoftonline.com",
        "https://api.securitycenter.microsoft.com/.default",
        "https://api.security.microsoft.com/.default",
    ),
    "gcc": (
        "https://api-gcc.securitycenter.microsoft.us",
        "https://api-gcc.security.microsoft.us",
        "https://login.microsoftonline.com",
        "https://api-gcc.securitycenter.microsoft.us/.default",
        "https://api-gcc.security.microsoft.us/.default",
    ),
    "gcc-high": (
        "https://api-gov.securitycenter.microsoft.us",
        "https://api-gov.security.microsoft.us",
        "https://login.microsoftonline.us",
        "https://api-gov.securitycenter.microsoft.us/.default",
        "https://api-gov.security.microsoft.us/.default",
    ),
    "dod": (
        "https://api.securitycenter.microsoft.us",
        "https://api-dod.security.microsoft.us",
        "https://login.microsoftonline.us",
        "https://api.securitycenter.microsoft.us/.default",
        "https://api-dod.security.microsoft.us/.default",
    ),
}
_DERIVED = ("base_url", "incidents_base_url", "login_base_url", "api_scope", "incidents_scope")

APP_REGISTRATION = "Microsoft Entra admin center > Identity > Applications > App registrations"
PERMISSIONS = (
    "API permissions > Add a permission > APIs my organization uses > WindowsDefenderATP "
    "(application permissions): Alert.ReadWrite.All (or Alert.Read.All without alert status "
    "sync), Machine.Read.All, Vulnerability.Read.All, SecurityRecommendation.Read.All, "
    "Score.Read.All, Ti.ReadWrite.All; and Microsoft Threat Protection: Incident.Read.All. "
    "Then Grant admin consent."
)
MAX_PAGE = 10_000  # $top maximum of every MDE list API
INCIDENT_MAX_PAGE = 100  # $top maximum of the Defender XDR incidents API


class DefenderConfig(Config):
    """What the install wizard asks for; the endpoints follow ``cloud`` unless set."""

    cloud: Cloud = Field(
        default="commercial",
        description="The Microsoft cloud your Defender tenant lives in.",
        json_schema_extra={
            "where_to_find": "Commercial unless your organization uses Microsoft 365 "
            "Government (GCC, GCC High or DoD); the Defender portal URL tells: "
            "security.microsoft.com is commercial, security.microsoft.us a US Government cloud."
        },
    )
    tenant_id: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$",
        description="Directory (tenant) ID of your Microsoft Entra tenant (a GUID, or its "
        "primary domain such as contoso.onmicrosoft.com).",
        json_schema_extra={
            "where_to_find": f"{APP_REGISTRATION} > your app > Overview > Directory (tenant) ID."
        },
    )
    client_id: str = Field(
        description="Application (client) ID of the Entra app registration ARIA signs in as.",
        json_schema_extra={
            "where_to_find": f"{APP_REGISTRATION} > New registration, then Overview > "
            f"Application (client) ID. {PERMISSIONS}"
        },
    )
    client_secret: Secret = Field(
        description="Client secret of that app registration (its Value, not its Secret ID).",
        json_schema_extra={
            "where_to_find": f"{APP_REGISTRATION} > your app > Certificates & secrets > "
            "Client secrets > New client secret; copy the Value, shown only once."
        },
    )
    base_url: str | None = Field(
        default=None,
        description="Defender for Endpoint API base URL; empty uses the selected cloud's.",
        json_schema_extra={
            "where_to_find": "Only for a regional endpoint (https://api-eu.securitycenter."
            "microsoft.com, https://api-us.securitycenter.microsoft.com, "
            "https://api-uk.securitycenter.microsoft.com) or a proxy."
        },
    )
    incidents_base_url: str | None = Field(
        default=None,
        description="Microsoft Defender XDR API base URL for incidents; empty uses the cloud's.",
        json_schema_extra={
            "where_to_find": "Incidents moved from Defender for Endpoint to the Defender XDR API "
            "(https://api.security.microsoft.com); set a regional host such as "
            "https://eu.api.security.microsoft.com only if you need to."
        },
    )
    login_base_url: str | None = Field(
        default=None,
        description="Microsoft Entra sign-in host; empty uses the cloud's.",
        json_schema_extra={
            "where_to_find": "https://login.microsoftonline.com (commercial, GCC) or "
            "https://login.microsoftonline.us (GCC High, DoD)."
        },
    )
    api_scope: str | None = Field(
        default=None,
        description="OAuth2 scope for the Defender for Endpoint API; empty uses the cloud's.",
        json_schema_extra={"where_to_find": "Leave empty unless Microsoft support says so."},
    )
    incidents_scope: str | None = Field(
        default=None,
        description="OAuth2 scope for the Defender XDR (incidents) API; empty uses the cloud's.",
        json_schema_extra={"where_to_find": "Leave empty unless Microsoft support says so."},
    )
    page_size: int = Field(
        default=MAX_PAGE,
        ge=1,
        le=MAX_PAGE,
        description="Records per request ($top). Large pages save calls against the quota of "
        "100 calls a minute; incidents are read at most 100 at a time.",
        json_schema_extra={"where_to_find": "Keep the default (10000, the API maximum)."},
    )
    expand_evidence: bool = Field(
        default=True,
        description="Ask for alert evidence ($expand=evidence): files, processes, IPs, users.",
        json_schema_extra={"where_to_find": "Turn off only to shrink very large alert pages."},
    )

    @model_validator(mode="before")
    @classmethod
    def _endpoints_from_cloud(cls, data: Any) -> Any:
        """Fill hosts and scopes from ``cloud`` so the URL guard checks the real targets."""
        if not isinstance(data, dict):
            return data
        cloud = data.get("cloud") or "commercial"
        if cloud not in CLOUDS:
            return data
        filled = dict(data)
        for name, value in zip(_DERIVED, CLOUDS[cloud], strict=True):
            if not filled.get(name):
                filled[name] = value
        return filled

    @property
    def token_url(self) -> str:
        """Entra's v2.0 token endpoint for the tenant (client credentials, ``.default`` scope)."""
        return f"{str(self.login_base_url).rstrip('/')}/{self.tenant_id}/oauth2/v2.0/token"

    @property
    def incident_page_size(self) -> int:
        """``$top`` for incidents: the XDR API allows at most 100."""
        return min(self.page_size, INCIDENT_MAX_PAGE)
