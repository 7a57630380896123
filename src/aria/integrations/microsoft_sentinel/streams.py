"""Sentinel's incidents as an SDK stream: an ARM list with ``$filter``, ``$orderby``, ``$top``
and ``nextLink`` pages.

``GET {management}/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Operational
Insights/workspaces/{ws}/providers/Microsoft.SecurityInsights/incidents`` answers
``{"value": [...], "nextLink": "..."}``; the next link is absolute, on the same host, and
carries ``$skipToken``. Incidents filter server-side on ``properties/lastModifiedTimeUtc``,
which every change (status, owner, classification, new alerts, comments) moves.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from aria.integrations.microsoft_sentinel.normalize import incident_to_incident
from aria.sdk import FatalError, Incident, Stream, paginate

API_VERSION = "2025-09-01"  # the current GA version of Microsoft.SecurityInsights
# Incidents change asynchronously (automation rules, alert grouping); re-read a small window.
LOOKBACK = timedelta(minutes=5)
INCIDENTS_PATH = (
    "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/"
    "Microsoft.OperationalInsights/workspaces/{workspace_name}/providers/"
    "Microsoft.SecurityInsights/incidents"
)


class ArmStream(Stream):
    """An ARM collection: ``{"value": [...], "nextLink": ...}``."""

    records = "value"
    paginator = paginate.NextUrl("nextLink")

    def parse(self, response: httpx.Response) -> Any:
        """An ARM list is an object with ``value``; anything else is malformed."""
        body = super().parse(response)
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise FatalError(
                f"malformed response: stream {self.name!r} expected an ARM list (an object "
                f"with 'value'), got {type(body).__name__}"
            )
        return body


class Incidents(ArmStream):
    """Incidents - List -> incidents, oldest change first."""

    name = "incidents"
    path = INCIDENTS_PATH
    params = {
        "api-version": API_VERSION,
        "$filter": "properties/lastModifiedTimeUtc gt {since}",
        "$orderby": "properties/lastModifiedTimeUtc asc",
        "$top": "{page_size}",
    }
    cursor_field = "properties.lastModifiedTimeUtc"
    primary_key = "name"
    lookback = LOOKBACK

    def normalize(self, record: dict[str, Any]) -> Incident:
        return incident_to_incident(record)


STREAMS: tuple[type[Stream], ...] = (Incidents,)
