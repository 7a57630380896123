"""The Defender sandbox: Entra tokens, the MDE API and the XDR incidents API, offline.

``make_sandbox(seed, size, faults)`` returns one FastAPI app that stands in for three hosts
(everything reaches it through one in-process transport), so their paths never collide:

* ``POST /{tenant}/oauth2/v2.0/token`` (login.microsoftonline.com): client credentials with a
  ``.default`` scope; the token's audience is the API the scope names, as in Entra;
* ``/api/alerts`` (+ ``PATCH /api/alerts/{id}``), ``/api/machines``,
  ``/api/vulnerabilities/machinesVulnerabilities``, ``/api/recommendations``,
  ``/api/indicators`` (+ ``POST``), ``/api/exposureScore``, ``/api/configurationScore``
  (api.securitycenter.microsoft.com), with MDE-audience tokens;
* ``/api/incidents`` (api.security.microsoft.com), with XDR-audience tokens.

Lists are OData: ``{"@odata.context", "value", "@odata.nextLink"}``, ``$filter``
(see :mod:`.odata`), ``$top`` (10000 max, 100 for incidents) and ``$skip``. Errors use
Defender's ``{"error": {"code", "message", "target"}}``: 401 without a live token of the
right audience, 403 when the app lacks the permission (``roles``), 429 with ``Retry-After``
beyond 100 calls a minute or 1500 an hour per API (50 a minute for incidents).
``app.state.defender`` exposes the data, ``counts()``, ``touch()`` and what was written.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from aria.integrations.microsoft_defender_endpoint.odata import ODataError, compile_filter
from aria.integrations.microsoft_defender_endpoint.sandbox_data import (
    TENANT_ID,
    DefenderData,
    generate,
    stamp,
)
from aria.sdk.cursors import to_datetime
from aria.sdk.sandbox import DataGen, Faults, Sandbox

DEMO: dict[str, Any] = {
    "tenant_id": TENANT_ID,
    "client_id": "0f3b8e4a-6c1d-4e2f-9a7b-5d4c3b2a1f00",
    "client_secret": "mde-demo-secret~Qx7.0001",
    # Small pages so the demo (and the conformance suite) walk several nextLinks.
    "page_size": 25,
}
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
TOKEN_TTL = 3599
MDE_AUDIENCE = "https://api.securitycenter.microsoft.com"
XDR_AUDIENCE = "https://api.security.microsoft.com"
SCOPES = {f"{MDE_AUDIENCE}/.default": "api", f"{XDR_AUDIENCE}/.default": "incidents"}
ROLES = frozenset(
    {
        "Alert.ReadWrite.All",
        "Machine.Read.All",
        "Vulnerability.Read.All",
        "SecurityRecommendation.Read.All",
        "Score.Read.All",
        "Ti.ReadWrite.All",
        "Incident.Read.All",
    }
)
MAX_TOP = 10_000
INCIDENT_MAX_TOP = 100
PER_MINUTE, PER_HOUR, INCIDENTS_PER_MINUTE = 100, 1500, 50

FILTERABLE: dict[str, set[str] | None] = {
    "alerts": {
        "alertCreationTime",
        "lastUpdateTime",
        "incidentId",
        "investigationId",
        "id",
        "assignedTo",
        "detectionSource",
        "lastEventTime",
        "status",
        "severity",
        "category",
    },
    "machines": {
        "computerDnsName",
        "id",
        "version",
        "deviceValue",
        "aadDeviceId",
        "machineTags",
        "lastSeen",
        "exposureLevel",
        "onboardingStatus",
        "lastIpAddress",
        "healthStatus",
        "osPlatform",
        "riskScore",
        "rbacGroupId",
    },
    "vulnerabilities": {
        "id",
        "cveId",
        "machineId",
        "fixingKbId",
        "productName",
        "productVersion",
        "severity",
        "productVendor",
    },
    "recommendations": None,
    "indicators": {
        "application",
        "createdByDisplayName",
        "expirationTime",
        "generateAlert",
        "title",
        "rbacGroupNames",
        "rbacGroupIds",
        "indicatorValue",
        "indicatorType",
        "creationTimeDateTimeUtc",
        "createdBy",
        "action",
        "severity",
    },
    "incidents": {"lastUpdateTime", "createdTime", "status", "assignedTo"},
}
INDICATOR_TYPES = {
    "FileSha1",
    "FileSha256",
    "FileMd5",
    "CertificateThumbprint",
    "IpAddress",
    "DomainName",
    "Url",
}
INDICATOR_ACTIONS = {
    "Warn",
    "Block",
    "Audit",
    "Alert",
    "AlertAndBlock",
    "BlockAndRemediate",
    "Allowed",
}
ALERT_STATUSES = {"New", "InProgress", "Resolved"}
CLASSIFICATIONS = {"TruePositive", "InformationalExpectedActivity", "FalsePositive"}


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Any:
    """Defender's error envelope."""
    body = {"error": {"code": code, "message": message, "target": str(uuid.uuid4())}}
    return JSONResponse(body, status_code=status, headers=headers)


CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "ResourceNotFound",
    405: "MethodNotAllowed",
    429: "TooManyRequests",
}


class DefenderState:
    """The tenant behind one sandbox app, plus helpers tests use to make things happen."""

    def __init__(self, sb: Sandbox, data: DefenderData, roles: Iterable[str]) -> None:
        self.sb = sb
        self.data = data
        self.roles = frozenset(roles)
        self.audiences: dict[str, str] = {}
        self.patched: list[tuple[str, dict[str, Any]]] = []
        self.submitted: list[dict[str, Any]] = []

    def counts(self) -> dict[str, int]:
        """Records per stream: what a full read returns."""
        return self.data.counts()

    def rows(self, stream: str) -> list[dict[str, Any]]:
        """The live list behind a stream (tests inspect and change it)."""
        return getattr(self.data, stream)  # type: ignore[no-any-return]

    def latest(self) -> datetime:
        """The newest modification in the tenant; updates are stamped after it."""
        stamps = [r["lastUpdateTime"] for r in self.data.alerts + self.data.incidents]
        stamps += [r["lastUpdateTime"] for r in self.data.indicators]
        stamps += [r["lastSeen"] for r in self.data.machines]
        moments = [m for m in map(to_datetime, stamps) if m is not None]
        return max([self.data.now, *moments])

    def next_moment(self, seconds: int = 60) -> str:
        """A timestamp ``seconds`` after everything else (Defender stamps every change)."""
        moment = self.latest() + timedelta(seconds=seconds)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"

    def touch(self, stream: str, count: int, *, seconds: int = 60) -> list[str]:
        """Update the first ``count`` records of ``stream`` past the newest one (as analysts
        and sensors do); returns their ids."""
        field, key = {
            "alerts": ("lastUpdateTime", "id"),
            "machines": ("lastSeen", "id"),
            "incidents": ("lastUpdateTime", "incidentId"),
            "indicators": ("lastUpdateTime", "id"),
        }[stream]
        moment = self.next_moment(seconds)
        rows = self.rows(stream)
        for index, row in enumerate(rows[:count]):
            rows[index] = {**row, field: moment}
        return [str(row[key]) for row in rows[:count]]


