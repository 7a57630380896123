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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, field_validator

from aria.sdk.errors import ConfigError

SEARCH = "search"
EVENT_SOURCE = "aria"
FIELD_NAME = r"^[A-Za-z_][A-Za-z0-9_.]{0,127}$"


def _utc(when: datetime | None) -> datetime | None:
    """A time without a zone is UTC (never the server's local time)."""
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


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

    @field_validator("start", "end")
    @classmethod
    def _zoned(cls, when: datetime | None) -> datetime | None:
        return _utc(when)

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


@dataclass(frozen=True)
class SearchParams:
    """The validated parameters of a ``search`` query.

    Exactly one of ``native`` (the SIEM's own language, as given) and ``common`` is set.
    ``start``/``end`` are the outer bounds; a common query's own bounds win where it has them.
    ``limit`` is the request's limit, lowered to the common query's when that is smaller.
    """

    native: Any | None
    common: CommonQuery | None
    start: datetime | None
    end: datetime | None
    limit: int
    extra: dict[str, Any] = field(default_factory=dict)


_WHEN = TypeAdapter(datetime | None)


def search_params(
    key: str,
    params: Mapping[str, Any],
    limit: int,
    *,
    language: str,
    extra: Iterable[str] = (),
) -> SearchParams:
    """Validate ``QueryRequest.params`` of a ``search`` the same way in every SIEM.

    ``language`` names the native form in messages ("SPL", "KQL"); ``extra`` lists the
    integration's own parameters (e.g. ``index``), handed back in ``SearchParams.extra``.
    Every problem is a ``ConfigError`` naming the parameter, raised before any vendor call.
    """
    allowed = {"query", "common", "start", "end", *extra}
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ConfigError(
            f"{key}: unknown search parameters {unknown}; use {sorted(allowed)}",
            fields={name: "unknown search parameter" for name in unknown},
        )
    if ("query" in params) == ("common" in params):
        raise ConfigError(
            f"{key}: give exactly one of 'query' ({language}) or 'common' (a common query)",
            fields={"query": "exactly one of query or common"},
        )
    bounds: dict[str, datetime | None] = {}
    for name in ("start", "end"):
        try:
            bounds[name] = _utc(_WHEN.validate_python(params.get(name)))
        except ValidationError:
            raise ConfigError(
                f"{key}: {name} must be an ISO 8601 time", fields={name: "not a time"}
            ) from None
    start, end = bounds["start"], bounds["end"]
    common = None
    if "common" in params:
        try:
            common = CommonQuery.model_validate(params["common"])
        except ValidationError as exc:
            problems = {
                ".".join(str(p) for p in ("common", *e["loc"])): e["msg"]
                for e in exc.errors(include_url=False, include_input=False)
            }
            raise ConfigError(
                f"{key}: invalid common query: "
                + "; ".join(f"{k}: {v}" for k, v in problems.items()),
                fields=problems,
            ) from None
        start, end = _utc(common.start) or start, _utc(common.end) or end
        common = common.model_copy(update={"start": start, "end": end})
        if isinstance(params["common"], Mapping) and "limit" in params["common"]:
            limit = min(limit, common.limit)
    else:
        native = params["query"]
        if native is None or (isinstance(native, str) and not native.strip()):
            raise ConfigError(
                f"{key}: 'query' must be a non-empty {language} query", fields={"query": "empty"}
            )
    if start and end and end < start:
        raise ConfigError(f"{key}: end is before start", fields={"end": "before start"})
    return SearchParams(
        native=None if common else params["query"],
        common=common,
        start=start,
        end=end,
        limit=limit,
        extra={name: params[name] for name in extra if name in params},
    )


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
    "SearchParams",
    "event_document",
    "quote",
    "search_params",
]
