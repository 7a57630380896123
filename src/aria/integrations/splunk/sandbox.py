"""The Splunk sandbox: the REST management API and the HTTP Event Collector, offline.

One FastAPI app stands in for both hosts (everything reaches it through one in-process
transport; their paths do not collide):

* ``GET /services/server/info``, ``GET /services/authentication/current-context``;
* search jobs: ``POST /services/search/jobs`` (form body; 400 with Splunk's FATAL message for
  a search the evaluator rejects), ``GET /services/search/jobs/{sid}`` (``dispatchState``
  QUEUED -> RUNNING -> DONE over successive polls, or FAILED), ``GET .../{sid}/results``
  (``offset``/``count``, 204 while running), ``DELETE /services/search/jobs/{sid}``;
* HEC: ``POST /services/collector/event`` (``Authorization: Splunk <token>``, concatenated JSON
  events, the token's allowed indexes, reply codes 0-13), ``GET /services/collector/health``.

REST calls take the demo token as ``Authorization: Bearer`` or the demo user with HTTP Basic;
anything else is Splunk's 401 (``{"messages": [{"type": "WARN", "text": "call not properly
authenticated"}]}``). Searches run over the seeded notables (``index=notable``), authentication
events (``index=main``) and every event HEC accepted, through :mod:`.sandbox_spl`.
``app.state.splunk`` exposes the data, the jobs and test hooks (fail a search, disable or busy
the HEC token, change a notable's review status).
"""

from __future__ import annotations

import itertools
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from aria.integrations.splunk.sandbox_data import (
    NOW,
    SEARCH_HEAD,
    STATUSES,
    URGENCY,
    Review,
    event_id,
    main_events,
    notables,
)
from aria.integrations.splunk.sandbox_spl import (
    Event,
    SplError,
    in_indexes,
    iso,
    parse,
    resolve_time,
)
from aria.sdk.cursors import to_datetime
from aria.sdk.sandbox import Faults, Sandbox

DEMO_TOKEN = "eyJraWQiOiJzcGx1bmsuc2VjcmV0IiwiYWxnIjoiSFM1MTIifQ.aria-sandbox.demo-token"  # noqa: S105
DEMO_USER = "aria-svc"
DEMO_PASSWORD = "aria-sandbox-Passw0rd!"  # noqa: S105
HEC_TOKEN = "6b1f5c1e-9e2a-4c55-8d1a-3f0a7b2c9d41"  # noqa: S105
DEMO: dict[str, Any] = {
    "base_url": "https://splunk.example.com:8089",
    "auth_token": DEMO_TOKEN,
    "hec_url": "https://splunk.example.com:8088",
    "hec_token": HEC_TOKEN,
    "index": "aria",
    # The sandbox's notables are from May 2025: read them all on the first sync.
    "first_sync_days": 0,
    # Small pages so the demo (and the conformance suite) walk several results pages.
    "page_size": 50,
}
VERSION = "9.3.2"
MAX_RESULT_ROWS = 50_000  # limits.conf maxresultrows
DEFAULT_MAX_COUNT = 10_000
HEC_DEFAULT_INDEX = "main"
HEC_INDEXES = ("main", "aria")
INDEXES = ("main", "notable", "aria", "_internal")


def messages(kind: str, text: str, status: int, headers: dict[str, str] | None = None) -> Any:
    """Splunk's error envelope for the REST API."""
    return JSONResponse(
        {"messages": [{"type": kind, "text": text}]}, status_code=status, headers=headers
    )


def hec_reply(code: int, text: str, status: int, bad: int | None = None) -> JSONResponse:
    """HEC's ``{"text", "code"}`` answer."""
    body: dict[str, Any] = {"text": text, "code": code}
    if bad is not None:
        body["invalid-event-number"] = bad
    return JSONResponse(body, status_code=status)


