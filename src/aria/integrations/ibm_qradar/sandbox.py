"""The QRadar sandbox: the console's REST API for offenses and Ariel searches, offline.

``make_sandbox(seed, size, faults)`` serves, under ``/api`` like a console:

* ``GET /system/about`` (the connection probe);
* ``GET /siem/offenses`` with ``filter`` (:mod:`.sandbox_query`), ``sort``, ``fields`` and
  paging by the ``Range: items=x-y`` request header, answered with ``Content-Range``;
* ``GET /siem/offense_closing_reasons`` (``include_reserved``, ``include_deleted``, Range);
* ``POST /ariel/searches?query_expression=<AQL>`` -> a search (status ``WAIT``), polled with
  ``GET /ariel/searches/{id}`` (``EXECUTE`` ... ``COMPLETED``, or ``ERROR`` with
  ``error_messages``), canceled with ``POST /ariel/searches/{id}?status=CANCELED``, and read
  with ``GET /ariel/searches/{id}/results`` (``{"events": [...]}``, Range paging).

Every call needs the demo token in the ``SEC`` header (401 otherwise). Errors use QRadar's
envelope ``{"message", "details", "description", "code", "http_response": {"code",
"message"}}``. ``app.state.qradar`` exposes the data, the searches run, the ``Version``
headers received and switches that make searches slow or fail.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from aria.integrations.ibm_qradar.sandbox_data import QRadarData, generate
from aria.integrations.ibm_qradar.sandbox_query import (
    AqlQuery,
    QueryError,
    compile_filter,
    parse_aql,
)
from aria.sdk.sandbox import Faults, Sandbox

DEMO: dict[str, Any] = {
    "base_url": "https://qradar.demo.example",
    "sec_token": "6f1c2b9e-4d7a-4c1e-9b3f-qradar-demo-0001",
    "api_version": "20.0",
    # Small pages so the demo (and the conformance suite) walk several Range pages.
    "page_size": 25,
}
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
HTTP_MESSAGES = {
    401: "You are unauthorized to access the requested resource.",
    403: "Your account is not authorized to access the requested resource.",
    404: "We could not find the resource you requested.",
    405: "The requested method is not allowed for this resource.",
    409: "The request could not be completed due to a conflict with the current state.",
    422: "The request was well-formed but was unable to be followed due to semantic errors.",
    500: "Unexpected internal server error.",
}
_RANGE = re.compile(r"^\s*items\s*=\s*(\d+)\s*-\s*(\d+)\s*$", re.IGNORECASE)


class QRadarError(Exception):
    """An API error in QRadar's envelope."""

    def __init__(self, status: int, code: int, message: str, description: str = "") -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.description = status, code, message, description

    def response(self) -> JSONResponse:
        return JSONResponse(
            {
                "message": self.message,
                "details": {},
                "description": self.description,
                "code": self.code,
                "http_response": {
                    "code": self.status,
                    "message": HTTP_MESSAGES.get(self.status, "Error"),
                },
            },
            status_code=self.status,
        )


class QRadarState:
    """The console behind one sandbox app, plus switches and records for tests."""

    def __init__(self, sb: Sandbox, data: QRadarData) -> None:
        self.sb = sb
        self.data = data
        self.searches: dict[str, dict[str, Any]] = {}
        self.queries: list[str] = []
        self.versions: list[str | None] = []
        self.polls_to_complete = 2  # status polls before a search reports COMPLETED
        self.search_error: str | None = None  # next searches end in ERROR with this message
        self.search_hangs = False  # next searches never complete

    def latest(self) -> int:
        """The newest ``last_updated_time`` (epoch ms)."""
        stamps = [o["last_updated_time"] for o in self.data.offenses]
        return max(stamps, default=int(self.data.now.timestamp() * 1000))

    def touch(self, count: int, **changes: Any) -> list[int]:
        """Update the first ``count`` offenses past the newest one (an analyst's change, or new
        events joining them), applying ``changes``; returns their ids."""
        moment = self.latest() + 60_000
        for index, offense in enumerate(self.data.offenses[:count]):
            updated = {**offense, **changes, "last_updated_time": moment + index}
            if changes.get("status") == "CLOSED":
                updated.setdefault("closing_reason_id", 1)
                updated["close_time"] = moment + index
            self.data.offenses[index] = updated
        return [o["id"] for o in self.data.offenses[:count]]


def _page_range(request: Request) -> tuple[int, int] | None:
    header = request.headers.get("range")
    if header is None:
        return None
    match = _RANGE.match(header)
    if match is None:
        raise QRadarError(422, 1005, f"The Range header {header[:40]!r} is not valid.")
    first, last = int(match.group(1)), int(match.group(2))
    if last < first:
        raise QRadarError(422, 1005, "The Range header ends before it starts.")
    return first, last


