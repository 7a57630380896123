"""The alerts stream: Elastic Security detection alerts, read through a point in time.

One request shape, sent to ``/{alerts_index}/_search`` (or through a PIT to ``/_search``)::

    {"size": <page_size>,
     "query": {"bool": {"filter": [<changed since>], "must_not": [<building blocks>]}},
     "sort": [{"@timestamp": "asc"}, {"kibana.alert.uuid": "asc"}],
     "track_total_hits": false}

"Changed since" matches an alert whose ``@timestamp`` (creation or update),
``kibana.alert.workflow_status_updated_at`` (an analyst acknowledged or closed it) or
``kibana.alert.last_detected`` (suppressed duplicates arrived) is at or after the window
start, so triage done in Kibana reaches ARIA on the next sync; the cursor is the latest of
the three (:func:`.normalize.alert_modified`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from aria.integrations.elasticsearch.config import ElasticsearchConfig
from aria.integrations.elasticsearch.normalize import (
    MODIFIED_FIELDS,
    alert_modified,
    alert_to_finding,
)
from aria.integrations.elasticsearch.search import PitSearchAfter, SearchReader
from aria.sdk import Finding, RequestSpec, Stream

# Detection rules write alerts when a run ends and the index refreshes every second, so an
# alert can land with an @timestamp a little before the previous read finished.
LOOKBACK = timedelta(minutes=5)
ALERT_SORT: list[dict[str, Any]] = [
    {"@timestamp": {"order": "asc", "unmapped_type": "date"}},
    {"kibana.alert.uuid": {"order": "asc", "unmapped_type": "keyword"}},
]


def alerts_query(since: str | None, *, include_building_blocks: bool) -> dict[str, Any]:
    """The Query DSL of one alerts read (``since``: ISO start of the window, or None)."""
    filters: list[dict[str, Any]] = []
    if since is not None:
        filters.append(
            {
                "bool": {
                    "should": [{"range": {f: {"gte": since}}} for f in MODIFIED_FIELDS],
                    "minimum_should_match": 1,
                }
            }
        )
    must_not: list[dict[str, Any]] = []
    if not include_building_blocks:
        must_not.append({"exists": {"field": "kibana.alert.building_block_type"}})
    clauses: dict[str, Any] = {}
    if filters:
        clauses["filter"] = filters
    if must_not:
        clauses["must_not"] = must_not
    return {"bool": clauses} if clauses else {"match_all": {}}


class Alerts(Stream):
    """Detection alerts -> detection findings, incremental on the alert's last change."""

    name = "alerts"
    method = "POST"
    path = "/{alerts_index}/_search"
    records = "hits.hits"
    paginator = PitSearchAfter()
    cursor_field = "_source.@timestamp"  # documentation: cursor_value() takes the latest change
    primary_key = "_id"
    lookback = LOOKBACK

    @property
    def settings(self) -> ElasticsearchConfig | None:
        """The installation's settings, typed."""
        return self.config if isinstance(self.config, ElasticsearchConfig) else None

    def request(self, variables: dict[str, Any]) -> RequestSpec:
        """``POST /{alerts_index}/_search`` with the window filter and the paging sort."""
        settings = self.settings
        spec = super().request(variables)
        body = {
            "size": settings.page_size if settings else 1000,
            "query": alerts_query(
                variables.get("since"),
                include_building_blocks=bool(settings and settings.include_building_blocks),
            ),
            "sort": ALERT_SORT,
            "track_total_hits": False,
        }
        return RequestSpec(method="POST", path=spec.path, body=body)

    def parse(self, response: httpx.Response) -> Any:
        """A complete search response (shard failures and timeouts are retried later)."""
        return SearchReader().parse(response)

    def cursor_value(self, record: dict[str, Any]) -> datetime | None:
        """The alert's latest change: creation/update, triage or suppression."""
        source = record.get("_source")
        return alert_modified(source) if isinstance(source, dict) else None

    def normalize(self, record: dict[str, Any]) -> Finding:
        settings = self.settings
        return alert_to_finding(record, settings.kibana_url if settings else None)


STREAMS: tuple[type[Stream], ...] = (Alerts,)
