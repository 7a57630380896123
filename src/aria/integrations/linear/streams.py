"""The Linear ``tickets`` stream: ARIA's issues, most recently updated first, with comments.

One GraphQL connection, ``issues(first, after, filter, orderBy: updatedAt)`` with
``filter: {labels: {name: {eq: "aria-risk"}}, updatedAt: {gte: <since>}}`` (the window start
on incremental reads), paged by ``pageInfo { hasNextPage endCursor }``. Each issue carries its
first 25 comments; an issue with more gets the rest from ``issue(id) { comments(after:) }``.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx

from aria.integrations.linear.config import LinearConfig
from aria.integrations.linear.documents import request_body
from aria.integrations.linear.graphql import GRAPHQL_PATH, check, execute
from aria.integrations.linear.normalize import issue_to_ticket, state_mapping
from aria.sdk import FatalError, HttpClient, RequestSpec, Stream, Ticket, paginate, ticketing
from aria.sdk.paths import resolve

# Linear stamps updatedAt in milliseconds as it writes; re-read a minute for late writers.
LOOKBACK = timedelta(minutes=1)


def aria_filter(since: str | None = None) -> dict[str, Any]:
    """``IssueFilter`` for ARIA's issues, changed at or after ``since`` when given."""
    issue_filter: dict[str, Any] = {"labels": {"name": {"eq": ticketing.ARIA_LABEL}}}
    if since:
        issue_filter["updatedAt"] = {"gte": since}
    return issue_filter


class Connection(paginate.Sequential):
    """A Relay connection in a GraphQL body: ``variables.after = pageInfo.endCursor`` while
    ``pageInfo.hasNextPage``; the stream's ``hydrate`` completes each page's records."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def start(self) -> paginate.Position:
        return {"cursor": None}

    def apply(self, request: RequestSpec, position: paginate.Position) -> RequestSpec:
        body = copy.deepcopy(request.body)
        body["variables"]["after"] = position.get("cursor")
        return RequestSpec(request.method, request.path, dict(request.params), body)

    def advance(
        self,
        position: paginate.Position,
        response: httpx.Response,
        body: Any,
        records: list[dict[str, Any]],
    ) -> paginate.Position | None:
        info = resolve(body, f"{self.path}.pageInfo")
        if not isinstance(info, dict) or not info.get("hasNextPage"):
            return None
        if not info.get("endCursor"):
            raise FatalError("malformed response: hasNextPage is true but endCursor is empty")
        return {"cursor": info["endCursor"]}

    async def pages(
        self,
        http: HttpClient,
        request: RequestSpec,
        reader: paginate.Reader,
        position: paginate.Position | None,
    ) -> AsyncIterator[paginate.Fetched]:
        async for fetched in super().pages(http, request, reader, position):
            if isinstance(reader, LinearIssues):
                fetched.records = await reader.hydrate(http, fetched.records)
            yield fetched


class LinearIssues(Stream):
    """``tickets``: issues labelled ``aria-risk``, incremental on ``updatedAt``."""

    name = "tickets"
    path = GRAPHQL_PATH
    method = "POST"
    records = "data.issues.nodes"
    paginator = Connection("data.issues")
    cursor_field = "updatedAt"
    primary_key = "id"
    lookback = LOOKBACK

    def request(self, variables: dict[str, Any]) -> RequestSpec:
        """The AriaIssues document with the page size and the ARIA filter as variables."""
        config = self.config
        first = config.page_size if isinstance(config, LinearConfig) else 50
        body = request_body(
            "AriaIssues",
            {"first": first, "after": None, "filter": aria_filter(variables.get("since"))},
        )
        return RequestSpec("POST", GRAPHQL_PATH, {}, body)

    def parse(self, response: httpx.Response) -> Any:
        """A GraphQL answer whose ``data.issues`` is a connection; errors raise."""
        body = super().parse(response)
        redact = self.config.redactor() if self.config is not None else str
        data = check(body, "AriaIssues", redact)
        if not isinstance(resolve(data, "issues.nodes"), list):
            raise FatalError("malformed response to AriaIssues: no issues.nodes list")
        return body

    async def hydrate(self, http: HttpClient, issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Issues whose nested comments were cut at the first page get the rest."""
        out = []
        for issue in issues:
            info = resolve(issue, "comments.pageInfo") or {}
            if isinstance(info, dict) and info.get("hasNextPage"):
                comments = await more_comments(http, str(issue["id"]), issue["comments"])
                issue = {**issue, "comments": comments}
            out.append(issue)
        return out

    def normalize(self, record: dict[str, Any]) -> Ticket:
        config = self.config
        outbound = config.state_mapping if isinstance(config, LinearConfig) else {}
        return issue_to_ticket(record, state_mapping(outbound))


async def more_comments(
    http: HttpClient, issue_id: str, first_page: dict[str, Any]
) -> dict[str, Any]:
    """The whole comments connection of an issue, from its first page onwards."""
    nodes = list(first_page.get("nodes") or [])
    cursor = resolve(first_page, "pageInfo.endCursor")
    guard = paginate.LoopGuard(paginate.DEFAULT_MAX_PAGES)
    guard.start({"cursor": cursor})
    while cursor:
        data = await execute(http, "AriaIssueComments", {"id": issue_id, "after": cursor})
        page = resolve(data, "issue.comments")
        if not isinstance(page, dict) or not isinstance(page.get("nodes"), list):
            raise FatalError("malformed response to AriaIssueComments: no comments connection")
        nodes.extend(page["nodes"])
        info = page.get("pageInfo") or {}
        cursor = info.get("endCursor") if info.get("hasNextPage") else None
        guard.check(page["nodes"], {"cursor": cursor} if cursor else None)
    return {"nodes": nodes, "pageInfo": {"hasNextPage": False, "endCursor": None}}


STREAMS: tuple[type[Stream], ...] = (LinearIssues,)
