"""The Sentinel sandbox: Entra tokens, Azure Resource Manager, Log Analytics and the Data
Collector API in one app, offline.

``make_sandbox(seed, size, faults)`` returns one FastAPI app standing in for four hosts
(everything reaches it through one in-process transport, whatever the host), whose paths
never collide:

* ``POST /{tenant}/oauth2/v2.0/token`` (login.microsoftonline.com): client credentials with a
  ``.default`` scope; the token's audience is the API the scope names, as in Entra;
* ``GET .../providers/Microsoft.SecurityInsights/incidents`` and ``.../incidents/{id}``
  (management.azure.com) with ARM-audience tokens: ``api-version``, ``$filter`` on
  ``properties/...`` (``eq ne gt ge lt le``, ``and``/``or``), ``$orderby``, ``$top`` (1000 at
  most) and absolute ``nextLink`` pages with ``$skipToken``;
* ``POST /v1/workspaces/{workspace_id}/query`` (api.loganalytics.io) with Log Analytics
  tokens: ``{"query", "timespan"}`` evaluated by :mod:`.kql_engine` over the workspace's
  tables, answered as ``{"tables": [{"name", "columns", "rows"}]}``;
* ``POST /api/logs?api-version=2016-04-01`` ({workspace_id}.ods.opinsights.azure.com): the
  HTTP Data Collector API, which recomputes the ``SharedKey`` signature, stores the records in
  ``<Log-Type>_CL`` with the API's type suffixes (``_s _d _b _t _g``) and makes them
  searchable at once;
* ``POST /dataCollectionRules/{dcr}/streams/{stream}?api-version=2023-01-01`` (the data
  collection endpoint): the Logs Ingestion API with ``https://monitor.azure.com`` tokens,
  1 MB per call, answered 204; the demo rule maps ``Custom-AriaRiskEvents_CL`` to the table
  ``AriaRiskEvents_CL`` and keeps the columns it declares (others are dropped, as a rule
  whose transformation is ``source`` does).

Errors use each API's own envelope: ARM's ``{"error": {"code", "message"}}``, the query API's
``{"error": {"message", "code", "correlationId", "innererror"}}`` and the Data Collector's
``{"Error", "Message"}``. ARM answers ``x-ms-ratelimit-remaining-subscription-reads`` and a
429 with ``Retry-After`` when its read bucket (250, refilled at 25 a second) runs dry; the
query API allows 200 requests per 30 seconds. ``app.state.sentinel`` exposes the workspace,
``touch()`` and every Data Collector post.
"""

from __future__ import annotations

import hmac
import json
import math
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from aria.integrations.microsoft_sentinel import kql_engine, sharedkey
from aria.integrations.microsoft_sentinel.kql_engine import KqlError, Table
from aria.integrations.microsoft_sentinel.sandbox_data import (
    RESOURCE_GROUP,
    SUBSCRIPTION_ID,
    TENANT_ID,
    WORKSPACE_ID,
    WORKSPACE_NAME,
    SentinelData,
    generate,
    stamp,
)
from aria.sdk.cursors import to_datetime
from aria.sdk.errors import FatalError
from aria.sdk.sandbox import Faults, Sandbox

