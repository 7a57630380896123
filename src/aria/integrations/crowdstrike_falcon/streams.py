"""Falcon collections as SDK streams: ID query, then entity hydration (or one combined call).

Falcon's list endpoints return only IDs (``/queries/``); the records come from a second call
(``/entities/``). :class:`aria.sdk.paginate.IdsThenHydrate` does both; each stream only says
which query, which entity endpoint and which field makes reads incremental. Every response is
the same envelope: ``{"meta": {"pagination": ...}, "resources": [...], "errors": [...]}``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import httpx

from aria.integrations.crowdstrike_falcon.config import CLOUDS, FalconConfig
from aria.integrations.crowdstrike_falcon.normalize import (
    DEFAULT_CONSOLE,
    detection_to_finding,
    host_to_asset,
    incident_to_incident,
    vulnerability_to_finding,
)
from aria.sdk import Asset, FatalError, Finding, Incident, RequestSpec, Stream, paginate
from aria.sdk.paths import resolve

log = logging.getLogger("aria.integrations.crowdstrike_falcon")

# 100 IDs per query page: each page is then hydrated in one call (GET entity endpoints take
# at most 100 IDs, POST ones more), and 6000 calls/minute leave ample room.
PAGE = 100
# Incident entities embed every involved host, so their pages are kept smaller.
INCIDENT_PAGE = 50
# Falcon updates alerts and hosts asynchronously; re-read a small window so late writes land.
LOOKBACK = timedelta(minutes=5)
# Spotlight rejects a request without a filter; a full read asks for everything ever updated.
SPOTLIGHT_ALL = "updated_timestamp:>='1970-01-01T00:00:00Z'"
SPOTLIGHT_FACETS = ["cve", "host_info", "remediation"]


class FalconStream(Stream):
    """Shared by every Falcon stream: the envelope check and the console link."""

    records = "resources"
    lookback = LOOKBACK

    def parse(self, response: httpx.Response) -> Any:
        """Decode the envelope; a 200 may still carry ``errors`` (e.g. an ID that vanished
        between query and hydration), which are logged, not fatal."""
        body = super().parse(response)
        if not isinstance(body, dict):
            raise FatalError(
                f"malformed response: stream {self.name!r} expected a Falcon envelope, "
                f"got {type(body).__name__}"
            )
        for error in body.get("errors") or []:
            if isinstance(error, dict):
                log.warning(
                    "Falcon reported an error in a %s response: %s %s",
                    self.name,
                    error.get("code"),
                    str(error.get("message"))[:200],
                )
        return body

    @property
    def console(self) -> str:
        """Falcon console URL of the configured cloud (for links in records)."""
        if isinstance(self.config, FalconConfig):
            return CLOUDS[self.config.cloud][1]
        return DEFAULT_CONSOLE


class ScrollOffset(paginate.Cursor):
    """``devices-scroll``: ``offset`` is an opaque scroll token from ``meta.pagination.offset``.

    Falcon keeps returning a token on the last page, so the read ends when the records seen
    reach ``meta.pagination.total`` (or a page is empty) instead of waiting for no token.
    """

    def __init__(self, limit: int = PAGE) -> None:
        super().__init__(token="meta.pagination.offset", param="offset")  # noqa: S106
        self.limit = limit

    def start(self) -> paginate.Position:
        return {"cursor": None, "read": 0}

    def apply(self, request: RequestSpec, position: paginate.Position) -> RequestSpec:
        return super().apply(request, position).with_value("query", "limit", self.limit)

    def advance(
        self,
        position: paginate.Position,
        response: httpx.Response,
        body: Any,
        records: list[dict[str, Any]],
    ) -> paginate.Position | None:
        if not records:
            return None
        read = int(position.get("read") or 0) + len(records)
        total = resolve(body, "meta.pagination.total")
        if total is not None and read >= int(total):
            return None
        token = resolve(body, self.token)
        return {"cursor": token, "read": read} if token else None


def _ids_then_hydrate(
    hydrate_path: str,
    *,
    ids_param: str = "ids",
    ids: paginate.Paginator | None = None,
    page: int = PAGE,
) -> paginate.IdsThenHydrate:
    """Offset/limit ID pages (ending at ``meta.pagination.total``), hydrated by POST."""
    return paginate.IdsThenHydrate(
        ids or paginate.OffsetLimit(limit=page, total="meta.pagination.total"),
        hydrate_path,
        hydrate_method="POST",
        ids_param=ids_param,
        batch=page,
    )


class Alerts(FalconStream):
    """Alerts API v2: endpoint, identity and cloud detections -> detection findings."""

    name = "alerts"
    path = "/alerts/queries/alerts/v2"
    params = {"filter": "updated_timestamp:>='{since}'", "sort": "updated_timestamp.asc"}
    paginator = _ids_then_hydrate("/alerts/entities/alerts/v2", ids_param="composite_ids")
    cursor_field = "updated_timestamp"
    primary_key = "composite_id"

    def normalize(self, record: dict[str, Any]) -> Finding:
        return detection_to_finding(record)


class Devices(FalconStream):
    """Hosts API: every sensor-managed host -> asset (scroll query, no 10k offset ceiling)."""

    name = "devices"
    path = "/devices/queries/devices-scroll/v1"
    params = {"filter": "modified_timestamp:>='{since}'", "sort": "modified_timestamp.asc"}
    paginator = _ids_then_hydrate("/devices/entities/devices/v2", ids=ScrollOffset(PAGE))
    cursor_field = "modified_timestamp"
    primary_key = "device_id"

    def normalize(self, record: dict[str, Any]) -> Asset:
        return host_to_asset(record)


class Incidents(FalconStream):
    """Incidents API (CrowdScore incidents) -> incidents."""

    name = "incidents"
    path = "/incidents/queries/incidents/v1"
    params = {"filter": "modified_timestamp:>='{since}'", "sort": "modified_timestamp.asc"}
    paginator = _ids_then_hydrate("/incidents/entities/incidents/GET/v1", page=INCIDENT_PAGE)
    cursor_field = "modified_timestamp"
    primary_key = "incident_id"

    def normalize(self, record: dict[str, Any]) -> Incident:
        return incident_to_incident(record, self.console)


class Vulnerabilities(FalconStream):
    """Spotlight combined vulnerabilities (records, not IDs) with an ``after`` cursor."""

    name = "vulnerabilities"
    path = "/spotlight/combined/vulnerabilities/v1"
    params = {
        "filter": "updated_timestamp:>='{since}'",
        "sort": "updated_timestamp|asc",
        "facet": SPOTLIGHT_FACETS,
        "limit": PAGE,
    }
    paginator = paginate.Cursor(token="meta.pagination.after", param="after")  # noqa: S106
    cursor_field = "updated_timestamp"
    primary_key = "id"

    def request(self, variables: dict[str, Any]) -> RequestSpec:
        """Spotlight requires ``filter``: a full read (no ``since``) asks for all records."""
        spec = super().request(variables)
        if not spec.params.get("filter"):
            spec = spec.with_value("query", "filter", SPOTLIGHT_ALL)
        return spec

    def normalize(self, record: dict[str, Any]) -> Finding:
        return vulnerability_to_finding(record)


# --- on-demand queries: an FQL filter from the caller, newest first ----------------------


class DetectionsQuery(Alerts):
    """``query(type="detections", params={"filter": "severity:>=70", "q": "powershell"})``."""

    name = "detections"
    params = {"filter": "{filter}", "q": "{q}", "sort": "updated_timestamp.desc"}


class DevicesQuery(Devices):
    """``query(type="devices", params={"filter": "platform_name:'Windows'"})``."""

    name = "devices"
    path = "/devices/queries/devices/v1"
    params = {"filter": "{filter}", "sort": "last_seen.desc"}
    paginator = _ids_then_hydrate("/devices/entities/devices/v2")


class VulnerabilitiesQuery(Vulnerabilities):
    """``query(type="vulnerabilities", params={"filter": "cve.severity:'CRITICAL'"})``."""

    name = "vulnerabilities"
    params = {
        "filter": "{filter}",
        "sort": "updated_timestamp|desc",
        "facet": SPOTLIGHT_FACETS,
        "limit": PAGE,
    }


QUERY_PARAMS = frozenset({"filter", "q"})
"""What ``query()`` accepts in ``params`` (FQL ``filter``; ``q`` free text where supported)."""
