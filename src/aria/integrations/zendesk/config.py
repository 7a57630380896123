"""Settings of a Zendesk installation: the account, how ARIA signs in, and the state mapping.

Zendesk accepts two credentials on the Support API: an *API token* sent as HTTP Basic with the
username ``<agent email>/token``, or an *OAuth access token* sent as ``Bearer``. ``auth_method``
picks one; only the fields that method needs are required. ``subdomain`` fills ``base_url``
(``https://<subdomain>.zendesk.com``) so the SDK's URL guard checks the real host; a host-mapped
account (``support.example.com``) sets ``base_url`` instead.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, model_validator

from aria.sdk import Config, Secret

AuthMethod = Literal["api_token", "oauth"]
Plan = Literal["team", "growth", "professional", "enterprise", "high_volume"]

# Requests per minute of the Support API per plan (developer.zendesk.com > Rate limits).
# Enterprise Plus includes the High Volume API add-on (2,500 a minute).
PLAN_LIMITS: dict[str, int] = {
    "team": 200,
    "growth": 400,
    "professional": 400,
    "enterprise": 700,
    "high_volume": 2500,
}
EXPORT_PER_MINUTE = 10  # incremental export endpoints, on every plan
EXPORT_MAX_PAGE = 1000  # per_page maximum of the cursor-based incremental ticket export
SEARCH_MAX_PAGE = 100  # page[size] Zendesk recommends (and most list endpoints cap at)

ADMIN = "Admin Center > Apps and integrations > APIs > Zendesk API"
DEFAULT_STATE_MAPPING: dict[str, str] = {
    "open": "open",
    "in_progress": "pending",
    "closed": "solved",
}
# "new" cannot be set on an existing ticket, so it is no target for a risk status.
SETTABLE_STATUSES = ("open", "pending", "hold", "solved", "closed")
SUBDOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class ZendeskConfig(Config):
    """What the install wizard asks for."""

    subdomain: str | None = Field(
        default=None,
        description="Your Zendesk subdomain: 'acme' for https://acme.zendesk.com.",
        json_schema_extra={
            "where_to_find": "The first part of your Zendesk URL (https://<subdomain>.zendesk"
            ".com), also shown in Admin Center > Account > Brand management > Brands."
        },
    )
    base_url: str | None = Field(
        default=None,
        description="Zendesk API base URL; empty uses https://<subdomain>.zendesk.com.",
        json_schema_extra={
            "where_to_find": "Only for a host-mapped account or a proxy; the API lives under "
            "/api/v2 of your Zendesk URL."
        },
    )
    auth_method: AuthMethod = Field(
        default="api_token",
        description="API token (HTTP Basic with '<email>/token') or an OAuth access token.",
        json_schema_extra={
            "where_to_find": "Use an API token unless your security team issues OAuth tokens; "
            f"token access must be enabled in {ADMIN} > Settings."
        },
    )
    email: str | None = Field(
        default=None,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="Email address of the Zendesk agent (or admin) ARIA acts as (API token).",
        json_schema_extra={
            "where_to_find": "Admin Center > People > Team > Team members: an agent who may "
            "create and update tickets in the group ARIA files into. ARIA's tickets and "
            "comments are authored by this agent."
        },
    )
    api_token: Secret | None = Field(
        default=None,
        description="Zendesk API token (with auth_method 'api_token').",
        json_schema_extra={
            "where_to_find": f"{ADMIN} > Settings: turn on Token access, then Add API token; "
            "copy the token, shown only once."
        },
    )
    oauth_access_token: Secret | None = Field(
        default=None,
        description="OAuth access token with the 'read write' scope (with auth_method 'oauth').",
        json_schema_extra={
            "where_to_find": f"{ADMIN} > OAuth Clients registers a client; an admin creates a "
            "token for it with POST /api/v2/oauth/tokens (scopes: read, write)."
        },
    )
    state_mapping: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_STATE_MAPPING),
        description="ARIA risk status (open, in_progress, closed) -> Zendesk ticket status "
        "(new, open, pending, hold, solved, closed).",
        json_schema_extra={
            "where_to_find": "Keep the defaults (open -> open, in_progress -> pending, closed -> "
            "solved) unless your team uses 'hold' for work in progress."
        },
    )
    plan: Plan = Field(
        default="team",
        description="Your Zendesk plan, which sets the API rate limit ARIA stays under.",
        json_schema_extra={
            "where_to_find": "Admin Center > Account > Billing > Subscription (Team 200, Growth "
            "and Professional 400, Enterprise 700 requests a minute; High Volume API add-on "
            "or Enterprise Plus 2500)."
        },
    )
    group_id: int | None = Field(
        default=None,
        ge=1,
        description="Group new ARIA tickets are assigned to; empty uses the default group.",
        json_schema_extra={
            "where_to_find": "Admin Center > People > Team > Groups: open the group; its id is "
            "the number at the end of the URL."
        },
    )
    ticket_type: Literal["problem", "incident", "question", "task"] | None = Field(
        default="task",
        description="Zendesk ticket type of ARIA tickets (empty leaves it unset).",
        json_schema_extra={"where_to_find": "Keep 'task' unless your views filter on type."},
    )
    include_comments: bool = Field(
        default=True,
        description="Read each ARIA ticket's comments (one extra call per changed ticket).",
        json_schema_extra={"where_to_find": "Turn off only to save API calls on busy accounts."},
    )
    page_size: int = Field(
        default=EXPORT_MAX_PAGE,
        ge=1,
        le=EXPORT_MAX_PAGE,
        description="Tickets per incremental export page (per_page, at most 1000).",
        json_schema_extra={"where_to_find": "Keep the default: exports allow 10 calls a minute."},
    )

    @model_validator(mode="before")
    @classmethod
    def _base_url_from_subdomain(cls, data: Any) -> Any:
        """Fill base_url from subdomain so the URL guard checks the real Zendesk host."""
        if not isinstance(data, dict) or data.get("base_url"):
            return data
        subdomain = str(data.get("subdomain") or "").strip().lower()
        if subdomain:
            if not SUBDOMAIN.match(subdomain):
                raise ValueError("subdomain: use only the name, e.g. 'acme' for acme.zendesk.com")
            return {**data, "base_url": f"https://{subdomain}.zendesk.com"}
        return data

    @model_validator(mode="after")
    def _credentials_for_method(self) -> ZendeskConfig:
        """Each auth method needs its own credential; name what is missing."""
        if not self.base_url:
            raise ValueError("subdomain: set the subdomain (or base_url)")
        if self.auth_method == "api_token" and not (self.email and self.api_token):
            raise ValueError("api_token: auth_method 'api_token' needs email and api_token")
        if self.auth_method == "oauth" and not self.oauth_access_token:
            raise ValueError("oauth_access_token: auth_method 'oauth' needs an access token")
        unknown = sorted(set(self.state_mapping) - set(DEFAULT_STATE_MAPPING))
        if unknown:
            raise ValueError(
                f"state_mapping: unknown ARIA statuses {unknown}; use open, in_progress, closed"
            )
        bad = sorted(v for v in self.state_mapping.values() if v not in SETTABLE_STATUSES)
        if bad:
            raise ValueError(
                f"state_mapping: {bad} are not Zendesk statuses ARIA can set; use "
                f"{', '.join(SETTABLE_STATUSES)}"
            )
        return self

    @property
    def requests_per_minute(self) -> int:
        """The Support API limit of the configured plan."""
        return PLAN_LIMITS[self.plan]