# A demo workspace key: 64 random-looking bytes, base64 as the portal shows it.
DEMO_SHARED_KEY = (
    "c2FuZGJveC1zZW50aW5lbC13b3Jrc3BhY2Uta2V5LW5vdC1hLXJlYWwtc2VjcmV0"
    "LWFyaWEtZGVtby0wMDAxLXNoYXJlZC1rZXk="
)
DEMO: dict[str, Any] = {
    "tenant_id": TENANT_ID,
    "client_id": "3a7b1c9d-2e4f-4a6b-8c0d-1e2f3a4b5c6d",
    "client_secret": "sentinel-demo-secret~Zq8.0001",
    "subscription_id": SUBSCRIPTION_ID,
    "resource_group": RESOURCE_GROUP,
    "workspace_name": WORKSPACE_NAME,
    "workspace_id": WORKSPACE_ID,
    "shared_key": DEMO_SHARED_KEY,
    # Used when ingestion_api is switched to "logs_ingestion".
    "dce_endpoint": "https://aria-dce-k3x9.westeurope-1.ingest.monitor.azure.com",
    "dcr_immutable_id": "dcr-7d0c1f2e3a4b5c6d7e8f90a1b2c3d4e5",
    # Small pages so the demo (and the conformance suite) walk several nextLinks.
    "page_size": 50,
}
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
TOKEN_TTL = 3599
ARM_AUDIENCE = "https://management.azure.com"
LOGS_AUDIENCE = "https://api.loganalytics.io"
MONITOR_AUDIENCE = "https://monitor.azure.com"
SCOPES = {
    f"{ARM_AUDIENCE}/.default": "arm",
    f"{ARM_AUDIENCE}//.default": "arm",  # Entra accepts the doubled slash some clients send
    f"{LOGS_AUDIENCE}/.default": "logs",
    "https://api.loganalytics.azure.com/.default": "logs",
    f"{MONITOR_AUDIENCE}//.default": "monitor",
    f"{MONITOR_AUDIENCE}/.default": "monitor",
}
DCR_STREAM = "Custom-AriaRiskEvents_CL"
DCR_TABLE = "AriaRiskEvents_CL"
# The demo rule's stream declaration: the columns ARIA sends, with their types.
DCR_COLUMNS = {
    "TimeGenerated": "datetime",
    "source": "string",
    "aria_event": "string",
    "action": "string",
    "risk_id": "long",
    "title": "string",
    "description": "string",
    "status": "string",
    "status_reason": "string",
    "likelihood": "long",
    "impact": "long",
    "score": "real",
    "technique_id": "string",
    "created_at": "datetime",
    "finding_count": "long",
    "event_time": "datetime",
}
MAX_CALL = 1024 * 1024
ROLES = ("Microsoft Sentinel Reader", "Log Analytics Reader", "Monitoring Metrics Publisher")
API_VERSIONS = frozenset(
    {
        "2021-04-01",
        "2022-11-01",
        "2023-02-01",
        "2024-03-01",
        "2024-09-01",
        "2025-06-01",
        "2025-09-01",
    }
)
MAX_TOP = 1000
DEFAULT_TOP = 50
ARM_BUCKET, ARM_REFILL = 250, 25.0
LOGS_PER_30S = 200
MAX_POST = 30 * 1024 * 1024
RESERVED = {"tenant", "timegenerated", "rawdata"}
PROPERTY = re.compile(r"^[A-Za-z0-9_]+$")
LOG_TYPE = re.compile(r"^[A-Za-z0-9_]{1,100}$")
GUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
SUFFIX_TYPES = {"s": "string", "d": "real", "b": "bool", "t": "datetime", "g": "guid"}
FILTERABLE = {
    "lastModifiedTimeUtc",
    "createdTimeUtc",
    "firstActivityTimeUtc",
    "lastActivityTimeUtc",
    "status",
    "severity",
    "title",
    "incidentNumber",
    "providerName",
}


class ApiError(HTTPException):
    """An error answered in the envelope of the API the path belongs to."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        inner: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, message, headers=headers)
        self.code = code
        self.inner = inner


def _api(path: str) -> str:
    if path.startswith("/v1/workspaces"):
        return "logs"
    if path.startswith("/api/logs"):
        return "ingest"
    return "arm"


def error_response(path: str, status: int, code: str, message: str, **extra: Any) -> Response:
    """``message`` in the envelope of the API ``path`` belongs to."""
    api = _api(path)
    headers = extra.get("headers")
    if api == "ingest":
        return JSONResponse({"Error": code, "Message": message}, status, headers=headers)
    if api == "logs":
        body: dict[str, Any] = {
            "message": message,
            "code": code,
            "correlationId": str(uuid.uuid4()),
        }
        if extra.get("inner"):
            body["innererror"] = extra["inner"]
        return JSONResponse({"error": body}, status, headers=headers)
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers=headers)


ARM_CODES = {
    401: "InvalidAuthenticationToken",
    403: "AuthorizationFailed",
    404: "NotFound",
    405: "MethodNotAllowed",
    429: "TooManyRequests",
}
LOGS_CODES = {
    401: "AuthorizationRequiredError",
    403: "InsufficientAccessError",
    404: "PathNotFoundError",
    429: "ThrottledError",
}


class SentinelState:
    """The workspace behind one sandbox app, plus helpers tests use to make things happen."""

    def __init__(self, sb: Sandbox, data: SentinelData, roles: Iterable[str]) -> None:
        self.sb = sb
        self.data = data
        self.roles = frozenset(roles)
        self.audiences: dict[str, str] = {}
        self.posts: list[dict[str, Any]] = []  # every accepted Data Collector post
        self.uploads: list[dict[str, Any]] = []  # every accepted Logs Ingestion call
        self.queries: list[dict[str, Any]] = []  # every query body received

    @property
    def tables(self) -> dict[str, Table]:
        """The workspace's Log Analytics tables by name."""
        return self.data.tables

    def counts(self) -> dict[str, int]:
        """Records per stream: what a full read returns."""
        return {"incidents": len(self.data.incidents)}

    def received_at(self) -> datetime:
        """The ingestion time of a post (the sandbox's clock)."""
        return datetime.fromtimestamp(self.sb.clock(), UTC)

    def touch(self, count: int, *, status: str | None = None, seconds: int = 60) -> list[str]:
        """Update the first ``count`` incidents past the newest change (as analysts and
        automation rules do), optionally setting their status; returns their names."""
        stamps = [to_datetime(i["properties"]["lastModifiedTimeUtc"]) for i in self.data.incidents]
        newest = max([self.data.now, *[s for s in stamps if s is not None]])
        moment = stamp(newest + timedelta(seconds=seconds))
        for index, item in enumerate(self.data.incidents[:count]):
            props = {**item["properties"], "lastModifiedTimeUtc": moment}
            if status:
                props["status"] = status
            self.data.incidents[index] = {**item, "properties": props}
        return [str(i["name"]) for i in self.data.incidents[:count]]


