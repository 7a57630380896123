"""API shapes for the risk register."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class RecordRead(BaseModel):
    """A finding, incident, identity or indicator: canonical fields plus provenance."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    installation_id: uuid.UUID | None
    integration_key: str
    stream: str
    uid: str | None
    title: str | None
    severity_id: int
    severity_raw: str | None
    status_id: int
    data: dict[str, Any]
    first_seen_at: datetime
    last_seen_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    reopened_count: int
    source_removed_at: datetime | None
    kind: str | None = None
    asset_id: int | None = None


class RecordDetail(RecordRead):
    raw: dict[str, Any]


class RecordPage(BaseModel):
    items: list[RecordRead]
    next_cursor: str | None


class AssetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    hostname: str | None
    domain: str | None
    ips: list[str]
    macs: list[str]
    os_name: str | None
    criticality: str | None
    sources: list[str]
    first_seen_at: datetime
    last_seen_at: datetime


class AssetDetail(AssetRead):
    identifiers: list[tuple[str, str]]


class AssetPage(BaseModel):
    items: list[AssetRead]
    next_cursor: str | None


class RiskTicketRead(BaseModel):
    """A ticket opened for the risk, with the state last seen in the ticketing system."""

    model_config = ConfigDict(from_attributes=True)

    installation_id: uuid.UUID
    integration_key: str
    external_id: str
    url: str | None
    state: str | None
    risk_status: str | None
    comments: list[dict[str, Any]]
    pushed_at: datetime | None
    synced_at: datetime | None


class RiskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str | None
    likelihood: int
    impact: int
    score: int
    treatment: str
    owner_user_id: uuid.UUID | None
    status: str
    status_reason: str | None
    asset_id: int | None
    technique_id: str | None
    tickets: list[RiskTicketRead]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class RiskDetail(RiskRead):
    finding_ids: list[int]


class RiskPage(BaseModel):
    items: list[RiskRead]
    next_cursor: str | None
