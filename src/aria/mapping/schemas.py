"""API shapes for data mappings.

The rule fields are accepted loosely here (lists/objects) and validated by the engine
(:func:`aria.mapping.rules.validate_rules`), so every rule error comes back with the same exact
location format: ``field_mappings[2].transforms[0].map``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_EXAMPLE_RULES: dict[str, Any] = {
    "field_mappings": [
        {
            "source": "raw.severity",
            "target": "severity",
            "transforms": [
                "lowercase",
                {
                    "type": "value_map",
                    "map": {"low": 2, "medium": 3, "high": 4, "critical": 5},
                    "default": 0,
                },
            ],
        },
        {"source": "raw.hostname", "target": "asset.hostname", "transforms": ["lowercase"]},
    ],
    "transformations": [{"field": "title", "transforms": ["strip"]}],
    "filter_rules": {"not": {"field": "raw.severity", "op": "eq", "value": "low"}},
}

SourceType = Field(min_length=1, max_length=50, description="The stream name, e.g. `alerts`.")
FieldMappings = Field(
    default_factory=list,
    description="`[{source, target, transforms}]`; see the data-mapping guide.",
)
Transformations = Field(
    default_factory=list, description="`[{field, transforms}]`: in-place rewrites."
)
FilterRules = Field(
    default_factory=dict,
    description="`{all|any: [...]}`, `{not: {...}}`, `{field, op, value}`; `{}` keeps all.",
)


class MappingCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"source_type": "alerts", "name": "Severity table"}]},
    )

    source_type: str = SourceType
    name: str = Field(min_length=1, max_length=200)
    field_mappings: list[Any] = FieldMappings
    transformations: list[Any] = Transformations
    filter_rules: dict[str, Any] = FilterRules
    priority: int = Field(default=100, ge=0, le=1_000_000, description="Lower runs first.")
    is_active: bool = True

    def rules(self) -> dict[str, Any]:
        return {
            "field_mappings": self.field_mappings,
            "transformations": self.transformations,
            "filter_rules": self.filter_rules,
        }


class MappingUpdate(BaseModel):
    """Changed fields only; the whole mapping is validated again."""

    model_config = ConfigDict(extra="forbid")

    source_type: str | None = Field(default=None, min_length=1, max_length=50)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    field_mappings: list[Any] | None = None
    transformations: list[Any] | None = None
    filter_rules: dict[str, Any] | None = None
    priority: int | None = Field(default=None, ge=0, le=1_000_000)
    is_active: bool | None = None


class MappingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    installation_id: uuid.UUID
    source_type: str
    name: str
    field_mappings: list[Any]
    transformations: list[Any]
    filter_rules: dict[str, Any]
    priority: int
    is_active: bool
    created_at: datetime
    updated_at: datetime


class PreviewRequest(BaseModel):
    """An unsaved mapping and raw vendor records to try it on; nothing is written."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "source_type": "alerts",
                    **_EXAMPLE_RULES,
                    "samples": [
                        {
                            "id": "a1",
                            "name": "Credential dumping",
                            "severity": "High",
                            "hostname": "WS-01.corp.example",
                            "updated_at": "2024-05-01T11:00:00Z",
                        }
                    ],
                }
            ]
        },
    )

    source_type: str = SourceType
    name: str = Field(default="preview", min_length=1, max_length=200)
    field_mappings: list[Any] = FieldMappings
    transformations: list[Any] = Transformations
    filter_rules: dict[str, Any] = FilterRules
    priority: int = Field(default=100, ge=0, le=1_000_000)
    samples: list[dict[str, Any]] = Field(
        min_length=1, max_length=50, description="Raw vendor records, as the API returns them."
    )
    include_saved: bool = Field(
        default=False,
        description="Also run the installation's saved active mappings for this source type "
        "(by priority; a saved mapping with the same name is replaced by this one).",
    )

    def rules(self) -> dict[str, Any]:
        return {
            "field_mappings": self.field_mappings,
            "transformations": self.transformations,
            "filter_rules": self.filter_rules,
        }


class PreviewSample(BaseModel):
    index: int = Field(description="Position of the raw sample this record came from.")
    before: dict[str, Any] | None = Field(description="The normalizer's record (without raw).")
    after: dict[str, Any] | None = Field(description="After the mappings; null when dropped.")
    dropped_by: str | None = None
    changes: list[str] = Field(default_factory=list, description="Field paths that changed.")
    errors: list[str] = Field(default_factory=list)


class PreviewRead(BaseModel):
    source_type: str
    mappings: list[str] = Field(description="Mapping names in the order they ran.")
    samples: list[PreviewSample]
    stats: dict[str, Any]
