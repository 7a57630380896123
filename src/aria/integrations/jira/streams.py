"""Jira reads as SDK streams: the enhanced JQL search, ``GET /rest/api/3/search/jql``.

Atlassian removed ``/rest/api/3/search`` (``startAt`` paging) in 2025 for ``/search/jql``,
which pages with an opaque ``nextPageToken`` (sent back with the same ``jql``; absent, and
``isLast: true``, on the last page) and returns only issue ids unless ``fields`` names what to
include. Answers are ``{"issues": [...], "nextPageToken": ..., "isLast": ...}``.

``tickets`` reads the issues ARIA opened (label ``aria-risk``) in the configured project,
incrementally on ``fields.updated``; ``search`` runs a caller's JQL once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx

from aria.integrations.jira.config import JiraConfig
from aria.integrations.jira.jql import TICKET_FIELDS, tickets_jql
from aria.integrations.jira.normalize import issue_to_ticket
from aria.sdk import (
    ConfigError,
    FatalError,
    HttpClient,
    Page,
    RequestSpec,
    Stream,
    StreamContext,
    Ticket,
    paginate,
)
from aria.sdk.cursors import to_datetime

SEARCH_PATH = "/rest/api/3/search/jql"
MYSELF_PATH = "/rest/api/3/myself"
TIME_ZONE = "jira_time_zone"  # template variable: the searching account's time zone
# JQL search is eventually consistent ("recent updates might not be immediately visible"),
# so each incremental read looks a few minutes further back.
LOOKBACK = timedelta(minutes=5)


class JiraPages(paginate.Cursor):
    """``nextPageToken`` from the body, sent back as a query parameter; ``isLast`` ends."""

    def __init__(self) -> None:
        super().__init__(token="nextPageToken", param="nextPageToken")  # noqa: S106 - a path

    def advance(
        self,
        position: paginate.Position,
        response: httpx.Response,
        body: Any,
        records: list[dict[str, Any]],
    ) -> paginate.Position | None:
        if isinstance(body, dict) and body.get("isLast") is True:
            return None
        return super().advance(position, response, body, records)


async def user_time_zone(http: HttpClient) -> str | None:
    """The searching account's time zone, in which Jira reads JQL dates."""
    body = await http.request_json("GET", MYSELF_PATH)
    zone = body.get("timeZone") if isinstance(body, dict) else None
    return str(zone) if zone else None


class Tickets(Stream):
    """Issues ARIA opened (``project = KEY AND labels = "aria-risk"``) -> Tickets."""

    name = "tickets"
    path = SEARCH_PATH
    records = "issues"
    paginator = JiraPages()
    cursor_field = "fields.updated"
    primary_key = "id"
    lookback = LOOKBACK

    @property
    def settings(self) -> JiraConfig:
        """The installation's settings, typed."""
        if not isinstance(self.config, JiraConfig):
            raise ConfigError("the Jira stream needs the installation's JiraConfig")
        return self.config

    def jql(self, variables: dict[str, Any]) -> str:
        """The search for this read: ARIA's tickets, changed since the window start."""
        since = to_datetime(variables.get("since"))
        return tickets_jql(self.settings.project_key, since, variables.get(TIME_ZONE))

    def request(self, variables: dict[str, Any]) -> RequestSpec:
        """``jql``, the fields ARIA reads, and the page size."""
        return RequestSpec(
            method="GET",
            path=self.path,
            params={
                "jql": self.jql(variables),
                "fields": ",".join(TICKET_FIELDS),
                "maxResults": self.settings.page_size,
            },
        )

    def parse(self, response: httpx.Response) -> Any:
        """A search answer is an object with ``issues``; anything else is malformed."""
        body = super().parse(response)
        if not isinstance(body, dict) or not isinstance(body.get("issues"), list):
            raise FatalError(
                f"malformed response: stream {self.name!r} expected a search result with "
                f"'issues', got {type(body).__name__}"
            )
        return body

    async def read(
        self, ctx: StreamContext, state: dict[str, Any] | None = None, full: bool = False
    ) -> AsyncIterator[Page]:
        """Learn the account's time zone first when the read has a window to put in JQL."""
        if state and not full and (state.get("cursor") or state.get("since")):
            zone = await user_time_zone(ctx.http)
            ctx = dataclasses.replace(ctx, variables={**ctx.variables, TIME_ZONE: zone})
        async for page in super().read(ctx, state, full):
            yield page

    def normalize(self, record: dict[str, Any]) -> Ticket:
        settings = self.settings
        return issue_to_ticket(record, mapping=settings.mapping(), browse_base=settings.browse_base)


class Search(Tickets):
    """``query(type="search", params={"jql": ...})``: any JQL, read once, as Tickets."""

    name = "search"

    def jql(self, variables: dict[str, Any]) -> str:
        jql = variables.get("jql")
        if not isinstance(jql, str) or not jql.strip():
            raise ConfigError(
                "query 'search' needs params['jql'], a non-empty JQL query (Jira refuses "
                "unbounded searches)",
                fields={"jql": "required"},
            )
        return jql.strip()


STREAMS: tuple[type[Stream], ...] = (Tickets,)
QUERIES: dict[str, type[Stream]] = {"search": Search}
QUERY_PARAMS: dict[str, frozenset[str]] = {"search": frozenset({"jql"}), "tickets": frozenset()}
"""What ``query()`` accepts in ``params``, per query type."""
