"""The ServiceNow sandbox: the Table API on ``incident`` and ``sys_journal_field``, and the
OAuth token endpoint, offline.

* ``POST /oauth_token.do``: password and refresh_token grants (form-encoded), answered before
  the fault middleware (token calls are never broken by injected faults);
* ``GET /api/now/table/incident`` with ``sysparm_query`` (see :mod:`.encoded_query`),
  ``sysparm_fields``, ``sysparm_limit``/``sysparm_offset``, ``sysparm_display_value=false``,
  ``sysparm_exclude_reference_link``; ``X-Total-Count`` and ``Link`` (first/prev/next/last);
* ``GET``/``PATCH``/``PUT /api/now/table/incident/{sys_id}`` and ``POST
  /api/now/table/incident``: writes stamp ``sys_updated_on``, turn ``work_notes``/``comments``
  into journal rows, and enforce what the instance enforces: resolution code and notes to
  resolve or close (data policy, 403), no updates to Closed or Canceled incidents (ACL, 403);
* ``GET /api/now/table/sys_journal_field`` (admin-only out of the box; the demo integration
  user has a read ACL, ``journal_acl=False`` takes it away).

Users sign in with HTTP Basic or an OAuth bearer token. Errors use ServiceNow's envelope
``{"error": {"message", "detail"}, "status": "failure"}``; REST rate limit rules are per user
per hour: ``X-RateLimit-Limit``/``-Reset``/``-Rule`` on every call, and beyond the limit 429
with ``Retry-After``. ``app.state.servicenow`` exposes the data and what was written.
"""

from __future__ import annotations

import base64
import math
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from aria.integrations.servicenow.encoded_query import QueryError, parse
from aria.integrations.servicenow.sandbox_data import (
    GROUPS,
    PRIORITY,
    USERS,
    ServiceNowData,
    generate,
    stamp,
)
from aria.sdk.cursors import to_datetime
from aria.sdk.sandbox import DataGen, Faults, Sandbox

INSTANCE = "https://aria-demo.service-now.com"
DEMO: dict[str, Any] = {
    "base_url": INSTANCE,
    "auth_type": "basic",
    "username": "aria.integration",
    "password": "sn-demo-Integr4tion!",
    # Small pages so the demo (and the conformance suite) walk several pages.
    "page_size": 25,
}
OAUTH_CLIENT = {
    "client_id": "ac0dd3408c1031006907010c2cc6ef6d",
    "client_secret": "sn-demo-oauth-s3cret",
}
ANALYST = ("beth.anglin", "analyst-demo-pw")
PASSWORDS = {DEMO["username"]: DEMO["password"], ANALYST[0]: ANALYST[1]}
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
TOKEN_TTL = 1800
RATE_RULE = "b0b5f9e1c3a1021060a9a9b5e4013145"
PER_HOUR = 5000
REFERENCES = {
    "caller_id": "sys_user",
    "opened_by": "sys_user",
    "assigned_to": "sys_user",
    "resolved_by": "sys_user",
    "closed_by": "sys_user",
    "assignment_group": "sys_user_group",
}
RESOLVED = {"6", "7"}
READ_ONLY = {"7", "8"}  # Closed and Canceled incidents: only admins may change them
JOURNAL_FIELDS = ("work_notes", "comments")


def failure(status: int, message: str, detail: str | None = None, **headers: str) -> Response:
    """ServiceNow's error envelope."""
    return JSONResponse(
        {"error": {"message": message, "detail": detail}, "status": "failure"},
        status_code=status,
        headers=headers or None,
    )


class SnError(HTTPException):
    """An error the exception handler renders in ServiceNow's envelope."""

    def __init__(self, status: int, message: str, detail: str | None = None) -> None:
        super().__init__(status, message)
        self.message = message
        self.sn_detail = detail


