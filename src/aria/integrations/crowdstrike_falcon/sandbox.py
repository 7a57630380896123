"""The Falcon API sandbox: the real paths, OAuth2, envelopes, pagination and FQL, offline.

``make_sandbox(seed, size, faults)`` returns a FastAPI app serving a synthetic tenant
(:mod:`.sandbox_data`) the way Falcon does:

* ``POST /oauth2/token``: client credentials (form), bearer tokens valid for 1799 s;
* ID queries with ``offset``/``limit`` (alerts, incidents, devices), a scroll token
  (``devices-scroll``) or an ``after`` cursor (Spotlight), then entity hydration;
* FQL ``filter`` (see :mod:`.fql`) and ``sort`` on every query; Spotlight insists on a filter;
* Falcon envelopes for data and errors, 401 for a missing or expired token, 403 when the
  API client lacks the scope, 429 beyond 6000 requests a minute with
  ``X-RateLimit-RetryAfter`` (epoch seconds), ``X-RateLimit-Limit``/``-Remaining`` always;
* :class:`aria.sdk.sandbox.Faults` for latency, 5xx, token expiry, 429s, broken pages and
  repeated cursors.

``app.state.falcon`` exposes the data (``counts()``) and ``touch()`` to simulate activity.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aria.integrations.crowdstrike_falcon.fql import FqlError, compile_filter, parse_time, sort_key
from aria.integrations.crowdstrike_falcon.sandbox_data import FalconData, generate
from aria.sdk.paths import resolve
from aria.sdk.sandbox import Faults, Sandbox

DEMO: dict[str, Any] = {
    "cloud": "us-1",
    "client_id": "falcon-demo-client",
    "client_secret": "falcon-demo-secret-0001",
    "webhook_secret": "falcon-demo-webhook-hmac-key",
}
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
TOKEN_TTL = 1799.0
RATE_LIMIT = 6000
MAX_OFFSET = 10_000  # offset-paginated queries stop here; Falcon suggests scroll/after APIs
SCOPES = frozenset(
    {"alerts:read", "hosts:read", "incidents:read", "spotlight-vulnerabilities:read"}
)


class FalconState:
    """The tenant behind one sandbox app, plus helpers tests use to make things happen."""

    def __init__(self, sb: Sandbox, data: FalconData, scopes: Iterable[str]) -> None:
        self.sb = sb
        self.data = data
        self.scopes = frozenset(scopes)
        self.traces = 0

    def counts(self) -> dict[str, int]:
        """Records per stream: what a full read returns."""
        return self.data.counts()

    def touch(self, stream: str, count: int, *, seconds: int = 60) -> list[str]:
        """Update the first ``count`` records of ``stream`` to ``seconds`` after the newest
        (as analysts and sensors do); returns their ids for assertions."""
        rows, key, cursor = {
            "alerts": (self.data.alerts, "composite_id", "updated_timestamp"),
            "devices": (self.data.devices, "device_id", "modified_timestamp"),
            "incidents": (self.data.incidents, "incident_id", "modified_timestamp"),
            "vulnerabilities": (self.data.vulnerabilities, "id", "updated_timestamp"),
        }[stream]
        moment = self.data.latest() + timedelta(seconds=seconds)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        for index, row in enumerate(rows[:count]):
            rows[index] = {**row, cursor: stamp}
        return [str(row[key]) for row in rows[:count]]

    def envelope(
        self,
        resources: list[Any],
        *,
        powered_by: str,
        pagination: dict[str, Any] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Falcon's response shape."""
        self.traces += 1
        meta: dict[str, Any] = {
            "query_time": round(0.004 + (self.traces % 97) / 10_000, 9),
            "powered_by": powered_by,
            "trace_id": str(uuid.UUID(int=(self.sb.gen.seed << 64) + self.traces, version=4)),
        }
        if pagination is not None:
            meta["pagination"] = pagination
        return {"meta": meta, "resources": resources, "errors": errors or []}