def _ranged(
    sb: Sandbox, request: Request, items: list[Any], wrap: Callable[[list[Any]], Any]
) -> Response:
    """``items`` sliced by the Range header, with ``Content-Range``, through ``sb.page``."""
    total = len(items)
    window = _page_range(request)
    if window is None:
        first, last = 0, max(0, total - 1)
        width = max(1, total)
    else:
        first, last = window
        width = last - first + 1
    chunk = items[first : last + 1]
    header = f"items {first}-{first + len(chunk) - 1}/{total}" if chunk else f"items */{total}"
    page_no = first // width + 1
    return sb.page(wrap(chunk), page_no, headers={"Content-Range": header})


def _sort_key(sort: str | None) -> tuple[str, bool]:
    text = (sort or "+id").strip()
    descending = text.startswith("-")
    field = text.lstrip("+-").strip()
    if not re.fullmatch(r"[a-z_]+", field):
        raise QRadarError(422, 1030, f"The sort field {field!r} is not valid.")
    return field, descending


def _fields(spec: str | None, known: set[str]) -> list[str] | None:
    if not spec:
        return None
    names = [part.split("(")[0].strip() for part in re.split(r",(?![^(]*\))", spec)]
    unknown = sorted(n for n in names if n and n not in known)
    if unknown:
        raise QRadarError(422, 1005, f"The fields parameter names unknown fields: {unknown}.")
    return [n for n in names if n]


def _status_doc(search: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in search.items() if not k.startswith("_")}


