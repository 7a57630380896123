"""The notables stream: Enterprise Security notable events through a search job.

Each read dispatches ``notable_search`` (``search `notable``` by default) with
``earliest_time`` at the incremental window start (epoch seconds, inclusive) and
``latest_time=now`` resolved by Splunk, then pages the job's results. The cursor is the
notable's ``_time`` (when the correlation search fired). Notables are written once, so status
and owner changes made later in Incident Review do not move ``_time``: a full sync picks them up.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from aria.integrations.splunk.config import SplunkConfig
from aria.integrations.splunk.jobs import JOBS_PATH, SearchJobPages
from aria.integrations.splunk.normalize import notable_event_id, notable_to_finding
from aria.sdk import FatalError, Finding, RequestSpec, Stream
from aria.sdk.http import decode_json

# Correlation searches write notables a little after their _time (indexing lag); re-read a
# short window so late notables are not skipped.
LOOKBACK = timedelta(minutes=10)
# An events search keeps at most max_count results (10,000 by default): lift the cap so a
# large first sync is complete.
MAX_COUNT = 1_000_000


class Notables(Stream):
    """ES notable events -> detection findings (uid = ``event_id``)."""

    name = "notables"
    method = "POST"
    path = JOBS_PATH
    records = "results"
    paginator = SearchJobPages()
    cursor_field = "_time"
    primary_key = "event_id"
    lookback = LOOKBACK

    def request(self, variables: dict[str, Any]) -> RequestSpec:
        """The job form (``body``) and the results page size (``params['count']``)."""
        settings = self.config if isinstance(self.config, SplunkConfig) else None
        form: dict[str, Any] = {
            "search": settings.notable_spl if settings else "search `notable`",
            "exec_mode": "normal",
            "latest_time": "now",
            "max_count": MAX_COUNT,
        }
        if variables.get("since_epoch") is not None:
            form["earliest_time"] = str(variables["since_epoch"])
        elif settings is not None and settings.first_sync_days:
            form["earliest_time"] = f"-{settings.first_sync_days}d"
        count = settings.page_size if settings else 1000
        return RequestSpec(method="POST", path=JOBS_PATH, params={"count": count}, body=form)

    def parse(self, response: httpx.Response) -> Any:
        """A results page is ``{"results": [...], "fields": [...], ...}``."""
        body = decode_json(response)
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise FatalError(
                f"malformed response: stream {self.name!r} expected search results "
                f"(an object with 'results'), got {type(body).__name__}"
            )
        return body

    def record_id(self, record: dict[str, Any]) -> str | None:
        """``event_id``, or the stable stand-in for notables read without the macro."""
        return notable_event_id(record)

    def normalize(self, record: dict[str, Any]) -> Finding:
        return notable_to_finding(record)


STREAMS: tuple[type[Stream], ...] = (Notables,)
