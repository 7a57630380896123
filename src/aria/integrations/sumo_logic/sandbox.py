"""The Sumo Logic sandbox: the Search Job API, the Cloud SIEM API and an HTTP source, offline.

``make_sandbox(seed, size, faults)`` returns one FastAPI app standing in for two hosts (both
reach it through one in-process transport):

* ``api.<deployment>.sumologic.com/api`` with HTTP Basic (access ID and key):
  ``POST /api/v1/search/jobs`` (202, ``{"id", "link"}``, ``Location`` and a ``JSESSIONID``
  cookie), ``GET|DELETE /api/v1/search/jobs/{id}``, ``.../messages`` and ``.../records``
  (``offset``/``limit`` paging); follow-up calls without the job's session cookie get Sumo's
  404, as on deployments that pin a job to its session. Queries run over seeded log messages
  plus everything the HTTP source received, with :mod:`.sandbox_query`.
  ``GET /api/sec/v1/insights`` and ``/signals`` (``q``, ``offset``, ``limit`` <= 100) answer
  Cloud SIEM's ``{"data": {"objects", "total", "hasNextPage"}, "errors"}``.
* ``endpoint<N>.collection.<deployment>.sumologic.com``: ``POST /receiver/v1/http/{token}``
  stores each line of the body (plain, gzip or deflate) as a message with the
  ``X-Sumo-Category``/``-Name``/``-Host`` metadata, answering 200 with an empty body.

Errors use Sumo's envelopes (``{"status", "id", "code", "message"}`` on the v1 APIs,
``{"data": null, "errors": [...]}`` on Cloud SIEM). ``app.state.sumo`` exposes the data, the
jobs, what the HTTP source received, and knobs for tests: ``polls_before_done``,
``job_outcome`` (``"CANCELLED"``, ``"FORCE PAUSED"``), ``capabilities``, ``enforce_rate``.
"""

from __future__ import annotations

import gzip
import secrets
import uuid
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from aria.integrations.sumo_logic.sandbox_data import SumoData, generate, millis
from aria.integrations.sumo_logic.sandbox_query import QueryError, compile_dsl, compile_search
from aria.sdk.cursors import to_datetime
from aria.sdk.errors import FatalError
from aria.sdk.sandbox import Faults, Sandbox

DEMO_TOKEN = "ZaVnC4dhaV2Hk0y1mQaR7xWbU9oLc3Tf8eJsNpD6gYvK5iBq-demo-source=="  # noqa: S105 - the demo source token
DEMO: dict[str, Any] = {
    "deployment": "us2",
    "access_id": "suDemoAccessId01",
    "access_key": "DemoAccessKey0123456789abcdefDemoAccessKey0123456789abcdef01",
    "http_source_url": f"https://endpoint4.collection.us2.sumologic.com/receiver/v1/http/{DEMO_TOKEN}",
    # Small pages so the demo (and the conformance suite) walk several offsets.
    "page_size": 50,
}
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
SESSION_COOKIE = "JSESSIONID"
MAX_MESSAGES_PAGE = 10_000
MAX_CSE_PAGE = 100
SOURCE_DEFAULT_CATEGORY = "http/aria-default"
INSIGHT_FIELDS = {
    "id",
    "readableId",
    "status",
    "name",
    "description",
    "created",
    "timestamp",
    "closed",
    "lastUpdated",
    "assignee",
    "entity.ip",
    "entity.hostname",
    "entity.username",
    "entity.type",
    "tag",
    "severity",
    "resolution",
    "source",
}
SIGNAL_FIELDS = {
    "id",
    "name",
    "description",
    "timestamp",
    "severity",
    "stage",
    "ruleId",
    "contentType",
    "suppressed",
    "entity.ip",
    "entity.hostname",
    "entity.username",
    "tag",
}


