"""The Freshdesk sandbox: the v2 tickets, notes, conversations and agents APIs, offline.

* ``GET /api/v2/agents/me``: the agent behind the API key;
* ``GET /api/v2/tickets``: ``updated_since`` (without it, only tickets created in the last 30
  days, as Freshdesk does), ``order_by`` (created_at, due_by, updated_at, status),
  ``order_type``, ``per_page`` (at most 100), ``page`` (at most 300), ``include``
  (description, requester, stats), ``Link: <...>; rel="next"`` while more pages exist;
* ``GET``/``PUT /api/v2/tickets/{id}``, ``POST /api/v2/tickets``: validated as Freshdesk does
  (``{"description": "Validation failed", "errors": [{"field", "message", "code"}]}``);
  writes stamp ``updated_at``;
* ``POST /api/v2/tickets/{id}/notes`` and ``GET /api/v2/tickets/{id}/conversations``.

Requests authenticate with HTTP Basic, the API key as user name (any password, "X" by
convention); 401 ``invalid_credentials`` otherwise. Every answer carries the account's rate
limit headers ``X-RateLimit-Total``, ``X-RateLimit-Remaining`` and
``X-RateLimit-Used-CurrentRequest``; beyond the plan's calls per minute, 429 with
``Retry-After``. ``app.state.freshdesk`` exposes the data and what was written.
"""

from __future__ import annotations

import base64
import math
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from aria.integrations.freshdesk.normalize import plain_text
from aria.integrations.freshdesk.sandbox_data import (
    AGENTS,
    ARIA_AGENT,
    REQUESTER,
    FreshdeskData,
    conversation,
    generate,
    stamp,
)
from aria.sdk import FatalError
from aria.sdk.cursors import to_datetime
from aria.sdk.sandbox import Faults, Sandbox

HELPDESK = "https://aria-demo.freshdesk.com"
DEMO: dict[str, Any] = {
    "base_url": HELPDESK,
    "api_key": "fd-demo-Kx7vQ2mN9pR4sT6w",
    "requester_email": "security-alerts@acme.example",
    "group_id": 43000000501,
    "plan": "enterprise",
    # Small pages so the demo (and the conformance suite) follow several Link headers.
    "page_size": 25,
}
AGENT_KEY = "fd-agent-Priya-3Lm8Qz"  # an agent changing tickets in the helpdesk, not ARIA
KEYS = {DEMO["api_key"]: ARIA_AGENT, AGENT_KEY: AGENTS[1][0]}
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
PER_MINUTE = 700  # the demo account's plan: Enterprise
MAX_PER_PAGE = 100
MAX_PAGE = 300
SEARCH_PAGE = 30
SEARCH_MAX_PAGE = 10
STATUSES = {2, 3, 4, 5, 6}  # 6: a custom status ("Waiting on Third Party")
PRIORITIES = {1, 2, 3, 4}
SOURCES = {1, 2, 3, 5, 6, 7, 9, 10}
ORDER_BY = {"created_at", "due_by", "updated_at", "status"}
INCLUDES = {"description", "requester", "stats"}
CREATE_FIELDS = {
    "name",
    "requester_id",
    "email",
    "phone",
    "subject",
    "type",
    "status",
    "priority",
    "description",
    "responder_id",
    "cc_emails",
    "custom_fields",
    "due_by",
    "fr_due_by",
    "group_id",
    "product_id",
    "source",
    "tags",
    "company_id",
}
UPDATE_FIELDS = CREATE_FIELDS - {"cc_emails"}


class FdError(HTTPException):
    """An error rendered in Freshdesk's shape: ``body`` is sent as is."""

    def __init__(self, status: int, body: dict[str, Any] | None) -> None:
        super().__init__(status)
        self.body = body


def invalid(*errors: tuple[str, str, str]) -> FdError:
    """400 ``Validation failed`` with (field, message, code) entries."""
    return FdError(
        400,
        {
            "description": "Validation failed",
            "errors": [{"field": f, "message": m, "code": c} for f, m, c in errors],
        },
    )


