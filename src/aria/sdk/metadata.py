"""The catalog entry of an integration, validated from its class attributes.

Discovery and the conformance suite call ``Integration.metadata()``; any mistake in the class
declaration surfaces here as :class:`~aria.sdk.errors.MetadataError` naming the integration
and each offending field.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aria.sdk.logo import svg_problem
from aria.sdk.ratelimit import RateLimits

Category = Literal[
    "edr",
    "vuln_mgmt",
    "threat_intel",
    "siem",
    "ticketing",
    "cloud_security",
    "iam",
    "network_security",
    "dlp",
    "email_security",
    "backup",
    "config_mgmt",
]
Capability = Literal["ingest", "query", "sync", "push", "webhook"]
PricingModel = Literal["free", "freemium", "paid", "enterprise"]
Status = Literal["official", "community", "beta", "deprecated"]
Complexity = Literal["easy", "moderate", "advanced"]

CATEGORIES: tuple[str, ...] = Category.__args__
CAPABILITIES: tuple[str, ...] = Capability.__args__
PRICING_MODELS: tuple[str, ...] = PricingModel.__args__
LISTING_STATUSES: tuple[str, ...] = Status.__args__
COMPLEXITIES: tuple[str, ...] = Complexity.__args__
KNOWN_DATA_TYPES = (
    "alerts",
    "devices",
    "vulnerabilities",
    "incidents",
    "indicators",
    "identities",
    "events",
    "tickets",
    "assets",
    "findings",
    "logs",
    "compliance",
    "users",
    "groups",
    "cases",
    "emails",
    "backups",
    "configurations",
    "policies",
)

SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class ConfigRequirement(BaseModel):
    """One setting the installer must provide, and where to find it in the vendor console."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    where_to_find: str = ""


class IntegrationMetadata(BaseModel):
    """What the catalog shows and the install wizard needs; ``model_dump(mode="json")``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(min_length=2, max_length=64)
    name: str = Field(min_length=1, max_length=120)
    vendor: str = Field(min_length=1, max_length=120)
    product: str = Field(min_length=1, max_length=120)
    category: Category
    description: str = Field(min_length=1, max_length=2000)
    features: list[str]
    what_you_get: list[str]
    config_requirements: list[ConfigRequirement]
    documentation_url: str | None
    support_url: str | None
    version: str
    pricing_model: PricingModel
    status: Status
    min_platform_version: str
    capabilities: list[Capability] = Field(min_length=1)
    data_types: list[str]
    auth_methods: list[str] = Field(min_length=1)
    config_schema: dict[str, Any]
    webhook_support: bool
    rate_limits: RateLimits
    installation_complexity: Complexity
    logo_svg: str
    price_per_call: float = Field(ge=0.0)

    @field_validator("key")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("must be a lowercase slug like 'crowdstrike-falcon'")
        return value

    @field_validator("version", "min_platform_version")
    @classmethod
    def _semver(cls, value: str) -> str:
        if not SEMVER.match(value):
            raise ValueError(f"{value!r} is not a semantic version (MAJOR.MINOR.PATCH)")
        return value

    @field_validator("documentation_url", "support_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("data_types")
    @classmethod
    def _data_types(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not re.match(r"^[a-z][a-z0-9_]*$", v)]
        if bad:
            raise ValueError(f"data types must be lowercase identifiers: {bad}")
        return value

    @field_validator("logo_svg")
    @classmethod
    def _logo(cls, value: str) -> str:
        problem = svg_problem(value)
        if problem:
            raise ValueError(problem)
        return value
