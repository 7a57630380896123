"""Cloud SIEM collections as SDK streams: ``/sec/v1/insights`` and ``/sec/v1/signals``.

Both answer ``{"data": {"objects": [...], "total": n, "hasNextPage": bool}, "errors": []}`` and
page with ``offset``/``limit`` (at most 100). Filtering uses Cloud SIEM's query DSL in ``q``:
``created:>=2025-06-01T10:00:00+00:00`` for insights (the field Sumo's own integrations fetch
on), ``timestamp:>=...`` for signals. Insights are read by creation time, so a status change on
an insight created before the last sync shows on the next full read, not an incremental one.
"""

from __future__ import annotations

import logging
from datetime import UTC, timedelta
from typing import Any

import httpx

from aria.integrations.sumo_logic.config import MAX_PAGE, SumoLogicConfig
from aria.integrations.sumo_logic.normalize import insight_to_incident, signal_to_finding
from aria.sdk import FatalError, Finding, Incident, RequestSpec, Stream, paginate
from aria.sdk.config import Config
from aria.sdk.cursors import to_datetime

log = logging.getLogger(__name__)

# Cloud SIEM builds insights from signals over minutes; re-read a window so late ones land.
LOOKBACK = timedelta(minutes=10)


def dsl_time(value: Any) -> str | None:
    """A Cloud SIEM DSL date (``2019-02-01T05:00:00+00:00``), floored to the second."""
    moment = to_datetime(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00") if moment else None


class CseStream(Stream):
    """Shared by the Cloud SIEM lists: the envelope, offset paging and the ``q`` filter."""

    records = "data.objects"
    primary_key = "id"
    lookback = LOOKBACK
    time_field = ""  # the DSL field the incremental filter compares

    def __init__(self, config: Config | None = None) -> None:
        super().__init__(config)
        size = config.page_size if isinstance(config, SumoLogicConfig) else MAX_PAGE
        # Per installation: the page size is a setting. ``total`` stops on the last page.
        self.paginator = paginate.OffsetLimit(limit=size, total="data.total")  # type: ignore[misc]

    @property
    def settings(self) -> SumoLogicConfig | None:
        """The installation's settings, typed."""
        return self.config if isinstance(self.config, SumoLogicConfig) else None

    @property
    def service(self) -> str | None:
        """The web UI, for links to insights and signals."""
        return self.settings.service if self.settings else None

    def request(self, variables: dict[str, Any]) -> RequestSpec:
        """``q`` from the caller's DSL and/or the incremental window."""
        spec = super().request(variables)
        clauses = [str(variables["q"])] if variables.get("q") else []
        since = dsl_time(variables.get("since"))
        if since and self.time_field:
            clauses.append(f"{self.time_field}:>={since}")
        params = {k: v for k, v in spec.params.items() if k != "q"}
        if clauses:
            params["q"] = " ".join(clauses)
        return RequestSpec(spec.method, spec.path, params, spec.body, spec.headers)

    def parse(self, response: httpx.Response) -> Any:
        """Cloud SIEM's envelope; errors in a 200 are logged, a missing ``data`` is malformed."""
        body = super().parse(response)
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise FatalError(
                f"malformed response: stream {self.name!r} expected a Cloud SIEM envelope "
                f"(an object with 'data'), got {type(body).__name__}"
            )
        for error in body.get("errors") or []:
            if isinstance(error, dict):
                log.warning(
                    "Cloud SIEM reported an error in a %s response: %s %s",
                    self.name,
                    error.get("code"),
                    str(error.get("message"))[:200],
                )
        return body


class Insights(CseStream):
    """``GET /sec/v1/insights`` -> incidents (an insight is Sumo's case over its signals)."""

    name = "insights"
    path = "/sec/v1/insights"
    cursor_field = "created"
    time_field = "created"

    def normalize(self, record: dict[str, Any]) -> Incident:
        return insight_to_incident(record, self.service)


class Signals(CseStream):
    """``GET /sec/v1/signals`` -> detection findings (one rule firing on one entity)."""

    name = "signals"
    path = "/sec/v1/signals"
    cursor_field = "timestamp"
    time_field = "timestamp"

    def normalize(self, record: dict[str, Any]) -> Finding:
        return signal_to_finding(record, self.service)


STREAMS: tuple[type[CseStream], ...] = (Insights, Signals)
# ``query(type="insights", params={"q": '<Cloud SIEM DSL>'})`` reads the collection once.
QUERIES: dict[str, type[Stream]] = {s.name: s for s in STREAMS}
QUERY_PARAMS = frozenset({"q"})
