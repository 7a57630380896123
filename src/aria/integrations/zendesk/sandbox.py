"""The Zendesk sandbox: the Support API paths ARIA calls, offline.

* ``GET /api/v2/users/me.json``: the signed-in user; like Zendesk, it answers an *anonymous*
  end user (200, ``id: null``) when the credentials are wrong rather than a 401;
* ``GET /api/v2/incremental/tickets/cursor.json``: the cursor-based incremental export
  (``start_time`` or ``cursor``, ``per_page`` up to 1000, ``after_cursor``/``after_url``,
  ``end_of_stream``), admins only (403 for agents, as in Zendesk);
* ``GET /api/v2/tickets.json`` (``external_id`` filter), ``GET /api/v2/tickets/{id}.json``,
  ``POST /api/v2/tickets.json`` (with ``via_followup_source_id`` for follow-ups),
  ``PUT /api/v2/tickets/{id}.json`` (status, priority, tags, a comment; closed tickets refuse
  updates with 422), ``GET /api/v2/tickets/{id}/comments.json``;
* ``GET /api/v2/search/export.json``: Export Search Results over tickets with a subset of the
  search language (``status:``/``status<``, ``tags:``, ``priority:``, ``external_id:``,
  ``created>``/``updated>``, ``type:ticket``, quoted or bare words, ``-`` to negate).

Credentials are an API token (Basic ``<email>/token``) or an OAuth token (Bearer); wrong ones
get ``{"error": "Couldn't authenticate you"}`` with 401. Cursor lists use Zendesk's
``meta``/``links`` envelope. ``make_sandbox(limits=True)`` also enforces the plan's requests a
minute and the export's 10 a minute on the sandbox clock (429 with ``Retry-After``); it is off by
default because the conformance suite drives the integration on a fake clock against a sandbox
on real time. ``app.state.zendesk`` exposes the data and what was written.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import re
import shlex
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from aria.integrations.zendesk.sandbox_data import (
    ANALYST_ID,
    ARIA_USER_ID,
    GROUPS,
    HOST,
    ZendeskData,
    comment,
    generate,
    stamp,
)
from aria.sdk.cursors import to_datetime
from aria.sdk.sandbox import Faults, Sandbox

DEMO_TOKEN = "zd-demo-Wq3r8TtYb2Lm5Nc7Vx9KpA1sDf4Gh6Jk"  # noqa: S105 - sandbox credential
ANALYST_TOKEN = "zd-analyst-Hy7Uj3Ik9Ol1Pm5Nb2Vc8Xz4"  # noqa: S105 - sandbox credential
DEMO_OAUTH_TOKEN = "zd-oauth-0b9f8e7d6c5b4a39281706f5e4d3c2b1"  # noqa: S105 - sandbox credential
DEMO: dict[str, Any] = {
    "subdomain": "aria-demo",
    "auth_method": "api_token",
    "email": "aria@acme.example",
    "api_token": DEMO_TOKEN,
    # Small export pages so the demo (and the conformance suite) walk several cursors.
    "page_size": 50,
}
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
PLAN_PER_MINUTE = 200
EXPORT_PER_MINUTE = 10
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
TYPES = ("problem", "incident", "question", "task")
FORBIDDEN = {
    "error": {
        "title": "Forbidden",
        "message": "You do not have access to this page. Please contact the account owner of "
        "this help desk for further help.",
    }
}


class ZendeskError(Exception):
    """An error answered in Zendesk's own JSON shape."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def invalid(field: str, message: str, error: str = "InvalidValue") -> ZendeskError:
    """422 RecordInvalid, as Zendesk reports validation errors."""
    return ZendeskError(
        422,
        {
            "error": "RecordInvalid",
            "description": "Record validation errors",
            "details": {field: [{"description": message, "error": error}]},
        },
    )


def bad_request(message: str) -> ZendeskError:
    """400 InvalidValue."""
    return ZendeskError(400, {"error": "InvalidValue", "description": message})


def not_found() -> ZendeskError:
    """404 RecordNotFound."""
    return ZendeskError(404, {"error": "RecordNotFound", "description": "Not found"})


def epoch(value: str) -> int:
    """Unix seconds of a Zendesk timestamp."""
    moment = to_datetime(value)
    return int(moment.timestamp()) if moment else 0


