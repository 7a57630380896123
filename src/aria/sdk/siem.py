"""What SIEM integrations share: the forwarded event document, the common query form and the
normalized search hit.

Forwarding: ARIA pushes ``PushRequest(kind="event", payload=...)``; the integration sends
``event_document(payload)`` in the SIEM's native ingestion format (HEC, ``_bulk``, HTTP source,
Logs Ingestion API) and returns ``PushResult(ok=True, details={"accepted": n})``.

Search: ``query(QueryRequest(type="search", params={"query": "<native query>"}))`` or
``params={"common": CommonQuery(...).model_dump(mode="json")}``; the integration translates a
common query into its own language with its ``translate`` method and returns ``SearchHit``
records. Both forms accept ``start``/``end`` in params to bound time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

SEARCH = "search"
EVENT_SOURCE = "aria"
FIELD_NAME = r"^[A-Za-z_][A-Za-z0-9_.]{0,127}$"


class FieldFilter(BaseModel):
    """One condition of a common query: ``field`` equals or contains ``value``."""

    field: str = Field(pattern=FIELD_NAME)
    op: Literal["eq", "contains"] = "eq"
    value: str = Field(max_length=1000)


class CommonQuery(BaseModel):
    """A SIEM-neutral search: a time range and field filters, all of which must hold."""

    start: datetime | None = None
    end: datetime | None = None
    filters: list[FieldFilter] = Field(default_factory=list, max_length=20)
    limit: int = Field(default=100, ge=1, le=10_000)

    @field_validator("end")
    @classmethod
    def _ordered(cls, end: datetime | None, info: Any) -> datetime | None:
        start = info.data.get("start")
        if start and end and end < start:
            raise ValueError("end is before start")
        return end


class SearchHit(BaseModel):
    """One result of a SIEM search, normalized: when, a one-line message, the fields."""

    time: datetime | None = None
    message: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict)
    source: str | None = Field(default=None, description="Index, table or source it came from.")


def event_document(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The flat JSON document ARIA forwards for a risk, incident or finding change.

    Flat keys (``aria_event``, ``risk_id``, ``title``, ``score`` ...) so that every SIEM can
    filter on them with its plainest syntax; nested vendor data is never forwarded.
    """
    document: dict[str, Any] = {
        "source": EVENT_SOURCE,
        "aria_event": payload.get("event") or f"risk.{payload.get('action', 'updated')}",
    }
    for key, value in payload.items():
        if key in ("event", "ticket", "findings", "tickets"):
            continue
        if isinstance(value, str | int | float | bool) or value is None:
            document[key] = value
    if "findings" in payload:
        document["finding_count"] = len(payload["findings"] or [])
    return document


def quote(value: str, quote_char: str = '"') -> str:
    """``value`` inside ``quote_char`` quotes, with backslashes and quotes escaped."""
    escaped = value.replace("\\", "\\\\").replace(quote_char, "\\" + quote_char)
    return f"{quote_char}{escaped}{quote_char}"


__all__ = [
    "EVENT_SOURCE",
    "SEARCH",
    "CommonQuery",
    "FieldFilter",
    "SearchHit",
    "event_document",
    "quote",
]
