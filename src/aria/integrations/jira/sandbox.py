"""The Jira Cloud sandbox: REST API v3 for one site, in memory, offline.

``make_sandbox(seed, size, faults)`` serves (see :mod:`.sandbox_data` for the data):

* ``GET /rest/api/3/myself``; ``GET /rest/api/3/project/{key}`` (with its issue types);
* ``GET``/``POST /rest/api/3/search/jql``: JQL (:mod:`.sandbox_jql`), ``fields``,
  ``maxResults`` (100 with fields, 5000 for ids only) and ``nextPageToken`` paging with
  ``isLast``; the removed ``/rest/api/3/search`` answers 410 as Jira now does;
* ``POST /rest/api/3/issue`` (validated; errors as ``{"errorMessages": [], "errors":
  {field: message}}``) and ``GET /rest/api/3/issue/{key}``;
* ``GET``/``POST /rest/api/3/issue/{key}/transitions``: the workflow To Do / In Progress /
  In Review / Done / Won't Do; a transition really changes the status and ``updated``;
* ``GET``/``POST /rest/api/3/issue/{key}/comment`` (ADF bodies).

Auth is HTTP Basic with the demo e-mail and API token, or Bearer with the demo OAuth token
(also under the OAuth gateway prefix ``/ex/jira/<cloudId>``); anything else is a 401 in
Jira's envelope. ``Faults`` apply through ``Sandbox.install``; an
optional burst limit answers 429 with ``Retry-After``, ``X-RateLimit-Reset`` (ISO 8601) and
``RateLimit-Reason`` as Jira Cloud does.

Tests reach the site through ``app.state.jira`` (:class:`JiraState`: ``issue(key)``,
``transition(key, status)``, what was created, commented and transitioned) and
``app.state.issues`` (the live issue list). To move a ticket the way a person would, call the
API: ``GET /rest/api/3/issue/SEC-1/transitions``, then ``POST`` one of the ids.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from aria.integrations.jira import adf
from aria.integrations.jira.jql import zone
from aria.integrations.jira.sandbox_data import (
    ACCOUNT,
    ISSUE_TYPES,
    NOW,
    PRIORITIES,
    SITE,
    TRANSITIONS,
    JiraData,
    aria_user,
    comment,
    generate,
    issue,
    issue_type,
    jira_time,
    priority,
    project,
    status,
)
from aria.integrations.jira.sandbox_jql import JqlError, compile_jql
from aria.sdk.cursors import to_datetime
from aria.sdk.sandbox import Faults, Sandbox

DEMO: dict[str, Any] = {
    "base_url": SITE,
    "auth_type": "api_token",
    "email": ACCOUNT["emailAddress"],
    "api_token": "ATATT3xFfGF0-aria-demo-jira-token-0001",
    "project_key": "SEC",
    "webhook_secret": "jira-demo-webhook-secret-0001",
    # Small pages so the demo (and the conformance suite) walk several nextPageTokens.
    "page_size": 25,
}
DEMO_OAUTH_TOKEN = "jira-demo-oauth-access-token-0001"  # noqa: S105 - a public demo value
DEFAULT_PAGE = 50
MAX_PAGE = 100
MAX_ID_PAGE = 5000
UNAUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."
NO_ISSUE = "Issue does not exist or you do not have permission to see it."
GATEWAY_PREFIX = "/ex/jira/"
SETTABLE = {"project", "summary", "issuetype", "description", "labels", "priority", "assignee"}


def jira_error(
    status_code: int,
    messages: list[str] | None = None,
    errors: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Jira's error envelope."""
    body = {"errorMessages": list(messages or []), "errors": dict(errors or {})}
    return JSONResponse(body, status_code=status_code, headers=headers)


