"""Zendesk collections as SDK streams.

``tickets`` reads the cursor-based incremental ticket export,
``GET /api/v2/incremental/tickets/cursor.json?start_time=<unix>`` then ``?cursor=<after_cursor>``
until ``end_of_stream`` is true. The export has no tag filter and returns every ticket that
changed, so the stream keeps only those tagged ``aria-risk`` (ARIA opens few tickets; the
Search API could filter server-side but is capped at 1,000 results, lags behind by minutes
while it indexes and has no consistent cursor over changes). Each kept ticket gets its comments
from ``GET /api/v2/tickets/{id}/comments.json`` (cursor pagination) before normalizing.

The export allows 10 requests a minute, besides the account's per-plan limit: a second token
bucket per installation (per HTTP client) paces export pages; 429s still honour Retry-After.

``search`` (a query type) runs the Export Search Results API,
``GET /api/v2/search/export.json?query=..&filter[type]=ticket&page[size]=100``, which pages
with a cursor (``meta.has_more``, ``meta.after_cursor``, ``links.next``) beyond the 1,000
results of ``/api/v2/search.json``.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx

from aria.integrations.zendesk.config import EXPORT_PER_MINUTE, SEARCH_MAX_PAGE, ZendeskConfig
from aria.integrations.zendesk.normalize import is_aria_ticket, state_mapping, ticket_to_ticket
from aria.sdk import (
    ConfigError,
    FatalError,
    HttpClient,
    RateLimits,
    RequestSpec,
    Stream,
    Ticket,
    paginate,
)
from aria.sdk.paths import resolve
from aria.sdk.ratelimit import Limiter, limiter_for

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
SEARCH_PATH = "/api/v2/search/export.json"
COMMENTS_PAGE = 100
# The export leaves out changes of the last minute; re-read a little more than that.
LOOKBACK = timedelta(minutes=2)
# One call every six seconds: a burst would break a sliding one-minute window of 10 calls.
EXPORT_LIMITS = RateLimits(per_minute=EXPORT_PER_MINUTE, burst=1)

_EXPORT_LIMITERS: weakref.WeakKeyDictionary[HttpClient, Limiter] = weakref.WeakKeyDictionary()


def export_limiter(http: HttpClient) -> Limiter:
    """The per-installation pacing of export calls (10 a minute), on the client's clock."""
    limiter = _EXPORT_LIMITERS.get(http)
    if limiter is None:
        limiter = limiter_for(EXPORT_LIMITS, clock=http.clock, sleep=http.sleep)
        _EXPORT_LIMITERS[http] = limiter
    return limiter


class ExportCursor(paginate.Sequential):
    """Cursor-based incremental export: ``cursor=<after_cursor>`` until ``end_of_stream``.

    The first request carries ``start_time``; later ones only the cursor (Zendesk ignores
    ``start_time`` next to a cursor). Each page first waits for the export's own quota, and
    the stream's ``hydrate`` adds comments to the kept tickets.
    """

    def start(self) -> paginate.Position:
        return {"cursor": None}

    def apply(self, request: RequestSpec, position: paginate.Position) -> RequestSpec:
        cursor = position.get("cursor")
        if not cursor:
            return request
        params = {k: v for k, v in request.params.items() if k != "start_time"}
        return RequestSpec(request.method, request.path, {**params, "cursor": cursor})

    def advance(
        self,
        position: paginate.Position,
        response: httpx.Response,
        body: Any,
        records: list[dict[str, Any]],
    ) -> paginate.Position | None:
        if body.get("end_of_stream") is True:
            return None
        cursor = body.get("after_cursor")
        if not cursor:
            raise FatalError(
                "malformed response: the incremental export is not at end_of_stream but gave "
                "no after_cursor"
            )
        return {"cursor": cursor}

    async def pages(
        self,
        http: HttpClient,
        request: RequestSpec,
        reader: paginate.Reader,
        position: paginate.Position | None,
    ) -> AsyncIterator[paginate.Fetched]:
        guard = paginate.LoopGuard(self.max_pages)
        current = position if position is not None else self.start()
        guard.start(current)
        limiter = export_limiter(http)
        while True:
            await limiter.acquire()
            response = await self.apply(request, current).send(http)
            body = reader.parse(response)
            records = reader.extract(body)
            nxt = self.advance(current, response, body, records)
            guard.check(records, nxt)
            if isinstance(reader, ZendeskTickets):
                records = await reader.hydrate(http, records)
            yield paginate.Fetched(records, body, nxt)
            if nxt is None:
                return
            current = nxt


