"""The ``tickets`` stream: incidents ARIA opened, read through the Table API.

``GET /api/now/table/incident`` with an encoded query
``correlation_idSTARTSWITHaria-risk^sys_updated_on>=<UTC yyyy-MM-dd HH:mm:ss>^ORDERBYsys_updated_on
^ORDERBYsys_id``, plain values (``sysparm_display_value=false``), no reference links, only the
fields ARIA reads, and ``sysparm_offset``/``sysparm_limit`` paging that ends at the
``X-Total-Count`` header (ServiceNow also sends ``Link: <...>; rel="next"``; the offset is the
same position and is what the checkpoint keeps).

Comments come from the journal: after each page, one query on ``sys_journal_field`` for the
page's incidents (``element_idIN<sys_ids>^elementINwork_notes,comments``) attaches their work
notes and additional comments to the records. That table is admin-only out of the box; when the
integration user may not read it the sync goes on without comments (the connection test says
which ACL is missing).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx

from aria.integrations.servicenow.config import MAX_PAGE, ServiceNowConfig
from aria.integrations.servicenow.normalize import (
    CORRELATION_PREFIX,
    JOURNAL_KEY,
    incident_to_ticket,
    plain,
)
from aria.sdk import AuthError, FatalError, HttpClient, RequestSpec, Stream, Ticket, paginate
from aria.sdk.cursors import to_datetime

log = logging.getLogger("aria.integrations.servicenow")

INCIDENT_PATH = "/api/now/table/incident"
JOURNAL_PATH = "/api/now/table/sys_journal_field"
FIELDS = (
    "sys_id,number,short_description,description,state,priority,urgency,impact,"
    "correlation_id,correlation_display,sys_created_on,sys_updated_on,opened_at,resolved_at,"
    "closed_at,close_code,close_notes,assigned_to,assignment_group,caller_id,sys_class_name,"
    "reopen_count"
)
JOURNAL_FIELDS = "sys_id,element_id,element,value,sys_created_on,sys_created_by"
JOURNAL_PAGE = 1000
JOURNAL_MAX_PAGES = 50
SN_TIME = "%Y-%m-%d %H:%M:%S"


def table_body(response: httpx.Response, body: Any, what: str) -> dict[str, Any]:
    """A Table API list is ``{"result": [...]}``; anything else is malformed."""
    if not isinstance(body, dict) or not isinstance(body.get("result"), list):
        raise FatalError(
            f"malformed response from {response.request.url.path}: {what} expected a Table "
            f"API object with a 'result' list, got {type(body).__name__}"
        )
    return body


def total_count(response: httpx.Response) -> int | None:
    """``X-Total-Count``: how many records the query matches in all."""
    value = response.headers.get("X-Total-Count", "").strip()
    return int(value) if value.isdigit() else None


class TableOffset(paginate.OffsetLimit):
    """``sysparm_offset``/``sysparm_limit``; ends at ``X-Total-Count`` (or a short page)."""

    def __init__(self, limit: int = MAX_PAGE) -> None:
        super().__init__("sysparm_offset", "sysparm_limit", limit)

    def advance(
        self,
        position: paginate.Position,
        response: httpx.Response,
        body: Any,
        records: list[dict[str, Any]],
    ) -> paginate.Position | None:
        if not records:
            return None
        following = int(position["offset"]) + len(records)
        total = total_count(response)
        if total is not None:
            return None if following >= total else {"offset": following}
        return None if len(records) < self.limit else {"offset": following}


async def journal_entries(
    http: HttpClient, sys_ids: list[str], table: str = "incident"
) -> dict[str, list[dict[str, Any]]]:
    """Work notes and additional comments of these records, oldest first, by record sys_id."""
    query = (
        f"name={table}^element_idIN{','.join(sys_ids)}^elementINwork_notes,comments"
        "^ORDERBYsys_created_on^ORDERBYsys_id"
    )
    found: dict[str, list[dict[str, Any]]] = {}
    guard = paginate.LoopGuard(JOURNAL_MAX_PAGES)
    offset = 0
    while True:
        response = await http.request(
            "GET",
            JOURNAL_PATH,
            params={
                "sysparm_query": query,
                "sysparm_fields": JOURNAL_FIELDS,
                "sysparm_display_value": "false",
                "sysparm_limit": JOURNAL_PAGE,
                "sysparm_offset": offset,
            },
        )
        rows = table_body(response, http.parse_json(response), "the journal")["result"]
        total = total_count(response)
        following = offset + len(rows)
        more = bool(rows) and (
            following < total if total is not None else len(rows) == JOURNAL_PAGE
        )
        guard.check(rows, {"offset": following} if more else None)
        for row in rows:
            if isinstance(row, dict) and plain(row.get("element_id")):
                found.setdefault(str(plain(row["element_id"])), []).append(row)
        if not more:
            return found
        offset = following


class WithJournal(paginate.Paginator):
    """Any paginator over a task table, plus each page's journal entries on its records."""

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
            ids = [str(plain(r.get("sys_id"))) for r in fetched.records if plain(r.get("sys_id"))]
            entries: dict[str, list[dict[str, Any]]] = {}
            if ids:
                try:
                    entries = await journal_entries(http, ids)
                except AuthError as exc:
                    if exc.status_code != 403:
                        raise
                    log.warning(
                        "ServiceNow: the integration user may not read sys_journal_field; "
                        "syncing incidents without their work notes and comments"
                    )
            for record in fetched.records:
                record[JOURNAL_KEY] = entries.get(str(plain(record.get("sys_id"))), [])
            yield fetched