class FreshdeskState:
    """The helpdesk behind one sandbox app, plus helpers tests use to make things happen."""

    def __init__(self, sb: Sandbox, data: FreshdeskData) -> None:
        self.sb = sb
        self.data = data
        self.created: list[dict[str, Any]] = []
        self.updated: list[tuple[int, dict[str, Any]]] = []
        self.notes: list[tuple[int, dict[str, Any]]] = []

    def counts(self) -> dict[str, int]:
        """Records per stream: what a full read returns."""
        return self.data.counts()

    def find(self, ticket_id: Any) -> dict[str, Any] | None:
        """A ticket by id."""
        return next((t for t in self.data.tickets if str(t["id"]) == str(ticket_id)), None)

    def aria_tickets(self) -> list[dict[str, Any]]:
        """Tickets tagged ``aria-risk``."""
        return [t for t in self.data.tickets if "aria-risk" in t["tags"]]

    def next_moment(self, seconds: int = 60) -> str:
        """A time ``seconds`` after the newest update (every write stamps updated_at)."""
        stamps = [to_datetime(t["updated_at"]) for t in self.data.tickets]
        latest = max([self.data.now, *[s for s in stamps if s is not None]])
        return stamp(latest + timedelta(seconds=seconds))

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        """The ticket, or Freshdesk's bare 404."""
        found = self.find(ticket_id)
        if found is None:
            raise FdError(404, None)
        return found

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /api/v2/tickets``."""
        problems = _check_fields(body, CREATE_FIELDS)
        if not any(body.get(k) for k in ("requester_id", "email", "phone")):
            problems.append(
                (
                    "requester_id",
                    "Please fill at least 1 of requester_id, email, phone fields",
                    "missing_field",
                )
            )
        for name in ("subject", "description"):
            if name in body and not isinstance(body[name], str):
                problems.append(
                    (
                        name,
                        "Value set is of type Integer. It should be a/an String",
                        "datatype_mismatch",
                    )
                )
        if problems:
            raise invalid(*problems)
        moment = self.next_moment(1)
        ticket_id = max((int(t["id"]) for t in self.data.tickets), default=999) + 1
        created = datetime.strptime(moment, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        record = {
            "cc_emails": list(body.get("cc_emails") or []),
            "fwd_emails": [],
            "reply_cc_emails": list(body.get("cc_emails") or []),
            "ticket_cc_emails": list(body.get("cc_emails") or []),
            "fr_escalated": False,
            "spam": False,
            "email_config_id": None,
            "group_id": body.get("group_id"),
            "priority": body.get("priority", 1),
            "requester_id": body.get("requester_id") or REQUESTER,
            "responder_id": body.get("responder_id"),
            "source": body.get("source", 2),
            "company_id": body.get("company_id"),
            "status": body.get("status", 2),
            "subject": body.get("subject") or "",
            "association_type": None,
            "support_email": None,
            "to_emails": None,
            "product_id": body.get("product_id"),
            "id": ticket_id,
            "type": body.get("type"),
            "due_by": stamp(created + timedelta(days=3)),
            "fr_due_by": stamp(created + timedelta(days=1)),
            "is_escalated": False,
            "custom_fields": dict(body.get("custom_fields") or {}),
            "created_at": moment,
            "updated_at": moment,
            "associated_tickets_count": None,
            "tags": [str(t) for t in body.get("tags") or []],
            "nr_due_by": None,
            "nr_escalated": False,
            "description": str(body.get("description") or ""),
            "description_text": _text(str(body.get("description") or "")),
        }
        self.data.tickets.append(record)
        self.created.append(body)
        return record

    def update(self, ticket_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """``PUT /api/v2/tickets/{id}``."""
        record = self.ticket(ticket_id)
        problems = _check_fields(body, UPDATE_FIELDS)
        if problems:
            raise invalid(*problems)
        for name, value in body.items():
            record[name] = [str(t) for t in value] if name == "tags" else value
        if "description" in body:
            record["description_text"] = _text(str(body["description"]))
        record["updated_at"] = self.next_moment(1)
        self.updated.append((ticket_id, body))
        return record

    def add_note(self, ticket_id: int, body: dict[str, Any], agent: int) -> dict[str, Any]:
        """``POST /api/v2/tickets/{id}/notes``: a note updates the ticket too."""
        record = self.ticket(ticket_id)
        problems = _check_fields(body, {"body", "private", "incoming", "notify_emails", "user_id"})
        if not isinstance(body.get("body"), str) or not body["body"].strip():
            problems.append(
                ("body", "It should not be blank as this is a mandatory field", "missing_field")
            )
        if "private" in body and not isinstance(body["private"], bool):
            problems.append(
                (
                    "private",
                    "Value set is of type String. It should be a/an Boolean",
                    "datatype_mismatch",
                )
            )
        if problems:
            raise invalid(*problems)
        moment = self.next_moment(1)
        conv_id = 43_000_000_000 + int(ticket_id) * 10 + 5 + len(self.notes)
        note = conversation(
            conv_id,
            int(ticket_id),
            _text(body["body"]),
            agent=agent,
            private=bool(body.get("private", True)),
            at=moment,
        )
        note["body"] = body["body"]
        self.data.conversations.append(note)
        record["updated_at"] = moment
        self.notes.append((int(ticket_id), body))
        return note


def _check_fields(body: dict[str, Any], allowed: set[str]) -> list[tuple[str, str, str]]:
    problems = [
        (name, "Unexpected/invalid field in request", "invalid_field")
        for name in sorted(set(body) - allowed)
    ]
    checks = (("status", STATUSES), ("priority", PRIORITIES), ("source", SOURCES))
    for name, choices in checks:
        if name in body and body[name] not in choices:
            listing = ",".join(str(c) for c in sorted(choices))
            problems.append(
                (name, f"It should be one of these values: '{listing}'", "invalid_value")
            )
    if "tags" in body and not (
        isinstance(body["tags"], list) and all(isinstance(t, str) for t in body["tags"])
    ):
        problems.append(("tags", "It should be an Array of Strings", "datatype_mismatch"))
    if "email" in body and "@" not in str(body["email"]):
        problems.append(
            ("email", "It should be in the 'valid email address' format", "invalid_format")
        )
    return problems


def _text(body_html: str) -> str:
    return plain_text(body_html)


class RateLimitHeaders:
    """The account's API limit: the quota headers on every answer; with ``enforce``, 429 and
    ``Retry-After`` beyond ``per_minute`` calls a minute."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox, per_minute: int, enforce: bool) -> None:
        self.app = app
        self.sandbox = sandbox
        self.per_minute = per_minute
        self.enforce = enforce
        self.calls: list[float] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith("/api/"):
            await self.app(scope, receive, send)
            return
        now = self.sandbox.clock()
        self.calls = [t for t in self.calls if now - t < 60]
        if self.enforce and len(self.calls) >= self.per_minute:
            wait = max(1, math.ceil(self.calls[0] + 60 - now))
            response = JSONResponse(
                {
                    "message": "You have exceeded the limit of requests per minute. "
                    f"Retry after {wait} seconds."
                },
                status_code=429,
                headers={
                    "Retry-After": str(wait),
                    "X-RateLimit-Total": str(self.per_minute),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Used-CurrentRequest": "1",
                },
            )
            await response(scope, receive, send)
            return
        self.calls.append(now)
        headers = {
            "x-ratelimit-total": str(self.per_minute),
            "x-ratelimit-remaining": str(max(0, self.per_minute - len(self.calls))),
            "x-ratelimit-used-currentrequest": "1",
        }

        async def add_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                raw += [(k.encode(), v.encode()) for k, v in headers.items()]
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, add_headers)