class FieldErrors(Exception):
    """400 with per-field messages, as issue creation reports them."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("field errors")
        self.errors = errors


class JiraState:
    """The site behind one sandbox app, plus helpers tests use to make things happen."""

    def __init__(self, sb: Sandbox, data: JiraData, time_zone: str) -> None:
        self.sb = sb
        self.data = data
        self.time_zone = time_zone
        self.created: list[dict[str, Any]] = []
        self.comments_posted: list[tuple[str, dict[str, Any]]] = []
        self.transitions: list[tuple[str, str, str]] = []  # (key, from, to)
        self._next_id = 60000
        self._next_comment = 900000

    @property
    def issues(self) -> list[dict[str, Any]]:
        """Every issue on the site (tests may read and change them)."""
        return self.data.issues

    def issue(self, key_or_id: str) -> dict[str, Any] | None:
        """The issue with this key (case-insensitive) or id."""
        wanted = str(key_or_id).upper()
        return next(
            (i for i in self.issues if i["key"].upper() == wanted or i["id"] == key_or_id),
            None,
        )

    def labelled(self, label: str) -> list[dict[str, Any]]:
        """Issues carrying ``label`` (``aria-risk-12`` finds the ticket of risk 12)."""
        return [i for i in self.issues if label in (i["fields"].get("labels") or [])]

    def latest(self) -> datetime:
        """The newest change on the site; new changes are stamped after it."""
        stamps = [to_datetime(i["fields"]["updated"]) for i in self.issues]
        return max([self.data.now, *[s for s in stamps if s is not None]])

    def next_moment(self, seconds: int = 60) -> datetime:
        """A moment ``seconds`` after every change so far (the sandbox's clock only moves
        forward, so an updated issue is always newer than any sync cursor)."""
        return self.latest() + timedelta(seconds=seconds)

    def transition(self, key: str, status_name: str) -> dict[str, Any]:
        """Move an issue to ``status_name`` (as the transitions endpoint does)."""
        found = self.issue(key)
        if found is None:
            raise KeyError(key)
        before = found["fields"]["status"]["name"]
        moment = self.next_moment()
        new_status = status(status_name)
        done = new_status["statusCategory"]["key"] == "done"
        found["fields"].update(
            status=new_status,
            updated=jira_time(moment),
            statuscategorychangedate=jira_time(moment),
            resolution={"id": "10000", "name": "Done"} if done else None,
            resolutiondate=jira_time(moment) if done else None,
        )
        self.transitions.append((found["key"], before, new_status["name"]))
        return found

    def add_comment(self, key: str, body: dict[str, Any], author: dict[str, Any]) -> dict[str, Any]:
        """Append a comment to an issue, which counts as an update of the issue."""
        found = self.issue(key)
        if found is None:
            raise KeyError(key)
        moment = self.next_moment()
        self._next_comment += 1
        note = comment(found["id"], str(self._next_comment), body, author, moment)
        page = found["fields"]["comment"]
        page["comments"].append(note)
        page["total"] = page["maxResults"] = len(page["comments"])
        found["fields"]["updated"] = jira_time(moment)
        self.comments_posted.append((found["key"], note))
        return note

    def create(self, fields: dict[str, Any], reporter: dict[str, Any]) -> dict[str, Any]:
        """A new issue from validated create fields; it starts in To Do."""
        project_key = fields["project"]["key"]
        numbers = [
            int(i["key"].rsplit("-", 1)[1])
            for i in self.issues
            if i["key"].startswith(f"{project_key}-")
        ]
        self._next_id += 1
        moment = self.next_moment()
        created = issue(
            issue_id=str(self._next_id),
            key=f"{project_key}-{max(numbers, default=0) + 1}",
            project_key=project_key,
            summary=fields["summary"],
            description=fields.get("description"),
            status_name="To Do",
            priority_name=fields["priority"]["name"] if fields.get("priority") else "Medium",
            type_name=fields["issuetype"]["name"],
            labels=list(fields.get("labels") or []),
            created=moment,
            updated=moment,
            reporter=reporter,
            assignee=None,
        )
        self.issues.append(created)
        self.created.append(created)
        return created


class Gateway:
    """``https://api.atlassian.com/ex/jira/<cloudId>/rest/...`` (how OAuth 2.0 apps reach a
    site) is served like ``/rest/...`` on the site itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith(GATEWAY_PREFIX):
            rest = path[len(GATEWAY_PREFIX) :].partition("/")[2]
            scope = {**scope, "path": "/" + rest, "raw_path": ("/" + rest).encode()}
        await self.app(scope, receive, send)


class BurstLimit:
    """Jira's per-second burst limit (off unless asked for): beyond ``limit`` calls in a
    window, 429 with ``Retry-After``, ``X-RateLimit-Reset`` (ISO 8601, minute precision) and
    ``RateLimit-Reason: jira-burst-based``."""

    def __init__(
        self,
        app: ASGIApp,
        sandbox: Sandbox,
        limit: int,
        window_s: float,
        retry_after: bool,
    ) -> None:
        self.app = app
        self.sandbox = sandbox
        self.limit = limit
        self.window_s = window_s
        self.retry_after = retry_after
        self.window_start = -math.inf
        self.count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        now = self.sandbox.clock()
        if now >= self.window_start + self.window_s:
            self.window_start, self.count = now, 0
        self.count += 1
        if self.count <= self.limit:
            await self.app(scope, receive, send)
            return
        reset = self.window_start + self.window_s
        wait = max(1, math.ceil(reset - now))
        until = datetime.fromtimestamp(now + wait, UTC) + timedelta(seconds=59)
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": until.strftime("%Y-%m-%dT%H:%MZ"),
            "RateLimit-Reason": "jira-burst-based",
        }
        if self.retry_after:
            headers["Retry-After"] = str(wait)
        response = jira_error(429, ["Rate limit exceeded."], headers=headers)
        await response(scope, receive, send)