class Quotas:
    """ARM's read bucket (250 tokens, 25 a second) and the query API's 200 per 30 seconds;
    beyond them 429 with ``Retry-After``, as the services answer."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox
        self.tokens = float(ARM_BUCKET)
        self.refilled = sandbox.clock()
        self.logs: list[float] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        api = _api(path) if path.startswith(("/subscriptions", "/v1/")) else None
        now = self.sandbox.clock()
        headers: list[tuple[bytes, bytes]] = []
        if api == "arm":
            self.tokens = min(ARM_BUCKET, self.tokens + (now - self.refilled) * ARM_REFILL)
            self.refilled = now
            if self.tokens < 1:
                wait = max(1, math.ceil((1 - self.tokens) / ARM_REFILL))
                response = error_response(
                    path,
                    429,
                    "SubscriptionRequestsThrottled",
                    "Number of 'read' requests for subscription exceeded the limit. Please try "
                    f"again after '{wait}' seconds.",
                    headers={"Retry-After": str(wait)},
                )
                await response(scope, receive, send)
                return
            self.tokens -= 1
            headers.append(
                (b"x-ms-ratelimit-remaining-subscription-reads", str(int(self.tokens)).encode())
            )
        elif api == "logs":
            self.logs = [t for t in self.logs if now - t < 30]
            if len(self.logs) >= LOGS_PER_30S:
                wait = max(1, math.ceil(self.logs[0] + 30 - now))
                response = error_response(
                    path,
                    429,
                    "ThrottledError",
                    "Your request was throttled: at most 200 requests per 30 seconds.",
                    headers={"Retry-After": str(wait)},
                )
                await response(scope, receive, send)
                return
            self.logs.append(now)

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start" and headers:
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class EntraTokenEndpoint:
    """``POST /{tenant}/oauth2/v2.0/token``, answered before the fault middleware (token calls
    are never broken by injected faults, as for ``Sandbox.add_token_endpoint``)."""

    def __init__(self, app: ASGIApp, state: SentinelState, client_id: str, secret: str) -> None:
        self.app = app
        self.state = state
        self.client_id = client_id
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        parts = scope.get("path", "").strip("/").split("/") if scope["type"] == "http" else []
        if len(parts) != 4 or parts[1:] != ["oauth2", "v2.0", "token"]:
            await self.app(scope, receive, send)
            return
        response = await self.answer(parts[0], Request(scope, receive))
        await response(scope, receive, send)

    async def answer(self, tenant: str, request: Request) -> Response:
        if request.method != "POST":
            return JSONResponse({"error": "invalid_request"}, status_code=405)
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}

        def refuse(status: int, error: str, code: int, text: str) -> Response:
            return JSONResponse(
                {
                    "error": error,
                    "error_description": f"AADSTS{code}: {text}",
                    "error_codes": [code],
                    "timestamp": self.state.data.now.strftime("%Y-%m-%d %H:%M:%SZ"),
                    "trace_id": str(uuid.uuid4()),
                    "correlation_id": str(uuid.uuid4()),
                },
                status_code=status,
            )

        if tenant != TENANT_ID:
            return refuse(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return refuse(400, "unsupported_grant_type", 70003, "The grant type is unsupported.")
        if not hmac.compare_digest(form.get("client_id", ""), self.client_id):
            return refuse(
                400,
                "unauthorized_client",
                700016,
                "Application with identifier was not found in the directory.",
            )
        if not hmac.compare_digest(form.get("client_secret", ""), self.secret):
            return refuse(401, "invalid_client", 7000215, "Invalid client secret provided.")
        audience = SCOPES.get(form.get("scope", ""))
        if audience is None:
            return refuse(400, "invalid_scope", 1002012, "The provided value for scope is invalid.")
        token = self.state.sb.issue_token(TOKEN_TTL)
        self.state.audiences[token] = audience
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": TOKEN_TTL,
                "ext_expires_in": TOKEN_TTL,
                "access_token": token,
            }
        )


def make_sandbox(
    seed: int = 7,
    size: int = 200,
    faults: Faults | None = None,
    *,
    roles: Iterable[str] = ROLES,
    now: datetime | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> FastAPI:
    """The Sentinel APIs over a workspace of ``size`` incidents; ``roles`` are the Azure roles
    the app holds (without ``Microsoft Sentinel Reader`` incidents answer 403, without
    ``Log Analytics Reader`` queries do, without ``Monitoring Metrics Publisher`` on the rule
    Logs Ingestion uploads do)."""
    extra: dict[str, Any] = {}
    if clock is not None:
        extra["clock"] = clock
    if sleep is not None:
        extra["sleep"] = sleep
    sb = Sandbox(seed=seed, size=size, faults=faults, now=now or NOW, **extra)
    app = FastAPI(title="Microsoft Sentinel APIs (ARIA sandbox)", docs_url=None, redoc_url=None)
    sb.install(app)
    state = SentinelState(sb, generate(seed, size, sb.gen.now), roles)
    app.add_middleware(Quotas, sandbox=sb)
    app.add_middleware(
        EntraTokenEndpoint, state=state, client_id=DEMO["client_id"], secret=DEMO["client_secret"]
    )
    app.state.sentinel = state
    data = state.data

    @app.exception_handler(HTTPException)
    async def api_error(request: Request, exc: HTTPException) -> Response:
        path = request.url.path
        if isinstance(exc, ApiError):
            return error_response(
                path,
                exc.status_code,
                exc.code,
                str(exc.detail),
                inner=exc.inner,
                headers=exc.headers,
            )
        codes = LOGS_CODES if _api(path) == "logs" else ARM_CODES
        message = str(exc.detail)
        if exc.status_code == 401:
            message = (
                "Valid authentication was not provided"
                if _api(path) == "logs"
                else "The access token is invalid."
            )
        return error_response(
            path,
            exc.status_code,
            codes.get(exc.status_code, "InternalServerError"),
            message,
            headers=exc.headers,
        )

    def authorize(request: Request, audience: str, role: str, action: str) -> None:
        if audience == "arm" and not request.headers.get("authorization"):
            raise ApiError(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        sb.check_bearer(request)
        token = request.headers["authorization"].partition(" ")[2]
        if state.audiences.get(token) != audience:
            raise HTTPException(401, "invalid audience", headers={"WWW-Authenticate": "Bearer"})
        if role not in state.roles:
            if audience == "monitor":
                raise ApiError(
                    403,
                    "OperationFailed",
                    "The authentication token provided does not have access to ingest data for "
                    f"the data collection rule with immutable Id '{DEMO['dcr_immutable_id']}'.",
                )
            if audience == "logs":
                raise ApiError(
                    403,
                    "InsufficientAccessError",
                    "The provided credentials have insufficient access to perform the "
                    "requested operation",
                )
            raise ApiError(
                403,
                "AuthorizationFailed",
                f"The client '{DEMO['client_id']}' with object id '{DEMO['client_id']}' does "
                f"not have authorization to perform action '{action}' over scope "
                f"'{_workspace_scope()}' or the scope is invalid. If access was recently "
                "granted, please refresh your credentials.",
            )

    def check_workspace(subscription: str, group: str, workspace: str) -> None:
        if subscription.lower() != SUBSCRIPTION_ID:
            raise ApiError(
                404,
                "SubscriptionNotFound",
                f"The subscription '{subscription}' could not be found.",
            )
        if group.lower() != RESOURCE_GROUP.lower():
            raise ApiError(
                404, "ResourceGroupNotFound", f"Resource group '{group}' could not be found."
            )
        if workspace.lower() != WORKSPACE_NAME.lower():
            raise ApiError(
                404,
                "ResourceNotFound",
                f"The Resource 'Microsoft.OperationalInsights/workspaces/{workspace}' under "
                f"resource group '{group}' was not found. For more details please go to "
                "https://aka.ms/ARMResourceNotFoundFix",
            )

    def check_api_version(request: Request) -> None:
        version = request.query_params.get("api-version")
        if not version:
            raise ApiError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        if version not in API_VERSIONS:
            raise ApiError(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{version}' is invalid. The supported versions are "
                f"'{','.join(sorted(API_VERSIONS, reverse=True))}'.",
            )

    # --- Azure Resource Manager: incidents -------------------------------------------------

    base = (
        "/subscriptions/{subscription}/resourceGroups/{group}/providers/"
        "Microsoft.OperationalInsights/workspaces/{workspace}/providers/"
        "Microsoft.SecurityInsights/incidents"
    )

    @app.get(base)
    async def list_incidents(
        subscription: str, group: str, workspace: str, request: Request
    ) -> Response:
        authorize(
            request, "arm", "Microsoft Sentinel Reader", "Microsoft.SecurityInsights/incidents/read"
        )
        check_api_version(request)
        check_workspace(subscription, group, workspace)
        params = request.query_params
        try:
            top = int(params.get("$top", DEFAULT_TOP))
        except ValueError:
            raise ApiError(400, "BadRequest", "$top must be an integer") from None
        if not 1 <= top <= MAX_TOP:
            raise ApiError(400, "BadRequest", f"$top must be between 1 and {MAX_TOP}")
        try:
            predicate = compile_filter(params.get("$filter"))
            key, descending = order_by(params.get("$orderby"))
        except ValueError as exc:
            raise ApiError(400, "BadRequest", f"Invalid OData query: {exc}") from None
        chosen = [i for i in data.incidents if predicate(i["properties"])]
        chosen.sort(
            key=lambda i: (_sortable(i["properties"].get(key)), i["name"]), reverse=descending
        )
        token = params.get("$skipToken")
        offset = sb.decode_cursor(token)
        page_no = offset // top + 1
        body: dict[str, Any] = {"value": chosen[offset : offset + top]}
        following = sb.encode_cursor(offset + top) if offset + top < len(chosen) else None
        cursor = sb.next_cursor(page_no, token, following)
        if cursor:
            body["nextLink"] = str(request.url.include_query_params(**{"$skipToken": cursor}))
        return sb.page(body, page_no)

    @app.get(base + "/{incident}")
    async def get_incident(
        subscription: str, group: str, workspace: str, incident: str, request: Request
    ) -> dict[str, Any]:
        authorize(
            request, "arm", "Microsoft Sentinel Reader", "Microsoft.SecurityInsights/incidents/read"
        )
        check_api_version(request)
        check_workspace(subscription, group, workspace)
        found = next((i for i in data.incidents if i["name"] == incident), None)
        if found is None:
            raise ApiError(404, "NotFound", f"Incident {incident} was not found")
        return found

    # --- Log Analytics query API ----------------------------------------------------------

    @app.post("/v1/workspaces/{workspace_id}/query")
    async def query(workspace_id: str, request: Request) -> Response:
        authorize(request, "logs", "Log Analytics Reader", "query")
        if workspace_id.lower() != WORKSPACE_ID:
            raise ApiError(
                404, "WorkspaceNotFoundError", f"Workspace {workspace_id} could not be found"
            )
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise ApiError(
                400,
                "BadArgumentError",
                "The request had some invalid properties",
                inner={"code": "QueryValidationError", "message": "'query' is required"},
            )
        state.queries.append(body)
        now = state.received_at()
        try:
            window = timespan(body.get("timespan"), now)
            result = kql_engine.run(body["query"], state.tables, now=now, window=window)
        except KqlError as exc:
            raise ApiError(
                400,
                "BadArgumentError",
                "The request had some invalid properties",
                inner={
                    "code": exc.kind,
                    "message": "A recognition error occurred in the query."
                    if exc.kind == "SyntaxError"
                    else "A semantic error occurred.",
                    "innererror": {"code": exc.code, "message": str(exc)},
                },
            ) from None
        except ValueError as exc:
            raise ApiError(
                400,
                "BadArgumentError",
                "The request had some invalid properties",
                inner={"code": "InvalidTimespan", "message": str(exc)},
            ) from None
        return JSONResponse({"tables": [result.body()]})

    # --- HTTP Data Collector API -------------------------------------------------------------

    @app.post("/api/logs")
    async def collect(request: Request) -> Response:
        version = request.query_params.get("api-version")
        if not version:
            raise ApiError(400, "MissingApiVersion", "The API version wasn't specified.")
        if version != sharedkey.API_VERSION:
            raise ApiError(
                400,
                "InvalidApiVersion",
                "The API version that you specified wasn't recognized by the service.",
            )
        content_type = request.headers.get("content-type")
        if not content_type:
            raise ApiError(400, "MissingContentType", "The content type wasn't specified.")
        if content_type.split(";")[0].strip().lower() != sharedkey.CONTENT_TYPE:
            raise ApiError(
                400, "UnsupportedContentType", "The content type wasn't set to application/json."
            )
        log_type = request.headers.get("log-type")
        if not log_type:
            raise ApiError(400, "MissingLogType", "The required value log type wasn't specified.")
        if not LOG_TYPE.match(log_type):
            raise ApiError(
                400,
                "InvalidLogType",
                "The specified log type contained special characters or numerics.",
            )
        raw = await request.body()
        verify_shared_key(request, raw)
        if len(raw) > MAX_POST:
            raise ApiError(
                404, "NotFound", "Either the provided URL is incorrect or the request is too large."
            )
        try:
            records = json.loads(raw)
        except ValueError:
            raise ApiError(400, "InvalidDataFormat", "An invalid JSON was submitted.") from None
        if isinstance(records, dict):
            records = [records]
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ApiError(400, "InvalidDataFormat", "The body must be a JSON array of records.")
        for record in records:
            bad = [k for k in record if not PROPERTY.match(k) or k.lower() in RESERVED]
            if bad:
                raise ApiError(400, "InvalidDataFormat", f"Invalid property names: {bad}")
        table = state.tables.setdefault(f"{log_type}_CL", Table(f"{log_type}_CL"))
        received = state.received_at()
        time_field = request.headers.get("time-generated-field")
        for record in records:
            row, types = ingest_row(record, table, received, time_field)
            row["Type"] = table.name
            types["Type"] = "string"
            table.add(row, types)
        state.posts.append({"log_type": log_type, "records": records, "time_field": time_field})
        return Response(status_code=200)

    # --- Logs Ingestion API ----------------------------------------------------------------

    @app.post("/dataCollectionRules/{rule}/streams/{stream}")
    async def upload(rule: str, stream: str, request: Request) -> Response:
        authorize(request, "monitor", "Monitoring Metrics Publisher", "upload")
        if request.query_params.get("api-version") != "2023-01-01":
            raise ApiError(400, "InvalidApiVersion", "The api-version is missing or invalid.")
        if rule != DEMO["dcr_immutable_id"]:
            raise ApiError(
                404,
                "NotFound",
                f"Data collection rule with immutable Id '{rule}' not found.",
            )
        if stream != DCR_STREAM:
            raise ApiError(
                400,
                "InvalidStream",
                f"Stream '{stream}' is not declared in the data collection rule.",
            )
        raw = await request.body()
        if len(raw) > MAX_CALL:
            raise ApiError(
                413,
                "ContentLengthLimitExceeded",
                f"Maximum allowed content length: {MAX_CALL} bytes (1 MB). Provided content "
                f"length: {len(raw)} bytes.",
            )
        try:
            records = json.loads(raw)
        except ValueError:
            records = None
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ApiError(400, "InvalidPayload", "The payload must be a JSON array of objects.")
        table = state.tables.setdefault(DCR_TABLE, Table(DCR_TABLE))
        received = state.received_at()
        for record in records:
            row, types = dcr_row(record, received)
            table.add(row, types)
        state.uploads.append({"stream": stream, "records": records})
        return Response(status_code=204)

    def verify_shared_key(request: Request, raw: bytes) -> None:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if scheme != "SharedKey":
            raise ApiError(
                403,
                "InvalidAuthorization",
                "An invalid scheme was specified in the Authorization header",
            )
        date = request.headers.get("x-ms-date", "")
        try:
            parsedate_to_datetime(date)
        except (TypeError, ValueError):
            raise ApiError(
                403, "InvalidAuthorization", "An invalid date format used in the x-ms-date header."
            ) from None
        workspace, _, presented = credential.partition(":")
        host = request.headers.get("host", "")
        if host.endswith(".ods.opinsights.azure.com") and host.split(".")[0] != WORKSPACE_ID:
            raise ApiError(400, "InvalidCustomerId", "The specified workspace ID is invalid.")
        if workspace.lower() != WORKSPACE_ID:
            raise ApiError(
                403,
                "InvalidAuthorization",
                "The service failed to authenticate the request. Verify that the "
                "workspace ID and connection key are valid.",
            )
        expected = sharedkey.signature(DEMO_SHARED_KEY, len(raw), date)
        if not hmac.compare_digest(presented.encode(), expected.encode()):
            raise ApiError(
                403,
                "InvalidAuthorization",
                "The service failed to authenticate the request. Verify that the "
                "workspace ID and connection key are valid.",
            )

    return app


def _workspace_scope() -> str:
    return (
        f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{RESOURCE_GROUP}/providers/"
        f"Microsoft.OperationalInsights/workspaces/{WORKSPACE_NAME}"
    )


# --- Data Collector typing -------------------------------------------------------------------


def _infer(value: Any) -> tuple[str, Any] | None:
    """(suffix, stored value) the Data Collector API gives a JSON value; None drops it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "b", value
    if isinstance(value, int | float):
        return "d", float(value)
    if isinstance(value, str):
        if GUID.match(value):
            return "g", _guid(value)
        if ISO.match(value):
            moment = _moment(value)
            if moment is not None:
                return "t", moment
        return "s", value
    return "s", json.dumps(value, separators=(",", ":"))


