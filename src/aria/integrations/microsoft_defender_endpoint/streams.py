"""Defender collections as SDK streams: OData lists with ``$filter``, ``$top`` and nextLinks.

Every list answers ``{"@odata.context": ..., "value": [...], "@odata.nextLink": ...}``.
Alerts, machines and incidents filter on their modification time server-side; indicators
cannot (``lastUpdateTime`` is not filterable), so the SDK drops what is older than the cursor;
vulnerabilities and recommendations carry no time at all and are read in full every sync.

Incidents come from the Defender XDR API, another host with another token audience: the
integration hands its second HTTP client to the stream through :class:`DefenderContext`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx

from aria.integrations.microsoft_defender_endpoint.config import DefenderConfig
from aria.integrations.microsoft_defender_endpoint.normalize import (
    alert_to_finding,
    incident_to_incident,
    indicator_to_indicator,
    machine_to_asset,
    recommendation_to_finding,
    vulnerability_to_finding,
)
from aria.integrations.microsoft_defender_endpoint.odata import ODataPages
from aria.sdk import (
    Asset,
    FatalError,
    Finding,
    HttpClient,
    Incident,
    Indicator,
    Page,
    RequestSpec,
    Stream,
    StreamContext,
)

# Defender updates alerts and machines asynchronously (automated investigations, sensor
# check-ins); re-read a small window so late writes land.
LOOKBACK = timedelta(minutes=5)
TOP = {"$top": "{page_size}"}


@dataclasses.dataclass
class DefenderContext(StreamContext):
    """A stream context that also carries the Defender XDR (incidents) client."""

    xdr_http: HttpClient | None = None


class DefenderStream(Stream):
    """Shared by every Defender list: the OData envelope and paging."""

    records = "value"
    paginator = ODataPages()
    lookback = LOOKBACK

    def parse(self, response: httpx.Response) -> Any:
        """An OData collection is an object with ``value``; anything else is malformed."""
        body = super().parse(response)
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise FatalError(
                f"malformed response: stream {self.name!r} expected an OData collection "
                f"(an object with 'value'), got {type(body).__name__}"
            )
        return body

    @property
    def settings(self) -> DefenderConfig | None:
        """The installation's settings, typed."""
        return self.config if isinstance(self.config, DefenderConfig) else None


class Alerts(DefenderStream):
    """``GET /api/alerts`` -> detection findings (optionally with ``$expand=evidence``)."""

    name = "alerts"
    path = "/api/alerts"
    params = {"$filter": "lastUpdateTime ge {since}", **TOP}
    cursor_field = "lastUpdateTime"
    primary_key = "id"

    def request(self, variables: dict[str, Any]) -> RequestSpec:
        """Ask for evidence (files, processes, IPs, users) unless the admin turned it off."""
        spec = super().request(variables)
        settings = self.settings
        if settings is None or settings.expand_evidence:
            spec = spec.with_value("query", "$expand", "evidence")
        return spec

    def normalize(self, record: dict[str, Any]) -> Finding:
        return alert_to_finding(record)


class Machines(DefenderStream):
    """``GET /api/machines`` -> assets; ``lastSeen`` moves whenever the sensor reports."""

    name = "machines"
    path = "/api/machines"
    params = {"$filter": "lastSeen ge {since}", **TOP}
    cursor_field = "lastSeen"
    primary_key = "id"

    def normalize(self, record: dict[str, Any]) -> Asset:
        return machine_to_asset(record)


class Vulnerabilities(DefenderStream):
    """``GET /api/vulnerabilities/machinesVulnerabilities``: one row per machine, CVE and
    product version -> vulnerability findings. The rows have no timestamp: full reads."""

    name = "vulnerabilities"
    path = "/api/vulnerabilities/machinesVulnerabilities"
    params = dict(TOP)
    primary_key = "id"

    def normalize(self, record: dict[str, Any]) -> Finding:
        return vulnerability_to_finding(record)


class Recommendations(DefenderStream):
    """``GET /api/recommendations`` -> compliance (configuration) or vulnerability (software)
    findings for the whole tenant. No timestamp: full reads."""

    name = "recommendations"
    path = "/api/recommendations"
    params = dict(TOP)
    primary_key = "id"

    def normalize(self, record: dict[str, Any]) -> Finding:
        settings = self.settings
        return recommendation_to_finding(record, settings.tenant_id if settings else "unknown")


class Indicators(DefenderStream):
    """``GET /api/indicators`` -> indicators. ``lastUpdateTime`` is not filterable, so every
    read lists them all (at most 15,000 per tenant: two calls) and the cursor keeps only the
    changed ones."""

    name = "indicators"
    path = "/api/indicators"
    params = dict(TOP)
    cursor_field = "lastUpdateTime"
    primary_key = "id"

    def normalize(self, record: dict[str, Any]) -> Indicator | None:
        return indicator_to_indicator(record)


class Incidents(DefenderStream):
    """``GET /api/incidents`` on the Defender XDR API -> incidents with their alert ids."""

    name = "incidents"
    path = "/api/incidents"
    params = {"$filter": "lastUpdateTime ge {since}"}
    cursor_field = "lastUpdateTime"
    primary_key = "incidentId"

    def request(self, variables: dict[str, Any]) -> RequestSpec:
        """The incidents API pages at most 100 at a time."""
        settings = self.settings
        top = settings.incident_page_size if settings else 100
        return super().request(variables).with_value("query", "$top", top)

    async def read(
        self, ctx: StreamContext, state: dict[str, Any] | None = None, full: bool = False
    ) -> AsyncIterator[Page]:
        """Read through the XDR client (its own host and token audience)."""
        if isinstance(ctx, DefenderContext) and ctx.xdr_http is not None:
            ctx = dataclasses.replace(ctx, http=ctx.xdr_http)
        async for page in super().read(ctx, state, full):
            yield page

    def normalize(self, record: dict[str, Any]) -> Incident:
        return incident_to_incident(record)


# --- on-demand queries: an OData $filter from the caller ---------------------------------------


def _query(stream: type[DefenderStream]) -> type[DefenderStream]:
    """The same collection with the caller's ``filter`` as ``$filter`` (full reads)."""
    extra = {"$top": "{page_size}"} if stream is not Incidents else {}
    return type(
        f"{stream.__name__}Query",
        (stream,),
        {
            "params": {"$filter": "{filter}", **extra},
            "__doc__": f"``query(type={stream.name!r}, params={{'filter': <OData $filter>}})``.",
        },
    )


STREAMS: tuple[type[DefenderStream], ...] = (
    Alerts,
    Machines,
    Vulnerabilities,
    Recommendations,
    Indicators,
    Incidents,
)
QUERIES: dict[str, type[Stream]] = {s.name: _query(s) for s in STREAMS}
QUERY_PARAMS = frozenset({"filter"})
"""What ``query()`` accepts in ``params``: ``filter``, an OData ``$filter`` expression."""