def make_sandbox(
    seed: int = 7,
    size: int = 200,
    faults: Faults | None = None,
    *,
    per_minute: int | None = None,
    now: datetime | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> FastAPI:
    """A helpdesk with ``size`` ARIA tickets and ``size // 4`` customer tickets.

    Quota headers always report the Enterprise plan (700 a minute); 429s are sent only when
    ``per_minute`` is given, because the conformance suite drives the sandbox with a fake
    clock the sandbox cannot see, so real seconds would not pass between its retries."""
    extra: dict[str, Any] = {}
    if clock is not None:
        extra["clock"] = clock
    if sleep is not None:
        extra["sleep"] = sleep
    sb = Sandbox(seed=seed, size=size, faults=faults, now=now or NOW, **extra)
    app = FastAPI(title="Freshdesk API v2 (ARIA sandbox)", docs_url=None, redoc_url=None)
    sb.install(app)
    state = FreshdeskState(sb, generate(seed, size, sb.gen.now))
    app.add_middleware(
        RateLimitHeaders,
        sandbox=sb,
        per_minute=per_minute or PER_MINUTE,
        enforce=per_minute is not None,
    )
    app.state.freshdesk = state
    data = state.data

    @app.exception_handler(HTTPException)
    async def fd_error(request: Request, exc: HTTPException) -> Response:
        if isinstance(exc, FdError):
            if exc.body is None:
                return Response(status_code=exc.status_code)
            return JSONResponse(exc.body, status_code=exc.status_code)
        if exc.status_code == 401:
            return JSONResponse(
                {
                    "code": "invalid_credentials",
                    "message": "You have to be logged in to perform this action.",
                },
                status_code=401,
            )
        if exc.status_code == 405:
            return JSONResponse(
                {"code": "method_not_allowed", "message": "Method not allowed"}, status_code=405
            )
        if exc.status_code == 404:
            return Response(status_code=404)
        return JSONResponse(
            {"code": "error", "message": str(exc.detail)}, status_code=exc.status_code
        )

    def agent(request: Request) -> int:
        """The agent whose API key signs the request (HTTP Basic, key as user name)."""
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        key = ""
        if scheme.lower() == "basic":
            try:
                key = base64.b64decode(value).decode().partition(":")[0]
            except (ValueError, UnicodeDecodeError):
                key = ""
        for known, agent_id in KEYS.items():
            if key and secrets.compare_digest(key, known):
                return agent_id
        raise FdError(
            401,
            {
                "code": "invalid_credentials",
                "message": "You have to be logged in to perform this action.",
            },
        )

    async def json_body(request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            raise FdError(
                400, {"code": "invalid_json", "message": "Request body has invalid json format"}
            ) from None
        if not isinstance(body, dict):
            raise FdError(
                400, {"code": "invalid_json", "message": "Request body has invalid json format"}
            )
        return body

    def page_params(request: Request) -> tuple[int, int]:
        params = request.query_params
        problems = []
        try:
            per_page = int(params.get("per_page", "30"))
        except ValueError:
            per_page = 0
        try:
            page = int(params.get("page", "1"))
        except ValueError:
            page = 0
        if not 1 <= per_page <= MAX_PER_PAGE:
            problems.append(
                (
                    "per_page",
                    f"It should be a Positive Integer less than or equal to {MAX_PER_PAGE}",
                    "invalid_value",
                )
            )
        if not 1 <= page <= MAX_PAGE:
            problems.append(
                (
                    "page",
                    f"It should be a Positive Integer less than or equal to {MAX_PAGE}",
                    "invalid_value",
                )
            )
        if problems:
            raise invalid(*problems)
        return page, per_page

    def paged(request: Request, rows: list[dict[str, Any]], page: int, per_page: int) -> Response:
        start = (page - 1) * per_page
        chunk = rows[start : start + per_page]
        following = (
            str(request.url.include_query_params(page=page + 1, per_page=per_page))
            if start + per_page < len(rows)
            else None
        )
        link = sb.next_cursor(page, str(request.url), following)
        headers = {"Link": f'<{link}>; rel="next"'} if link else None
        return sb.page(chunk, page, headers=headers)

    @app.get("/api/v2/agents/me")
    async def me(request: Request) -> dict[str, Any]:
        agent_id = agent(request)
        _, name, email = next(a for a in AGENTS if a[0] == agent_id)
        return {
            "available": True,
            "occasional": False,
            "id": agent_id,
            "signature": None,
            "ticket_scope": 1,
            "created_at": "2024-01-08T09:12:44Z",
            "updated_at": "2025-05-30T16:01:02Z",
            "last_active_at": "2025-06-02T11:40:00Z",
            "available_since": None,
            "type": "support_agent",
            "contact": {
                "active": True,
                "email": email,
                "job_title": "Integration" if agent_id == ARIA_AGENT else "Security analyst",
                "language": "en",
                "last_login_at": "2025-06-02T08:00:00Z",
                "mobile": None,
                "name": name,
                "phone": None,
                "time_zone": "UTC",
                "created_at": "2024-01-08T09:12:44Z",
                "updated_at": "2025-05-30T16:01:02Z",
            },
        }

    @app.get("/api/v2/tickets")
    async def list_tickets(request: Request) -> Response:
        agent(request)
        params = request.query_params
        page, per_page = page_params(request)
        problems = []
        order_by = params.get("order_by", "created_at")
        order_type = params.get("order_type", "desc")
        includes = {i for i in params.get("include", "").split(",") if i}
        if order_by not in ORDER_BY:
            problems.append(
                (
                    "order_by",
                    "It should be one of these values: 'created_at,due_by,updated_at,status'",
                    "invalid_value",
                )
            )
        if order_type not in ("asc", "desc"):
            problems.append(
                ("order_type", "It should be one of these values: 'asc,desc'", "invalid_value")
            )
        if includes - INCLUDES:
            problems.append(
                (
                    "include",
                    "It should be one of these values: 'requester,stats,description'",
                    "invalid_value",
                )
            )
        if params.get("filter"):
            problems.append(
                ("filter", "The sandbox lists without predefined filters", "invalid_value")
            )
        since = params.get("updated_since")
        try:
            since_at = to_datetime(since) if since else None
        except FatalError:
            problems.append(
                ("updated_since", "It should be in the 'valid date time' format", "invalid_date")
            )
            since_at = None
        if problems:
            raise invalid(*problems)
        rows = [t for t in data.tickets if not t["spam"]]
        if since_at is not None:
            rows = [t for t in rows if to_datetime(t["updated_at"]) >= since_at]  # type: ignore[operator]
        else:  # Freshdesk's default: tickets created in the last 30 days
            floor = data.now - timedelta(days=30)
            rows = [t for t in rows if to_datetime(t["created_at"]) >= floor]  # type: ignore[operator]
        rows.sort(key=lambda t: (str(t.get(order_by)), int(t["id"])), reverse=order_type == "desc")
        shaped = [_shape(t, includes) for t in rows]
        return paged(request, shaped, page, per_page)

    @app.post("/api/v2/tickets")
    async def create_ticket(request: Request) -> Response:
        agent(request)
        record = state.create(await json_body(request))
        return JSONResponse(_shape(record, {"description"}), status_code=201)

    @app.get("/api/v2/tickets/{ticket_id}")
    async def view_ticket(ticket_id: int, request: Request) -> dict[str, Any]:
        agent(request)
        return _shape(state.ticket(ticket_id), {"description"})

    @app.put("/api/v2/tickets/{ticket_id}")
    async def update_ticket(ticket_id: int, request: Request) -> dict[str, Any]:
        agent(request)
        record = state.update(ticket_id, await json_body(request))
        return _shape(record, {"description"})

    @app.post("/api/v2/tickets/{ticket_id}/notes")
    async def add_note(ticket_id: int, request: Request) -> Response:
        agent_id = agent(request)
        note = state.add_note(ticket_id, await json_body(request), agent_id)
        keep = (
            "body",
            "body_text",
            "id",
            "incoming",
            "private",
            "user_id",
            "support_email",
            "ticket_id",
            "attachments",
            "created_at",
            "updated_at",
        )
        answer = {k: note[k] for k in keep}
        answer["notified_to"] = []
        return JSONResponse(answer, status_code=201)

    @app.get("/api/v2/tickets/{ticket_id}/conversations")
    async def list_conversations(ticket_id: int, request: Request) -> Response:
        agent(request)
        state.ticket(ticket_id)
        page, per_page = page_params(request)
        rows = [c for c in data.conversations if c["ticket_id"] == ticket_id]
        rows.sort(key=lambda c: (c["created_at"], c["id"]))
        return paged(request, rows, page, per_page)

    @app.get("/api/v2/search/tickets")
    async def search_tickets(request: Request) -> dict[str, Any]:
        agent(request)
        query = request.query_params.get("query", "")
        try:
            page = int(request.query_params.get("page", "1"))
        except ValueError:
            page = 0
        if not 1 <= page <= SEARCH_MAX_PAGE:
            raise invalid(("page", "It should be a Positive Integer less than 10", "invalid_value"))
        try:
            predicate = _search(query)
        except ValueError as exc:
            raise invalid(("query", str(exc), "invalid_value")) from None
        rows = [t for t in data.tickets if not t["spam"] and predicate(t)]
        rows.sort(key=lambda t: (t["created_at"], int(t["id"])), reverse=True)
        start = (page - 1) * SEARCH_PAGE
        return {
            "results": [_shape(t, set()) for t in rows[start : start + SEARCH_PAGE]],
            "total": len(rows),
        }

    return app


SEARCH_TERM = re.compile(r"^(tag|status|priority|group_id):('([^']*)'|(\d+))$")


def _search(query: str) -> Callable[[dict[str, Any]], bool]:
    """The sandbox's subset of the search language: ``"tag:'x' AND status:2"`` (quoted as a
    whole; terms on tag, status, priority, group_id joined by AND)."""
    text = query.strip()
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        raise ValueError("The query should be enclosed in double quotes")
    tests = []
    for term in text[1:-1].split(" AND "):
        match = SEARCH_TERM.match(term.strip())
        if match is None:
            raise ValueError(f"The sandbox cannot search {term.strip()[:60]!r}")
        name, quoted, number = match.group(1), match.group(3), match.group(4)
        value = quoted if quoted is not None else number
        if name == "tag":
            tests.append(lambda t, v=value.lower(): v in [x.lower() for x in t["tags"]])
        else:
            tests.append(lambda t, n=name, v=value: str(t.get(n)) == v)
    return lambda ticket: all(test(ticket) for test in tests)


def _shape(record: dict[str, Any], includes: set[str]) -> dict[str, Any]:
    """A ticket as the list/view APIs return it: description only when included."""
    out = {k: v for k, v in record.items() if k not in ("description", "description_text")}
    if "description" in includes:
        out["description"] = record["description"]
        out["description_text"] = record["description_text"]
    if "stats" in includes:
        out["stats"] = {
            "agent_responded_at": None,
            "requester_responded_at": None,
            "first_responded_at": None,
            "status_updated_at": record["updated_at"],
            "reopened_at": None,
            "resolved_at": None,
            "closed_at": None,
            "pending_since": None,
        }
    if "requester" in includes:
        out["requester"] = {
            "email": "security-alerts@acme.example",
            "id": record["requester_id"],
            "mobile": None,
            "name": "Security Alerts",
            "phone": None,
        }
    return out