def _convert(value: Any, suffix: str) -> Any:
    """``value`` in an existing column's type, or raise ValueError."""
    if suffix == "s":
        return value if isinstance(value, str) else json.dumps(value)
    if suffix == "d":
        if isinstance(value, bool):
            raise ValueError("bool")
        return float(value)
    if suffix == "b":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError("not a bool")
    if suffix == "t":
        moment = _moment(value) if isinstance(value, str) else None
        if moment is None:
            raise ValueError("not a date")
        return moment
    if suffix == "g":
        if isinstance(value, str) and GUID.match(value):
            return _guid(value)
        raise ValueError("not a guid")
    raise ValueError(suffix)


def ingest_row(
    record: dict[str, Any], table: Table, received: datetime, time_field: str | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """A Data Collector record as a table row: each property under ``name_<suffix>`` (an
    existing column of the name is reused when the value converts to its type), plus
    ``TimeGenerated`` from ``time-generated-field`` (else the ingestion time)."""
    row: dict[str, Any] = {"TenantId": WORKSPACE_ID, "SourceSystem": "RestAPI"}
    types = {"TenantId": "string", "SourceSystem": "string", "TimeGenerated": "datetime"}
    generated = received
    if time_field and isinstance(record.get(time_field), str):
        generated = _moment(record[time_field]) or received
    row["TimeGenerated"] = generated
    for name, value in record.items():
        if value is None:
            continue
        placed = False
        for column in table.columns:
            base, _, suffix = column.rpartition("_")
            if base != name or suffix not in SUFFIX_TYPES:
                continue
            try:
                row[column] = _convert(value, suffix)
            except (TypeError, ValueError):
                continue
            types[column] = SUFFIX_TYPES[suffix]
            placed = True
            break
        if placed:
            continue
        inferred = _infer(value)
        if inferred is None:
            continue
        suffix, stored = inferred
        row[f"{name}_{suffix}"] = stored
        types[f"{name}_{suffix}"] = SUFFIX_TYPES[suffix]
    return row, types


def dcr_row(record: dict[str, Any], received: datetime) -> tuple[dict[str, Any], dict[str, str]]:
    """A Logs Ingestion record as a row of the demo rule's table: declared columns only,
    converted to their declared types (a value that does not convert is left empty)."""
    row: dict[str, Any] = {"TenantId": WORKSPACE_ID, "Type": DCR_TABLE}
    types = {"TenantId": "string", "Type": "string", **DCR_COLUMNS}
    for name, kind in DCR_COLUMNS.items():
        value = record.get(name)
        if value is None:
            continue
        try:
            if kind == "datetime":
                converted: Any = _moment(str(value))
            elif kind == "long":
                converted = int(value) if not isinstance(value, bool) else None
            elif kind == "real":
                converted = float(value) if not isinstance(value, bool) else None
            else:
                converted = value if isinstance(value, str) else json.dumps(value)
        except (TypeError, ValueError):
            converted = None
        if converted is not None:
            row[name] = converted
    row.setdefault("TimeGenerated", received)
    return row, types


def _guid(value: str) -> str:
    digits = value.replace("-", "").lower()
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def _moment(value: str) -> datetime | None:
    try:
        return to_datetime(value)
    except FatalError:
        return None


# --- query API timespan ------------------------------------------------------------------------

_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def _duration(text: str) -> timedelta:
    match = _DURATION.match(text)
    if not match or text in ("P", "PT"):
        raise ValueError(f"invalid ISO 8601 duration {text!r}")
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    return timedelta(
        days=parts.get("d", 0),
        hours=parts.get("h", 0),
        minutes=parts.get("m", 0),
        seconds=parts.get("s", 0),
    )


def timespan(value: Any, now: datetime) -> tuple[datetime, datetime] | None:
    """The query API's ``timespan``: ``start/end``, ``start/duration``, ``duration/end`` or a
    duration back from now."""
    if value in (None, ""):
        return None
    text = str(value)
    if "/" not in text:
        return now - _duration(text), now
    first, _, second = text.partition("/")
    start = None if first.startswith("P") else _moment(first)
    end = None if second.startswith("P") else _moment(second)
    if start is None and end is not None and first.startswith("P"):
        start = end - _duration(first)
    if end is None and start is not None and second.startswith("P"):
        end = start + _duration(second)
    if start is None or end is None:
        raise ValueError(f"invalid timespan {text!r}")
    return start, end


# --- OData $filter / $orderby on incident properties -------------------------------------------

_FILTER_TOKEN = re.compile(
    r"\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<str>'(?:[^']|'')*')|"
    r"(?P<dt>\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)|(?P<num>-?\d+(?:\.\d+)?)|"
    r"(?P<word>[A-Za-z_][A-Za-z0-9_/]*))"
)
Predicate = Callable[[dict[str, Any]], bool]


def _filter_tokens(text: str) -> list[tuple[str, str]]:
    out, pos, text = [], 0, text.strip()
    while pos < len(text):
        match = _FILTER_TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ValueError(f"syntax error at position {pos}")
        out.append((match.lastgroup or "", match.group(match.lastgroup or "")))
        pos = match.end()
    return out


def _literal(kind: str, text: str) -> Any:
    if kind == "str":
        return text[1:-1].replace("''", "'")
    if kind == "dt":
        return _moment(text)
    if kind == "num":
        return float(text)
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text.lower() == "null":
        return None
    raise ValueError(f"expected a literal, got {text!r}")


def _compare(field: str, op: str, literal: Any) -> Predicate:
    def predicate(props: dict[str, Any]) -> bool:
        value = props.get(field)
        if isinstance(literal, datetime):
            value = _moment(value) if isinstance(value, str) else None
        elif isinstance(literal, float) and isinstance(value, int | float):
            value = float(value)
        if op == "eq":
            return bool(value == literal)
        if op == "ne":
            return bool(value != literal)
        if value is None or literal is None:
            return False
        try:
            return bool(
                {
                    "gt": value > literal,
                    "ge": value >= literal,
                    "lt": value < literal,
                    "le": value <= literal,
                }[op]
            )
        except TypeError:
            return False

    return predicate


def compile_filter(text: str | None) -> Predicate:
    """A predicate over incident ``properties`` for an ARM ``$filter``."""
    if not text or not text.strip():
        return lambda props: True
    tokens = _filter_tokens(text)
    pos = 0

    def take() -> tuple[str, str]:
        nonlocal pos
        if pos >= len(tokens):
            raise ValueError("unexpected end of $filter")
        pos += 1
        return tokens[pos - 1]

    def peek() -> str | None:
        return tokens[pos][1].lower() if pos < len(tokens) else None

    def term() -> Predicate:
        kind, text = take()
        if kind == "lp":
            inner = expression()
            if take()[0] != "rp":
                raise ValueError("missing ')'")
            return inner
        if kind != "word" or not text.startswith("properties/"):
            raise ValueError(f"expected properties/<name>, got {text!r}")
        field = text.removeprefix("properties/")
        if field not in FILTERABLE:
            raise ValueError(f"filtering on '{field}' is not supported")
        op = take()[1].lower()
        if op not in ("eq", "ne", "gt", "ge", "lt", "le"):
            raise ValueError(f"unsupported operator {op!r}")
        return _compare(field, op, _literal(*take()))

    def conjunction() -> Predicate:
        left = term()
        while peek() == "and":
            take()
            right, first = term(), left
            left = lambda p, a=first, b=right: a(p) and b(p)  # noqa: E731
        return left

    def expression() -> Predicate:
        left = conjunction()
        while peek() == "or":
            take()
            right, first = conjunction(), left
            left = lambda p, a=first, b=right: a(p) or b(p)  # noqa: E731
        return left

    predicate = expression()
    if pos != len(tokens):
        raise ValueError(f"unexpected {tokens[pos][1]!r}")
    return predicate


def order_by(text: str | None) -> tuple[str, bool]:
    """(property, descending) of an ARM ``$orderby`` (default: creation, newest first)."""
    if not text:
        return "createdTimeUtc", True
    field, _, direction = text.strip().partition(" ")
    name = field.removeprefix("properties/")
    if not field.startswith("properties/") or name not in FILTERABLE:
        raise ValueError(f"cannot order by {field!r}")
    if direction.strip().lower() not in ("", "asc", "desc"):
        raise ValueError(f"unknown direction {direction!r}")
    return name, direction.strip().lower() == "desc"


def _sortable(value: Any) -> Any:
    if isinstance(value, str):
        moment = _moment(value) if ISO.match(value) else None
        return (0, moment.timestamp(), "") if moment else (1, 0.0, value)
    if isinstance(value, int | float):
        return (0, float(value), "")
    return (2, 0.0, "")


__all__ = ["DEMO", "DEMO_SHARED_KEY", "NOW", "SentinelState", "compile_filter", "make_sandbox"]
