"""Settings of a Sumo Logic installation: deployment, access key, HTTP source for forwarding.

Sumo Logic runs separate deployments (pods) per region; each has its own API host. US1 is
``https://api.sumologic.com/api`` and every other one ``https://api.<deployment>.sumologic.com/api``
(the service URL in the browser, ``service.<deployment>.sumologic.com``, names it). ``deployment``
fills ``base_url`` unless an explicit override (a proxy, a private link) is given.

The HTTP source URL embeds the source's collection token, so it is a :data:`Secret` like the
access key; it is validated only when ARIA first forwards events, so an installation that only
reads insights never needs one.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx
from pydantic import Field, model_validator

from aria.sdk import Config, Secret

Deployment = Literal["us1", "us2", "eu", "au", "de", "jp", "ca", "in", "fed", "kr", "ch"]
DEPLOYMENTS: tuple[str, ...] = Deployment.__args__
MAX_PAGE = 100  # Cloud SIEM list APIs (insights, signals) return at most 100 objects a call
DEFAULT_CATEGORY = "aria/events"

ACCESS_KEYS = (
    "Sumo Logic > Administration > Security > Access Keys (or your profile > Preferences > "
    "My Access Keys) > + Add Access Key"
)
ROLE = (
    "The key acts as its user: that user's role needs the Download Search Results capability "
    "(Search Job API, Enterprise accounts) and the Cloud SIEM capabilities to view insights "
    "and signals."
)


def api_url(deployment: str) -> str:
    """The documented API endpoint of a deployment (US1 has no deployment in its host)."""
    if deployment == "us1":
        return "https://api.sumologic.com/api"
    return f"https://api.{deployment}.sumologic.com/api"


def service_url(api_base: str) -> str:
    """The web UI of the deployment an API base URL belongs to (for links to insights)."""
    url = httpx.URL(api_base)
    host = url.host
    if host.startswith("api."):
        host = "service." + host[len("api.") :]
    return f"{url.scheme}://{host}" + (f":{url.port}" if url.port else "")


def with_api_path(url: str) -> str:
    """An override without a path means the API root: Sumo's APIs live under ``/api``."""
    parsed = httpx.URL(url.strip())
    if parsed.path in ("", "/"):
        return str(parsed.copy_with(path="/api")).rstrip("/")
    return url.strip().rstrip("/")


class SumoLogicConfig(Config):
    """What the install wizard asks for; the API host follows ``deployment`` unless set."""

    deployment: Deployment = Field(
        default="us1",
        description="Your Sumo Logic deployment (US1, US2, EU, AU, DE, JP, CA, IN, FED, KR, CH).",
        json_schema_extra={
            "where_to_find": "The host of the Sumo Logic web UI you sign in to: "
            "service.sumologic.com is US1, service.us2.sumologic.com is US2, "
            "service.eu.sumologic.com is EU, and so on (Help > About also shows it)."
        },
    )
    base_url: str | None = Field(
        default=None,
        description="API endpoint; empty uses the deployment's (https://api.<deployment>."
        "sumologic.com/api).",
        json_schema_extra={
            "where_to_find": "Leave empty unless you reach Sumo Logic through a proxy or "
            "private endpoint; Sumo's endpoint table lists each deployment's API URL."
        },
    )
    access_id: str = Field(
        min_length=1,
        description="Access ID of a Sumo Logic access key (HTTP Basic user name).",
        json_schema_extra={"where_to_find": f"{ACCESS_KEYS}; copy the Access ID. {ROLE}"},
    )
    access_key: Secret = Field(
        description="Access Key that belongs to the Access ID (HTTP Basic password).",
        json_schema_extra={
            "where_to_find": f"{ACCESS_KEYS}; the Access Key is shown only once, when the "
            "key is created."
        },
    )
    http_source_url: Secret | None = Field(
        default=None,
        description="URL of an HTTP Logs and Metrics source that receives the events ARIA "
        "forwards. It embeds the source's token, so it is stored as a secret.",
        json_schema_extra={
            "where_to_find": "Sumo Logic > Data Management (Manage Data) > Collection > "
            "Add Collector > Hosted Collector, then Add Source > HTTP Logs & Metrics; after "
            "saving, Show URL (https://endpoint<N>.collection.<deployment>.sumologic.com/"
            "receiver/v1/http/...). Needed only to forward risks to Sumo Logic."
        },
    )
    source_category: str = Field(
        default=DEFAULT_CATEGORY,
        min_length=1,
        max_length=1024,
        description="Source category (X-Sumo-Category) of forwarded events; common queries "
        "search this category.",
        json_schema_extra={
            "where_to_find": "Any category name your Sumo Logic admins use for security "
            "events, e.g. security/aria; search it with _sourceCategory=<name>."
        },
    )
    source_name: str = Field(
        default="aria",
        min_length=1,
        max_length=1024,
        description="Source name (X-Sumo-Name) of forwarded events.",
        json_schema_extra={"where_to_find": "Keep the default unless your naming scheme says."},
    )
    source_host: str | None = Field(
        default=None,
        max_length=1024,
        description="Source host (X-Sumo-Host) of forwarded events; empty keeps the source's.",
        json_schema_extra={"where_to_find": "Optional; e.g. the host name of your ARIA server."},
    )
    search_scope: str | None = Field(
        default=None,
        max_length=2000,
        description="Keyword expression that scopes translated common queries; empty "
        'searches the forwarding category (_sourceCategory="<source category>").',
        json_schema_extra={
            "where_to_find": "A Sumo Logic keyword expression such as _index=sec_events or "
            '_sourceCategory="security/*"; native queries are sent as written.'
        },
    )
    by_receipt_time: bool = Field(
        default=False,
        description="Search by receipt time instead of message time (finds late arrivals).",
        json_schema_extra={"where_to_find": "Turn on if your sources send delayed logs."},
    )
    search_timeout_s: int = Field(
        default=300,
        ge=5,
        le=8 * 3600,
        description="How long a search job may run before ARIA gives up (Sumo stops jobs "
        "after eight hours).",
        json_schema_extra={"where_to_find": "Keep the default (five minutes)."},
    )
    page_size: int = Field(
        default=MAX_PAGE,
        ge=1,
        le=MAX_PAGE,
        description="Insights and signals per request (the Cloud SIEM API returns at most 100).",
        json_schema_extra={"where_to_find": "Keep the default (100, the API maximum)."},
    )

    @model_validator(mode="before")
    @classmethod
    def _base_url_from_deployment(cls, data: Any) -> Any:
        """Fill base_url from deployment so the SDK's URL guard checks the real target."""
        if not isinstance(data, dict):
            return data
        if data.get("base_url"):
            return {**data, "base_url": with_api_path(str(data["base_url"]))}
        deployment = data.get("deployment") or "us1"
        if deployment in DEPLOYMENTS:
            return {**data, "base_url": api_url(str(deployment))}
        return data

    @property
    def service(self) -> str:
        """The Sumo Logic web UI of this installation (``https://service...``)."""
        return service_url(str(self.base_url or api_url(self.deployment)))

    def scope(self) -> str:
        """The keyword expression common queries start with."""
        if self.search_scope:
            return self.search_scope
        return f"_sourceCategory={sumo_string(self.source_category)}"


def sumo_string(value: str) -> str:
    """A Sumo query language string literal: backslashes and quotes escaped, control
    characters spelled as escapes, so a value can never end its literal early."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'
