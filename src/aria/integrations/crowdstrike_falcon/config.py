"""Settings of a Falcon installation: which cloud, the API client, optional MSSP child CID."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from aria.sdk import Config, Secret

Cloud = Literal["us-1", "us-2", "eu-1", "us-gov-1"]

# API base URL and Falcon console per cloud (a CID lives in exactly one).
CLOUDS: dict[str, tuple[str, str]] = {
    "us-1": ("https://api.crowdstrike.com", "https://falcon.crowdstrike.com"),
    "us-2": ("https://api.us-2.crowdstrike.com", "https://falcon.us-2.crowdstrike.com"),
    "eu-1": ("https://api.eu-1.crowdstrike.com", "https://falcon.eu-1.crowdstrike.com"),
    "us-gov-1": (
        "https://api.laggar.gcw.crowdstrike.com",
        "https://falcon.laggar.gcw.crowdstrike.com",
    ),
}

API_CLIENTS = "Falcon console > Support and resources > Resources and tools > API clients and keys"


class FalconConfig(Config):
    """What the install wizard asks for; ``base_url`` follows ``cloud`` unless set."""

    cloud: Cloud = Field(
        default="us-1",
        description="The Falcon cloud your CID lives in (US-1, US-2, EU-1, US-GOV-1).",
        json_schema_extra={
            "where_to_find": "The host of your Falcon console URL: falcon.crowdstrike.com is "
            "US-1, falcon.us-2.crowdstrike.com US-2, falcon.eu-1.crowdstrike.com EU-1."
        },
    )
    base_url: str | None = Field(
        default=None,
        description="API base URL; leave empty to use the selected cloud's.",
        json_schema_extra={"where_to_find": "Only needed for a proxy or a private endpoint."},
    )
    client_id: str = Field(
        description="OAuth2 API client ID.",
        json_schema_extra={
            "where_to_find": f"{API_CLIENTS} > Create API client. Scopes: Alerts (Read), "
            "Hosts (Read), Incidents (Read), Vulnerabilities (Read)."
        },
    )
    client_secret: Secret = Field(
        description="OAuth2 API client secret (shown once, when the client is created).",
        json_schema_extra={
            "where_to_find": f"{API_CLIENTS}: shown once after Create; use Reset secret if lost."
        },
    )
    member_cid: str | None = Field(
        default=None,
        description="MSSP (Flight Control) only: the child CID to read from.",
        json_schema_extra={
            "where_to_find": "Falcon console > Host setup and management > Sensor downloads "
            "(the CID of the child tenant, without the checksum suffix)."
        },
    )
    webhook_secret: Secret | None = Field(
        default=None,
        description="HMAC secret key of the Falcon Webhook notification (for verifying it).",
        json_schema_extra={
            "where_to_find": "CrowdStrike Store > Webhook > Configure: the HMAC secret key you "
            "set there."
        },
    )

    @model_validator(mode="before")
    @classmethod
    def _base_url_from_cloud(cls, data: Any) -> Any:
        """Fill ``base_url`` from ``cloud`` so the SDK's URL guard checks the real target."""
        if isinstance(data, dict) and not data.get("base_url"):
            cloud = data.get("cloud") or "us-1"
            if cloud in CLOUDS:
                data = {**data, "base_url": CLOUDS[cloud][0]}
        return data

    @property
    def console_url(self) -> str:
        """The Falcon console for links into detections and incidents."""
        return CLOUDS[self.cloud][1]