class ServiceNowState:
    """The instance behind one sandbox app, plus helpers tests use to make things happen."""

    def __init__(self, sb: Sandbox, data: ServiceNowData, *, journal_acl: bool) -> None:
        self.sb = sb
        self.data = data
        self.journal_acl = journal_acl
        self.tokens: dict[str, str] = {}  # access token -> user_name
        self.refresh_tokens: dict[str, str] = {}
        self.created: list[dict[str, Any]] = []
        self.patched: list[tuple[str, dict[str, Any]]] = []
        self._serial = 0

    def counts(self) -> dict[str, int]:
        """Records per stream: what a full read returns."""
        return self.data.counts()

    def find(self, key: str) -> dict[str, Any] | None:
        """An incident by sys_id or number."""
        return next((r for r in self.data.incidents if key in (r["sys_id"], r["number"])), None)

    def aria_incidents(self) -> list[dict[str, Any]]:
        """Incidents ARIA opened (correlation id ``aria-risk-<id>``)."""
        return [r for r in self.data.incidents if r["correlation_id"].startswith("aria-risk-")]

    def next_moment(self, seconds: int = 60) -> str:
        """A time ``seconds`` after the newest update (every write stamps sys_updated_on)."""
        stamps = [to_datetime(r["sys_updated_on"]) for r in self.data.incidents]
        latest = max([self.data.now, *[s for s in stamps if s is not None]])
        return stamp(latest + timedelta(seconds=seconds))

    def new_id(self) -> str:
        """A deterministic fresh sys_id."""
        self._serial += 1
        return DataGen(self.sb.gen.seed * 7919 + self._serial).hex_id(32)

    def write_journal(self, record: dict[str, Any], body: dict[str, Any], user: str) -> None:
        """``work_notes``/``comments`` in a write become journal rows, not field values."""
        for element in JOURNAL_FIELDS:
            value = body.get(element)
            if value not in (None, ""):
                self.data.journal.append(
                    {
                        "sys_id": self.new_id(),
                        "name": "incident",
                        "element_id": record["sys_id"],
                        "element": element,
                        "value": str(value),
                        "sys_created_on": record["sys_updated_on"],
                        "sys_created_by": user,
                    }
                )

    def create(self, body: dict[str, Any], user: str) -> dict[str, Any]:
        """``POST /api/now/table/incident``."""
        moment = self.next_moment(1)
        me = next(s for s, u, _ in USERS if u == user)
        number = (
            max(int(r["number"][3:]) for r in self.data.incidents) + 1
            if self.data.incidents
            else 20000
        )
        record: dict[str, Any] = {
            "sys_id": self.new_id(),
            "number": f"INC{number:07d}",
            "sys_class_name": "incident",
            "short_description": "",
            "description": "",
            "state": "1",
            "incident_state": "1",
            "urgency": "3",
            "impact": "3",
            "priority": "5",
            "active": "true",
            "category": "inquiry",
            "contact_type": "",
            "correlation_id": "",
            "correlation_display": "",
            "caller_id": "",
            "opened_by": me,
            "assigned_to": "",
            "assignment_group": "",
            "close_code": "",
            "close_notes": "",
            "opened_at": moment,
            "resolved_at": "",
            "resolved_by": "",
            "closed_at": "",
            "closed_by": "",
            "reopen_count": "0",
            "sys_created_on": moment,
            "sys_created_by": user,
            "sys_updated_on": moment,
            "sys_updated_by": user,
            "sys_mod_count": "0",
            "sys_domain": "global",
            "work_notes": "",
            "comments": "",
        }
        self._assign(record, body, user, moment)
        self.data.incidents.append(record)
        self.write_journal(record, body, user)
        self.created.append(body)
        return record

    def update(self, record: dict[str, Any], body: dict[str, Any], user: str) -> dict[str, Any]:
        """``PATCH``/``PUT /api/now/table/incident/{sys_id}``."""
        if record["state"] in READ_ONLY and user != "admin":
            raise SnError(
                403, "Operation Failed", "ACL Exception Update Failed due to security constraints"
            )
        state = str(body.get("state", record["state"]))
        if state in RESOLVED and state != record["state"]:
            code = body.get("close_code", record["close_code"])
            notes = body.get("close_notes", record["close_notes"])
            if not code or not notes:
                raise SnError(
                    403,
                    "Operation Failed",
                    "Data Policy Exception: \n\tThe following fields are mandatory: "
                    "Resolution code, Resolution notes\n",
                )
        moment = self.next_moment(1)
        previous = record["state"]
        self._assign(record, body, user, moment)
        me = next(s for s, u, _ in USERS if u == user)
        if record["state"] != previous:
            if record["state"] in RESOLVED and previous not in RESOLVED:
                record.update(resolved_at=moment, resolved_by=me)
            if record["state"] == "7":
                record.update(closed_at=moment, closed_by=me, active="false")
            if record["state"] == "8":
                record["active"] = "false"
            if previous in RESOLVED and record["state"] not in READ_ONLY | RESOLVED:
                record.update(
                    resolved_at="",
                    resolved_by="",
                    reopen_count=str(int(record["reopen_count"]) + 1),
                    active="true",
                )
        record["sys_mod_count"] = str(int(record["sys_mod_count"]) + 1)
        self.write_journal(record, body, user)
        self.patched.append((record["sys_id"], body))
        return record

    def _assign(self, record: dict[str, Any], body: dict[str, Any], user: str, at: str) -> None:
        for name, value in body.items():
            if name in JOURNAL_FIELDS or name not in record or name.startswith("sys_"):
                continue  # unknown fields are ignored, as by the Table API
            value = "" if value is None else str(value)
            if name in REFERENCES and value:
                value = _reference(name, value)
            record[name] = value
        record["incident_state"] = record["state"]
        record["priority"] = PRIORITY.get((record["urgency"], record["impact"]), "5")
        record.update(sys_updated_on=at, sys_updated_by=user)