class ZendeskCursorPages(paginate.Sequential):
    """Zendesk's cursor pagination: ``page[size]``, then ``page[after]=<meta.after_cursor>``
    while ``meta.has_more`` (``links.next`` carries the same cursor)."""

    def __init__(self, size: int = SEARCH_MAX_PAGE) -> None:
        super().__init__()
        self.size = size

    def start(self) -> paginate.Position:
        return {"cursor": None}

    def apply(self, request: RequestSpec, position: paginate.Position) -> RequestSpec:
        spec = request.with_value("query", "page[size]", self.size)
        cursor = position.get("cursor")
        return spec.with_value("query", "page[after]", cursor) if cursor else spec

    def advance(
        self,
        position: paginate.Position,
        response: httpx.Response,
        body: Any,
        records: list[dict[str, Any]],
    ) -> paginate.Position | None:
        if not resolve(body, "meta.has_more"):
            return None
        cursor = resolve(body, "meta.after_cursor")
        if not cursor:
            raise FatalError("malformed response: meta.has_more is true but no after_cursor")
        return {"cursor": cursor}


class ZendeskStream(Stream):
    """Shared by Zendesk streams: envelope check and normalization into tickets."""

    def parse(self, response: httpx.Response) -> Any:
        """A Zendesk list is an object with the record list under ``records``."""
        body = super().parse(response)
        if not isinstance(body, dict) or not isinstance(body.get(str(self.records)), list):
            raise FatalError(
                f"malformed response: stream {self.name!r} expected an object with a "
                f"{self.records!r} list, got {type(body).__name__}"
            )
        return body

    @property
    def settings(self) -> ZendeskConfig:
        """The installation's settings, typed."""
        if not isinstance(self.config, ZendeskConfig):
            raise FatalError(f"stream {self.name!r} needs the Zendesk settings")
        return self.config

    def normalize(self, record: dict[str, Any]) -> Ticket:
        settings = self.settings
        return ticket_to_ticket(
            record, state_mapping(settings.state_mapping), str(settings.base_url)
        )


class ZendeskTickets(ZendeskStream):
    """ARIA's tickets from the cursor-based incremental export, with their comments."""

    name = "tickets"
    path = EXPORT_PATH
    params = {"per_page": "{page_size}", "exclude_deleted": "true"}
    records = "tickets"
    paginator = ExportCursor()
    cursor_field = "updated_at"
    primary_key = "id"
    lookback = LOOKBACK

    def request(self, variables: dict[str, Any]) -> RequestSpec:
        """``start_time`` is required: 0 for a full read, else the window start, never later
        than a minute ago (Zendesk refuses start times in the future)."""
        spec = super().request(variables)
        since = variables.get("since_epoch")
        start = 0 if since is None else max(0, min(int(since), int(variables["now_epoch"]) - 60))
        return spec.with_value("query", "start_time", start)

    def extract(self, body: Any) -> list[dict[str, Any]]:
        """Only the tickets ARIA opened (tag ``aria-risk``): the export cannot filter."""
        return [r for r in super().extract(body) if isinstance(r, dict) and is_aria_ticket(r)]

    async def hydrate(
        self, http: HttpClient, records: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Each ticket with its comments (``comments``), when the installation wants them."""
        config = self.config
        if isinstance(config, ZendeskConfig) and not config.include_comments:
            return records
        out = []
        for record in records:
            try:
                comments = await fetch_comments(http, record["id"])
            except ConfigError as exc:  # deleted between the export and this call
                if exc.status_code != 404:
                    raise
                comments = []
            out.append({**record, "comments": comments})
        return out


class ZendeskSearch(ZendeskStream):
    """``query(type="search", params={"query": <Zendesk search>})`` over tickets."""

    name = "search"
    path = SEARCH_PATH
    params = {"query": "{query}", "filter[type]": "ticket"}
    records = "results"
    paginator = ZendeskCursorPages()
    primary_key = "id"

    def request(self, variables: dict[str, Any]) -> RequestSpec:
        """Without a query, ARIA's own tickets (``tags:aria-risk``)."""
        spec = super().request(variables)
        if not spec.params.get("query"):
            spec = spec.with_value("query", "query", "tags:aria-risk")
        return spec


async def fetch_comments(http: HttpClient, ticket_id: Any) -> list[dict[str, Any]]:
    """Every comment of a ticket, oldest first (cursor pagination)."""
    path = f"/api/v2/tickets/{ticket_id}/comments.json"
    guard = paginate.LoopGuard(paginate.DEFAULT_MAX_PAGES)
    comments: list[dict[str, Any]] = []
    params: dict[str, Any] = {"page[size]": COMMENTS_PAGE}
    while True:
        body = await http.request_json("GET", path, params=params)
        page = resolve(body, "comments") if isinstance(body, dict) else None
        if not isinstance(page, list):
            raise FatalError(f"malformed response from GET {path}: no comments list")
        comments.extend(c for c in page if isinstance(c, dict))
        cursor = resolve(body, "meta.after_cursor") if resolve(body, "meta.has_more") else None
        guard.check(page, {"cursor": cursor} if cursor else None)
        if not cursor:
            return comments
        params = {"page[size]": COMMENTS_PAGE, "page[after]": cursor}


STREAMS: tuple[type[ZendeskStream], ...] = (ZendeskTickets,)
QUERIES: dict[str, type[Stream]] = {"search": ZendeskSearch}
QUERY_PARAMS: dict[str, frozenset[str]] = {"search": frozenset({"query"}), "tickets": frozenset()}