class ZendeskState:
    """The account behind one sandbox app, plus helpers tests use to make things happen."""

    def __init__(self, sb: Sandbox, data: ZendeskData) -> None:
        self.sb = sb
        self.data = data
        self.created: list[dict[str, Any]] = []
        self.updated: list[tuple[int, dict[str, Any]]] = []
        self.credentials = {
            "aria@acme.example": (DEMO_TOKEN, ARIA_USER_ID),
            "ppatel@acme.example": (ANALYST_TOKEN, ANALYST_ID),
        }
        self.oauth_tokens = {DEMO_OAUTH_TOKEN: ARIA_USER_ID}

    def counts(self) -> dict[str, int]:
        """Records per stream: what a full read of ``tickets`` returns."""
        return {"tickets": self.data.aria_count()}

    def ticket(self, ticket_id: int | str) -> dict[str, Any]:
        """The live ticket record (tests inspect it)."""
        for row in self.data.tickets:
            if str(row["id"]) == str(ticket_id):
                return row
        raise not_found()

    def next_moment(self) -> datetime:
        """A time after every change so far (Zendesk stamps every update)."""
        latest = max((to_datetime(t["updated_at"]) for t in self.data.tickets), default=None)
        base = max(latest or self.data.now, self.data.now)
        return base + timedelta(seconds=1)

    def touch(self, count: int) -> list[int]:
        """Update the first ``count`` ARIA tickets past the newest one, as agents do."""
        touched = []
        for row in [t for t in self.data.tickets if "aria-risk" in t["tags"]][:count]:
            row["updated_at"] = stamp(self.next_moment())
            touched.append(row["id"])
        return touched

    def user_for(self, request: Request) -> dict[str, Any] | None:
        """The user the request's credentials belong to, or None."""
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            for token, uid in self.oauth_tokens.items():
                if hmac.compare_digest(token.encode(), value.encode()):
                    return self.data.users[uid]
            return None
        if scheme.lower() != "basic":
            return None
        try:
            username, _, password = base64.b64decode(value).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        email, _, kind = username.rpartition("/")
        known = self.credentials.get(email.lower()) if kind == "token" else None
        if known is None or not hmac.compare_digest(known[0].encode(), password.encode()):
            return None
        return self.data.users[known[1]]