def _reference(name: str, value: str) -> str:
    """A reference given as a sys_id or as the display value (ServiceNow resolves names)."""
    rows = GROUPS if REFERENCES[name] == "sys_user_group" else [(s, d) for s, _, d in USERS]
    for sys_id, display in rows:
        if value in (sys_id, display):
            return sys_id
    return value  # an unknown reference is kept as given


class RateLimitRules:
    """A REST rate limit rule for every user: ``per_hour`` requests an hour. Matching calls get
    ``X-RateLimit-Limit``/``-Reset``/``-Rule``; beyond the limit, 429 with ``Retry-After``."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox, per_hour: int) -> None:
        self.app = app
        self.sandbox = sandbox
        self.per_hour = per_hour
        self.calls: dict[str, list[float]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith("/api/"):
            await self.app(scope, receive, send)
            return
        who = _who(Request(scope))
        now = self.sandbox.clock()
        calls = [t for t in self.calls.get(who, []) if now - t < 3600]
        window_start = calls[0] if calls else now
        reset = math.ceil(window_start + 3600)
        headers = {
            "X-RateLimit-Limit": str(self.per_hour),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Rule": RATE_RULE,
        }
        if len(calls) >= self.per_hour:
            wait = max(1, reset - math.floor(now))
            response = failure(
                429,
                "Rate limit exceeded",
                f"The rate limit of {self.per_hour} requests per hour was exceeded.",
                **headers,
                **{"Retry-After": str(wait)},
            )
            await response(scope, receive, send)
            return
        calls.append(now)
        self.calls[who] = calls

        async def add_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, add_headers)


def _who(request: Request) -> str:
    """Whom a request is from, for the rate limit rule (the credential's user or token)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value).decode().partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            return "?"
    return value[:12] or "anonymous"


class TokenEndpoint:
    """``POST /oauth_token.do``: password and refresh_token grants for the demo OAuth client."""

    def __init__(self, app: ASGIApp, state: ServiceNowState, ttl: int = TOKEN_TTL) -> None:
        self.app = app
        self.state = state
        self.ttl = ttl
        self.requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != "/oauth_token.do":
            await self.app(scope, receive, send)
            return
        self.requests += 1
        response = await self.answer(Request(scope, receive))
        await response(scope, receive, send)

    async def answer(self, request: Request) -> Response:
        if request.method != "POST":
            return JSONResponse({"error": "invalid_request"}, status_code=405)
        if "json" in request.headers.get("content-type", ""):
            return JSONResponse({"error": "server_error"}, status_code=400)
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        denied = JSONResponse(
            {"error_description": "access_denied", "error": "server_error"}, status_code=401
        )
        if (form.get("client_id"), form.get("client_secret")) != (
            OAUTH_CLIENT["client_id"],
            OAUTH_CLIENT["client_secret"],
        ):
            return denied
        grant = form.get("grant_type")
        if grant == "password":
            user = form.get("username", "")
            if PASSWORDS.get(user) is None or PASSWORDS[user] != form.get("password"):
                return denied
            refresh = secrets.token_urlsafe(32)
            self.state.refresh_tokens[refresh] = user
        elif grant == "refresh_token":
            refresh = form.get("refresh_token", "")
            user = self.state.refresh_tokens.get(refresh, "")
            if not user:
                return denied
        else:
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        token = self.state.sb.issue_token(self.ttl)
        self.state.tokens[token] = user
        body: dict[str, Any] = {
            "access_token": token,
            "scope": "useraccount",
            "token_type": "Bearer",
            "expires_in": self.ttl,
        }
        if grant == "password":
            body["refresh_token"] = refresh
        return JSONResponse(body)


def make_sandbox(
    seed: int = 7,
    size: int = 200,
    faults: Faults | None = None,
    *,
    journal_acl: bool = True,
    per_hour: int = PER_HOUR,
    now: datetime | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> FastAPI:
    """An instance with ``size`` incidents ARIA opened (and ``size // 4`` others);
    ``journal_acl=False`` denies the integration user the journal; ``per_hour`` is the REST
    rate limit rule."""
    extra: dict[str, Any] = {}
    if clock is not None:
        extra["clock"] = clock
    if sleep is not None:
        extra["sleep"] = sleep
    sb = Sandbox(seed=seed, size=size, faults=faults, now=now or NOW, **extra)
    app = FastAPI(title="ServiceNow Table API (ARIA sandbox)", docs_url=None, redoc_url=None)
    sb.install(app)
    state = ServiceNowState(sb, generate(seed, size, sb.gen.now), journal_acl=journal_acl)
    app.add_middleware(RateLimitRules, sandbox=sb, per_hour=per_hour)
    app.add_middleware(TokenEndpoint, state=state)
    app.state.servicenow = state
    data = state.data

    @app.exception_handler(HTTPException)
    async def sn_error(request: Request, exc: HTTPException) -> Response:
        if isinstance(exc, SnError):
            return failure(exc.status_code, exc.message, exc.sn_detail)
        if exc.status_code == 401:
            return failure(401, "User Not Authenticated", "Required to provide Auth information")
        if exc.status_code == 404:
            return failure(404, "Requested URI does not represent any resource", None)
        if exc.status_code == 405:
            return failure(405, "Method not Supported", "Requested method is not supported")
        return failure(exc.status_code, str(exc.detail), None)

    def authenticate(request: Request) -> str:
        """The signed-in user_name (HTTP Basic or an OAuth bearer token), else 401."""
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                user, password = "", ""
            expected = PASSWORDS.get(user)
            if expected is not None and secrets.compare_digest(password, expected):
                return user
            raise SnError(401, "User Not Authenticated", "Required to provide Auth information")
        if scheme.lower() == "bearer":
            sb.check_bearer(request)
            user = state.tokens.get(value)
            if user:
                return user
        raise SnError(401, "User Not Authenticated", "Required to provide Auth information")

    def shape(record: dict[str, Any], request: Request) -> dict[str, Any]:
        """Apply sysparm_fields and reference links as the Table API does."""
        params = request.query_params
        fields = [f.strip() for f in params.get("sysparm_fields", "").split(",") if f.strip()]
        out = {f: record[f] for f in fields if f in record} if fields else dict(record)
        if params.get("sysparm_exclude_reference_link", "false").lower() != "true":
            base = str(request.base_url).rstrip("/")
            for name, table in REFERENCES.items():
                if out.get(name):
                    link = f"{base}/api/now/table/{table}/{out[name]}"
                    out[name] = {"link": link, "value": out[name]}
        return out

    def check_display(request: Request) -> None:
        value = request.query_params.get("sysparm_display_value", "false").lower()
        if value != "false":
            raise SnError(400, "Invalid sysparm_display_value", "the sandbox serves 'false' only")

    def table_list(request: Request, rows: list[dict[str, Any]]) -> Response:
        params = request.query_params
        check_display(request)
        try:
            limit = int(params.get("sysparm_limit", "10000"))
            offset = int(params.get("sysparm_offset", "0"))
        except ValueError:
            raise SnError(400, "Invalid sysparm_limit or sysparm_offset") from None
        if limit < 1 or offset < 0:
            raise SnError(400, "Invalid sysparm_limit or sysparm_offset")
        try:
            chosen = parse(params.get("sysparm_query")).apply(rows)
        except QueryError as exc:
            raise SnError(400, "Invalid query", str(exc)) from None
        chunk = chosen[offset : offset + limit]
        page_no = offset // limit + 1
        url = request.url

        def at(position: int) -> str:
            moved = url.include_query_params(sysparm_offset=position, sysparm_limit=limit)
            return str(moved)

        last = max(0, (len(chosen) - 1) // limit * limit)
        links = [f'<{at(0)}>;rel="first"']
        if offset > 0:
            links.append(f'<{at(max(0, offset - limit))}>;rel="prev"')
        following = at(offset + limit) if offset + limit < len(chosen) else None
        nxt = sb.next_cursor(page_no, str(url), following)
        if nxt:
            links.append(f'<{nxt}>;rel="next"')
        links.append(f'<{at(last)}>;rel="last"')
        headers = {"X-Total-Count": str(len(chosen)), "Link": ",".join(links)}
        body = {"result": [shape(r, request) for r in chunk]}
        return sb.page(body, page_no, headers=headers)

    async def json_body(request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            raise SnError(
                400, "Exception while reading request", "The payload is not valid JSON."
            ) from None
        if not isinstance(body, dict):
            raise SnError(400, "Exception while reading request", "Expected a JSON object.")
        return body

    def get_incident(sys_id: str) -> dict[str, Any]:
        record = next((r for r in data.incidents if r["sys_id"] == sys_id), None)
        if record is None:
            raise SnError(
                404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval"
            )
        return record

    # --- incidents -----------------------------------------------------------------------

    @app.get("/api/now/table/incident")
    async def list_incidents(request: Request) -> Response:
        authenticate(request)
        return table_list(request, data.incidents)

    @app.post("/api/now/table/incident")
    async def create_incident(request: Request) -> Response:
        user = authenticate(request)
        record = state.create(await json_body(request), user)
        location = f"{str(request.base_url).rstrip('/')}/api/now/table/incident/{record['sys_id']}"
        return JSONResponse(
            {"result": shape(record, request)}, status_code=201, headers={"Location": location}
        )

    @app.get("/api/now/table/incident/{sys_id}")
    async def read_incident(sys_id: str, request: Request) -> dict[str, Any]:
        authenticate(request)
        check_display(request)
        return {"result": shape(get_incident(sys_id), request)}

    @app.api_route("/api/now/table/incident/{sys_id}", methods=["PATCH", "PUT"])
    async def update_incident(sys_id: str, request: Request) -> dict[str, Any]:
        user = authenticate(request)
        body = await json_body(request)
        record = state.update(get_incident(sys_id), body, user)
        return {"result": shape(record, request)}

    # --- journal -------------------------------------------------------------------------

    @app.get("/api/now/table/sys_journal_field")
    async def list_journal(request: Request) -> Response:
        user = authenticate(request)
        if user == DEMO["username"] and not state.journal_acl:
            raise SnError(403, "User Not Authorized", "Required to provide Auth information")
        return table_list(request, data.journal)

    return app