def make_sandbox(
    seed: int = 7,
    size: int = 200,
    faults: Faults | None = None,
    *,
    time_zone: str = "UTC",
    burst_limit: int | None = None,
    burst_window_s: float = 1.0,
    burst_retry_after: bool = True,
    now: datetime | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> FastAPI:
    """A Jira Cloud site with ``size`` ARIA tickets (see :mod:`.sandbox_data`).

    ``time_zone`` is the demo account's profile zone (JQL dates are read in it);
    ``burst_limit`` turns on the 429 burst limit (calls per ``burst_window_s`` of ``clock``).
    """
    extra: dict[str, Any] = {}
    if clock is not None:
        extra["clock"] = clock
    if sleep is not None:
        extra["sleep"] = sleep
    sb = Sandbox(seed=seed, size=size, faults=faults, now=now or NOW, **extra)
    app = FastAPI(title="Jira Cloud REST API v3 (ARIA sandbox)", docs_url=None, redoc_url=None)
    sb.install(app)
    if burst_limit is not None:
        app.add_middleware(
            BurstLimit,
            sandbox=sb,
            limit=burst_limit,
            window_s=burst_window_s,
            retry_after=burst_retry_after,
        )
    app.add_middleware(Gateway)
    data = generate(seed, size)
    if now is not None:
        data.now = now
    state = JiraState(sb, data, time_zone)
    app.state.jira = state
    app.state.issues = state.issues
    user_zone = zone(time_zone) or UTC

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return jira_error(exc.status_code, [str(exc.detail)], headers=exc.headers)

    @app.exception_handler(FieldErrors)
    async def field_errors(request: Request, exc: FieldErrors) -> Response:
        return jira_error(400, [], exc.errors)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        where = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        return jira_error(400, [f"The request is invalid: {where}"])

    def authorize(request: Request) -> dict[str, Any]:
        """The signed-in account, or 401 (Basic e-mail + token, or the demo Bearer)."""
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, secret = base64.b64decode(value).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user, secret = "", ""
            if _equal(user, DEMO["email"]) and _equal(secret, DEMO["api_token"]):
                return aria_user()
        elif scheme.lower() == "bearer" and _equal(value, DEMO_OAUTH_TOKEN):
            return aria_user()
        raise HTTPException(401, UNAUTHENTICATED, headers={"WWW-Authenticate": "Basic"})

    async def json_body(request: Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            raise HTTPException(400, "Unexpected character in the request body.") from None

    def find(key: str) -> dict[str, Any]:
        found = state.issue(key)
        if found is None:
            raise HTTPException(404, NO_ISSUE)
        return found

    # --- identity and projects -------------------------------------------------------------

    @app.get("/rest/api/3/myself")
    async def myself(request: Request) -> dict[str, Any]:
        return {
            **authorize(request),
            "timeZone": time_zone,
            "locale": "en_US",
            "groups": {"size": 2, "items": []},
            "applicationRoles": {"size": 1, "items": []},
        }

    @app.get("/rest/api/3/project/{key}")
    async def get_project(key: str, request: Request) -> dict[str, Any]:
        authorize(request)
        found = project(key)
        if found is None:
            raise HTTPException(404, f"No project could be found with key '{key}'.")
        types = [issue_type(name) for _, name, _ in _types_of(found["key"])]
        return {
            **found,
            "description": "",
            "style": "classic",
            "isPrivate": False,
            "issueTypes": types,
            "lead": aria_user(),
        }

    # --- search --------------------------------------------------------------------------------

    def search(
        jql: Any, token: Any, max_results: Any, fields: list[str] | None, page_base: str
    ) -> Response:
        if not isinstance(jql, str):
            raise HTTPException(400, "The 'jql' parameter is required.")
        try:
            query = compile_jql(jql, zone=user_zone, now=state.latest())
            chosen = query.run(state.issues)
        except JqlError as exc:
            return jira_error(400, [str(exc)])
        wanted = _wanted_fields(fields)
        cap = MAX_ID_PAGE if wanted <= {"id", "key"} else MAX_PAGE
        try:
            limit = DEFAULT_PAGE if max_results in (None, "") else int(max_results)
        except (TypeError, ValueError):
            raise HTTPException(400, "maxResults must be a number.") from None
        if limit < 1:
            raise HTTPException(400, "maxResults must be at least 1.")
        limit = min(limit, cap)
        offset = sb.decode_cursor(token) if token else 0
        page_no = offset // limit + 1
        chunk = chosen[offset : offset + limit]
        following = sb.encode_cursor(offset + limit) if offset + limit < len(chosen) else None
        nxt = sb.next_cursor(page_no, token if token else None, following)
        body: dict[str, Any] = {"issues": [_project_issue(i, wanted, page_base) for i in chunk]}
        if nxt:
            body["nextPageToken"] = nxt
        body["isLast"] = nxt is None
        return sb.page(body, page_no)

    @app.get("/rest/api/3/search/jql")
    async def search_get(request: Request) -> Response:
        authorize(request)
        params = request.query_params
        fields = [f for v in params.getlist("fields") for f in v.split(",")] or None
        return search(
            params.get("jql"), params.get("nextPageToken"), params.get("maxResults"), fields, SITE
        )

    @app.post("/rest/api/3/search/jql")
    async def search_post(request: Request) -> Response:
        authorize(request)
        body = await json_body(request)
        if not isinstance(body, dict):
            raise HTTPException(400, "The request body must be a JSON object.")
        fields = body.get("fields")
        return search(
            body.get("jql"),
            body.get("nextPageToken"),
            body.get("maxResults"),
            [str(f) for f in fields] if isinstance(fields, list) else None,
            SITE,
        )

    @app.api_route("/rest/api/3/search", methods=["GET", "POST"])
    async def removed_search(request: Request) -> Response:
        authorize(request)
        return jira_error(
            410,
            [
                "The requested API has been removed. Please migrate to the "
                "/rest/api/3/search/jql API."
            ],
        )

    # --- issues ---------------------------------------------------------------------------------

    @app.post("/rest/api/3/issue", status_code=201)
    async def create_issue(request: Request) -> dict[str, Any]:
        reporter = authorize(request)
        body = await json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("fields"), dict):
            raise HTTPException(400, "The request body must be an object with 'fields'.")
        fields = _validated_create(body["fields"])
        created = state.create(fields, reporter)
        return {"id": created["id"], "key": created["key"], "self": created["self"]}

    @app.get("/rest/api/3/issue/{key}")
    async def get_issue(key: str, request: Request) -> dict[str, Any]:
        authorize(request)
        found = find(key)
        params = request.query_params
        fields = [f for v in params.getlist("fields") for f in v.split(",")] or ["*all"]
        return _project_issue(found, _wanted_fields(fields), SITE)

    @app.get("/rest/api/3/issue/{key}/transitions")
    async def list_transitions(key: str, request: Request) -> dict[str, Any]:
        authorize(request)
        current = find(key)["fields"]["status"]["name"]
        return {"expand": "transitions", "transitions": _transitions(current)}

    @app.post("/rest/api/3/issue/{key}/transitions", status_code=204)
    async def do_transition(key: str, request: Request) -> Response:
        authorize(request)
        found = find(key)
        body = await json_body(request)
        transition = body.get("transition") if isinstance(body, dict) else None
        tid = transition.get("id") if isinstance(transition, dict) else None
        if tid in (None, ""):
            return jira_error(400, ["Missing 'transition' identifier"])
        available = {t["id"]: t for t in _transitions(found["fields"]["status"]["name"])}
        chosen = available.get(str(tid))
        if chosen is None:
            return jira_error(400, [f"Transition id '{tid}' is not valid for this issue."])
        state.transition(found["key"], chosen["to"]["name"])
        return Response(status_code=204)

    @app.get("/rest/api/3/issue/{key}/comment")
    async def list_comments(key: str, request: Request) -> dict[str, Any]:
        authorize(request)
        return dict(find(key)["fields"]["comment"])

    @app.post("/rest/api/3/issue/{key}/comment", status_code=201)
    async def add_comment(key: str, request: Request) -> dict[str, Any]:
        author = authorize(request)
        found = find(key)
        body = await json_body(request)
        doc = body.get("body") if isinstance(body, dict) else None
        if doc is None or (isinstance(doc, dict) and not doc.get("content")):
            raise FieldErrors({"comment": "Comment body can not be empty!"})
        problems = adf.problems(doc)
        if problems:
            raise FieldErrors({"comment": "INVALID_INPUT: " + "; ".join(problems[:3])})
        return state.add_comment(found["key"], doc, author)

    return app


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _types_of(project_key: str) -> tuple[tuple[str, str, str], ...]:
    """Issue types of a project: SEC offers Task, Bug and Story; others only Task."""
    return ISSUE_TYPES if project_key == "SEC" else ISSUE_TYPES[:1]


def _transitions(current: str) -> list[dict[str, Any]]:
    """The workflow's transitions available from ``current`` (all global, none looped)."""
    return [
        {
            "id": tid,
            "name": name,
            "to": status(target),
            "hasScreen": False,
            "isGlobal": True,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "isLooped": False,
        }
        for tid, name, target in TRANSITIONS
        if target != current
    ]


def _wanted_fields(fields: list[str] | None) -> set[str]:
    """The ``fields`` parameter as a set; ``*all``/``*navigable`` mean every field; the
    enhanced search returns only ids when it is absent."""
    if not fields:
        return {"id"}
    names = {f.strip() for f in fields if f.strip()}
    every = {"*all", "*navigable"} & names
    excluded = {n[1:] for n in names if n.startswith("-")}
    chosen = {"*"} if every else {n for n in names if not n.startswith("-")}
    return (chosen - excluded) | ({f"-{n}" for n in excluded} if every else set())


def _project_issue(found: dict[str, Any], wanted: set[str], base: str) -> dict[str, Any]:
    """The issue with only the requested fields, as search and GET issue return it."""
    if wanted == {"id"}:
        return {"id": found["id"]}
    everything = "*" in wanted
    fields = {
        name: value
        for name, value in found["fields"].items()
        if (everything and f"-{name}" not in wanted) or name in wanted
    }
    return {
        "expand": found["expand"],
        "id": found["id"],
        "self": f"{base}/rest/api/3/issue/{found['id']}",
        "key": found["key"],
        "fields": fields,
    }


def _validated_create(fields: dict[str, Any]) -> dict[str, Any]:
    """Create fields checked the way Jira checks them; raises FieldErrors."""
    errors: dict[str, str] = {}
    for name in sorted(set(fields) - SETTABLE):
        errors[name] = (
            f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
        )
    ref = fields.get("project")
    found = None
    if isinstance(ref, dict):
        found = project(str(ref.get("key") or ref.get("id") or ""))
    if found is None:
        errors["project"] = "Specify a valid project ID or key"
    kind = fields.get("issuetype")
    name = kind.get("name") if isinstance(kind, dict) else None
    if not name:
        errors["issuetype"] = "Specify an issue type"
    elif found is not None and name.casefold() not in {
        t[1].casefold() for t in _types_of(found["key"])
    }:
        errors["issuetype"] = "Specify a valid issue type"
    summary = fields.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors["summary"] = "You must specify a summary of the issue."
    elif len(summary) > 255:
        errors["summary"] = "Summary must be less than 255 characters."
    elif "\n" in summary:
        errors["summary"] = "The summary is invalid because it contains newline characters."
    if fields.get("description") is not None and adf.problems(fields["description"]):
        errors["description"] = (
            "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
        )
    labels = fields.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(x, str) and x for x in labels):
        errors["labels"] = "Labels must be a list of non-empty strings."
    else:
        spaced = next((x for x in labels if any(c.isspace() for c in x)), None)
        if spaced is not None:
            errors["labels"] = f"The label '{spaced}' contains spaces which is invalid."
        elif any(len(x) > 255 for x in labels):
            errors["labels"] = "The label must not exceed 255 characters."
    wanted = fields.get("priority")
    if wanted is not None:
        names = {p.casefold() for _, p in PRIORITIES}
        ids = {pid for pid, _ in PRIORITIES}
        ok = isinstance(wanted, dict) and (
            str(wanted.get("name", "")).casefold() in names or str(wanted.get("id", "")) in ids
        )
        if not ok:
            errors["priority"] = "Specify a valid 'id' or 'name' for Priority"
    if errors:
        raise FieldErrors(errors)
    assert found is not None and isinstance(name, str)
    canonical_type = next(
        t[1] for t in _types_of(found["key"]) if t[1].casefold() == name.casefold()
    )
    chosen_priority = None
    if isinstance(wanted, dict):
        chosen_priority = next(
            p
            for pid, p in PRIORITIES
            if p.casefold() == str(wanted.get("name", "")).casefold()
            or pid == str(wanted.get("id"))
        )
    return {
        "project": {"key": found["key"]},
        "summary": summary,
        "issuetype": {"name": canonical_type},
        "description": fields.get("description"),
        "labels": labels,
        "priority": priority(chosen_priority) if chosen_priority else None,
    }


__all__ = ["DEMO", "DEMO_OAUTH_TOKEN", "JiraState", "make_sandbox"]
