"""Settings of a Splunk installation: the management endpoint, how to sign in, HEC, notables.

Splunk has two front doors. The REST management port (8089) runs searches: notables are read
and ``query()`` answers through search jobs there. The HTTP Event Collector (HEC, port 8088, or
``http-inputs-<stack>.splunkcloud.com`` on Splunk Cloud) ingests what ARIA forwards. Each has
its own credential: a Splunk authentication token (or a username and password) for REST, an
HEC token for HEC.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, model_validator

from aria.sdk import Config, Secret

NOTABLE_SEARCH = "search `notable`"
MAX_PAGE = 50_000  # maxresultrows in limits.conf: the most one results request returns
SEARCH_ROLE = (
    "a role that may run searches and read the notable index (Enterprise Security's "
    "ess_analyst, or a custom role with the search capability and srchIndexesAllowed "
    "including notable)"
)
HEC_INPUTS = "Settings > Data inputs > HTTP Event Collector"
_HEC_SUFFIX = re.compile(r"/services/collector(/event)?(/1\.0)?/?$")


def search_command(spl: str) -> str:
    """Splunk runs a job's search string as-is, so a query must start with a command: plain
    terms get ``search`` in front, as the Search app does for what you type."""
    text = spl.strip()
    if text.startswith("|") or re.match(r"search(\s|$)", text, re.IGNORECASE):
        return text
    return f"search {text}"


class SplunkConfig(Config):
    """What the install wizard asks for. Auth: ``auth_token`` (sent as ``Authorization: Bearer``)
    or ``username`` + ``password`` (HTTP Basic), not both."""

    base_url: str = Field(
        description="Splunk REST API (management port) URL, e.g. https://splunk.example.com:8089.",
        json_schema_extra={
            "where_to_find": "Splunk Enterprise: the search head's host with the management "
            "port, https://<search-head>:8089 (not the web port 8000). Splunk Cloud Platform: "
            "https://<stack>.splunkcloud.com:8089, after adding ARIA's egress IPs to the "
            "'Search head API access' IP allow list (Settings > Server settings > IP allow "
            "list, or the Admin Config Service)."
        },
    )
    auth_token: Secret | None = Field(
        default=None,
        description="Splunk authentication token, sent as 'Authorization: Bearer <token>'. "
        "Preferred over a password.",
        json_schema_extra={
            "where_to_find": "Settings > Tokens > New Token (first enable Token Authentication "
            f"on that page). Create it for a user with {SEARCH_ROLE}; copy the token, shown "
            "only once."
        },
    )
    username: str | None = Field(
        default=None,
        description="Splunk user name for HTTP Basic auth (only when tokens are unavailable).",
        json_schema_extra={
            "where_to_find": f"Settings > Users > New User, with {SEARCH_ROLE}. Leave empty "
            "when you use an authentication token."
        },
    )
    password: Secret | None = Field(
        default=None,
        description="Password of that Splunk user (HTTP Basic auth).",
        json_schema_extra={"where_to_find": "Set when creating the user in Settings > Users."},
    )
    hec_url: str | None = Field(
        default=None,
        description="HTTP Event Collector URL ARIA forwards risk events to, e.g. "
        "https://splunk.example.com:8088. Empty disables forwarding.",
        json_schema_extra={
            "where_to_find": f"{HEC_INPUTS} > Global Settings shows the port (8088 by "
            "default): https://<indexer-or-heavy-forwarder>:8088. Splunk Cloud Platform: "
            "https://http-inputs-<stack>.splunkcloud.com:443."
        },
    )
    hec_token: Secret | None = Field(
        default=None,
        description="HEC token, sent as 'Authorization: Splunk <token>'.",
        json_schema_extra={
            "where_to_find": f"{HEC_INPUTS} > New Token: source type aria:risk, allowed "
            "indexes including the index below, and 'Enable indexer acknowledgement' off. "
            "Copy the Token Value."
        },
    )
    index: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9_-]{0,79}$",
        description="Index for forwarded events (and the default index of common queries). "
        "Empty uses the HEC token's default index.",
        json_schema_extra={
            "where_to_find": "Settings > Indexes (create e.g. 'aria'); it must be in the HEC "
            "token's allowed indexes and readable by the search user's role."
        },
    )
    notable_search: str = Field(
        default=NOTABLE_SEARCH,
        min_length=1,
        max_length=5000,
        description="The search that returns Enterprise Security notable events. The default "
        "uses ES's `notable` macro, which adds status, owner and urgency from Incident Review.",
        json_schema_extra={
            "where_to_find": "Keep the default. To narrow it, append filters, e.g. "
            "search `notable` | search urgency IN (high, critical)."
        },
    )
    first_sync_days: int = Field(
        default=30,
        ge=0,
        le=3650,
        description="How many days of notables the first sync reads; 0 reads all time.",
        json_schema_extra={"where_to_find": "Keep 30 unless you need older notables in ARIA."},
    )
    page_size: int = Field(
        default=5_000,
        ge=1,
        le=MAX_PAGE,
        description="Search results fetched per request (count).",
        json_schema_extra={
            "where_to_find": "Keep the default; the server caps it at maxresultrows in "
            "limits.conf (50,000 by default)."
        },
    )

    @model_validator(mode="before")
    @classmethod
    def _trim_hec_endpoint(cls, data: Any) -> Any:
        """Accept a pasted HEC endpoint (``.../services/collector/event``): keep the host."""
        if isinstance(data, dict) and isinstance(data.get("hec_url"), str):
            url = _HEC_SUFFIX.sub("", data["hec_url"].strip()).rstrip("/")
            data = {**data, "hec_url": url or None}
        return data

    @model_validator(mode="after")
    def _one_way_in(self) -> SplunkConfig:
        """Exactly one REST credential, and HEC as a pair."""
        basic = self.username is not None or self.password is not None
        if self.auth_token is not None and basic:
            raise ValueError(
                "auth_token: use either an authentication token or a username and password, "
                "not both"
            )
        if self.auth_token is None and (self.username is None or self.password is None):
            raise ValueError(
                "auth_token: set an authentication token, or both username and password"
            )
        if (self.hec_url is None) != (self.hec_token is None):
            raise ValueError("hec_token: HEC forwarding needs both hec_url and hec_token")
        return self

    @property
    def notable_spl(self) -> str:
        """``notable_search`` as Splunk will run it."""
        return search_command(self.notable_search)