class RateLimits:
    """Defender's per-API quotas: 100 calls a minute and 1500 an hour (50 a minute for the
    incidents API); beyond them 429 with ``Retry-After`` and the time left in the message."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox
        self.calls: dict[str, list[float]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith("/api/"):
            await self.app(scope, receive, send)
            return
        api = "/".join(path.split("/")[:3])
        per_minute = INCIDENTS_PER_MINUTE if api == "/api/incidents" else PER_MINUTE
        now = self.sandbox.clock()
        calls = [t for t in self.calls.get(api, []) if now - t < 3600]
        recent = [t for t in calls if now - t < 60]
        limit, window, oldest = (
            (per_minute, 60, recent[0] if recent else now)
            if len(recent) >= per_minute
            else (PER_HOUR, 3600, calls[0] if calls else now)
        )
        if len(recent) >= per_minute or len(calls) >= PER_HOUR:
            wait = max(1, math.ceil(oldest + window - now))
            span = "00:01:00" if window == 60 else "01:00:00"
            response = _error(
                429,
                "TooManyRequests",
                f"API calls quota exceeded! Maximum admitted {limit} per {span}. "
                f"Try again in {wait} seconds.",
                headers={"Retry-After": str(wait)},
            )
            await response(scope, receive, send)
            return
        calls.append(now)
        self.calls[api] = calls
        await self.app(scope, receive, send)


class EntraTokenEndpoint:
    """``POST /{tenant}/oauth2/v2.0/token``, answered before the fault middleware (token calls
    are never broken by injected faults, as for ``Sandbox.add_token_endpoint``)."""

    def __init__(self, app: ASGIApp, state: DefenderState, ttl: int = TOKEN_TTL) -> None:
        self.app = app
        self.state = state
        self.ttl = ttl

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        parts = scope.get("path", "").strip("/").split("/") if scope["type"] == "http" else []
        if parts[1:] != ["oauth2", "v2.0", "token"]:
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

        if tenant != self.state.data.tenant_id:
            return refuse(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return refuse(400, "unsupported_grant_type", 70003, "The grant type is unsupported.")
        if form.get("client_id") != DEMO["client_id"]:
            return refuse(
                400,
                "unauthorized_client",
                700016,
                "Application with identifier was not found in the directory.",
            )
        if form.get("client_secret") != DEMO["client_secret"]:
            return refuse(401, "invalid_client", 7000215, "Invalid client secret provided.")
        audience = SCOPES.get(form.get("scope", ""))
        if audience is None:
            return refuse(400, "invalid_scope", 1002012, "The provided value for scope is invalid.")
        token = self.state.sb.issue_token(self.ttl)
        self.state.audiences[token] = audience
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": self.ttl,
                "ext_expires_in": self.ttl,
                "access_token": token,
            }
        )


def make_sandbox(
    seed: int = 7,
    size: int = 200,
    faults: Faults | None = None,
    *,
    roles: Iterable[str] = ROLES,
    next_links: bool = True,
    now: datetime | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> FastAPI:
    """The Defender APIs over a tenant of ``size`` alerts and machines (see
    :func:`.sandbox_data.counts_for`); ``roles`` are the app's granted permissions;
    ``next_links=False`` answers a ``$top``-limited page without ``@odata.nextLink``."""
    extra: dict[str, Any] = {}
    if clock is not None:
        extra["clock"] = clock
    if sleep is not None:
        extra["sleep"] = sleep
    sb = Sandbox(seed=seed, size=size, faults=faults, now=now or NOW, **extra)
    app = FastAPI(title="Microsoft Defender for Endpoint API (ARIA sandbox)", docs_url=None)
    sb.install(app)
    state = DefenderState(sb, generate(seed, size, sb.gen.now), roles)
    app.add_middleware(RateLimits, sandbox=sb)
    app.add_middleware(EntraTokenEndpoint, state=state)
    app.state.defender = state
    data = state.data

    @app.exception_handler(HTTPException)
    async def defender_error(request: Request, exc: HTTPException) -> Response:
        return _error(
            exc.status_code,
            CODES.get(exc.status_code, "InternalServerError"),
            str(exc.detail),
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def defender_bad_request(request: Request, exc: RequestValidationError) -> Response:
        where = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        return _error(400, "InvalidRequestBody", f"Request is invalid: {where}")

    def authorize(request: Request, audience: str, *roles: str) -> None:
        sb.check_bearer(request)
        token = request.headers["authorization"].partition(" ")[2]
        if state.audiences.get(token) != audience:
            raise HTTPException(401, "Authorization has been denied for this request.")
        if not state.roles & set(roles):
            raise HTTPException(
                403,
                "The application does not have any of the required application permissions "
                f"({', '.join(roles)}) to access the resource.",
            )

    def odata_list(
        request: Request,
        rows: list[dict[str, Any]],
        entity: str,
        stream: str,
        *,
        max_top: int = MAX_TOP,
        order: str | None = None,
        key: str = "id",
        shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> Response:
        params = request.query_params
        try:
            top = int(params.get("$top", max_top))
            skip = int(params.get("$skip", 0))
        except ValueError:
            raise HTTPException(400, "$top and $skip must be integers") from None
        if not 1 <= top <= max_top or skip < 0:
            raise HTTPException(400, f"$top must be between 1 and {max_top}; $skip >= 0")
        try:
            predicate = compile_filter(params.get("$filter"), FILTERABLE[stream])
        except ODataError as exc:
            raise HTTPException(400, f"Invalid filter clause: {exc}") from None
        chosen = [row for row in rows if predicate(row)]
        if order:
            chosen.sort(key=lambda r: (to_datetime(r.get(order)) or data.now, str(r[key])))
        page_no = skip // top + 1
        chunk = chosen[skip : skip + top]
        base = str(request.base_url).rstrip("/")
        body: dict[str, Any] = {
            "@odata.context": f"{base}/api/$metadata#{entity}",
            "value": [shape(r) for r in chunk] if shape else chunk,
        }
        following = (
            str(request.url.include_query_params(**{"$skip": skip + top, "$top": top}))
            if next_links and skip + top < len(chosen)
            else None
        )
        link = sb.next_cursor(page_no, str(request.url), following)
        if link:
            body["@odata.nextLink"] = link
        return sb.page(body, page_no)

    # --- alerts ---------------------------------------------------------------------------

    @app.get("/api/alerts")
    async def list_alerts(request: Request) -> Response:
        authorize(request, "api", "Alert.Read.All", "Alert.ReadWrite.All")
        expand = request.query_params.get("$expand", "")
        if expand not in ("", "evidence"):
            raise HTTPException(400, f"$expand supports only 'evidence', not {expand!r}")

        def shape(row: dict[str, Any]) -> dict[str, Any]:
            return row if expand else {k: v for k, v in row.items() if k != "evidence"}

        return odata_list(
            request, data.alerts, "Alerts", "alerts", order="lastUpdateTime", shape=shape
        )

    @app.get("/api/alerts/{alert_id}")
    async def get_alert(alert_id: str, request: Request) -> dict[str, Any]:
        authorize(request, "api", "Alert.Read.All", "Alert.ReadWrite.All")
        return _find(data.alerts, "id", alert_id, "Alert")

    @app.patch("/api/alerts/{alert_id}")
    async def update_alert(alert_id: str, request: Request) -> dict[str, Any]:
        authorize(request, "api", "Alert.ReadWrite.All")
        try:
            body = await request.json()
        except ValueError:
            raise HTTPException(400, "The request body is not valid JSON") from None
        if not isinstance(body, dict) or not body:
            raise HTTPException(400, "Provide at least one property to update")
        allowed = {"status", "assignedTo", "classification", "determination", "comment"}
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise HTTPException(400, f"Properties {unknown} cannot be updated")
        if "status" in body and body["status"] not in ALERT_STATUSES:
            raise HTTPException(400, f"Invalid status {body['status']!r}")
        if "classification" in body and body["classification"] not in CLASSIFICATIONS:
            raise HTTPException(400, f"Invalid classification {body['classification']!r}")
        current = _find(data.alerts, "id", alert_id, "Alert")
        moment = state.next_moment(1)
        updated = {**current, "lastUpdateTime": moment}
        for name in ("status", "assignedTo", "classification", "determination"):
            if name in body:
                updated[name] = body[name]
        if body.get("status") == "Resolved":
            updated["resolvedTime"] = moment
        if body.get("comment"):
            updated["comments"] = [
                *current.get("comments", []),
                {"comment": body["comment"], "createdBy": DEMO["client_id"], "createdTime": moment},
            ]
        data.alerts[data.alerts.index(current)] = updated
        state.patched.append((alert_id, body))
        return updated

    # --- machines, vulnerabilities, recommendations ------------------------------------------

    @app.get("/api/machines")
    async def list_machines(request: Request) -> Response:
        authorize(request, "api", "Machine.Read.All", "Machine.ReadWrite.All")
        return odata_list(request, data.machines, "Machines", "machines", order="lastSeen")

    @app.get("/api/vulnerabilities/machinesVulnerabilities")
    async def machines_vulnerabilities(request: Request) -> Response:
        authorize(request, "api", "Vulnerability.Read.All")
        return odata_list(
            request,
            data.vulnerabilities,
            "Collection(microsoft.windowsDefenderATP.api.PublicAssetVulnerabilityDto)",
            "vulnerabilities",
        )

    @app.get("/api/recommendations")
    async def list_recommendations(request: Request) -> Response:
        authorize(request, "api", "SecurityRecommendation.Read.All")
        return odata_list(request, data.recommendations, "Recommendations", "recommendations")

    # --- scores ----------------------------------------------------------------------------

    @app.get("/api/exposureScore")
    async def exposure_score(request: Request) -> dict[str, Any]:
        authorize(request, "api", "Score.Read.All")
        weight = {"None": 0, "Low": 25, "Medium": 60, "High": 90}
        levels = [weight.get(m["exposureLevel"], 0) for m in data.machines] or [0]
        return {
            "@odata.context": f"{str(request.base_url).rstrip('/')}/api/$metadata#ExposureScore"
            "/$entity",
            "time": stamp(data.now, DataGen(sb.gen.seed, now=data.now)),
            "score": round(sum(levels) / len(levels), 2),
            "rbacGroupId": None,
        }

    @app.get("/api/configurationScore")
    async def configuration_score(request: Request) -> dict[str, Any]:
        authorize(request, "api", "Score.Read.All")
        config = [r for r in data.recommendations if r["remediationType"] == "ConfigurationChange"]
        fixed = sum(1 for r in config if not r["exposedMachinesCount"])
        return {
            "@odata.context": f"{str(request.base_url).rstrip('/')}/api/$metadata"
            "#ConfigurationScore/$entity",
            "time": stamp(data.now, DataGen(sb.gen.seed, now=data.now)),
            "score": float(round(1000 * fixed / max(1, len(config)))),
            "rbacGroupId": None,
        }

    # --- indicators --------------------------------------------------------------------------

    @app.get("/api/indicators")
    async def list_indicators(request: Request) -> Response:
        authorize(request, "api", "Ti.ReadWrite", "Ti.ReadWrite.All")
        return odata_list(
            request, data.indicators, "Indicators", "indicators", order="lastUpdateTime"
        )

    @app.post("/api/indicators")
    async def submit_indicator(request: Request) -> Response:
        authorize(request, "api", "Ti.ReadWrite", "Ti.ReadWrite.All")
        try:
            body = await request.json()
        except ValueError:
            raise HTTPException(400, "The request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise HTTPException(400, "The request body must be an Indicator object")
        missing = [
            f for f in ("indicatorValue", "indicatorType", "action", "title") if not body.get(f)
        ]
        if "description" not in body:
            missing.append("description")
        if missing:
            raise HTTPException(400, f"Missing required properties: {missing}")
        if body["indicatorType"] not in INDICATOR_TYPES:
            raise HTTPException(400, f"Invalid indicatorType {body['indicatorType']!r}")
        if body["action"] not in INDICATOR_ACTIONS:
            raise HTTPException(400, f"Invalid action {body['action']!r}")
        if body["indicatorType"] == "IpAddress" and "/" in str(body["indicatorValue"]):
            raise HTTPException(400, "CIDR notation is not supported for IP indicators")
        moment = state.next_moment(1)
        existing = next(
            (
                r
                for r in data.indicators
                if r["indicatorValue"] == body["indicatorValue"]
                and r["indicatorType"] == body["indicatorType"]
            ),
            None,
        )
        fields = {
            k: body[k]
            for k in (
                "action",
                "title",
                "description",
                "severity",
                "expirationTime",
                "recommendedActions",
                "rbacGroupNames",
                "generateAlert",
                "educateUrl",
            )
            if k in body
        }
        if existing is not None:
            record = {**existing, **fields, "lastUpdateTime": moment}
            data.indicators[data.indicators.index(existing)] = record
        else:
            next_id = max((int(r["id"]) for r in data.indicators), default=4999) + 1
            record = {
                "id": str(next_id),
                "indicatorValue": body["indicatorValue"],
                "indicatorType": body["indicatorType"],
                "application": body.get("application"),
                "source": "ARIA",
                "sourceType": "AadApp",
                "createdBy": DEMO["client_id"],
                "createdByDisplayName": "ARIA Integration",
                "createdBySource": "PublicApi",
                "severity": "Informational",
                "category": 1,
                "recommendedActions": None,
                "creationTimeDateTimeUtc": moment,
                "expirationTime": None,
                "lastUpdateTime": moment,
                "lastUpdatedBy": DEMO["client_id"],
                "rbacGroupNames": [],
                "rbacGroupIds": [],
                "generateAlert": False,
                "mitreTechniques": [],
                **fields,
            }
            data.indicators.append(record)
        state.submitted.append(body)
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {"@odata.context": f"{base}/api/$metadata#Indicators/$entity", **record}
        )

    # --- Defender XDR incidents (api.security.microsoft.com) --------------------------------

    @app.get("/api/incidents")
    async def list_incidents(request: Request) -> Response:
        authorize(request, "incidents", "Incident.Read.All", "Incident.ReadWrite.All")
        return odata_list(
            request,
            data.incidents,
            "Incidents",
            "incidents",
            max_top=INCIDENT_MAX_TOP,
            order="lastUpdateTime",
            key="incidentId",
        )

    return app


def _find(rows: list[dict[str, Any]], key: str, value: str, what: str) -> dict[str, Any]:
    found = next((r for r in rows if str(r[key]) == value), None)
    if found is None:
        raise HTTPException(404, f"{what} {value} was not found")
    return found