def make_sandbox(
    seed: int = 7,
    size: int = 200,
    faults: Faults | None = None,
    *,
    now: datetime | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> FastAPI:
    """The QRadar console API over ``size`` offenses and ``max(50, 2 * size)`` Ariel events."""
    extra: dict[str, Any] = {}
    if clock is not None:
        extra["clock"] = clock
    if sleep is not None:
        extra["sleep"] = sleep
    sb = Sandbox(seed=seed, size=size, faults=faults, now=now or NOW, **extra)
    app = FastAPI(title="IBM QRadar REST API (ARIA sandbox)", docs_url=None, redoc_url=None)
    sb.install(app)
    state = QRadarState(sb, generate(seed, size, sb.gen.now))
    app.state.qradar = state
    data = state.data
    search_ids = uuid.uuid5(uuid.NAMESPACE_URL, f"https://qradar.demo.example/{seed}")

    @app.exception_handler(QRadarError)
    async def qradar_error(request: Request, exc: QRadarError) -> Response:
        return exc.response()

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        code = {401: 10, 403: 11, 404: 1002, 405: 1005}.get(exc.status_code, 1020)
        return QRadarError(exc.status_code, code, str(exc.detail)).response()

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        where = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        return QRadarError(422, 1005, f"A request parameter is not valid: {where}").response()

    def authorize(request: Request) -> None:
        state.versions.append(request.headers.get("version"))
        token = request.headers.get("sec")
        if token is None:
            raise QRadarError(401, 10, "No SEC header present in request. Please provide it.")
        try:
            sb.check_api_key(request, DEMO["sec_token"], header="SEC")
        except HTTPException:
            raise QRadarError(401, 11, "The authorized service token is not valid.") from None

    # --- system ------------------------------------------------------------------------------

    @app.get("/api/system/about")
    async def about(request: Request) -> dict[str, Any]:
        authorize(request)
        return {
            "build_version": "2025.1.2.20250402164541",
            "external_version": "7.5.0",
            "release_name": "7.5.0 UpdatePackage 11",
        }

    # --- offenses ----------------------------------------------------------------------------

    @app.get("/api/siem/offenses")
    async def offenses(
        request: Request,
        filter: str | None = None,  # QRadar's parameter name
        sort: str | None = None,
        fields: str | None = None,
    ) -> Response:
        authorize(request)
        try:
            predicate = compile_filter(filter)
        except QueryError as exc:
            raise QRadarError(422, 1010, f"The filter parameter is not valid: {exc}") from None
        known = set().union(*(o.keys() for o in data.offenses)) if data.offenses else set()
        chosen = _fields(fields, known | {"id"})
        field, descending = _sort_key(sort)
        rows = [o for o in data.offenses if predicate(o)]
        rows.sort(key=lambda o: (o.get(field) is None, o.get(field) or 0, o["id"]))
        if descending:
            rows.reverse()
        if chosen is not None:
            rows = [{k: o.get(k) for k in chosen} for o in rows]
        return _ranged(sb, request, rows, lambda chunk: chunk)

    @app.get("/api/siem/offense_closing_reasons")
    async def closing_reasons(
        request: Request, include_reserved: bool = False, include_deleted: bool = False
    ) -> Response:
        authorize(request)
        rows = [
            r
            for r in data.closing_reasons
            if (include_reserved or not r["is_reserved"])
            and (include_deleted or not r["is_deleted"])
        ]
        return _ranged(sb, request, rows, lambda chunk: chunk)

    # --- Ariel searches ----------------------------------------------------------------------

    def find_search(search_id: str) -> dict[str, Any]:
        search = state.searches.get(search_id)
        if search is None:
            raise QRadarError(404, 1002, f"The search {search_id} does not exist.")
        return search

    @app.post("/api/ariel/searches", status_code=201)
    async def create_search(request: Request, query_expression: str | None = None) -> Response:
        authorize(request)
        if not query_expression:
            raise QRadarError(422, 1005, "query_expression or saved_search_id is required.")
        try:
            query = parse_aql(query_expression)
        except QueryError as exc:
            raise QRadarError(
                422,
                2000,
                f"The query_expression contains invalid AQL syntax: {exc}",
                "The query_expression contains invalid AQL syntax.",
            ) from None
        state.queries.append(query_expression)
        number = len(state.searches)
        search_id = str(uuid.uuid5(search_ids, str(number)))
        rows = query.run(data.events if query.table == "events" else [], data.now)
        search: dict[str, Any] = {
            "cursor_id": search_id,
            "status": "WAIT",
            "compressed_data_file_count": 0,
            "compressed_data_total_size": 0,
            "data_file_count": 0,
            "data_total_size": 0,
            "index_file_count": 0,
            "index_total_size": 0,
            "processed_record_count": 0,
            "desired_retention_time_msec": 86_400_000,
            "progress": 0,
            "progress_details": [],
            "query_execution_time": 0,
            "query_string": query_expression,
            "record_count": 0,
            "size_on_disk": 0,
            "save_results": False,
            "completed": False,
            "subsearch_ids": [],
            "snapshot": None,
            "search_id": search_id,
            "_query": query,
            "_rows": rows,
            "_polls": 0,
            "_error": state.search_error,
            "_hangs": state.search_hangs,
        }
        state.searches[search_id] = search
        return JSONResponse(_status_doc(search), status_code=201)

    @app.get("/api/ariel/searches/{search_id}")
    async def search_status(search_id: str, request: Request) -> dict[str, Any]:
        authorize(request)
        search = find_search(search_id)
        if search["status"] in ("COMPLETED", "CANCELED", "ERROR"):
            return _status_doc(search)
        search["_polls"] += 1
        query: AqlQuery = search["_query"]
        if search["_error"] is not None:
            search.update(
                status="ERROR",
                completed=True,
                error_messages=[
                    {
                        "code": "SearchExecutionError",
                        "contexts": [query.text[:200]],
                        "message": search["_error"],
                        "severity": "ERROR",
                    }
                ],
            )
        elif search["_hangs"] or search["_polls"] < state.polls_to_complete:
            share = search["_polls"] / max(1, state.polls_to_complete)
            search.update(status="EXECUTE", progress=min(99, math.floor(100 * share)))
        else:
            rows = search["_rows"]
            search.update(
                status="COMPLETED",
                progress=100,
                completed=True,
                record_count=len(rows),
                processed_record_count=len(data.events),
                query_execution_time=12 * search["_polls"],
            )
        return _status_doc(search)

    @app.post("/api/ariel/searches/{search_id}")
    async def update_search(
        search_id: str, request: Request, status: str | None = None, save_results: str | None = None
    ) -> dict[str, Any]:
        authorize(request)
        search = find_search(search_id)
        if status is not None:
            if status != "CANCELED":
                raise QRadarError(422, 1005, "The only accepted status is CANCELED.")
            if search["status"] not in ("COMPLETED", "ERROR"):
                search.update(status="CANCELED", completed=True)
        if save_results == "true":
            search["save_results"] = True
        return _status_doc(search)

    @app.get("/api/ariel/searches/{search_id}/results")
    async def search_results(search_id: str, request: Request) -> Response:
        authorize(request)
        search = find_search(search_id)
        if search["status"] != "COMPLETED":
            raise QRadarError(
                404, 1003, "Search results not found. The search is still in progress."
            )
        table = search["_query"].table
        return _ranged(sb, request, search["_rows"], lambda chunk: {table: chunk})

    return app
