"""The Linear sandbox: ``POST /graphql`` answering the documents the integration sends.

This is no GraphQL engine. Each request names its operation (``operationName``, else the name
in the document); the document must be the integration's own for that operation (compared
without insignificant whitespace) and the variables must match its declared types, else the
answer is a GraphQL validation error (HTTP 400, ``GRAPHQL_VALIDATION_FAILED``), as Linear
answers documents it cannot run. Answers have Linear's shapes: ``{"data": ...}``, connections
with ``nodes`` and ``pageInfo { hasNextPage endCursor }``, issues ordered by ``updatedAt``
(newest first) and filtered by the ``IssueFilter`` fields ARIA uses (``labels.name``,
``updatedAt``, ``title``, ``team.id``, ``state.type``).

Errors are Linear's too: a missing or wrong key is HTTP 400 with ``AUTHENTICATION_ERROR``; a
read-only key writing is ``FORBIDDEN``; a missing entity or bad input is HTTP 200 with
``INVALID_INPUT`` and ``data: null``. ``make_sandbox(limits=True)`` runs Linear's leaky buckets
(requests and complexity per hour, per user) on the sandbox clock: ``X-RateLimit-Requests-*``
and ``X-RateLimit-Complexity-*`` headers on every answer, and HTTP 400 ``RATELIMITED`` once a
bucket is empty. ``app.state.linear`` exposes the workspace and what was written.
"""

from __future__ import annotations

import base64
import hmac
import json
import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response

from aria.integrations.linear.documents import COMMENTS_PAGE, DOCUMENTS, OPERATION, compact
from aria.integrations.linear.sandbox_data import (
    ORG,
    PRIORITY_LABELS,
    LinearData,
    comment,
    generate,
    issue_url,
    stamp,
    uid,
)
from aria.sdk.cursors import to_datetime
from aria.sdk.sandbox import Faults, Sandbox

DEMO_API_KEY = "lin_api_AriaDemo7xQ2mN9pR4sT6vW8yZ1bC3dF5gH"
READONLY_API_KEY = "lin_api_AriaReadOnly2kL4mN6pQ8rS0tU"
DEMO_OAUTH_TOKEN = "lin_oauth_5f0e1d2c3b4a59687766554433221100"  # noqa: S105 - sandbox credential
ANALYST_OAUTH_TOKEN = "lin_oauth_analyst_99aa88bb77cc66dd55ee44ff"  # noqa: S105 - sandbox
WEBHOOK_SECRET = "lin_wh_AriaDemoSigningSecret3Jk8Lm2Np"  # noqa: S105 - sandbox credential
DEMO: dict[str, Any] = {
    "auth_method": "api_key",
    "api_key": DEMO_API_KEY,
    "team_key": "SEC",
    "webhook_secret": WEBHOOK_SECRET,
    # Small pages so the demo (and the conformance suite) walk several cursors.
    "page_size": 25,
}
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
REQUESTS_PER_HOUR = 1500
COMPLEXITY_PER_HOUR = 250_000
MAX_FIRST = 250

# Variables each operation declares: name -> (GraphQL type, required).
VARIABLES: dict[str, dict[str, tuple[str, bool]]] = {
    "AriaViewer": {},
    "AriaTeams": {"filter": ("TeamFilter", True)},
    "AriaWorkflowStates": {"teamId": ("ID", True)},
    "AriaLabels": {"name": ("String", True)},
    "AriaLabelCreate": {"input": ("IssueLabelCreateInput", True)},
    "AriaIssues": {
        "first": ("Int", True),
        "after": ("String", False),
        "filter": ("IssueFilter", True),
    },
    "AriaIssueComments": {"id": ("String", True), "after": ("String", False)},
    "AriaIssueCreate": {"input": ("IssueCreateInput", True)},
    "AriaIssueUpdate": {"id": ("String", True), "input": ("IssueUpdateInput", True)},
    "AriaCommentCreate": {"input": ("CommentCreateInput", True)},
}
MUTATIONS = {"AriaLabelCreate", "AriaIssueCreate", "AriaIssueUpdate", "AriaCommentCreate"}
INPUT_FIELDS = {
    "IssueCreateInput": {
        "teamId",
        "title",
        "description",
        "priority",
        "labelIds",
        "stateId",
        "assigneeId",
    },
    "IssueUpdateInput": {"title", "description", "priority", "labelIds", "stateId", "assigneeId"},
    "CommentCreateInput": {"issueId", "body"},
    "IssueLabelCreateInput": {"name", "color", "description", "teamId"},
    "TeamFilter": {"id", "key", "name"},
}
ISSUE_FILTER_FIELDS = {"labels", "updatedAt", "title", "team", "state"}


