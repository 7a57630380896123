"""Ariel searches, QRadar's asynchronous way of running AQL over events and flows.

``POST /api/ariel/searches?query_expression=<AQL>`` creates a search and answers its
``search_id`` (status ``WAIT``); ``GET /api/ariel/searches/{id}`` reports ``WAIT``, ``EXECUTE``,
``SORTING`` and finally ``COMPLETED``, or ``ERROR``/``CANCELED`` with ``error_messages``; once
complete, ``GET /api/ariel/searches/{id}/results`` pages the rows with the ``Range`` header as
``{"events": [...]}`` (or ``"flows"``). A search that outlives the timeout is canceled
(``POST /api/ariel/searches/{id}?status=CANCELED``) so it stops using console resources.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aria.integrations.ibm_qradar.paging import next_start, parse_content_range, range_header
from aria.sdk import FatalError, HttpClient, IntegrationError, Redactor, TransientError
from aria.sdk.paginate import LoopGuard

log = logging.getLogger("aria.integrations.ibm_qradar")

SEARCHES = "/api/ariel/searches"
COMPLETED = "COMPLETED"
FAILED = ("ERROR", "CANCELED")
RUNNING = ("WAIT", "EXECUTE", "SORTING")


@dataclass
class ArielResult:
    """What one search produced: its id, the table the rows came from, rows and total."""

    search_id: str
    source: str
    rows: list[dict[str, Any]]
    total: int | None
    status: dict[str, Any] = field(default_factory=dict)

    @property
    def truncated(self) -> bool:
        """True when the search matched more rows than were read."""
        return self.total is not None and self.total > len(self.rows)


class ArielSearch:
    """Runs one AQL search to the end through the integration's HTTP client."""

    def __init__(
        self,
        http: HttpClient,
        redact: Redactor,
        *,
        page_size: int = 100,
        timeout_s: float = 300.0,
        poll_interval: float = 1.0,
        poll_backoff: float = 1.5,
        poll_max_interval: float = 10.0,
    ) -> None:
        self.http, self.redact = http, redact
        self.page_size, self.timeout_s = page_size, timeout_s
        self.poll_interval, self.poll_backoff = poll_interval, poll_backoff
        self.poll_max_interval = poll_max_interval

    async def run(self, aql: str, limit: int) -> ArielResult:
        """Create, wait for and read the search; at most ``limit`` rows."""
        status = await self.create(aql)
        search_id = quote(str(status["search_id"]), safe="")
        status = await self.wait(search_id, status)
        return await self.results(search_id, limit, status)

    async def create(self, aql: str) -> dict[str, Any]:
        """``POST /api/ariel/searches``: the new search's status document."""
        # Not idempotent: a retried POST after a timeout would start a second search.
        body = await self.http.request_json(
            "POST", SEARCHES, params={"query_expression": aql}, idempotent=False
        )
        if not isinstance(body, dict) or not body.get("search_id"):
            raise FatalError(f"malformed response from POST {SEARCHES}: no search_id")
        return body

    async def status(self, search_id: str) -> dict[str, Any]:
        """``GET /api/ariel/searches/{id}``."""
        body = await self.http.request_json("GET", f"{SEARCHES}/{search_id}")
        if not isinstance(body, dict) or "status" not in body:
            raise FatalError(f"malformed response from GET {SEARCHES}/{{id}}: no status")
        return body

    async def wait(self, search_id: str, status: dict[str, Any]) -> dict[str, Any]:
        """Poll with growing intervals until COMPLETED; ERROR/CANCELED raise, a timeout
        cancels the search and raises :class:`TransientError` (a later run may be quicker)."""
        started = self.http.clock()
        interval = self.poll_interval
        while True:
            state = str(status.get("status") or "").upper()
            if state == COMPLETED:
                return status
            if state in FAILED:
                raise FatalError(self._failure(search_id, state, status))
            if state not in RUNNING:
                raise FatalError(f"Ariel search {search_id}: unknown status {state[:40]!r}")
            if self.http.clock() - started >= self.timeout_s:
                await self.cancel(search_id)
                raise TransientError(
                    f"Ariel search {search_id} did not complete within {self.timeout_s:g} s "
                    f"(last status {state}, {status.get('progress', '?')}% done); it was "
                    "canceled. Narrow the time range or raise search_timeout_s."
                )
            await self.http.sleep(interval)
            interval = min(self.poll_max_interval, interval * self.poll_backoff)
            status = await self.status(search_id)

    def _failure(self, search_id: str, state: str, status: dict[str, Any]) -> str:
        messages = [
            str(m.get("message"))
            for m in status.get("error_messages") or []
            if isinstance(m, dict) and m.get("message")
        ]
        detail = "; ".join(messages)[:500] if messages else "no error message given"
        return self.redact(f"Ariel search {search_id} ended with status {state}: {detail}")

    async def cancel(self, search_id: str) -> None:
        """Ask QRadar to stop the search (best effort: the caller is failing anyway)."""
        try:
            await self.http.request(
                "POST", f"{SEARCHES}/{search_id}", params={"status": "CANCELED"}
            )
        except IntegrationError as exc:
            log.warning("could not cancel Ariel search %s: %s", search_id, exc)

    async def results(self, search_id: str, limit: int, status: dict[str, Any]) -> ArielResult:
        """Page ``GET /api/ariel/searches/{id}/results`` with the Range header."""
        path = f"{SEARCHES}/{search_id}/results"
        rows: list[dict[str, Any]] = []
        source = "events"
        total = status.get("record_count") if isinstance(status.get("record_count"), int) else None
        start: int | None = 0
        guard = LoopGuard(max_pages=10_000)
        while start is not None and len(rows) < limit:
            if total is not None and start >= total:
                break  # record_count says there is nothing (more) to read
            size = min(self.page_size, limit - len(rows))
            if total is not None:
                size = min(size, total - start)
            response = await self.http.request(
                "GET", path, headers={"Range": range_header(start, size)}
            )
            body = self.http.parse_json(response)
            source, page = _rows(body, path)
            header = response.headers.get("Content-Range")
            parsed = parse_content_range(header)
            if parsed is not None and parsed.total is not None:
                total = parsed.total
            following = next_start(start, size, len(page), header)
            guard.check(page, None if following is None else {"start": following})
            rows.extend(page)
            start = following
        return ArielResult(search_id, source, rows[:limit], total, status)


def _rows(body: Any, path: str) -> tuple[str, list[dict[str, Any]]]:
    """The table name and rows of a results body (``{"events": [...]}``)."""
    if not isinstance(body, dict):
        raise FatalError(f"malformed response from GET {path}: expected an object")
    for key in ("events", "flows"):
        if isinstance(body.get(key), list):
            return key, [r for r in body[key] if isinstance(r, dict)]
    lists = [(k, v) for k, v in body.items() if isinstance(v, list)]
    if len(lists) == 1:
        key, value = lists[0]
        return key, [r for r in value if isinstance(r, dict)]
    raise FatalError(f"malformed response from GET {path}: no events or flows list")
