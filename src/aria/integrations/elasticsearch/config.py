"""Settings of an Elasticsearch installation: the cluster, how ARIA signs in, which indices.

Elasticsearch accepts an API key (``Authorization: ApiKey <base64 of id:api_key>``) or a
native-realm user with HTTP Basic. Exactly one of the two is configured; the auth kind in
:mod:`.auth` picks it. Alerts are read from the Elastic Security alerts index of one Kibana
space; ARIA's own events are written to ``events_index``.
"""

from __future__ import annotations

import re
from typing import Any, Self

from pydantic import Field, model_validator

from aria.sdk import Config, Secret

DEFAULT_ALERTS_INDEX = ".alerts-security.alerts-default"
DEFAULT_EVENTS_INDEX = "aria-events"
MAX_PAGE = 10_000  # index.max_result_window: the largest "size" a search accepts by default
# Index names and patterns go into URL paths: refuse what could change the path or the query.
INDEX_PATTERN = r"^[^\s/\\?#&%\"<>|]{1,255}$"
API_KEYS = "Kibana > Stack Management > Security > API keys > Create API key"
PRIVILEGES = (
    "Give it the index privileges read and view_index_metadata on the alerts index "
    "(.alerts-security.alerts-<space>) and create_doc on the events index (aria-events)."
)


class ElasticsearchConfig(Config):
    """What the install wizard asks for: the cluster URL, one credential, the two indices."""

    base_url: str = Field(
        description="Elasticsearch endpoint of the cluster, with its port.",
        json_schema_extra={
            "where_to_find": "Elastic Cloud console > your deployment > Manage > Application "
            "endpoints > Elasticsearch > Copy endpoint (for example "
            "https://my-deployment.es.us-east-1.aws.found.io:443); self-managed clusters: the "
            "https:// address of any coordinating node or load balancer on port 9200."
        },
    )
    api_key: Secret | None = Field(
        default=None,
        description="API key: the Encoded value (base64 of id:api_key), or id:api_key. Leave "
        "empty to sign in with a username and password instead.",
        json_schema_extra={
            "where_to_find": f"{API_KEYS}; copy the Encoded value, shown only once. {PRIVILEGES}"
        },
    )
    username: str | None = Field(
        default=None,
        description="Native-realm user, used only when no API key is set.",
        json_schema_extra={
            "where_to_find": "Kibana > Stack Management > Security > Users > Create user, "
            f"with a role that has the index privileges above. {PRIVILEGES}"
        },
    )
    password: Secret | None = Field(
        default=None,
        description="Password of that user.",
        json_schema_extra={
            "where_to_find": "Set when creating the user (Stack Management > Security > Users "
            "> your user > Change password)."
        },
    )
    alerts_index: str = Field(
        default=DEFAULT_ALERTS_INDEX,
        pattern=INDEX_PATTERN,
        description="Index (or alias or pattern) holding Elastic Security detection alerts.",
        json_schema_extra={
            "where_to_find": "Detection alerts of a Kibana space live in "
            ".alerts-security.alerts-<space id>; keep the default for the Default space, or "
            "use .alerts-security.alerts-* for every space."
        },
    )
    events_index: str = Field(
        default=DEFAULT_EVENTS_INDEX,
        pattern=INDEX_PATTERN,
        description="Index or data stream ARIA writes its risk events to (created on first "
        "write when the cluster allows automatic index creation).",
        json_schema_extra={
            "where_to_find": "Any lowercase name your API key may write to (create_doc); a data "
            "stream such as logs-aria-default works too, since every event has @timestamp."
        },
    )
    kibana_url: str | None = Field(
        default=None,
        description="Kibana address, for links from findings to alerts (optional).",
        json_schema_extra={
            "where_to_find": "Elastic Cloud console > your deployment > Kibana > Copy endpoint "
            "(for example https://my-deployment.kb.us-east-1.aws.found.io:9243). Alerts that "
            "carry kibana.alert.url (Kibana's server.publicBaseUrl) use that link instead."
        },
    )
    include_building_blocks: bool = Field(
        default=False,
        description="Also bring in building-block alerts, which Kibana hides by default.",
        json_schema_extra={
            "where_to_find": "Leave off unless your rules mark low-level alerts as building "
            "blocks that you want as findings too."
        },
    )
    page_size: int = Field(
        default=1000,
        ge=1,
        le=MAX_PAGE,
        description="Hits per search request (size).",
        json_schema_extra={"where_to_find": "Keep the default; at most 10000 per request."},
    )

    @model_validator(mode="after")
    def _one_credential(self) -> Self:
        """An API key, or a username with its password: never neither, never half a pair."""
        has_key = self.api_key is not None and bool(self.api_key.get_secret_value())
        has_user = bool(self.username)
        has_password = self.password is not None and bool(self.password.get_secret_value())
        if not has_key and not (has_user and has_password):
            if has_user:
                raise ValueError("password: required with username (or set api_key instead)")
            raise ValueError("api_key: set an API key, or a username and password")
        return self

    @model_validator(mode="before")
    @classmethod
    def _strip_slash(cls, data: Any) -> Any:
        """``https://host:443/`` and ``https://host:443`` are the same cluster."""
        if isinstance(data, dict):
            data = dict(data)
            for name in ("base_url", "kibana_url"):
                if isinstance(data.get(name), str):
                    data[name] = data[name].strip().rstrip("/") or None
        return data

    @property
    def uses_api_key(self) -> bool:
        """True when requests carry ``Authorization: ApiKey``."""
        return self.api_key is not None and bool(self.api_key.get_secret_value())


def is_concrete_index(name: str) -> bool:
    """A single index or data stream name, not a pattern or a list."""
    return not re.search(r"[*,]", name)
