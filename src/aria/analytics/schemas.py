"""API shapes for usage analytics. Figures are numbers (floats), not decimal strings, so
charting clients can use them as they come."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict


class UsageFigures(BaseModel):
    """The plan's usage fields, for one day or for a whole range."""

    model_config = ConfigDict(from_attributes=True)

    api_calls: int
    successful_calls: int
    failed_calls: int
    avg_response_time_ms: float
    max_response_time_ms: int
    data_transferred_mb: float
    records_synced: int
    unique_users: int
    uptime_percentage: float
    error_rate: float
    estimated_cost: float


class UsageDayRead(UsageFigures):
    """One UTC day."""

    day: date


class UsageTotalsRead(UsageFigures):
    """The range: sums, maxima, call-weighted averages; ``days`` counts days with activity."""

    days: int


class UsageSeriesRead(BaseModel):
    """Days with activity in [start, end], oldest first, and their totals."""

    installation_id: uuid.UUID
    integration_key: str
    start: date
    end: date
    days: list[UsageDayRead]
    totals: UsageTotalsRead
