"""API shapes for sync jobs."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class SyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["full", "incremental"] = "incremental"


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    installation_id: uuid.UUID
    job_type: str
    status: str
    progress: Decimal
    records_total: int | None
    records_processed: int
    records_created: int
    records_updated: int
    records_failed: int
    retry_count: int
    max_retries: int
    next_retry_at: datetime | None
    cancel_requested_at: datetime | None
    error_message: str | None
    triggered_by: str
    triggered_by_user_id: uuid.UUID | None
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    checkpoint: dict[str, Any]