class RateLimits:
    """The plan's requests a minute for the account and 10 a minute for incremental exports,
    on the sandbox clock: 429 ``text/plain`` with ``Retry-After`` beyond them, Zendesk's
    ``X-Rate-Limit``/``ratelimit-*`` headers on every answer."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox, per_minute: int) -> None:
        self.app = app
        self.sandbox = sandbox
        self.per_minute = per_minute
        self.calls: dict[str, list[float]] = {"account": [], "export": []}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith("/api/v2/"):
            await self.app(scope, receive, send)
            return
        now = self.sandbox.clock()
        windows = [("account", self.per_minute)]
        if path == EXPORT_PATH:
            windows.append(("export", EXPORT_PER_MINUTE))
        for name, limit in windows:
            recent = [t for t in self.calls[name] if now - t < 60]
            self.calls[name] = recent
            if len(recent) >= limit:
                wait = max(1, math.ceil(recent[0] + 60 - now))
                what = "incremental exports" if name == "export" else "API requests"
                response = PlainTextResponse(
                    f"Number of allowed {what} per minute exceeded",
                    status_code=429,
                    headers={"Retry-After": str(wait), **self.headers(limit, 0, wait)},
                )
                await response(scope, receive, send)
                return
        for name, _ in windows:
            self.calls[name].append(now)
        remaining = self.per_minute - len(self.calls["account"])
        reset = max(1, math.ceil(self.calls["account"][0] + 60 - now))
        extra = self.headers(self.per_minute, remaining, reset)

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    *[(k.lower().encode(), v.encode()) for k, v in extra.items()],
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
        return {
            "X-Rate-Limit": str(limit),
            "X-Rate-Limit-Remaining": str(remaining),
            "ratelimit-limit": str(limit),
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(reset),
        }


def export_cursor(generated: int, ticket_id: int) -> str:
    """Zendesk-like opaque export cursor: base64 of ``<timestamp>.0||<id>|``."""
    return base64.b64encode(f"{generated}.0||{ticket_id}|".encode()).decode()


def parse_export_cursor(cursor: str) -> tuple[int, int]:
    """(generated_timestamp, id) of an export cursor; 400 when it is not one."""
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        stamp_text, _, rest = text.partition("||")
        return int(float(stamp_text)), int(rest.rstrip("|"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad_request("Invalid cursor") from None


def make_sandbox(
    seed: int = 7,
    size: int = 200,
    faults: Faults | None = None,
    *,
    limits: bool = False,
    per_minute: int = PLAN_PER_MINUTE,
    now: datetime | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> FastAPI:
    """The Zendesk Support API over an account whose tickets stream serves ``size`` ARIA
    tickets (plus every fifth ticket a customer's); ``limits`` enforces rate limits."""
    extra: dict[str, Any] = {}
    if clock is not None:
        extra["clock"] = clock
    if sleep is not None:
        extra["sleep"] = sleep
    sb = Sandbox(seed=seed, size=size, faults=faults, now=now or NOW, **extra)
    app = FastAPI(title="Zendesk Support API (ARIA sandbox)", docs_url=None, redoc_url=None)
    sb.install(app)
    if limits:
        app.add_middleware(RateLimits, sandbox=sb, per_minute=per_minute)
    state = ZendeskState(sb, generate(seed, size, sb.gen.now))
    app.state.zendesk = state
    data = state.data

    @app.exception_handler(ZendeskError)
    async def zendesk_error(request: Request, exc: ZendeskError) -> Response:
        return JSONResponse(exc.body, status_code=exc.status)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 401:
            return JSONResponse({"error": "Couldn't authenticate you"}, status_code=401)
        if exc.status_code == 404:
            return JSONResponse({"error": "InvalidEndpoint", "description": "Not found"}, 404)
        return JSONResponse({"error": "InvalidValue", "description": str(exc.detail)}, 400)

    def signed_in(request: Request) -> dict[str, Any]:
        user = state.user_for(request)
        if user is None:
            raise ZendeskError(401, {"error": "Couldn't authenticate you"})
        return user

    def agent(request: Request) -> dict[str, Any]:
        user = signed_in(request)
        if user["role"] not in ("agent", "admin"):
            raise ZendeskError(403, FORBIDDEN)
        return user

    def size_param(request: Request, default: int, maximum: int) -> int:
        raw = request.query_params.get("page[size]", str(default))
        try:
            value = int(raw)
        except ValueError:
            raise bad_request("page[size] must be an integer") from None
        if not 1 <= value <= maximum:
            raise bad_request(f"page[size] must be between 1 and {maximum}")
        return value

    def cursor_list(
        request: Request, rows: list[dict[str, Any]], key: str, *, default: int, maximum: int
    ) -> Response:
        """Zendesk cursor pagination: ``page[size]``/``page[after]``, ``meta``, ``links``."""
        page_size = size_param(request, default, maximum)
        after = request.query_params.get("page[after]")
        offset = sb.decode_cursor(after) if after else 0
        chunk = rows[offset : offset + page_size]
        more = offset + page_size < len(rows)
        page_no = offset // page_size + 1
        following = sb.encode_cursor(offset + page_size) if more else None
        next_cursor = sb.next_cursor(page_no, after, following)
        body = {
            key: chunk,
            "meta": {
                "has_more": more,
                "after_cursor": next_cursor,
                "before_cursor": sb.encode_cursor(max(0, offset)) if offset else None,
            },
            "links": {
                "next": str(request.url.include_query_params(**{"page[after]": next_cursor}))
                if next_cursor
                else None,
                "prev": None,
            },
        }
        return sb.page(body, page_no)

    def json_body(payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict) or not isinstance(payload.get("ticket"), dict):
            raise bad_request("The request body must be an object with a 'ticket' object")
        return payload["ticket"]

    async def read_json(request: Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            raise bad_request("Unable to parse the request body as JSON") from None

    def audit(ticket: dict[str, Any], author: int, events: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": data.audit_id(),
            "ticket_id": ticket["id"],
            "created_at": ticket["updated_at"],
            "author_id": author,
            "metadata": {"system": {"client": "ARIA"}},
            "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
            "events": events,
        }

    def add_comment(
        ticket: dict[str, Any], author: int, spec: Any, at: datetime, *, public: bool = True
    ) -> dict[str, Any]:
        if not isinstance(spec, dict):
            raise invalid("comment", "Comment: must be an object")
        text = spec.get("body")
        if text is None and spec.get("html_body"):
            text = re.sub(r"<[^>]+>", " ", str(spec["html_body"])).strip()
        if not str(text or "").strip():
            raise invalid("description", "Description: cannot be blank", "BlankValue")
        made = comment(
            data.comment_id(),
            author,
            str(text),
            public=bool(spec.get("public", public)),
            channel="api",
            at=at,
        )
        data.comments.setdefault(ticket["id"], []).append(made)
        return made

    def check_fields(spec: dict[str, Any]) -> None:
        if "status" in spec and spec["status"] not in STATUSES:
            raise invalid("status", f"Status: {spec['status']!r} is not a valid status")
        if spec.get("priority") is not None and spec["priority"] not in PRIORITIES:
            raise invalid("priority", f"Priority: {spec['priority']!r} is invalid")
        if spec.get("type") is not None and spec["type"] not in TYPES:
            raise invalid("type", f"Type: {spec['type']!r} is invalid")
        if spec.get("group_id") is not None and spec["group_id"] not in GROUPS:
            raise invalid("group_id", "Group: is invalid")
        if "tags" in spec and not (
            isinstance(spec["tags"], list) and all(isinstance(t, str) for t in spec["tags"])
        ):
            raise invalid("tags", "Tags: must be a list of strings")

    # --- users -------------------------------------------------------------------------------

    @app.get("/api/v2/users/me.json")
    async def me(request: Request) -> dict[str, Any]:
        user = state.user_for(request)
        if user is None:  # Zendesk answers the anonymous user here, not 401
            return {
                "user": {
                    "id": None,
                    "url": None,
                    "name": "Anonymous user",
                    "email": "invalid@example.com",
                    "role": "end-user",
                    "locale": "en-US",
                    "time_zone": "UTC",
                    "authenticity_token": "anon",
                }
            }
        return {"user": user}

    # --- the incremental export --------------------------------------------------------------

    @app.get(EXPORT_PATH)
    async def incremental_tickets(request: Request) -> Response:
        user = signed_in(request)
        if user["role"] != "admin":
            raise ZendeskError(403, FORBIDDEN)
        params = request.query_params
        try:
            per_page = int(params.get("per_page", 1000))
        except ValueError:
            raise bad_request("per_page must be an integer") from None
        if not 1 <= per_page <= 1000:
            raise bad_request("per_page must be between 1 and 1000")
        rows = sorted(data.tickets, key=lambda t: (epoch(t["updated_at"]), t["id"]))
        cursor = params.get("cursor")
        if cursor:
            position = parse_export_cursor(cursor)
            before = sum(1 for t in rows if (epoch(t["updated_at"]), t["id"]) <= position)
            chosen = [t for t in rows if (epoch(t["updated_at"]), t["id"]) > position]
        elif params.get("start_time") is not None:
            try:
                start = int(params["start_time"])
            except ValueError:
                raise bad_request("start_time must be a Unix epoch time in seconds") from None
            if start > sb.clock() - 60:
                raise ZendeskError(
                    422,
                    {
                        "error": "InvalidValue",
                        "description": "Too recent start_time. Use a start_time older than "
                        "1 minute",
                    },
                )
            position = (start, 0)
            before = 0
            chosen = [t for t in rows if epoch(t["updated_at"]) >= start]
        else:
            raise bad_request("start_time or cursor is required")
        chunk = chosen[:per_page]
        end_of_stream = len(chosen) <= per_page
        page_no = before // per_page + 1
        last = (epoch(chunk[-1]["updated_at"]), chunk[-1]["id"]) if chunk else position
        after = sb.next_cursor(page_no, cursor, export_cursor(*last)) or export_cursor(*last)
        base = f"{str(request.base_url).rstrip('/')}{EXPORT_PATH}"
        first = (epoch(chunk[0]["updated_at"]), chunk[0]["id"]) if chunk else None
        before_cursor = export_cursor(first[0], first[1] - 1) if first and before else None
        body = {
            "tickets": [{**t, "generated_timestamp": epoch(t["updated_at"])} for t in chunk],
            "after_url": f"{base}?cursor={quote(after)}",
            "before_url": f"{base}?cursor={quote(before_cursor)}" if before_cursor else None,
            "after_cursor": after,
            "before_cursor": before_cursor,
            "end_of_stream": end_of_stream,
        }
        return sb.page(body, page_no)

    # --- tickets -------------------------------------------------------------------------------

    @app.get("/api/v2/tickets.json")
    async def list_tickets(request: Request) -> Response:
        agent(request)
        rows = sorted(data.tickets, key=lambda t: t["id"])
        external_id = request.query_params.get("external_id")
        if external_id is not None:
            rows = [t for t in rows if t["external_id"] == external_id]
        return cursor_list(request, rows, "tickets", default=100, maximum=100)

    @app.get("/api/v2/tickets/{ticket_id}.json")
    async def show_ticket(ticket_id: int, request: Request) -> dict[str, Any]:
        agent(request)
        return {"ticket": state.ticket(ticket_id)}

    @app.post("/api/v2/tickets.json")
    async def create_ticket(request: Request) -> Response:
        user = agent(request)
        spec = json_body(await read_json(request))
        check_fields(spec)
        if "comment" not in spec:
            raise invalid("description", "Description: cannot be blank", "BlankValue")
        source = None
        if spec.get("via_followup_source_id") is not None:
            source = state.ticket(spec["via_followup_source_id"])
            if source["status"] != "closed":
                raise invalid("via_followup_source_id", "Follow-up source must be closed")
        moment = state.next_moment()
        ticket_id = max((t["id"] for t in data.tickets), default=1000) + 1
        assignee = spec.get("assignee_id")
        status = spec.get("status") or ("open" if assignee else "new")
        ticket: dict[str, Any] = {
            "url": f"{HOST}/api/v2/tickets/{ticket_id}.json",
            "id": ticket_id,
            "external_id": spec.get("external_id"),
            "via": {
                "channel": "api",
                "source": {
                    "from": {"ticket_id": source["id"]} if source else {},
                    "to": {},
                    "rel": "follow_up" if source else None,
                },
            },
            "created_at": stamp(moment),
            "updated_at": stamp(moment),
            "type": spec.get("type"),
            "subject": spec.get("subject"),
            "raw_subject": spec.get("subject"),
            "description": "",
            "priority": spec.get("priority"),
            "status": status,
            "recipient": None,
            "requester_id": user["id"],
            "submitter_id": user["id"],
            "assignee_id": assignee,
            "organization_id": None,
            "group_id": spec.get("group_id") or user.get("default_group_id"),
            "collaborator_ids": [],
            "follower_ids": [],
            "email_cc_ids": [],
            "forum_topic_id": None,
            "problem_id": None,
            "has_incidents": False,
            "is_public": True,
            "due_at": None,
            "tags": sorted(set(spec.get("tags") or [])),
            "custom_fields": [],
            "satisfaction_rating": None,
            "sharing_agreement_ids": [],
            "fields": [],
            "followup_ids": [],
            "ticket_form_id": 5589325233878,
            "brand_id": 4678483693579,
            "allow_channelback": False,
            "allow_attachments": True,
            "from_messaging_channel": False,
        }
        made = add_comment(ticket, user["id"], spec["comment"], moment)
        ticket["description"] = made["plain_body"]
        ticket["is_public"] = made["public"]
        data.tickets.append(ticket)
        if source is not None:
            source["followup_ids"] = [*source["followup_ids"], ticket_id]
        state.created.append(spec)
        events = [{"id": made["id"], "type": "Comment", "body": made["body"], "public": True}]
        return JSONResponse(
            {"ticket": ticket, "audit": audit(ticket, user["id"], events)},
            status_code=201,
            headers={"Location": ticket["url"]},
        )

    @app.put("/api/v2/tickets/{ticket_id}.json")
    async def update_ticket(ticket_id: int, request: Request) -> dict[str, Any]:
        user = agent(request)
        spec = json_body(await read_json(request))
        ticket = state.ticket(ticket_id)
        if ticket["status"] == "closed":
            raise invalid("status", "Status: closed prevents ticket update")
        check_fields(spec)
        if spec.get("status") == "new" and ticket["status"] != "new":
            raise invalid("status", "Status: cannot be set back to New")
        moment = state.next_moment()
        events: list[dict[str, Any]] = []
        for name in ("status", "priority", "tags", "assignee_id", "group_id", "subject", "type"):
            if name in spec and spec[name] != ticket.get(name):
                events.append(
                    {
                        "id": data.audit_id(),
                        "type": "Change",
                        "field_name": name,
                        "value": spec[name],
                        "previous_value": ticket.get(name),
                    }
                )
                ticket[name] = spec[name]
        if "comment" in spec:
            made = add_comment(ticket, user["id"], spec["comment"], moment)
            events.insert(
                0,
                {
                    "id": made["id"],
                    "type": "Comment",
                    "body": made["body"],
                    "public": made["public"],
                },
            )
        if events:
            ticket["updated_at"] = stamp(moment)
        state.updated.append((ticket_id, spec))
        return {"ticket": ticket, "audit": audit(ticket, user["id"], events)}

    @app.get("/api/v2/tickets/{ticket_id}/comments.json")
    async def list_comments(ticket_id: int, request: Request) -> Response:
        agent(request)
        state.ticket(ticket_id)
        rows = sorted(data.comments.get(ticket_id, []), key=lambda c: (c["created_at"], c["id"]))
        return cursor_list(request, rows, "comments", default=100, maximum=100)

    # --- search ----------------------------------------------------------------------------------

    @app.get("/api/v2/search/export.json")
    async def search_export(request: Request) -> Response:
        agent(request)
        params = request.query_params
        if params.get("filter[type]") is None:
            raise bad_request("filter[type] is required (ticket, user, organization or group)")
        query = params.get("query")
        if not query:
            raise bad_request("query is required")
        if params["filter[type]"] != "ticket":
            rows: list[dict[str, Any]] = []
        else:
            predicate = compile_query(query)
            rows = [
                {**t, "result_type": "ticket"}
                for t in sorted(data.tickets, key=lambda t: t["id"])
                if predicate(t)
            ]
        return cursor_list(request, rows, "results", default=100, maximum=1000)

    return app


# --- the search language subset ------------------------------------------------------------------

_TERM = re.compile(r"^(?P<neg>-)?(?P<field>[a-z_]+)(?P<op>:|<=|>=|<|>)(?P<value>.+)$")
_ORDER = {status: index for index, status in enumerate(STATUSES)}
Predicate = Callable[[dict[str, Any]], bool]


def compile_query(query: str) -> Predicate:
    """A predicate for a Zendesk search query (the subset described in the module doc)."""
    try:
        terms = shlex.split(query)
    except ValueError:
        raise bad_request("Unbalanced quotes in query") from None
    predicates = [_term(term) for term in terms]
    return lambda ticket: all(p(ticket) for p in predicates)


def _term(term: str) -> Predicate:
    match = _TERM.match(term)
    if not match:
        word = term.lstrip("-").lower()
        negate = term.startswith("-")

        def contains(ticket: dict[str, Any]) -> bool:
            text = f"{ticket.get('subject') or ''} {ticket.get('description') or ''}".lower()
            return (word in text) != negate

        return contains
    field, op, value = match["field"], match["op"], match["value"].lower()
    negate = bool(match["neg"])

    def test(ticket: dict[str, Any]) -> bool:
        return _matches(ticket, field, op, value) != negate

    return test


def _matches(ticket: dict[str, Any], field: str, op: str, value: str) -> bool:
    if field == "type":
        return value == "ticket" if op == ":" else False
    if field in ("tags", "tag"):
        return value in [t.lower() for t in ticket.get("tags") or []]
    if field == "status":
        if value not in _ORDER:
            raise bad_request(f"Unknown status {value!r} in query")
        return _compare(_ORDER[ticket["status"]], op, _ORDER[value])
    if field in ("priority", "external_id", "subject", "description", "ticket_type"):
        key = "type" if field == "ticket_type" else field
        actual = str(ticket.get(key) or "").lower()
        return value in actual if field in ("subject", "description") else actual == value
    if field in ("created", "updated"):
        moment = to_datetime(ticket[f"{field}_at"])
        try:
            wanted = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        except ValueError:
            raise bad_request(f"Invalid date {value!r} in query") from None
        wanted = wanted if wanted.tzinfo else wanted.replace(tzinfo=UTC)
        return moment is not None and _compare(moment.timestamp(), op, wanted.timestamp())
    if field in ("assignee", "group"):
        return str(ticket.get(f"{field}_id") or "none") == value
    raise bad_request(f"Unsupported search property {field!r}")


def _compare(actual: float, op: str, wanted: float) -> bool:
    return {
        ":": actual == wanted,
        "<": actual < wanted,
        ">": actual > wanted,
        "<=": actual <= wanted,
        ">=": actual >= wanted,
    }[op]


__all__ = ["DEMO", "ZendeskState", "compile_query", "make_sandbox"]
