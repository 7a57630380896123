"""QRadar offenses as an SDK stream: ``GET /api/siem/offenses`` paged by the Range header.

Incremental reads filter on ``last_updated_time`` (epoch ms; QRadar bumps it whenever events
join an offense or an analyst changes it) and sort ascending on it, so the SDK's cursor and
look-back apply as documented. Closed offenses name their closing reason only by id; the
stream looks the texts up once per read (``/api/siem/offense_closing_reasons``, deleted and
reserved reasons included) when a page holds a closed offense, and hands the text to the
normalizer as ``closing_reason``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx

from aria.integrations.ibm_qradar.config import QRadarConfig
from aria.integrations.ibm_qradar.normalize import offense_to_incident
from aria.integrations.ibm_qradar.paging import RangeItems, range_header
from aria.sdk import AuthError, ConfigError, FatalError, HttpClient, Incident, Stream, paginate
from aria.sdk.paginate import Fetched, Position, Reader, RequestSpec

log = logging.getLogger("aria.integrations.ibm_qradar")

# Offenses grow asynchronously (events keep joining them): re-read a short window.
LOOKBACK = timedelta(minutes=5)
CLOSING_REASONS = "/api/siem/offense_closing_reasons"
# The offense fields the normalizer reads (``fields`` keeps pages small on busy consoles).
OFFENSE_FIELDS = (
    "id",
    "description",
    "status",
    "magnitude",
    "severity",
    "credibility",
    "relevance",
    "offense_type",
    "offense_source",
    "categories",
    "assigned_to",
    "follow_up",
    "protected",
    "inactive",
    "start_time",
    "last_updated_time",
    "close_time",
    "closing_user",
    "closing_reason_id",
    "event_count",
    "flow_count",
    "device_count",
    "source_network",
    "destination_networks",
    "domain_id",
    "log_sources",
    "rules",
)


def offense_filter(*clauses: str | None) -> str | None:
    """QRadar ``filter`` clauses joined with ``and`` (None when there are none)."""
    kept = [c.strip() for c in clauses if c and c.strip()]
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    return " and ".join(f"({c})" if " or " in c.lower() else c for c in kept)


class WithClosingReasons(paginate.Paginator):
    """Wraps a paginator; adds ``closing_reason`` (text) to closed offenses.

    The reasons are fetched lazily, after the first page that needs them, and at most once
    per read. A token that may not read them (403) or a console without the endpoint (404)
    leaves the ids as they are rather than failing the sync.
    """

    def __init__(self, inner: paginate.Paginator) -> None:
        super().__init__(max_pages=inner.max_pages)
        self.inner = inner

    async def pages(
        self, http: HttpClient, request: RequestSpec, reader: Reader, position: Position | None
    ) -> AsyncIterator[Fetched]:
        reasons: dict[int, str] | None = None
        async for page in self.inner.pages(http, request, reader, position):
            wanted = {
                r["closing_reason_id"]
                for r in page.records
                if isinstance(r, dict) and isinstance(r.get("closing_reason_id"), int)
            }
            if wanted and reasons is None:
                reasons = await closing_reasons(http, request.headers)
            records = [_annotate(r, reasons or {}) for r in page.records]
            yield Fetched(records, page.body, page.next_position)


async def closing_reasons(http: HttpClient, headers: dict[str, str]) -> dict[int, str]:
    """Closing reason id -> text, deleted and reserved ones included."""
    extra = {k: v for k, v in headers.items() if k.lower() != "range"}
    try:
        response = await http.request(
            "GET",
            CLOSING_REASONS,
            params={"include_reserved": "true", "include_deleted": "true"},
            headers={**extra, "Range": range_header(0, 1000)},
        )
    except (AuthError, ConfigError) as exc:
        if exc.status_code not in (403, 404):
            raise
        log.warning("QRadar closing reasons unavailable (%s); keeping their ids", exc.status_code)
        return {}
    body = http.parse_json(response)
    if not isinstance(body, list):
        raise FatalError(
            f"malformed response from GET {CLOSING_REASONS}: expected a list, "
            f"got {type(body).__name__}"
        )
    return {
        int(r["id"]): str(r["text"])
        for r in body
        if isinstance(r, dict) and isinstance(r.get("id"), int) and r.get("text")
    }


def _annotate(record: Any, reasons: dict[int, str]) -> Any:
    if not isinstance(record, dict):
        return record
    text = reasons.get(record.get("closing_reason_id"))  # type: ignore[arg-type]
    return {**record, "closing_reason": text} if text else record


class QRadarStream(Stream):
    """A QRadar list: a JSON array body, paged by the Range header."""

    records = None
    paginator = RangeItems()

    @property
    def settings(self) -> QRadarConfig | None:
        """The installation's settings, typed."""
        return self.config if isinstance(self.config, QRadarConfig) else None

    def parse(self, response: httpx.Response) -> Any:
        """QRadar lists are JSON arrays; anything else is malformed."""
        body = super().parse(response)
        if not isinstance(body, list):
            raise FatalError(
                f"malformed response: stream {self.name!r} expected a JSON array, "
                f"got {type(body).__name__}"
            )
        return body

    def request(self, variables: dict[str, Any]) -> RequestSpec:
        """The first page's Range carries the installation's page size."""
        spec = super().request(variables)
        size = self.settings.page_size if self.settings else 100
        return RequestSpec(
            method=spec.method,
            path=spec.path,
            params=spec.params,
            body=spec.body,
            headers={**spec.headers, "Range": range_header(0, size)},
        )


class Offenses(QRadarStream):
    """``GET /api/siem/offenses`` -> incidents, oldest change first."""

    name = "offenses"
    path = "/api/siem/offenses"
    params = {
        "filter": "last_updated_time >= {since_ms}",
        "sort": "+last_updated_time",
        "fields": ",".join(OFFENSE_FIELDS),
    }
    paginator = WithClosingReasons(RangeItems())
    cursor_field = "last_updated_time"
    primary_key = "id"
    lookback = LOOKBACK

    def request(self, variables: dict[str, Any]) -> RequestSpec:
        """Add the domain filter (multi-tenant consoles) to the time filter."""
        spec = super().request(variables)
        settings = self.settings
        domain = None
        if settings is not None and settings.domain_id is not None:
            domain = f"domain_id = {settings.domain_id}"
        combined = offense_filter(spec.params.get("filter"), domain)
        params = {k: v for k, v in spec.params.items() if k != "filter"}
        if combined:
            params["filter"] = combined
        return RequestSpec(spec.method, spec.path, params, spec.body, spec.headers)

    def normalize(self, record: dict[str, Any]) -> Incident:
        settings = self.settings
        return offense_to_incident(record, settings.base_url if settings else None)


class OffensesQuery(Offenses):
    """``query(type="offenses", params={"filter": <QRadar filter>})``: newest change first."""

    params = {
        "filter": "{filter}",
        "sort": "-last_updated_time",
        "fields": ",".join(OFFENSE_FIELDS),
    }


STREAMS: tuple[type[Stream], ...] = (Offenses,)
QUERIES: dict[str, type[Stream]] = {"offenses": OffensesQuery}
