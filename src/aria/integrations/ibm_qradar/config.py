"""Settings of a QRadar installation: the console, an authorized service token, the API version.

QRadar runs on premises (or as QRadar on Cloud), so there is no default host: ``base_url`` is
the console every API call goes to. The token is sent as the ``SEC`` header and the API
version as the ``Version`` header on every request, so a console upgrade never changes the
response shapes ARIA reads.
"""

from __future__ import annotations

from pydantic import Field

from aria.sdk import Config, Secret

AUTHORIZED_SERVICES = "QRadar console > Admin > User Management > Authorized Services"
DEFAULT_API_VERSION = "20.0"
MAX_PAGE = 1000  # QRadar documents no hard Range limit; large pages slow the console down


class QRadarConfig(Config):
    """What the install wizard asks for."""

    base_url: str = Field(
        description="URL of the QRadar console (or QRadar on Cloud host), e.g. "
        "https://qradar.example.com; the API lives under /api on it.",
        json_schema_extra={
            "where_to_find": "The address you open the QRadar console at in a browser, "
            "without a path."
        },
    )
    sec_token: Secret = Field(
        description="Authorized service token, sent as the SEC header.",
        json_schema_extra={
            "where_to_find": f"{AUTHORIZED_SERVICES} > Add Authorized Service: give it a "
            "user role with Offenses and Log Activity access and a security profile that "
            "covers the networks and log sources you want in ARIA; copy the token, which is "
            "shown only once."
        },
    )
    api_version: str = Field(
        default=DEFAULT_API_VERSION,
        pattern=r"^\d{1,2}\.\d{1,2}$",
        description="QRadar REST API version sent as the Version header (e.g. 20.0).",
        json_schema_extra={
            "where_to_find": "QRadar console > Help > Interactive API for Developers lists the "
            "versions your console supports (7.5.0 UP6 introduced 20.0); keep the default "
            "unless your console is older."
        },
    )
    domain_id: int | None = Field(
        default=None,
        ge=0,
        description="Only read offenses of this domain (multi-tenant consoles); empty reads "
        "every domain the token's security profile allows.",
        json_schema_extra={
            "where_to_find": "QRadar console > Admin > Domain Management shows each domain's "
            "id; leave empty on single-tenant consoles."
        },
    )
    page_size: int = Field(
        default=100,
        ge=1,
        le=MAX_PAGE,
        description="Offenses and search results per request (the Range header).",
        json_schema_extra={"where_to_find": "Keep the default (100)."},
    )
    search_timeout_s: int = Field(
        default=300,
        ge=10,
        le=3600,
        description="How long an Ariel (AQL) search may run before ARIA cancels it.",
        json_schema_extra={
            "where_to_find": "Raise it only for searches over long periods on busy consoles."
        },
    )
    search_window_hours: int = Field(
        default=24,
        ge=1,
        le=24 * 90,
        description="Time window searched when a query gives no start time.",
        json_schema_extra={"where_to_find": "Keep the default (24 hours)."},
    )
