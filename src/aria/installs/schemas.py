"""API shapes for installations. Secrets never appear: configuration comes back masked."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["live", "sandbox"]
SyncFrequency = Literal["realtime", "hourly", "daily", "weekly", "manual"]


class InstallationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    integration_key: str = Field(min_length=1, max_length=100)
    config: dict[str, Any] = Field(default_factory=dict)
    mode: Mode = "live"
    sync_frequency: SyncFrequency = "daily"


class InstallationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    config: dict[str, Any] | None = Field(
        default=None, description="Changed fields only; omitted secrets keep their stored value."
    )
    sync_frequency: SyncFrequency | None = None


class ConnectionTestRequest(BaseModel):
    """Test a configuration before saving it (the install wizard's button)."""

    model_config = ConfigDict(extra="forbid")

    integration_key: str = Field(min_length=1, max_length=100)
    config: dict[str, Any] = Field(default_factory=dict)
    mode: Mode = "live"


class UnsavedChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    config: dict[str, Any] = Field(default_factory=dict)


class StateChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=500)


class ConnectionTestRead(BaseModel):
    ok: bool
    message: str
    latency_ms: float
    details: dict[str, Any]


class InstallationRead(BaseModel):
    id: uuid.UUID
    integration_key: str
    integration_name: str
    status: str
    status_reason: str | None
    mode: str
    sync_frequency: str
    config_version: int
    config: dict[str, Any]
    health_status: str
    last_health_check_at: datetime | None
    error_count: int
    last_error: str | None
    last_error_at: datetime | None
    next_sync_at: datetime | None
    last_sync_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ConfigVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    changed_fields: list[str]
    is_current: bool
    created_by: uuid.UUID | None
    created_at: datetime


class ActivityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    activity_type: str
    direction: str
    status: str
    message: str | None
    records_processed: int
    records_failed: int
    execution_time_ms: int | None
    api_calls: int
    bytes_transferred: int
    error_code: str | None
    error_message: str | None
    request_id: str | None
    triggered_by: str
    triggered_by_user_id: uuid.UUID | None
    details: dict[str, Any]
    created_at: datetime


class ActivityPage(BaseModel):
    items: list[ActivityRead]
    next_cursor: str | None


class CredentialMetadataUpdate(BaseModel):
    """Lifecycle facts about a stored secret; the secret itself is changed through `config`."""

    model_config = ConfigDict(extra="forbid")

    expires_at: datetime | None = None
    rotation_frequency_days: int | None = Field(default=None, ge=1, le=3650)
    auto_rotate: bool = False


class CredentialMetadataRead(BaseModel):
    field_name: str
    set: bool
    last_rotated: datetime | None
    expires_at: datetime | None
    rotation_frequency_days: int | None
    auto_rotate: bool
