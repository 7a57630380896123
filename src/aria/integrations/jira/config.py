"""Settings of a Jira Cloud installation: the site, how ARIA signs in, where tickets go.

Jira Cloud takes two kinds of credentials on its REST API: an Atlassian account's e-mail plus an
API token (HTTP Basic, the usual choice for a service account), or an OAuth 2.0 access token
(Bearer), which goes through the ``https://api.atlassian.com/ex/jira/<cloudId>`` gateway rather
than the site itself. ``auth_type`` picks one; browser links always point at the site.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx
from pydantic import Field, field_validator, model_validator

from aria.sdk import Config, Secret, ticketing
from aria.sdk.records.ticket import RiskStatus

AuthType = Literal["api_token", "oauth_token"]

DEFAULT_STATE_MAPPING: dict[str, str] = {
    "open": "To Do",
    "in_progress": "In Progress",
    "closed": "Done",
}
# Jira's status categories (every status belongs to one) and the usual status names of the
# built-in workflows; the installation's own ``state_mapping`` is applied on top.
INBOUND_DEFAULTS: dict[str, RiskStatus] = {
    "new": "open",
    "indeterminate": "in_progress",
    "done": "closed",
    "to do": "open",
    "open": "open",
    "backlog": "open",
    "reopened": "open",
    "in progress": "in_progress",
    "in review": "in_progress",
    "closed": "closed",
    "resolved": "closed",
    "won't do": "closed",
    "cancelled": "closed",
}
PRIORITY_BANDS = ("critical", "high", "medium", "low")
DEFAULT_PRIORITY_MAPPING: dict[str, str] = {
    "critical": "Highest",
    "high": "High",
    "medium": "Medium",
    "low": "Low",
}
GATEWAY_HOST = "api.atlassian.com"
MAX_PAGE = 100  # search/jql returns at most 100 issues a page when fields are requested

TOKEN_PAGE = "https://id.atlassian.com/manage-profile/security/api-tokens"  # noqa: S105
SERVICE_ACCOUNT = (
    "Use a dedicated Atlassian account with the Browse projects, Create issues, Add comments "
    "and Transition issues permissions in the project."
)


class JiraConfig(Config):
    """What the install wizard asks for."""

    base_url: str = Field(
        description="Your Jira Cloud site, https://<your-site>.atlassian.net (with an OAuth "
        "token: https://api.atlassian.com/ex/jira/<cloudId>).",
        json_schema_extra={
            "where_to_find": "The address of your Jira in the browser, up to .atlassian.net. "
            "OAuth 2.0 (3LO) apps call the gateway instead: GET "
            "https://api.atlassian.com/oauth/token/accessible-resources lists the cloudId."
        },
    )
    site_url: str | None = Field(
        default=None,
        description="Browser address of the site for ticket links; empty uses base_url.",
        json_schema_extra={
            "where_to_find": "Only needed with an OAuth token (base_url is then the "
            "api.atlassian.com gateway): https://<your-site>.atlassian.net."
        },
    )
    auth_type: AuthType = Field(
        default="api_token",
        description="api_token: account e-mail + API token (Basic). oauth_token: an OAuth 2.0 "
        "access token (Bearer).",
        json_schema_extra={
            "where_to_find": "API tokens suit a service account; choose oauth_token only if "
            "your organization issues OAuth 2.0 (3LO) tokens for ARIA."
        },
    )
    email: str | None = Field(
        default=None,
        description="E-mail address of the Atlassian account the API token belongs to.",
        json_schema_extra={"where_to_find": f"The account's login e-mail. {SERVICE_ACCOUNT}"},
    )
    api_token: Secret | None = Field(
        default=None,
        description="API token of that account (auth_type api_token).",
        json_schema_extra={
            "where_to_find": f"Signed in as that account: {TOKEN_PAGE} > Create API token; "
            "copy it when shown (it is shown once)."
        },
    )
    access_token: Secret | None = Field(
        default=None,
        description="OAuth 2.0 access token with read:jira-work, write:jira-work and "
        "read:jira-user (auth_type oauth_token).",
        json_schema_extra={
            "where_to_find": "From your OAuth 2.0 (3LO) app in the Atlassian developer console "
            "(developer.atlassian.com > Console > your app > Authorization)."
        },
    )
    project_key: str = Field(
        pattern=r"^[A-Z][A-Z0-9_]{1,254}$",
        description="Key of the Jira project ARIA opens tickets in (SEC, SECOPS...).",
        json_schema_extra={
            "where_to_find": "Jira > Projects > View all projects: the Key column; also the "
            "prefix of the project's issue keys (SEC in SEC-42)."
        },
    )
    issue_type: str = Field(
        default="Task",
        min_length=1,
        description="Issue type of the tickets ARIA creates (Task, Bug, a custom type...).",
        json_schema_extra={
            "where_to_find": "Project settings > Issue types (or Work types) lists the types "
            "the project offers."
        },
    )
    state_mapping: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_STATE_MAPPING),
        description="ARIA risk status (open, in_progress, closed) -> Jira status name; ARIA "
        "moves tickets there and reads them back the same way.",
        json_schema_extra={
            "where_to_find": "Project settings > Workflows (or the board's columns): use the "
            'status names exactly as Jira shows them, e.g. {"closed": "Resolved"}. Statuses '
            "you leave out keep the defaults To Do / In Progress / Done."
        },
    )
    priority_mapping: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_PRIORITY_MAPPING),
        description="Risk score band (critical >= 20, high >= 10, medium >= 5, low) -> Jira "
        "priority name; {} sends no priority (for projects whose create screen lacks it).",
        json_schema_extra={
            "where_to_find": "Jira settings > Issues > Priorities lists the names (Highest, "
            "High, Medium, Low, Lowest by default)."
        },
    )
    webhook_secret: Secret | None = Field(
        default=None,
        description="Secret of the Jira admin webhook that notifies ARIA of ticket changes.",
        json_schema_extra={
            "where_to_find": "Jira settings > System > WebHooks > Create a WebHook: set the URL "
            "ARIA shows, events Issue created/updated and Comment created, JQL "
            "labels = aria-risk, and generate a Secret; paste the same value here."
        },
    )
    page_size: int = Field(
        default=MAX_PAGE,
        ge=1,
        le=MAX_PAGE,
        description="Issues per search page (maxResults, at most 100).",
        json_schema_extra={"where_to_find": "Keep the default (100)."},
    )

    @field_validator("state_mapping")
    @classmethod
    def _full_state_mapping(cls, value: dict[str, str]) -> dict[str, str]:
        """Known risk statuses only; the defaults fill what the admin left out."""
        unknown = sorted(set(value) - set(ticketing.RISK_STATUSES))
        if unknown:
            raise ValueError(
                f"unknown ARIA risk statuses {unknown}; use {list(ticketing.RISK_STATUSES)}"
            )
        empty = sorted(k for k, v in value.items() if not str(v).strip())
        if empty:
            raise ValueError(f"empty Jira status for {empty}")
        return {**DEFAULT_STATE_MAPPING, **{k: str(v).strip() for k, v in value.items()}}

    @field_validator("priority_mapping")
    @classmethod
    def _known_bands(cls, value: dict[str, str]) -> dict[str, str]:
        """Bands are critical/high/medium/low; a missing band sends no priority for it."""
        unknown = sorted(set(value) - set(PRIORITY_BANDS))
        if unknown:
            raise ValueError(f"unknown score bands {unknown}; use {list(PRIORITY_BANDS)}")
        return {k: str(v).strip() for k, v in value.items() if str(v).strip()}

    @model_validator(mode="after")
    def _credentials_for_auth_type(self) -> JiraConfig:
        """Each auth type needs its own credentials; the gateway needs a site for links."""
        if self.auth_type == "api_token" and not (self.email and self.api_token):
            raise ValueError("auth_type api_token needs email and api_token")
        if self.auth_type == "oauth_token" and not self.access_token:
            raise ValueError("auth_type oauth_token needs access_token")
        if _host(self.base_url) == GATEWAY_HOST and not self.site_url:
            raise ValueError(
                "site_url is required when base_url is the api.atlassian.com gateway "
                "(ticket links must point at https://<your-site>.atlassian.net)"
            )
        return self

    @property
    def browse_base(self) -> str:
        """Where people open issues: the site, not the API gateway."""
        return str(self.site_url or self.base_url).rstrip("/")

    def browse_url(self, key: str) -> str:
        """The browser link of an issue."""
        return f"{self.browse_base}/browse/{key}"

    def mapping(self) -> ticketing.StateMapping:
        """Risk status <-> Jira status, with Jira's status categories as inbound defaults."""
        return ticketing.StateMapping(self.state_mapping, INBOUND_DEFAULTS)

    def priority_for(self, score: Any) -> str | None:
        """The Jira priority for a risk score (1-25), or None when no priority is sent."""
        try:
            value = float(score)
        except (TypeError, ValueError):
            return None
        if value >= 20:
            band = "critical"
        elif value >= 10:
            band = "high"
        elif value >= 5:
            band = "medium"
        else:
            band = "low"
        return self.priority_mapping.get(band)


def _host(url: str) -> str:
    try:
        return (httpx.URL(url).host or "").lower()
    except (httpx.InvalidURL, TypeError, ValueError):
        return ""