class SumoError(Exception):
    """An error answered in the envelope of the API it happened on."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error_id() -> str:
    raw = uuid.uuid4().hex.upper()
    return f"{raw[:5]}-{raw[5:10]}-{raw[10:15]}"


def v1_error(status: int, code: str, message: str) -> JSONResponse:
    """The v1 APIs' error body (the Search Job API documents it)."""
    body = {"status": status, "id": _error_id(), "code": code, "message": message}
    return JSONResponse(body, status_code=status)


def cse_error(status: int, code: str, message: str) -> JSONResponse:
    """Cloud SIEM's envelope with the error in ``errors``."""
    return JSONResponse(
        {"data": None, "errors": [{"code": code, "message": message}]}, status_code=status
    )


@dataclass
class Job:
    """One search job and the session it belongs to."""

    id: str
    session: str
    query: str
    messages: list[dict[str, Any]]
    records: list[dict[str, Any]] | None
    outcome: str
    polls: int = 0
    deleted: bool = False

    def visible(self, cap: int | None) -> list[dict[str, Any]]:
        """The messages the job has gathered (a force-paused job stops at ``cap``)."""
        return self.messages if cap is None else self.messages[:cap]


@dataclass
class SumoState:
    """The org behind one sandbox app, plus knobs tests use to make things happen."""

    sb: Sandbox
    data: SumoData
    jobs: dict[str, Job] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    cookies_seen: list[str | None] = field(default_factory=list)
    polls_before_done: int = 1
    job_outcome: str = "DONE GATHERING RESULTS"
    force_pause_at: int = 100_000
    capabilities: set[str] = field(default_factory=lambda: {"search", "cse"})
    enforce_rate: bool = False
    tokens: dict[str, str] = field(default_factory=lambda: {DEMO_TOKEN: SOURCE_DEFAULT_CATEGORY})
    _next_message: int = 0

    def counts(self) -> dict[str, int]:
        """Records per stream: what a full read returns."""
        return self.data.counts()

    def ingest(self, lines: list[str], headers: dict[str, str], default_category: str) -> int:
        """Store HTTP source lines as messages, as Sumo does (receipt time = message time)."""
        now = datetime.fromtimestamp(self.sb.clock(), UTC)
        for line in lines:
            self._next_message += 1
            self.data.messages.append(
                {
                    "_messageid": str(-9223372036854000000 + self._next_message),
                    "_messagetime": millis(now),
                    "_receipttime": millis(now),
                    "_raw": line,
                    "_sourcecategory": headers.get("x-sumo-category") or default_category,
                    "_source": "ARIA HTTP source",
                    "_sourcename": headers.get("x-sumo-name") or "Http Input",
                    "_sourcehost": headers.get("x-sumo-host") or "aria",
                    "_collector": "aria-hosted",
                    "_collectorid": "108446799",
                    "_sourceid": "1799",
                    "_size": str(len(line.encode())),
                    "_format": "t:none:o:-1:l:0:p:null",
                    "_blockid": "-9223372036854000000",
                    "_messagecount": str(self._next_message),
                }
            )
        self.received.append({"headers": dict(headers), "lines": list(lines)})
        return len(lines)