class GraphQLError(Exception):
    """An error answered in Linear's ``errors`` shape."""

    def __init__(
        self, message: str, code: str, *, status: int = 200, kind: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.kind = kind or code.replace("_", " ").lower()

    def body(self) -> dict[str, Any]:
        return {
            "errors": [
                {
                    "message": self.message,
                    "extensions": {
                        "code": self.code,
                        "type": self.kind,
                        "userError": self.code not in ("INTERNAL_SERVER_ERROR",),
                        "userPresentableMessage": self.message,
                    },
                }
            ],
            "data": None,
        }


def validation(message: str) -> GraphQLError:
    """A document or variables Linear cannot run: HTTP 400."""
    return GraphQLError(message, "GRAPHQL_VALIDATION_FAILED", status=400, kind="graphql error")


def invalid_input(message: str) -> GraphQLError:
    """A resolver refusing its input (HTTP 200, ``data: null``)."""
    return GraphQLError(message, "INVALID_INPUT", kind="invalid input")


def not_found(entity: str) -> GraphQLError:
    """A referenced entity that does not exist."""
    return invalid_input(f"Entity not found: {entity} - Could not find referenced {entity}.")


def encode(key: tuple[str, str]) -> str:
    """An opaque connection cursor for an (updatedAt, id) position."""
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def decode(cursor: str) -> tuple[str, str]:
    """The position of a cursor from :func:`encode`."""
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return str(value[0]), str(value[1])
    except (ValueError, IndexError, TypeError):
        raise invalid_input("Invalid cursor") from None


class Buckets:
    """Linear's leaky buckets per user: requests and complexity points an hour."""

    def __init__(self, clock: Callable[[], float], requests: int, complexity: int) -> None:
        self.clock = clock
        self.limits = {"requests": requests, "complexity": complexity}
        self.levels: dict[tuple[str, str], tuple[float, float]] = {}

    def _level(self, user: str, kind: str) -> float:
        limit = self.limits[kind]
        now = self.clock()
        level, at = self.levels.get((user, kind), (float(limit), now))
        return min(float(limit), level + (now - at) * limit / 3600.0)

    def take(self, user: str, cost: int) -> dict[str, str] | None:
        """Headers for an admitted request, or None when a bucket is empty."""
        now = self.clock()
        requests, points = self._level(user, "requests"), self._level(user, "complexity")
        if requests < 1 or points < cost:
            return None
        self.levels[(user, "requests")] = (requests - 1, now)
        self.levels[(user, "complexity")] = (points - cost, now)
        return self.headers(user, cost)

    def headers(self, user: str, cost: int) -> dict[str, str]:
        """Linear's rate-limit headers; resets are epoch milliseconds."""
        now = self.clock()
        out = {"X-Complexity": str(cost)}
        for kind, title in (("requests", "Requests"), ("complexity", "Complexity")):
            limit = self.limits[kind]
            level = self._level(user, kind)
            need = 1 if kind == "requests" else cost
            wait = max(0.0, (need - level) * 3600.0 / limit) if level < need else 0.0
            out[f"X-RateLimit-{title}-Limit"] = str(limit)
            out[f"X-RateLimit-{title}-Remaining"] = str(max(0, math.floor(level)))
            out[f"X-RateLimit-{title}-Reset"] = str(int((now + wait) * 1000))
        return out


class LinearState:
    """The workspace behind one sandbox app, plus helpers tests use."""

    def __init__(self, sb: Sandbox, data: LinearData) -> None:
        self.sb = sb
        self.data = data
        self.principals = {
            DEMO_API_KEY: ("aria", {"read", "write"}),
            READONLY_API_KEY: ("reader", {"read"}),
            f"Bearer {DEMO_OAUTH_TOKEN}": ("aria", {"read", "write"}),
            f"Bearer {ANALYST_OAUTH_TOKEN}": ("analyst0", {"read", "write"}),
        }
        self.operations: list[tuple[str, dict[str, Any]]] = []

    def counts(self) -> dict[str, int]:
        """Records per stream: what a full read of ``tickets`` returns."""
        return {"tickets": self.data.aria_count()}

    def principal(self, header: str) -> tuple[dict[str, Any], set[str]] | None:
        """The user and scopes of an ``Authorization`` value (API keys carry no Bearer)."""
        for value, (user, scopes) in self.principals.items():
            if hmac.compare_digest(value.encode(), header.encode()):
                return self.data.users[user], scopes
        return None

    def issue(self, key: str) -> dict[str, Any]:
        """An issue by id or identifier (as Linear accepts both)."""
        wanted = key.lower()
        for issue in self.data.issues:
            if issue["id"] == key or issue["identifier"].lower() == wanted:
                return issue
        raise not_found("Issue")

    def next_moment(self) -> datetime:
        """A time after every change so far."""
        latest = max((to_datetime(i["updatedAt"]) for i in self.data.issues), default=None)
        return max(latest or self.data.now, self.data.now) + timedelta(seconds=1)

    def touch(self, count: int) -> list[str]:
        """Update the first ``count`` ARIA issues past the newest one, as a teammate would."""
        touched = []
        aria = [i for i in self.data.issues if "aria-risk" in [lb["name"] for lb in i["labels"]]]
        for issue in aria[:count]:
            issue["updatedAt"] = stamp(self.next_moment())
            touched.append(issue["identifier"])
        return touched

    # --- shapes -----------------------------------------------------------------------------

    def user_view(self, user_id: str | None) -> dict[str, Any] | None:
        user = next((u for u in self.data.users.values() if u["id"] == user_id), None)
        return {"id": user["id"], "name": user["name"], "email": user["email"]} if user else None

    def comment_view(self, stored: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": stored["id"],
            "body": stored["body"],
            "createdAt": stored["createdAt"],
            "updatedAt": stored["updatedAt"],
            "user": self.user_view(stored["userId"]),
        }

    def comments_page(self, issue_id: str, first: int, after: str | None) -> dict[str, Any]:
        rows = sorted(self.data.comments.get(issue_id, []), key=lambda c: (c["createdAt"], c["id"]))
        offset = self.sb.decode_cursor(after) if after else 0
        chunk = rows[offset : offset + first]
        more = offset + first < len(rows)
        return {
            "nodes": [self.comment_view(c) for c in chunk],
            "pageInfo": {
                "hasNextPage": more,
                "endCursor": self.sb.encode_cursor(offset + len(chunk)) if chunk else None,
            },
        }

    def issue_view(self, issue: dict[str, Any]) -> dict[str, Any]:
        """The issue as the ``AriaIssueFields`` fragment selects it."""
        state = self.data.state(issue["stateId"]) or {}
        team = self.data.team(issue["teamId"]) or {}
        return {
            "id": issue["id"],
            "identifier": issue["identifier"],
            "number": issue["number"],
            "title": issue["title"],
            "description": issue["description"],
            "priority": issue["priority"],
            "priorityLabel": issue["priorityLabel"],
            "url": issue["url"],
            "createdAt": issue["createdAt"],
            "updatedAt": issue["updatedAt"],
            "completedAt": issue["completedAt"],
            "canceledAt": issue["canceledAt"],
            "archivedAt": issue["archivedAt"],
            "state": {"id": state.get("id"), "name": state.get("name"), "type": state.get("type")},
            "team": {"id": team.get("id"), "key": team.get("key"), "name": team.get("name")},
            "labels": {"nodes": [dict(lb) for lb in issue["labels"]]},
            "assignee": self.user_view(issue["assigneeId"]),
            "creator": self.user_view(issue["creatorId"]),
            "comments": self.comments_page(issue["id"], COMMENTS_PAGE, None),
        }


def make_sandbox(
    seed: int = 7,
    size: int = 200,
    faults: Faults | None = None,
    *,
    limits: bool = False,
    requests_per_hour: int = REQUESTS_PER_HOUR,
    complexity_per_hour: int = COMPLEXITY_PER_HOUR,
    aria_label: bool = True,
    now: datetime | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> FastAPI:
    """Linear's GraphQL API over a workspace whose tickets stream serves ``size`` ARIA issues;
    ``limits`` runs the rate-limit buckets; ``aria_label=False`` starts without the label."""
    extra: dict[str, Any] = {}
    if clock is not None:
        extra["clock"] = clock
    if sleep is not None:
        extra["sleep"] = sleep
    sb = Sandbox(seed=seed, size=size, faults=faults, now=now or NOW, **extra)
    app = FastAPI(title="Linear GraphQL API (ARIA sandbox)", docs_url=None, redoc_url=None)
    sb.install(app)
    state = LinearState(sb, generate(seed, size, sb.gen.now, aria_label=aria_label))
    app.state.linear = state
    buckets = Buckets(sb.clock, requests_per_hour, complexity_per_hour) if limits else None
    data = state.data

    @app.post("/graphql")
    async def graphql(request: Request) -> Response:
        headers: dict[str, str] = {}
        try:
            try:
                payload = json.loads(await request.body())
            except ValueError:
                raise GraphQLError("POST body is not JSON", "BAD_REQUEST", status=400) from None
            if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
                raise GraphQLError("POST body missing 'query'", "BAD_REQUEST", status=400)
            who = state.principal(request.headers.get("authorization", ""))
            if who is None:
                raise GraphQLError(
                    "Authentication required, not authenticated",
                    "AUTHENTICATION_ERROR",
                    status=400,
                    kind="authentication error",
                )
            user, scopes = who
            operation, variables = resolve_operation(payload)
            if buckets is not None:
                cost = complexity(operation, variables)
                admitted = buckets.take(user["id"], cost)
                if admitted is None:
                    headers = buckets.headers(user["id"], cost)
                    raise GraphQLError("Rate limit exceeded", "RATELIMITED", status=400)
                headers = admitted
            if operation in MUTATIONS and "write" not in scopes:
                raise GraphQLError(
                    "Invalid scope: `write` required", "FORBIDDEN", status=400, kind="forbidden"
                )
            state.operations.append((operation, variables))
            result, page_no = run(operation, variables, user)
        except GraphQLError as exc:
            return JSONResponse(exc.body(), status_code=exc.status, headers=headers)
        return sb.page({"data": result}, page_no, headers=headers)

    def run(
        operation: str, variables: dict[str, Any], user: dict[str, Any]
    ) -> tuple[dict[str, Any], int]:
        if operation == "AriaViewer":
            return {"viewer": dict(user), "organization": dict(ORG)}, 1
        if operation == "AriaTeams":
            check_input("TeamFilter", variables["filter"])
            rows = [t for t in data.teams if match_team(t, variables["filter"])]
            return {"teams": {"nodes": [dict(t) for t in rows]}}, 1
        if operation == "AriaWorkflowStates":
            rows = [s for s in data.states if s["team"]["id"] == variables["teamId"]]
            nodes = [{k: s[k] for k in ("id", "name", "type", "position")} for s in rows]
            return {"workflowStates": {"nodes": nodes}}, 1
        if operation == "AriaLabels":
            wanted = variables["name"].lower()
            rows = [lb for lb in data.labels if lb["name"].lower() == wanted]
            return {"issueLabels": {"nodes": [dict(lb) for lb in rows]}}, 1
        if operation == "AriaLabelCreate":
            return {"issueLabelCreate": create_label(variables["input"])}, 1
        if operation == "AriaIssues":
            return list_issues(variables)
        if operation == "AriaIssueComments":
            issue = state.issue(variables["id"])
            page = state.comments_page(issue["id"], 50, variables.get("after"))
            return {"issue": {"comments": page}}, 1
        if operation == "AriaIssueCreate":
            return {"issueCreate": create_issue(variables["input"], user)}, 1
        if operation == "AriaIssueUpdate":
            return {"issueUpdate": update_issue(variables["id"], variables["input"])}, 1
        if operation == "AriaCommentCreate":
            return {"commentCreate": create_comment(variables["input"], user)}, 1
        raise validation(f'Unknown operation named "{operation}".')  # pragma: no cover

    def list_issues(variables: dict[str, Any]) -> tuple[dict[str, Any], int]:
        first = variables["first"]
        if not 1 <= first <= MAX_FIRST:
            raise invalid_input(f"first must be between 1 and {MAX_FIRST}")
        predicate = compile_issue_filter(variables["filter"], data)
        rows = sorted(
            (i for i in data.issues if predicate(i)),
            key=lambda i: (i["updatedAt"], i["id"]),
            reverse=True,
        )
        after = variables.get("after")
        before = 0
        if after:
            position = decode(after)
            before = sum(1 for i in rows if (i["updatedAt"], i["id"]) >= position)
            rows = [i for i in rows if (i["updatedAt"], i["id"]) < position]
        chunk = rows[:first]
        more = len(rows) > first
        page_no = before // first + 1
        end = encode((chunk[-1]["updatedAt"], chunk[-1]["id"])) if chunk else None
        end = sb.next_cursor(page_no, after, end) if more else end
        connection = {
            "nodes": [state.issue_view(i) for i in chunk],
            "pageInfo": {"hasNextPage": more, "endCursor": end},
        }
        return {"issues": connection}, page_no

    def create_label(spec: dict[str, Any]) -> dict[str, Any]:
        check_input("IssueLabelCreateInput", spec)
        name = str(spec.get("name") or "").strip()
        if not name:
            raise invalid_input("Label name cannot be empty")
        team = spec.get("teamId")
        if team is not None and data.team(team) is None:
            raise not_found("Team")
        clash = [lb for lb in data.labels if lb["name"].lower() == name.lower()]
        if any((lb["team"] or {}).get("id") == team or lb["team"] is None for lb in clash):
            raise invalid_input("Duplicate label name")
        label = {
            "id": uid(seed, "label", name, len(data.labels)),
            "name": name,
            "team": {"id": team} if team else None,
        }
        data.labels.append(label)
        return {"success": True, "issueLabel": {"id": label["id"], "name": name}}

    def labels_for(ids: Any) -> list[dict[str, Any]]:
        if not isinstance(ids, list):
            raise invalid_input("labelIds must be a list of label ids")
        found = []
        for label_id in ids:
            label = data.label(str(label_id))
            if label is None:
                raise not_found("IssueLabel")
            found.append({"id": label["id"], "name": label["name"]})
        return found

    def set_state(issue: dict[str, Any], state_id: str, moment: datetime) -> None:
        target = data.state(state_id)
        if target is None or target["team"]["id"] != issue["teamId"]:
            raise invalid_input("Invalid input: stateId does not belong to the issue's team")
        issue["stateId"] = state_id
        issue["completedAt"] = stamp(moment) if target["type"] == "completed" else None
        issue["canceledAt"] = stamp(moment) if target["type"] == "canceled" else None

    def set_priority(issue: dict[str, Any], priority: Any) -> None:
        if not isinstance(priority, int) or isinstance(priority, bool) or not 0 <= priority <= 4:
            raise invalid_input("priority must be an integer from 0 (none) to 4 (low)")
        issue["priority"] = priority
        issue["priorityLabel"] = PRIORITY_LABELS[priority]

    def create_issue(spec: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
        check_input("IssueCreateInput", spec)
        team = data.team(str(spec.get("teamId") or ""))
        if team is None:
            raise not_found("Team")
        title = str(spec.get("title") or "").strip()
        if not title:
            raise invalid_input("Title cannot be empty")
        moment = state.next_moment()
        data.counters[team["id"]] += 1
        number = data.counters[team["id"]]
        identifier = f"{team['key']}-{number}"
        backlog = next(
            s for s in data.states if s["team"]["id"] == team["id"] and s["type"] == "backlog"
        )
        issue: dict[str, Any] = {
            "id": uid(seed, "issue", "created", len(data.issues)),
            "identifier": identifier,
            "number": number,
            "title": title,
            "description": spec.get("description"),
            "priority": 0,
            "priorityLabel": PRIORITY_LABELS[0],
            "url": issue_url(identifier, title),
            "createdAt": stamp(moment),
            "updatedAt": stamp(moment),
            "completedAt": None,
            "canceledAt": None,
            "archivedAt": None,
            "stateId": backlog["id"],
            "teamId": team["id"],
            "labels": labels_for(spec.get("labelIds") or []),
            "assigneeId": spec.get("assigneeId"),
            "creatorId": user["id"],
        }
        if "priority" in spec:
            set_priority(issue, spec["priority"])
        if spec.get("stateId"):
            set_state(issue, str(spec["stateId"]), moment)
        data.issues.append(issue)
        data.comments[issue["id"]] = []
        return {"success": True, "issue": state.issue_view(issue)}

    def update_issue(key: str, spec: dict[str, Any]) -> dict[str, Any]:
        check_input("IssueUpdateInput", spec)
        issue = state.issue(key)
        moment = state.next_moment()
        if "stateId" in spec:
            set_state(issue, str(spec["stateId"]), moment)
        if "priority" in spec:
            set_priority(issue, spec["priority"])
        if "labelIds" in spec:
            issue["labels"] = labels_for(spec["labelIds"])
        for name in ("title", "description", "assigneeId"):
            if name in spec:
                issue[name] = spec[name]
        issue["updatedAt"] = stamp(moment)
        return {"success": True, "issue": state.issue_view(issue)}

    def create_comment(spec: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
        check_input("CommentCreateInput", spec)
        issue = state.issue(str(spec.get("issueId") or ""))
        body = str(spec.get("body") or "")
        if not body.strip():
            raise invalid_input("Comment body cannot be empty")
        moment = state.next_moment()
        stored = comment(
            uid(seed, "comment", "created", sum(len(c) for c in data.comments.values())),
            issue,
            user["id"],
            body,
            moment,
        )
        data.comments.setdefault(issue["id"], []).append(stored)
        issue["updatedAt"] = stamp(moment)
        view = state.comment_view(stored)
        return {"success": True, "comment": {**view, "url": stored["url"]}}

    return app


def resolve_operation(payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The operation name and its validated variables; unknown documents are refused."""
    query = payload["query"]
    named = OPERATION.match(query)
    operation = payload.get("operationName") or (named.group(2) if named else None)
    if operation not in DOCUMENTS:
        raise validation(f'Unknown operation named "{operation}".')
    if compact(query) != compact(DOCUMENTS[operation]):
        raise validation(f'The document for "{operation}" is not one this API accepts.')
    variables = payload.get("variables") or {}
    if not isinstance(variables, dict):
        raise validation("Variables must be an object")
    declared = VARIABLES[operation]
    unknown = sorted(set(variables) - set(declared))
    if unknown:
        raise validation(f'Variable "${unknown[0]}" is not defined by operation "{operation}".')
    for name, (kind, required) in declared.items():
        value = variables.get(name)
        if value is None:
            if required:
                raise validation(f'Variable "${name}" of required type "{kind}!" was not provided.')
            continue
        if not _typed(value, kind):
            raise validation(f'Variable "${name}" got invalid value; expected type "{kind}".')
    return str(operation), variables


def _typed(value: Any, kind: str) -> bool:
    if kind == "Int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in ("String", "ID"):
        return isinstance(value, str)
    return isinstance(value, dict)


def check_input(kind: str, value: dict[str, Any]) -> None:
    """Input objects accept only their declared fields."""
    unknown = sorted(set(value) - INPUT_FIELDS[kind])
    if unknown:
        raise validation(f'Field "{unknown[0]}" is not defined by type "{kind}".')


def match_team(team: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """A ``TeamFilter`` of ``eq`` comparators."""
    for name, comparator in wanted.items():
        if not isinstance(comparator, dict) or set(comparator) - {"eq", "eqIgnoreCase"}:
            raise validation(f"TeamFilter.{name} supports eq and eqIgnoreCase here")
        if "eq" in comparator and team.get(name) != comparator["eq"]:
            return False
        if (
            "eqIgnoreCase" in comparator
            and str(team.get(name)).lower() != str(comparator["eqIgnoreCase"]).lower()
        ):
            return False
    return True


Predicate = Callable[[dict[str, Any]], bool]


def _string(comparator: Any, where: str) -> Callable[[str], bool]:
    if not isinstance(comparator, dict) or not comparator:
        raise validation(f"{where} expects a StringComparator")
    tests: list[Callable[[str], bool]] = []
    for op, wanted in comparator.items():
        if not isinstance(wanted, str):
            raise validation(f"{where}.{op} expects a String")
        if op == "eq":
            tests.append(lambda v, w=wanted: v == w)
        elif op == "eqIgnoreCase":
            tests.append(lambda v, w=wanted: v.lower() == w.lower())
        elif op == "startsWith":
            tests.append(lambda v, w=wanted: v.startswith(w))
        elif op == "contains":
            tests.append(lambda v, w=wanted: w in v)
        else:
            raise validation(f'Field "{op}" is not supported on {where} by this sandbox')
    return lambda value: all(t(value) for t in tests)


def _date(comparator: Any, where: str) -> Callable[[str], bool]:
    if not isinstance(comparator, dict) or not comparator:
        raise validation(f"{where} expects a DateComparator")
    tests: list[Callable[[datetime], bool]] = []
    for op, wanted in comparator.items():
        moment = to_datetime(wanted) if isinstance(wanted, str) else None
        if moment is None:
            raise validation(f"{where}.{op} expects a DateTime")
        ops = {
            "gt": lambda v, w=moment: v > w,
            "gte": lambda v, w=moment: v >= w,
            "lt": lambda v, w=moment: v < w,
            "lte": lambda v, w=moment: v <= w,
            "eq": lambda v, w=moment: v == w,
        }
        if op not in ops:
            raise validation(f'Field "{op}" is not defined by type "DateComparator".')
        tests.append(ops[op])

    def test(value: str) -> bool:
        moment = to_datetime(value)
        return moment is not None and all(t(moment) for t in tests)

    return test


def compile_issue_filter(spec: dict[str, Any], data: LinearData) -> Predicate:
    """A predicate for the ``IssueFilter`` fields ARIA uses."""
    unknown = sorted(set(spec) - ISSUE_FILTER_FIELDS)
    if unknown:
        raise validation(f'Field "{unknown[0]}" is not defined by type "IssueFilter".')
    tests: list[Predicate] = []
    labels = spec.get("labels")
    if labels is not None:
        inner = labels.get("some", labels) if isinstance(labels, dict) else None
        if not isinstance(inner, dict) or set(inner) != {"name"}:
            raise validation("IssueFilter.labels supports name (or some.name) here")
        name_test = _string(inner["name"], "labels.name")
        tests.append(lambda i: any(name_test(lb["name"]) for lb in i["labels"]))
    if spec.get("updatedAt") is not None:
        date_test = _date(spec["updatedAt"], "updatedAt")
        tests.append(lambda i: date_test(i["updatedAt"]))
    if spec.get("title") is not None:
        title_test = _string(spec["title"], "title")
        tests.append(lambda i: title_test(i["title"]))
    team = spec.get("team")
    if team is not None:
        if not isinstance(team, dict) or set(team) != {"id"}:
            raise validation("IssueFilter.team supports id here")
        id_test = _string(team["id"], "team.id")
        tests.append(lambda i: id_test(i["teamId"]))
    state_filter = spec.get("state")
    if state_filter is not None:
        if not isinstance(state_filter, dict) or not set(state_filter) <= {"type", "name"}:
            raise validation("IssueFilter.state supports type and name here")
        checks = {k: _string(v, f"state.{k}") for k, v in state_filter.items()}

        def state_test(issue: dict[str, Any]) -> bool:
            current = data.state(issue["stateId"]) or {}
            return all(check(str(current.get(k) or "")) for k, check in checks.items())

        tests.append(state_test)
    return lambda issue: all(t(issue) for t in tests)


def complexity(operation: str, variables: dict[str, Any]) -> int:
    """A rough Linear complexity: objects count 1, connections multiply by ``first``."""
    if operation == "AriaIssues":
        return 1 + int(variables.get("first") or 50) * (8 + COMMENTS_PAGE * 2)
    if operation == "AriaIssueComments":
        return 1 + 50 * 2
    if operation in ("AriaIssueCreate", "AriaIssueUpdate"):
        return 10 + COMMENTS_PAGE * 2
    return 5


__all__ = ["DEMO", "LinearState", "make_sandbox"]