class Tickets(Stream):
    """Incidents with ``correlation_id`` ``aria-risk-<id>`` -> Tickets, incremental on
    ``sys_updated_on`` (UTC, second precision)."""

    name = "tickets"
    path = INCIDENT_PATH
    params = {
        "sysparm_display_value": "false",
        "sysparm_exclude_reference_link": "true",
        "sysparm_fields": FIELDS,
    }
    records = "result"
    cursor_field = "sys_updated_on"
    primary_key = "sys_id"
    # Business rules and flows may stamp an update a moment after the user's; re-read a minute.
    lookback = timedelta(minutes=1)

    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        settings = config if isinstance(config, ServiceNowConfig) else None
        pages = TableOffset(settings.page_size if settings else MAX_PAGE)
        comments = settings.include_comments if settings else True
        self.paginator = WithJournal(pages) if comments else pages  # type: ignore[misc]
        self.mapping = (settings or _default()).state_map()
        self.base_url = str(settings.base_url) if settings else ""
        self.username = settings.username if settings else None

    def request(self, variables: dict[str, Any]) -> RequestSpec:
        """The encoded query: ARIA's incidents, updated since the window start, oldest first."""
        clauses = [f"correlation_idSTARTSWITH{CORRELATION_PREFIX.rstrip('-')}"]
        since = to_datetime(variables.get("since"))
        if since is not None:
            clauses.append(f"sys_updated_on>={since.strftime(SN_TIME)}")
        clauses.append("ORDERBYsys_updated_on^ORDERBYsys_id")
        return super().request(variables).with_value("query", "sysparm_query", "^".join(clauses))

    def parse(self, response: httpx.Response) -> Any:
        return table_body(response, super().parse(response), f"stream {self.name!r}")

    def normalize(self, record: dict[str, Any]) -> Ticket:
        return incident_to_ticket(
            record, base_url=self.base_url, mapping=self.mapping, username=self.username
        )


def _default() -> ServiceNowConfig:
    return ServiceNowConfig.parse(
        {"base_url": "https://instance.service-now.com", "username": "-", "password": "-"}
    )


STREAMS: tuple[type[Stream], ...] = (Tickets,)