@dataclass
class Job:
    """A search job: what it searched, its results, and how far along it is."""

    sid: str
    search: str
    earliest: float | None
    latest: float
    results: list[Event]
    total: int
    published: str
    polls_needed: int
    failure: str | None = None
    polls: int = 0

    @property
    def state(self) -> str:
        if self.polls == 0:
            return "QUEUED"
        if self.polls < self.polls_needed:
            return "RUNNING"
        return "FAILED" if self.failure else "DONE"


@dataclass
class SplunkState:
    """The deployment behind one sandbox app, plus the hooks tests use."""

    sb: Sandbox
    notables: list[Event]
    reviews: dict[str, Review]
    events: list[Event]
    polls_needed: int = 2
    jobs: dict[str, Job] = field(default_factory=dict)
    dispatched: list[dict[str, str]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    ingested: list[Event] = field(default_factory=list)
    hec_requests: list[bytes] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    hec_disabled: bool = False
    hec_busy: bool = False
    _sids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def now(self) -> float:
        """Splunk's clock: the wall clock, never before the seeded data's NOW."""
        return max(NOW.timestamp(), self.sb.clock())

    def fail_searches(self, containing: str, message: str) -> None:
        """Jobs whose search contains ``containing`` end FAILED with ``message``."""
        self.failures[containing] = message

    def review(self, event: str, status: str, owner: str | None = None) -> None:
        """Set a notable's Incident Review status (an id from ``STATUSES``) and owner."""
        current = self.reviews[event]
        self.reviews[event] = Review(status=status, owner=owner or current.owner)

    def expire_jobs(self) -> None:
        """Drop every job, as their ttl running out would."""
        self.jobs.clear()

    def searchable(self) -> list[Event]:
        """Every event, in index order (seeded, then ingested)."""
        return [*self.notables, *self.events, *self.ingested]

    def next_sid(self) -> str:
        return f"{int(self.now())}.{next(self._sids)}"

    def enrich(self, record: Event) -> Event:
        """What ES's `notable` macro adds: event_id, review status, owner and urgency."""
        out = dict(record)
        eid = event_id(record)
        review = self.reviews.get(eid, Review(status="1", owner="unassigned"))
        _, label, description, end = next(
            (s for s in STATUSES if s[0] == review.status), STATUSES[0]
        )
        priority = str(record.get("dest_priority") or "unknown")
        severity = str(record.get("severity") or "unknown")
        out.update(
            event_id=eid,
            status=review.status,
            status_label=label,
            status_description=description,
            status_end="true" if end else "false",
            owner=review.owner,
            owner_realname="unassigned" if review.owner == "unassigned" else review.owner,
            urgency=URGENCY.get((priority, severity), severity),
        )
        return out


def make_sandbox(
    seed: int = 7,
    size: int = 200,
    faults: Faults | None = None,
    *,
    polls_until_done: int = 2,
    now: datetime | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> FastAPI:
    """Splunk with ``size`` notables and ``max(10, size // 2)`` events in index=main; a job is
    DONE on its ``polls_until_done``-th status check."""
    extra: dict[str, Any] = {}
    if clock is not None:
        extra["clock"] = clock
    if sleep is not None:
        extra["sleep"] = sleep
    sb = Sandbox(seed=seed, size=size, faults=faults, now=now or NOW, **extra)
    app = FastAPI(title="Splunk REST API and HTTP Event Collector (ARIA sandbox)", docs_url=None)
    sb.install(app)
    records, reviews = notables(seed, size)
    state = SplunkState(
        sb=sb,
        notables=records,
        reviews=reviews,
        events=main_events(seed, size),
        polls_needed=max(1, polls_until_done),
    )
    app.state.splunk = state

    @app.exception_handler(HTTPException)
    async def splunk_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 401:
            return messages("WARN", "call not properly authenticated", 401, exc.headers)
        return messages("ERROR", str(exc.detail), exc.status_code, exc.headers)

    def authorize(request: Request) -> None:
        scheme = request.headers.get("authorization", "").partition(" ")[0].lower()
        if scheme == "basic":
            sb.check_basic(request, DEMO_USER, DEMO_PASSWORD)
        else:
            sb.check_bearer(request, DEMO_TOKEN)

    def json_only(request: Request, form: dict[str, str] | None = None) -> Response | None:
        mode = request.query_params.get("output_mode") or (form or {}).get("output_mode")
        if mode == "json":
            return None
        return Response(
            '<?xml version="1.0" encoding="UTF-8"?>\n<response><messages><msg type="ERROR">'
            "The ARIA sandbox answers output_mode=json only</msg></messages></response>",
            status_code=400,
            media_type="text/xml",
        )

    def feed(origin: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "links": {},
            "origin": origin,
            "updated": iso(state.now()),
            "generator": {"build": "20ff246c8e1c", "version": VERSION},
            "entry": entries,
            "paging": {"total": len(entries), "perPage": 30, "offset": 0},
            "messages": [],
        }

    # --- server ----------------------------------------------------------------------------

    @app.get("/services/server/info")
    async def server_info(request: Request) -> Response:
        authorize(request)
        refused = json_only(request)
        if refused is not None:
            return refused
        base = str(request.base_url).rstrip("/")
        content = {
            "serverName": SEARCH_HEAD,
            "version": VERSION,
            "build": "20ff246c8e1c",
            "product_type": "enterprise",
            "os_name": "Linux",
            "server_roles": ["search_head", "kv_store"],
            "startup_time": int(NOW.timestamp()) - 86400,
        }
        entry = {"name": "server-info", "id": f"{base}/services/server/info/server-info"}
        return JSONResponse(feed(f"{base}/services/server/info", [{**entry, "content": content}]))

    @app.get("/services/authentication/current-context")
    async def current_context(request: Request) -> Response:
        authorize(request)
        refused = json_only(request)
        if refused is not None:
            return refused
        base = str(request.base_url).rstrip("/")
        basic = request.headers.get("authorization", "").lower().startswith("basic")
        content = {
            "username": DEMO_USER,
            "roles": ["ess_analyst", "user"],
            "capabilities": ["search", "list_search_head_clustering", "edit_notable_events"],
            "tokenAuth": not basic,
        }
        entry = {"name": "context", "content": content}
        return JSONResponse(feed(f"{base}/services/authentication/current-context", [entry]))

    # --- search jobs -----------------------------------------------------------------------

    @app.post("/services/search/jobs")
    async def create_job(request: Request) -> Response:
        authorize(request)
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        refused = json_only(request, form)
        if refused is not None:
            return refused
        state.dispatched.append(form)
        search = form.get("search", "")
        if not search.strip():
            return messages("FATAL", "Empty search.", 400)
        if form.get("exec_mode", "normal") != "normal":
            return messages("FATAL", "The ARIA sandbox runs exec_mode=normal jobs only.", 400)
        now = state.now()
        try:
            query = parse(search)
            job_earliest = resolve_time(form.get("earliest_time"), now)
            job_latest = resolve_time(form.get("latest_time"), now)
            earliest = resolve_time(query.earliest, now) if query.earliest else job_earliest
            latest = resolve_time(query.latest, now) if query.latest else job_latest
        except SplError as exc:
            return messages("FATAL", str(exc), 400)
        latest = now if latest is None else latest
        found = []
        for event in state.searchable():
            stamp = to_datetime(event["_time"])
            moment = stamp.timestamp() if stamp else 0.0
            if earliest is not None and moment < earliest:
                continue
            if moment >= latest:
                continue
            if query.notable:
                if event.get("index") != "notable":
                    continue
                event = state.enrich(event)
            elif not in_indexes(str(event.get("index")), query.indexes):
                continue
            if all(p(event) for p in query.predicates):
                found.append((moment, event))
        # Splunk returns events newest first.
        ordered = [e for _, e in sorted(found, key=lambda pair: -pair[0])]
        try:
            for command in query.pipeline:
                ordered = command(ordered)
        except SplError as exc:
            return messages("FATAL", str(exc), 400)
        try:
            max_count = int(form.get("max_count") or DEFAULT_MAX_COUNT)
        except ValueError:
            return messages("FATAL", "max_count must be an integer.", 400)
        kept = ordered[:max_count]
        failure = next((m for s, m in state.failures.items() if s in search), None)
        sid = state.next_sid()
        state.jobs[sid] = Job(
            sid=sid,
            search=search,
            earliest=earliest,
            latest=latest,
            results=kept,
            total=len(kept),
            published=iso(now),
            polls_needed=state.polls_needed,
            failure=failure,
        )
        return JSONResponse({"sid": sid}, status_code=201)

    def find(sid: str) -> Job:
        job = state.jobs.get(sid)
        if job is None:
            raise HTTPException(404, "Unknown sid.")
        return job

    @app.get("/services/search/jobs/{sid}")
    async def job_status(sid: str, request: Request) -> Response:
        authorize(request)
        refused = json_only(request)
        if refused is not None:
            return refused
        job = find(sid)
        job.polls += 1
        dispatch = job.state
        done = dispatch in ("DONE", "FAILED")
        base = str(request.base_url).rstrip("/")
        content: dict[str, Any] = {
            "sid": sid,
            "dispatchState": dispatch,
            "isDone": done,
            "isFailed": dispatch == "FAILED",
            "isFinalized": False,
            "isPaused": False,
            "doneProgress": 1.0 if done else round(job.polls / job.polls_needed, 2),
            "eventCount": job.total if done else 0,
            "resultCount": job.total if done and not job.failure else 0,
            "scanCount": len(state.searchable()) if done else 0,
            "eventSearch": job.search,
            "latestTime": iso(job.latest),
            "ttl": 600,
            "messages": ([{"type": "FATAL", "text": job.failure}] if dispatch == "FAILED" else []),
        }
        if job.earliest is not None:
            content["earliestTime"] = iso(job.earliest)
        entry = {
            "name": job.search,
            "id": f"{base}/services/search/jobs/{sid}",
            "updated": iso(state.now()),
            "published": job.published,
            "author": DEMO_USER,
            "content": content,
        }
        return JSONResponse(feed(f"{base}/services/search/jobs", [entry]))

    @app.get("/services/search/jobs/{sid}/results")
    async def job_results(sid: str, request: Request) -> Response:
        authorize(request)
        refused = json_only(request)
        if refused is not None:
            return refused
        job = find(sid)
        if job.state != "DONE":
            return Response(status_code=204)
        try:
            offset = int(request.query_params.get("offset", 0))
            count = int(request.query_params.get("count", 100))
        except ValueError:
            return messages("ERROR", "offset and count must be integers.", 400)
        if offset < 0 or count < 0:
            return messages("ERROR", "offset and count must not be negative.", 400)
        count = min(count or MAX_RESULT_ROWS, MAX_RESULT_ROWS)
        page_no = offset // count + 1
        if sb.faults.repeat_cursor == page_no and offset >= count:
            offset -= count  # a server stuck on the previous page (a paging loop)
        rows = job.results[offset : offset + count]
        names = sorted({name for row in rows for name in row})
        body = {
            "preview": False,
            "init_offset": offset,
            "messages": [],
            "fields": [{"name": name} for name in names],
            "results": rows,
            "highlighted": {},
        }
        return sb.page(body, page_no)

    @app.delete("/services/search/jobs/{sid}")
    async def delete_job(sid: str, request: Request) -> Response:
        authorize(request)
        find(sid)
        del state.jobs[sid]
        state.deleted.append(sid)
        return messages("INFO", "Search job cancelled.", 200)

    # --- HTTP Event Collector --------------------------------------------------------------

    @app.get("/services/collector/health")
    async def hec_health() -> Response:
        if state.hec_busy:
            return hec_reply(18, "HEC is unhealthy, queues are full", 503)
        return hec_reply(17, "HEC is healthy", 200)

    @app.post("/services/collector/event")
    @app.post("/services/collector")
    async def hec_event(request: Request) -> Response:
        if "token" in request.query_params:
            return hec_reply(16, "Query string authorization is not enabled", 400)
        header = request.headers.get("authorization")
        if not header:
            return hec_reply(2, "Token is required", 401)
        scheme, _, token = header.partition(" ")
        if scheme != "Splunk" or not token:
            return hec_reply(3, "Invalid authorization", 401)
        if not secrets.compare_digest(token.encode(), HEC_TOKEN.encode()):
            return hec_reply(4, "Invalid token", 403)
        if state.hec_disabled:
            return hec_reply(1, "Token disabled", 403)
        if state.hec_busy:
            return hec_reply(9, "Server is busy", 503)
        raw = await request.body()
        state.hec_requests.append(raw)
        text = raw.decode("utf-8", errors="replace")
        if not text.strip():
            return hec_reply(5, "No data", 400)
        decoder = json.JSONDecoder()
        position, number = 0, 0
        while True:
            while position < len(text) and text[position].isspace():
                position += 1
            if position >= len(text):
                break
            try:
                item, position = decoder.raw_decode(text, position)
            except ValueError:
                return hec_reply(6, "Invalid data format", 400, number)
            if not isinstance(item, dict):
                return hec_reply(6, "Invalid data format", 400, number)
            if "event" not in item:
                return hec_reply(12, "Event field is required", 400, number)
            if item["event"] in ("", None, {}):
                return hec_reply(13, "Event field cannot be blank", 400, number)
            index = str(item.get("index") or HEC_DEFAULT_INDEX)
            if index not in HEC_INDEXES:
                return hec_reply(7, "Incorrect index", 400, number)
            state.ingested.append(_indexed(item, index, state, len(state.ingested)))
            number += 1
        return hec_reply(0, "Success", 200)

    return app


def _indexed(item: dict[str, Any], index: str, state: SplunkState, serial: int) -> Event:
    """An HEC event as a search returns it: metadata, ``_raw`` and its JSON fields extracted
    (AUTO_KV_JSON), values as strings."""
    now = state.now()
    try:
        moment = float(item["time"]) if item.get("time") is not None else now
    except (TypeError, ValueError):
        moment = now
    event = item["event"]
    raw = json.dumps(event, separators=(",", ":")) if isinstance(event, dict | list) else str(event)
    sourcetype = str(item.get("sourcetype") or "httpevent")
    record: Event = {
        "_bkt": f"{index}~{900 + serial // 1000}~7E2A9C41-0B3D-4F5E-8A6B-1C2D3E4F5A6B",
        "_cd": f"{900 + serial // 1000}:{serial}",
        "_indextime": str(int(now)),
        "_raw": raw,
        "_serial": str(serial),
        "_si": ["idx-01", index],
        "_sourcetype": sourcetype,
        "_time": iso(moment),
        "host": str(item.get("host") or "hec-client"),
        "index": index,
        "linecount": "1",
        "source": str(item.get("source") or "http:aria"),
        "sourcetype": sourcetype,
        "splunk_server": "idx-01",
    }
    if isinstance(event, dict):
        for name, value in _flatten(event):
            record.setdefault(name, value)
    return record


def _flatten(value: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            out.extend(_flatten(item, f"{name}."))
        elif isinstance(item, list):
            out.append((f"{name}{{}}", [_text(v) for v in item if v is not None]))
        elif item is not None:
            out.append((name, _text(item)))
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


__all__ = [
    "DEMO",
    "DEMO_PASSWORD",
    "DEMO_TOKEN",
    "DEMO_USER",
    "HEC_TOKEN",
    "SplunkState",
    "make_sandbox",
]