class RateLimitHeaders:
    """Falcon's quota headers on every response; 429 beyond ``limit`` requests a minute."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox, limit: int = RATE_LIMIT) -> None:
        self.app = app
        self.sandbox = sandbox
        self.limit = limit
        self.window_start = -math.inf
        self.count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        now = self.sandbox.clock()
        if now - self.window_start >= 60:
            self.window_start, self.count = now, 0
        self.count += 1
        retry_at = str(math.ceil(max(now + self.sandbox.faults.retry_after, now)))
        if self.count > self.limit and scope.get("path") != "/oauth2/token":
            response = JSONResponse(
                {
                    "meta": {},
                    "resources": [],
                    "errors": [{"code": 429, "message": "API rate limit exceeded."}],
                },
                status_code=429,
                headers={
                    "X-RateLimit-Limit": str(self.limit),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-RetryAfter": str(math.ceil(self.window_start + 60)),
                },
            )
            await response(scope, receive, send)
            return
        remaining = str(max(0, self.limit - self.count))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-RateLimit-Limit"] = str(self.limit)
                headers["X-RateLimit-Remaining"] = remaining
                if message["status"] == 429:
                    headers["X-RateLimit-RetryAfter"] = retry_at
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _sortable(value: Any) -> tuple[int, Any]:
    if value is None or value == "":
        return (0, "")
    moment = parse_time(value)
    if moment is not None:
        return (1, moment.timestamp())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (1, float(value))
    return (2, str(value).lower())


def select(
    rows: list[dict[str, Any]], filter_: str | None, sort: str | None, default_sort: str, key: str
) -> list[dict[str, Any]]:
    """Filter with FQL and sort (ties broken by id, so pages are stable)."""
    try:
        predicate = compile_filter(filter_)
    except FqlError as exc:
        raise HTTPException(400, f"Invalid filter: {exc}") from None
    field, descending = sort_key(sort, default_sort)
    chosen = [row for row in rows if predicate(row)]
    chosen.sort(key=lambda row: (_sortable(resolve(row, field)), str(row[key])), reverse=descending)
    return chosen


def _limit(limit: int, maximum: int) -> None:
    if not 1 <= limit <= maximum:
        raise HTTPException(400, f"limit must be between 1 and {maximum}")


def _text_search(
    rows: list[dict[str, Any]], q: str | None, fields: tuple[str, ...]
) -> list[dict[str, Any]]:
    if not q:
        return rows
    needle = q.lower()
    return [r for r in rows if any(needle in str(resolve(r, f) or "").lower() for f in fields)]


def make_sandbox(
    seed: int = 7,
    size: int = 200,
    faults: Faults | None = None,
    *,
    scopes: Iterable[str] = SCOPES,
    now: datetime | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> FastAPI:
    """The Falcon API with ``size`` alerts and hosts, ``size // 3`` incidents and
    ``1.5 * size`` vulnerabilities; ``scopes`` limits what the demo API client reads."""
    extra: dict[str, Any] = {}
    if clock is not None:
        extra["clock"] = clock
    if sleep is not None:
        extra["sleep"] = sleep
    sb = Sandbox(seed=seed, size=size, faults=faults, now=now or NOW, **extra)
    app = FastAPI(title="CrowdStrike Falcon API (ARIA sandbox)", docs_url=None, redoc_url=None)
    sb.install(app)
    app.add_middleware(RateLimitHeaders, sandbox=sb)
    sb.add_token_endpoint(
        app,
        "/oauth2/token",
        client_id=DEMO["client_id"],
        client_secret=DEMO["client_secret"],
        ttl=TOKEN_TTL,
    )
    state = FalconState(sb, generate(seed, size, sb.gen.now), scopes)
    app.state.falcon = state
    data = state.data

    @app.exception_handler(HTTPException)
    async def falcon_error(request: Request, exc: HTTPException) -> Response:
        body = state.envelope(
            [],
            powered_by="crowdstrike-api-gateway",
            errors=[{"code": exc.status_code, "message": str(exc.detail)}],
        )
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def falcon_bad_request(request: Request, exc: RequestValidationError) -> Response:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        body = state.envelope(
            [],
            powered_by="crowdstrike-api-gateway",
            errors=[{"code": 400, "message": f"invalid parameters: {fields}"}],
        )
        return JSONResponse(body, status_code=400)

    def scope(name: str) -> Any:
        async def dependency(request: Request) -> None:
            sb.check_bearer(request)
            if name not in state.scopes:
                raise HTTPException(403, "access denied, authorization failed")

        return Depends(dependency)

    async def ids_from_body(request: Request, field: str, maximum: int) -> list[str]:
        try:
            body = await request.json()
        except ValueError:
            raise HTTPException(400, "request body is not valid JSON") from None
        ids = body.get(field) if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise HTTPException(400, f'body must be {{"{field}": [...]}}')
        if len(ids) > maximum:
            raise HTTPException(400, f"at most {maximum} ids per request")
        return ids

    def hydrate(
        rows: list[dict[str, Any]], key: str, ids: list[str], powered_by: str
    ) -> dict[str, Any]:
        index = {str(r[key]): r for r in rows}
        found = [index[i] for i in ids if i in index]
        errors = [{"code": 404, "message": f"ID {i} not found"} for i in ids if i not in index]
        return state.envelope(found, powered_by=powered_by, errors=errors)

    def offset_page(ids: list[str], offset: int, limit: int, powered_by: str) -> Response:
        if offset < 0 or offset >= MAX_OFFSET:
            raise HTTPException(400, f"offset must be between 0 and {MAX_OFFSET - 1}")
        page = offset // limit + 1
        start = offset
        if sb.faults.repeat_cursor == page and offset >= limit:
            start = offset - limit  # the vendor bug: the previous page served again
        body = state.envelope(
            ids[start : start + limit],
            powered_by=powered_by,
            pagination={"offset": offset, "limit": limit, "total": len(ids)},
        )
        return sb.page(body, page)

    # --- alerts -------------------------------------------------------------------------

    @app.get("/alerts/queries/alerts/v2", dependencies=[scope("alerts:read")])
    async def query_alerts(
        offset: int = 0,
        limit: int = 100,
        sort: str | None = None,
        filter: str | None = None,
        q: str | None = None,
    ) -> Response:
        _limit(limit, 10_000)
        rows = select(data.alerts, filter, sort, "updated_timestamp.asc", "composite_id")
        rows = _text_search(
            rows, q, ("display_name", "description", "device.hostname", "cmdline", "filename")
        )
        return offset_page([r["composite_id"] for r in rows], offset, limit, "detectsapi")

    @app.post("/alerts/entities/alerts/v2", dependencies=[scope("alerts:read")])
    async def alert_entities(request: Request) -> dict[str, Any]:
        ids = await ids_from_body(request, "composite_ids", 1000)
        return hydrate(data.alerts, "composite_id", ids, "detectsapi")

    # --- hosts --------------------------------------------------------------------------

    @app.get("/devices/queries/devices-scroll/v1", dependencies=[scope("hosts:read")])
    async def scroll_devices(
        offset: str | None = None,
        limit: int = 100,
        sort: str | None = None,
        filter: str | None = None,
    ) -> Response:
        _limit(limit, 10_000)
        rows = select(data.devices, filter, sort, "device_id.asc", "device_id")
        start = sb.decode_cursor(offset)
        page = start // limit + 1
        following = sb.encode_cursor(start + limit)
        token = sb.next_cursor(page, offset, following)
        body = state.envelope(
            [r["device_id"] for r in rows[start : start + limit]],
            powered_by="device-api",
            pagination={
                "total": len(rows),
                "offset": token,
                "expires_at": int((sb.clock() + 120) * 1e9),
            },
        )
        return sb.page(body, page)

    @app.get("/devices/queries/devices/v1", dependencies=[scope("hosts:read")])
    async def query_devices(
        offset: int = 0,
        limit: int = 100,
        sort: str | None = None,
        filter: str | None = None,
    ) -> Response:
        _limit(limit, 5000)
        rows = select(data.devices, filter, sort, "device_id.asc", "device_id")
        return offset_page([r["device_id"] for r in rows], offset, limit, "device-api")

    @app.get("/devices/entities/devices/v2", dependencies=[scope("hosts:read")])
    async def device_entities_get(ids: list[str] = Query(default=[])) -> dict[str, Any]:
        if not 1 <= len(ids) <= 100:
            raise HTTPException(400, "between 1 and 100 ids per GET; POST takes up to 5000")
        return hydrate(data.devices, "device_id", ids, "device-api")

    @app.post("/devices/entities/devices/v2", dependencies=[scope("hosts:read")])
    async def device_entities_post(request: Request) -> dict[str, Any]:
        ids = await ids_from_body(request, "ids", 5000)
        return hydrate(data.devices, "device_id", ids, "device-api")

    @app.get("/devices/entities/online-state/v1", dependencies=[scope("hosts:read")])
    async def online_state(ids: list[str] = Query(default=[])) -> dict[str, Any]:
        index = {d["device_id"]: d for d in data.devices}
        states = []
        for i in ids[:100]:
            if i in index:
                seen = parse_time(index[i]["last_seen"]) or data.now
                online = (data.now - seen) < timedelta(hours=1)
                states.append(
                    {
                        "id": i,
                        "cid": data.cid,
                        "last_seen": index[i]["last_seen"],
                        "state": "online" if online else "offline",
                    }
                )
        return state.envelope(states, powered_by="cs.agentonline")

    # --- incidents ----------------------------------------------------------------------

    @app.get("/incidents/queries/incidents/v1", dependencies=[scope("incidents:read")])
    async def query_incidents(
        offset: int = 0,
        limit: int = 100,
        sort: str | None = None,
        filter: str | None = None,
    ) -> Response:
        _limit(limit, 500)
        rows = select(data.incidents, filter, sort, "modified_timestamp.asc", "incident_id")
        return offset_page([r["incident_id"] for r in rows], offset, limit, "incident-api")

    @app.post("/incidents/entities/incidents/GET/v1", dependencies=[scope("incidents:read")])
    async def incident_entities(request: Request) -> dict[str, Any]:
        ids = await ids_from_body(request, "ids", 1000)
        return hydrate(data.incidents, "incident_id", ids, "incident-api")

    # --- Spotlight ----------------------------------------------------------------------

    def spotlight_rows(filter_: str | None, sort: str | None) -> list[dict[str, Any]]:
        if not filter_:
            raise HTTPException(400, "filter is required (e.g. updated_timestamp:>'2024-01-01')")
        return select(data.vulnerabilities, filter_, sort, "updated_timestamp|asc", "id")

    def after_page(
        rows: list[Any], after: str | None, limit: int
    ) -> tuple[list[Any], dict[str, Any], int]:
        start = sb.decode_cursor(after)
        page = start // limit + 1
        following = sb.encode_cursor(start + limit) if start + limit < len(rows) else None
        token = sb.next_cursor(page, after, following)
        pagination: dict[str, Any] = {"limit": limit, "total": len(rows)}
        if token:
            pagination["after"] = token
        return rows[start : start + limit], pagination, page

    @app.get(
        "/spotlight/combined/vulnerabilities/v1",
        dependencies=[scope("spotlight-vulnerabilities:read")],
    )
    async def combined_vulnerabilities(
        filter: str | None = None,
        after: str | None = None,
        limit: int = 100,
        sort: str | None = None,
        facet: list[str] = Query(default=[]),
    ) -> Response:
        _limit(limit, 5000)
        unknown = set(facet) - {"cve", "host_info", "remediation", "evaluation_logic"}
        if unknown:
            raise HTTPException(400, f"unknown facet {sorted(unknown)}")
        rows = spotlight_rows(filter, sort)
        chunk, pagination, page = after_page(rows, after, limit)
        hidden = {"cve", "host_info", "remediation"} - set(facet)
        chunk = [{k: v for k, v in r.items() if k not in hidden} for r in chunk]
        body = state.envelope(chunk, powered_by="spapi", pagination=pagination)
        return sb.page(body, page)

    @app.get(
        "/spotlight/queries/vulnerabilities/v1",
        dependencies=[scope("spotlight-vulnerabilities:read")],
    )
    async def query_vulnerabilities(
        filter: str | None = None,
        after: str | None = None,
        limit: int = 100,
        sort: str | None = None,
    ) -> Response:
        _limit(limit, 400)
        rows = spotlight_rows(filter, sort)
        chunk, pagination, page = after_page(rows, after, limit)
        body = state.envelope([r["id"] for r in chunk], powered_by="spapi", pagination=pagination)
        return sb.page(body, page)

    return app
