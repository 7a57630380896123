"""The ``tickets`` stream: tickets ARIA opened, read from Freshdesk's list-tickets API.

``GET /api/v2/tickets?updated_since=<ISO>&order_by=updated_at&order_type=asc&per_page=100``,
following ``Link: <...>; rel="next"`` until Freshdesk stops sending it.

Why the list API and not search: search (``/api/v2/search/tickets?query="tag:'aria-risk' AND
updated_at:>'yyyy-mm-dd'"``) filters by tag on the server, but only to the day, 30 results a
page and at most 10 pages (300 tickets), in an order the caller cannot choose, so a busy day
would silently lose updates. The list API filters by exact update time and sorts by it, so a
read can always continue where the last one stopped; the price is that tickets ARIA did not
open are read too and dropped here (``normalize`` returns None), while their update times
still advance the cursor.

Freshdesk serves at most 300 pages of a list (30,000 tickets at 100 a page). The paginator
stops there; because the list is sorted by update time, the next sync continues from the
cursor. Without ``updated_since`` Freshdesk lists only tickets created in the last 30 days, so
a full read asks for everything updated since 2000.

Comments: for each ARIA ticket on a page, ``GET /api/v2/tickets/{id}/conversations`` (notes
and replies, 100 a page) is attached to the record as ``conversations``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx

from aria.integrations.freshdesk.config import MAX_PAGE, FreshdeskConfig
from aria.integrations.freshdesk.normalize import CONVERSATIONS_KEY, is_aria, ticket_to_ticket
from aria.sdk import FatalError, HttpClient, RequestSpec, Stream, Ticket, paginate
from aria.sdk.cursors import to_datetime

log = logging.getLogger("aria.integrations.freshdesk")

TICKETS_PATH = "/api/v2/tickets"
MAX_LIST_PAGE = 300
FULL_SINCE = "2000-01-01T00:00:00Z"
FD_TIME = "%Y-%m-%dT%H:%M:%SZ"
CONVERSATION_MAX_PAGES = 50


def list_body(response: httpx.Response, body: Any, what: str) -> list[Any]:
    """Freshdesk lists are bare JSON arrays; anything else is malformed."""
    if not isinstance(body, list):
        raise FatalError(
            f"malformed response from {response.request.url.path}: {what} expected a JSON "
            f"array, got {type(body).__name__}"
        )
    return body


def _page_of(url: str) -> int:
    try:
        return int(httpx.URL(url).params.get("page") or 1)
    except ValueError:
        return 1


class CappedLinkHeader(paginate.LinkHeader):
    """``Link: rel="next"`` paging that stops before Freshdesk's 300-page ceiling."""

    def next_link(self, response: httpx.Response, body: Any) -> str | None:
        link = super().next_link(response, body)
        if link and _page_of(str(response.request.url.join(link))) > MAX_LIST_PAGE:
            log.info(
                "Freshdesk lists at most %d pages; the next sync continues from the cursor",
                MAX_LIST_PAGE,
            )
            return None
        return link


async def conversations(http: HttpClient, ticket_id: Any) -> list[dict[str, Any]]:
    """Every conversation (notes and replies) of one ticket, oldest first."""
    found: list[dict[str, Any]] = []
    guard = paginate.LoopGuard(CONVERSATION_MAX_PAGES)
    url: str | None = f"{TICKETS_PATH}/{ticket_id}/conversations"
    params: dict[str, Any] | None = {"per_page": MAX_PAGE}
    while url:
        response = await http.request("GET", url, params=params)
        rows = list_body(response, http.parse_json(response), "conversations")
        following = response.links.get("next", {}).get("url")
        nxt = str(response.request.url.join(following)) if following else None
        guard.check(rows, {"url": nxt} if nxt else None)
        found.extend(r for r in rows if isinstance(r, dict))
        url, params = nxt, None
    return found


class WithConversations(paginate.Paginator):
    """Any ticket-list paginator, plus the conversations of each ARIA ticket on a page."""

    def __init__(self, inner: paginate.Paginator) -> None:
        super().__init__(max_pages=inner.max_pages)
        self.inner = inner

    async def pages(
        self,
        http: HttpClient,
        request: RequestSpec,
        reader: paginate.Reader,
        position: paginate.Position | None,
    ) -> AsyncIterator[paginate.Fetched]:
        async for fetched in self.inner.pages(http, request, reader, position):
            for record in fetched.records:
                if is_aria(record) and record.get("id") is not None:
                    record[CONVERSATIONS_KEY] = await conversations(http, record["id"])
            yield fetched


class Tickets(Stream):
    """Tickets tagged ``aria-risk`` -> Tickets, incremental on ``updated_at``."""

    name = "tickets"
    path = TICKETS_PATH
    params = {"order_by": "updated_at", "order_type": "asc", "per_page": "{page_size}"}
    records = None  # the body is the list
    cursor_field = "updated_at"
    primary_key = "id"
    # Automations (SLA, assignment rules) can stamp a ticket just after the agent's change.
    lookback = timedelta(minutes=1)

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        settings = config if isinstance(config, FreshdeskConfig) else None
        pages = CappedLinkHeader()
        comments = settings.include_comments if settings else True
        self.paginator = WithConversations(pages) if comments else pages  # type: ignore[misc]
        self.mapping = (settings or _default()).state_map()
        self.base_url = str(settings.base_url) if settings else ""

    def request(self, variables: dict[str, Any]) -> RequestSpec:
        """``updated_since`` at second precision; everything since 2000 on a full read."""
        since = to_datetime(variables.get("since"))
        value = since.strftime(FD_TIME) if since is not None else FULL_SINCE
        spec = super().request(variables)
        if "per_page" not in spec.params:
            spec = spec.with_value("query", "per_page", MAX_PAGE)
        return spec.with_value("query", "updated_since", value)

    def parse(self, response: httpx.Response) -> Any:
        return list_body(response, super().parse(response), f"stream {self.name!r}")

    def normalize(self, record: dict[str, Any]) -> Ticket | None:
        """ARIA's tickets only; the others are read because the list cannot filter by tag."""
        if not is_aria(record):
            return None
        return ticket_to_ticket(record, base_url=self.base_url, mapping=self.mapping)


def _default() -> FreshdeskConfig:
    return FreshdeskConfig.parse(
        {"base_url": "https://helpdesk.freshdesk.com", "api_key": "-", "requester_email": "a@b.c"}
    )


STREAMS: tuple[type[Stream], ...] = (Tickets,)