class RateLimit:
    """Sumo's documented quota: four API calls a second per user (429 beyond). Off unless
    ``enforce_rate``: it counts by the sandbox clock, which tests share with the client."""

    def __init__(self, app: ASGIApp, state: SumoState) -> None:
        self.app = app
        self.state = state
        self.windows: dict[int, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not self.state.enforce_rate or not path.startswith("/api"):
            await self.app(scope, receive, send)
            return
        second = int(self.state.sb.clock())
        self.windows = {second: self.windows.get(second, 0) + 1}
        if self.windows[second] > 4:
            response = v1_error(
                429,
                "rate.limit.exceeded",
                "The API request rate is higher than 4 request per second.",
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _parse_time(value: Any, zone: str | None, which: str) -> int:
    """A job bound as epoch ms: milliseconds as given, or ISO local time in ``timeZone``."""
    code = f"searchjob.invalid.timestamp.{which}"
    message = f"The '{which}' field contains an invalid time."
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if not isinstance(value, str) or not value.strip():
        raise SumoError(400, code, message)
    if value.strip().isdigit():
        return int(value)
    if not zone:
        raise SumoError(400, "searchjob.empty.timezone", "The 'timezone' cannot be blank.")
    try:
        tz = UTC if zone.upper() in ("UTC", "GMT", "Z") else ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SumoError(
            400, "searchjob.unknown.timezone", "The 'timezone' value is not a known time zone."
        ) from None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise SumoError(400, code, message) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return int(moment.timestamp() * 1000)


def _field_list(rows: list[dict[str, Any]], keys: list[str] | None = None) -> list[dict[str, Any]]:
    names = list(dict.fromkeys(k for row in rows for k in row))
    numeric = {"_messagetime", "_receipttime", "_size", "_messageid", "_count", "_blockid"}
    return [
        {
            "name": name,
            "fieldType": "long" if name in numeric else "string",
            "keyField": bool(keys and name in keys),
        }
        for name in names
    ]


def make_sandbox(
    seed: int = 7,
    size: int = 200,
    faults: Faults | None = None,
    *,
    now: datetime | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> FastAPI:
    """The Sumo Logic APIs over an org of ``size`` insights, signals and log messages."""
    extra: dict[str, Any] = {}
    if clock is not None:
        extra["clock"] = clock
    if sleep is not None:
        extra["sleep"] = sleep
    sb = Sandbox(seed=seed, size=size, faults=faults, now=now or NOW, **extra)
    app = FastAPI(title="Sumo Logic API (ARIA sandbox)", docs_url=None, redoc_url=None)
    sb.install(app)
    state = SumoState(sb, generate(seed, size, sb.gen.now))
    app.add_middleware(RateLimit, state=state)
    app.state.sumo = state
    data = state.data

    def on_cse(request: Request) -> bool:
        return request.url.path.startswith("/api/sec/")

    @app.exception_handler(SumoError)
    async def sumo_error(request: Request, exc: SumoError) -> Response:
        if on_cse(request):
            return cse_error(exc.status, exc.code, exc.message)
        return v1_error(exc.status, exc.code, exc.message)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        codes = {401: "unauthorized", 403: "forbidden", 404: "notfound", 405: "method.unsupported"}
        code = codes.get(exc.status_code, "internal.error")
        if on_cse(request):
            return cse_error(exc.status_code, code, str(exc.detail))
        return v1_error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        where = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        return v1_error(400, "generic", f"Invalid request: {where}")

    def authorize(request: Request, capability: str) -> None:
        try:
            sb.check_basic(request, DEMO["access_id"], DEMO["access_key"])
        except HTTPException:
            raise SumoError(401, "unauthorized", "Credential could not be verified.") from None
        if capability not in state.capabilities:
            raise SumoError(
                403, "forbidden", "This operation is not allowed for your account type."
            )

    # --- Search Job API ------------------------------------------------------------------

    def job_for(request: Request, job_id: str) -> Job:
        authorize(request, "search")
        cookie = request.cookies.get(SESSION_COOKIE)
        state.cookies_seen.append(cookie)
        job = state.jobs.get(job_id)
        if job is None or job.deleted or cookie != job.session:
            # Sumo answers 404 for unknown jobs, and for known ones without their cookie.
            raise SumoError(404, "searchjob.jobid.invalid", "Job ID is invalid.")
        return job

    @app.post("/api/v1/search/jobs")
    async def create_job(request: Request) -> Response:
        authorize(request, "search")
        if "application/json" not in request.headers.get("content-type", ""):
            raise SumoError(415, "contenttype.invalid", "Invalid content type.")
        try:
            body = await request.json()
        except ValueError:
            raise SumoError(400, "generic", "The request body is not valid JSON.") from None
        if not isinstance(body, dict) or not str(body.get("query") or "").strip():
            raise SumoError(400, "searchjob.no.query", "No 'query' parameter was provided.")
        zone = body.get("timeZone") or body.get("timezone")
        start = _parse_time(body.get("from"), zone, "from")
        end = _parse_time(body.get("to"), zone, "to")
        if end < start:
            raise SumoError(
                400,
                "searchjob.to.smaller.than.from",
                "The 'from' time cannot be larger than the 'to' time.",
            )
        try:
            search = compile_search(str(body["query"]))
        except QueryError as exc:
            raise SumoError(400, "searchjob.parse.error", f"Unable to parse query: {exc}") from None
        by_receipt = bool(body.get("byReceiptTime"))
        key = "_receipttime" if by_receipt else "_messagetime"
        in_range = [m for m in data.messages if start <= int(m[key]) < end]
        matched = search.run(in_range)
        # Messages come newest first (by _messagetime), as Sumo pages them.
        matched.sort(key=lambda m: (-int(m["_messagetime"]), m["_messageid"]))
        job_id = secrets.token_hex(8).upper()
        session = secrets.token_urlsafe(16)
        state.jobs[job_id] = Job(
            id=job_id,
            session=session,
            query=str(body["query"]),
            messages=matched,
            records=search.aggregate(matched),
            outcome=state.job_outcome,
        )
        location = f"{str(request.base_url).rstrip('/')}/api/v1/search/jobs/{job_id}"
        response = JSONResponse(
            {"id": job_id, "link": {"rel": "self", "href": location}},
            status_code=202,
            headers={"Location": location},
        )
        response.set_cookie(SESSION_COOKIE, session, path="/api", httponly=True)
        return response

    def cap(job: Job) -> int | None:
        return state.force_pause_at if job.outcome == "FORCE PAUSED" else None

    @app.get("/api/v1/search/jobs/{job_id}")
    async def job_status(job_id: str, request: Request) -> dict[str, Any]:
        job = job_for(request, job_id)
        job.polls += 1
        done = job.polls > state.polls_before_done
        gathered = job.visible(cap(job))
        if not done:
            gathered = gathered[: len(gathered) // 2]
        records = job.records or []
        return {
            "state": job.outcome if done else "GATHERING RESULTS",
            "messageCount": len(gathered),
            "recordCount": len(records) if done else len(records) // 2,
            "histogramBuckets": [],
            "pendingErrors": [],
            "pendingWarnings": [],
        }

    def page_bounds(offset: int | None, limit: int | None) -> tuple[int, int]:
        if offset is None:
            raise SumoError(400, "searchjob.offset.missing", "Offset is missing.")
        if limit is None:
            raise SumoError(400, "searchjob.limit.missing", "Limit is missing.")
        if offset < 0:
            raise SumoError(400, "searchjob.offset.negative", "Offset cannot be negative.")
        if limit == 0:
            raise SumoError(400, "searchjob.limit.zero", "Limit cannot be 0.")
        if limit < 0:
            raise SumoError(400, "searchjob.limit.negative", "Limit cannot be negative.")
        return offset, min(limit, MAX_MESSAGES_PAGE)

    @app.get("/api/v1/search/jobs/{job_id}/messages")
    async def job_messages(
        job_id: str, request: Request, offset: int | None = None, limit: int | None = None
    ) -> Response:
        job = job_for(request, job_id)
        start, count = page_bounds(offset, limit)
        rows = job.visible(cap(job))[start : start + count]
        body = {"fields": _field_list(rows), "messages": [{"map": row} for row in rows]}
        return sb.page(body, start // count + 1)

    @app.get("/api/v1/search/jobs/{job_id}/records")
    async def job_records(
        job_id: str, request: Request, offset: int | None = None, limit: int | None = None
    ) -> Response:
        job = job_for(request, job_id)
        start, count = page_bounds(offset, limit)
        if job.records is None:
            raise SumoError(
                400,
                "searchjob.no.records.not.an.aggregation.query",
                "No records; query is not an aggregation",
            )
        rows = job.records[start : start + count]
        keys = [k for k in (rows[0] if rows else {}) if k != "_count"]
        body = {"fields": _field_list(rows, keys), "records": [{"map": row} for row in rows]}
        return sb.page(body, start // count + 1)

    @app.delete("/api/v1/search/jobs/{job_id}")
    async def delete_job(job_id: str, request: Request) -> dict[str, Any]:
        job = job_for(request, job_id)
        job.deleted = True
        return {"id": job.id}

    # --- Cloud SIEM ----------------------------------------------------------------------

    def cse_list(
        request: Request, rows: list[dict[str, Any]], fields: set[str], order: str
    ) -> Response:
        authorize(request, "cse")
        params = request.query_params
        try:
            offset = int(params.get("offset", 0))
            limit = int(params.get("limit", 20))
        except ValueError:
            raise SumoError(
                400, "api:invalid_params", "offset and limit must be integers"
            ) from None
        if offset < 0 or not 1 <= limit <= MAX_CSE_PAGE:
            raise SumoError(
                400, "api:invalid_params", f"limit must be 1..{MAX_CSE_PAGE} and offset >= 0"
            )
        try:
            predicate = compile_dsl(params.get("q"), fields)
        except (QueryError, FatalError) as exc:
            raise SumoError(400, "api:invalid_query", f"Invalid query: {exc}") from None
        chosen = [r for r in rows if predicate(r)]
        chosen.sort(key=lambda r: (to_datetime(r[order]) or data.now, str(r["id"])))
        page = chosen[offset : offset + limit]
        body = {
            "data": {
                "objects": page,
                "total": len(chosen),
                "hasNextPage": offset + limit < len(chosen),
            },
            "errors": [],
        }
        return sb.page(body, offset // limit + 1)

    def cse_one(request: Request, rows: list[dict[str, Any]], object_id: str, what: str) -> Any:
        authorize(request, "cse")
        found = next((r for r in rows if str(r["id"]) == object_id), None)
        if found is None:
            raise SumoError(404, "not_found", f"{what} {object_id} was not found")
        return {"data": found, "errors": []}

    @app.get("/api/sec/v1/insights")
    async def list_insights(request: Request) -> Response:
        return cse_list(request, data.insights, INSIGHT_FIELDS, "created")

    @app.get("/api/sec/v1/insights/{insight_id}")
    async def get_insight(insight_id: str, request: Request) -> Any:
        return cse_one(request, data.insights, insight_id, "Insight")

    @app.get("/api/sec/v1/signals")
    async def list_signals(request: Request) -> Response:
        return cse_list(request, data.signals, SIGNAL_FIELDS, "timestamp")

    @app.get("/api/sec/v1/signals/{signal_id}")
    async def get_signal(signal_id: str, request: Request) -> Any:
        return cse_one(request, data.signals, signal_id, "Signal")

    # --- HTTP Logs and Metrics source (the collection endpoint) ---------------------------

    @app.post("/receiver/v1/http/{token}")
    async def http_source(token: str, request: Request) -> Response:
        category = state.tokens.get(token)
        if category is None:
            return Response("Unauthorized", status_code=401, media_type="text/plain")
        payload = await request.body()
        encoding = request.headers.get("content-encoding", "").lower()
        try:
            if encoding == "gzip":
                payload = gzip.decompress(payload)
            elif encoding == "deflate":
                payload = zlib.decompress(payload)
            elif encoding:
                return Response("Unsupported encoding", status_code=415, media_type="text/plain")
            text = payload.decode("utf-8")
        except (OSError, zlib.error, UnicodeDecodeError):
            return Response("Bad payload", status_code=400, media_type="text/plain")
        lines = [line for line in text.splitlines() if line.strip()]
        headers = {
            k.lower(): v for k, v in request.headers.items() if k.lower().startswith("x-sumo")
        }
        state.ingest(lines, headers, category)
        return Response(status_code=200)

    return app
