"""Inputs and outputs of the integration lifecycle, as plain Pydantic models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ConnectionResult(BaseModel):
    """Outcome of ``test_connection``: shown in the install wizard, never contains secrets."""

    ok: bool
    message: str
    latency_ms: float = 0.0
    details: dict[str, Any] = Field(default_factory=dict)


class HealthResult(BaseModel):
    """Outcome of ``health_check`` for the installation's status page."""

    status: Literal["healthy", "degraded", "down"]
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class SyncOptions(BaseModel):
    """Which streams to read, whether to ignore cursors, and the saved state per stream."""

    streams: list[str] | None = None
    full: bool = False
    state: dict[str, dict[str, Any]] = Field(default_factory=dict)


class QueryRequest(BaseModel):
    """An on-demand lookup (``type`` is a stream or declared query name)."""

    type: str
    params: dict[str, Any] = Field(default_factory=dict)
    limit: int = Field(default=100, ge=1, le=10_000)


class QueryResult(BaseModel):
    """Records answering a :class:`QueryRequest`; ``truncated`` when ``limit`` cut it short."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    type: str
    records: list[Any]
    raw: list[dict[str, Any]] = Field(default_factory=list)
    truncated: bool = False


class PushRequest(BaseModel):
    """Something to send to the vendor (``kind``: "ticket", "event", ...)."""

    kind: str
    payload: dict[str, Any]


class PushResult(BaseModel):
    """Outcome of a push; ``external_id`` is the vendor's id for what was created."""

    ok: bool
    external_id: str | None = None
    message: str = ""
    details: dict[str, Any] = Field(default_factory=dict)


class WebhookEvent(BaseModel):
    """An inbound webhook exactly as received (body kept as bytes for signature checks)."""

    headers: dict[str, str]
    body: bytes
    received_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)
