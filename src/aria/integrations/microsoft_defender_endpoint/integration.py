"""Microsoft Defender for Endpoint: alerts, devices, vulnerability management, indicators,
Defender XDR incidents, and alert status written back when ARIA resolves a risk.

Everything generic (token caching and refresh, retries, ``Retry-After``, checkpoints, rate
limiting) comes from the SDK. This module declares Defender and adds what the SDK has no
declaration for:

* Entra client credentials with a per-tenant token URL on another host (:mod:`aria.sdk.entra`);
* a second API host: incidents live on the Defender XDR API, whose tokens have another
  audience, so the integration keeps a second ``HttpClient`` (same transport, clock, metrics)
  and hands it to the incidents stream through :class:`.streams.DefenderContext`;
* a connection probe that names every missing application permission at once;
* the exposure score and Microsoft Secure Score for Devices in ``health_check`` details;
* ``push``: submit an indicator (``kind="indicator"``), or resolve Defender alerts when a risk
  is closed in ARIA (``kind="ticket"`` from the platform, or ``kind="alert_status"``).
"""

from __future__ import annotations

from typing import Any

from aria.integrations.microsoft_defender_endpoint.config import DefenderConfig
from aria.integrations.microsoft_defender_endpoint.logo import LOGO_SVG
from aria.integrations.microsoft_defender_endpoint.normalize import indicator_to_indicator
from aria.integrations.microsoft_defender_endpoint.sandbox import DEMO, make_sandbox
from aria.integrations.microsoft_defender_endpoint.sandbox_data import counts_for
from aria.integrations.microsoft_defender_endpoint.streams import (
    QUERIES,
    QUERY_PARAMS,
    STREAMS,
    DefenderContext,
)
from aria.sdk import (
    AuthError,
    ConfigError,
    FatalError,
    HealthResult,
    HttpClient,
    Indicator,
    Integration,
    IntegrationError,
    PushRequest,
    PushResult,
    QueryRequest,
    QueryResult,
    RateLimits,
    check_base_url,
)
from aria.sdk.auth import AuthContext, SdkAuth
from aria.sdk.entra import EntraClientCredentials
from aria.sdk.ratelimit import limiter_for

# The application permission each probe needs, as the Entra portal names it.
PROBES: dict[str, tuple[str, str]] = {
    "alerts": ("/api/alerts", "Alert.Read.All"),
    "machines": ("/api/machines", "Machine.Read.All"),
    "vulnerabilities": ("/api/vulnerabilities/machinesVulnerabilities", "Vulnerability.Read.All"),
    "recommendations": ("/api/recommendations", "SecurityRecommendation.Read.All"),
    "indicators": ("/api/indicators", "Ti.ReadWrite.All"),
    "incidents": ("/api/incidents", "Incident.Read.All (Microsoft Threat Protection)"),
}
# Defender XDR incidents API quota (the MDE APIs allow 100 calls a minute).
XDR_RATE_LIMITS = RateLimits(per_minute=50, per_hour=1500, burst=10)

# ARIA risk push actions -> the Defender alert status they set (reopen/open change nothing:
# a reopened risk means Defender reported the alert again, so it is already open there).
ACTION_STATUS = {"close": "Resolved", "closed": "Resolved", "resolve": "Resolved"}
ALERT_STATUSES = ("New", "InProgress", "Resolved")
CLASSIFICATIONS = ("TruePositive", "InformationalExpectedActivity", "FalsePositive")
INDICATOR_TYPES = {
    "ipv4": "IpAddress",
    "ipv6": "IpAddress",
    "domain": "DomainName",
    "url": "Url",
    "md5": "FileMd5",
    "sha1": "FileSha1",
    "sha256": "FileSha256",
}
INDICATOR_ACTIONS = (
    "Warn",
    "Block",
    "Audit",
    "Alert",
    "AlertAndBlock",
    "BlockAndRemediate",
    "Allowed",
)
INDICATOR_SEVERITIES = {
    "informational": "Informational",
    "info": "Informational",
    "low": "Low",
    "medium": "Medium",
    "high": "High",
    "critical": "High",  # Defender's scale stops at High
}


class MicrosoftDefenderEndpoint(Integration):
    """Microsoft Defender for Endpoint (Plan 2) with Defender Vulnerability Management."""

    key = "microsoft-defender-endpoint"
    name = "Microsoft Defender for Endpoint"
    vendor = "Microsoft"
    product = "Microsoft Defender for Endpoint, Defender Vulnerability Management, Defender XDR"
    category = "edr"
    description = (
        "Bring Microsoft Defender for Endpoint alerts, onboarded devices, vulnerabilities, "
        "security recommendations, custom indicators and Defender XDR incidents into ARIA. "
        "Alerts arrive with severity, ATT&CK tactic and techniques and the affected device, so "
        "high-severity detections raise risks automatically; when a risk is closed in ARIA the "
        "Defender alerts behind it are resolved, and alerts resolved in Defender resolve their "
        "findings on the next sync. The exposure score shows on the health page."
    )
    features = [
        "Incremental sync of Defender alerts (OData $filter on lastUpdateTime, @odata.nextLink "
        "paging) with evidence",
        "Device inventory with health, risk score, exposure level, Entra device id and Azure "
        "VM ids, merged with other sources by agent id",
        "Vulnerabilities per device, CVE and software version, with the fixing KB",
        "Security recommendations as configuration compliance and software update findings",
        "Defender XDR incidents with their alerts, devices and classification",
        "Custom indicators (IoCs): read them, and submit new ones from ARIA",
        "Resolve Defender alerts (PATCH) when the matching ARIA risk is closed",
        "Exposure score and Microsoft Secure Score for Devices in health checks",
        "On-demand OData queries over every collection",
        "Commercial, GCC, GCC High and DoD clouds, and regional API endpoints",
    ]
    what_you_get = [
        "Detection findings (OCSF 2004) with ATT&CK tactic/technique, severity and device",
        "Assets (OCSF 5001) for every onboarded device, criticality from exposure level",
        "Vulnerability findings (OCSF 2002) per device, CVE and software",
        "Compliance findings (OCSF 2003) for security configuration recommendations",
        "Incidents (OCSF 2005) linked to their alert findings",
        "Threat-intelligence indicators (STIX 2.1) from your Defender custom indicators",
        "Automatic risks from high-severity alerts; alerts resolved when the risk closes",
    ]
    documentation_url = "https://learn.microsoft.com/defender-endpoint/api/apis-intro"
    support_url = "https://learn.microsoft.com/defender-endpoint/api/exposed-apis-create-app-webapp"
    version = "1.0.0"
    pricing_model = "enterprise"
    status = "official"
    min_platform_version = "0.1.0"
    capabilities = ["ingest", "sync", "query", "push"]
    data_types = [
        "alerts",
        "devices",
        "vulnerabilities",
        "compliance",
        "incidents",
        "indicators",
    ]
    webhook_support = False  # Defender streams events through Event Hubs, not webhooks
    # Defender for Endpoint: 100 calls a minute and 1500 an hour per API (429 beyond).
    rate_limits = RateLimits(per_minute=100, per_hour=1500, burst=10)
    installation_complexity = "moderate"
    logo_svg = LOGO_SVG

    config = DefenderConfig
    auth = EntraClientCredentials(scope_field="api_scope")
    streams = STREAMS
    queries = QUERIES
    sandbox = staticmethod(make_sandbox)
    sandbox_config = DEMO

    _xdr_http: HttpClient | None = None
    _xdr_auth: SdkAuth | None = None

    def initialize(self, config: dict[str, Any] | DefenderConfig) -> None:  # type: ignore[override]
        """Also build the Defender XDR client (incidents): its own host and token audience,
        sharing the transport, clock, retries and metrics of the main client."""
        super().initialize(config)
        settings = self.settings
        base_url = check_base_url(str(settings.incidents_base_url), self.url_policy)
        xdr = HttpClient(
            base_url=base_url,
            transport=self.transport,
            timeout=self.timeout,
            retry=self.retry_policy,
            redactor=self.redact,
            sleep=self._sleep,
            clock=self._clock,
            jitter=self._jitter,
            metrics=self.http.metrics,
            limiter=limiter_for(
                XDR_RATE_LIMITS,
                **({"clock": self._clock} if self._clock else {}),
                **({"sleep": self._sleep} if self._sleep else {}),
            ),
        )
        ctx = AuthContext(
            config=settings,
            base_url=base_url,
            transport=self.transport,
            timeout=self.timeout,
            clock=xdr.clock,
            redactor=self.redact,
            event_hooks=xdr.event_hooks(),
            url_policy=self.url_policy,
        )
        self._xdr_auth = EntraClientCredentials(scope_field="incidents_scope").build(ctx)
        xdr.client.auth = self._xdr_auth
        self._xdr_http = xdr

    @property
    def settings(self) -> DefenderConfig:
        """The validated settings, typed."""
        if not isinstance(self.config, DefenderConfig):
            raise ConfigError("integration is not initialized: pass a config first")
        return self.config

    @property
    def xdr_http(self) -> HttpClient:
        """The Defender XDR API client (incidents)."""
        if self._xdr_http is None:
            raise ConfigError("integration is not initialized: pass a config first")
        return self._xdr_http

    def context(self, **variables: Any) -> DefenderContext:
        """Stream context carrying the XDR client for the incidents stream."""
        base = super().context(**variables)
        return DefenderContext(
            http=base.http,
            config=base.config,
            now=base.now,
            variables=base.variables,
            xdr_http=self._xdr_http,
        )

    async def authenticate(self) -> None:
        """Fetch both tokens, so a wrong secret or tenant fails here."""
        await super().authenticate()
        if self._xdr_auth is not None:
            await self._xdr_auth.authenticate()

    async def probe(self) -> None:
        """One ``$top=1`` call per collection, naming every missing permission at once."""
        missing = []
        for stream, (path, permission) in PROBES.items():
            http = self.xdr_http if stream == "incidents" else self.http
            try:
                await http.request("GET", path, params={"$top": 1})
            except AuthError as exc:
                if exc.status_code != 403:
                    raise
                missing.append(permission)
        if missing:
            raise AuthError(
                "the app registration lacks these application permissions (or admin consent): "
                + ", ".join(missing)
                + " (Entra admin center > App registrations > API permissions)",
                status_code=403,
                details={"missing_permissions": missing},
            )

    async def health_check(self) -> HealthResult:
        """The connection check, plus the exposure score and Secure Score for Devices."""
        result = await super().health_check()
        if result.status == "down":
            return result
        details = dict(result.details)
        for path, key in (
            ("/api/exposureScore", "exposure_score"),
            ("/api/configurationScore", "secure_score_for_devices"),
        ):
            try:
                body = await self.http.request_json("GET", path)
            except AuthError as exc:
                details[f"{key}_error"] = (
                    "the app lacks Score.Read.All" if exc.status_code == 403 else str(exc)
                )
                continue
            except IntegrationError as exc:
                details[f"{key}_error"] = self.redact(str(exc))
                continue
            if isinstance(body, dict):
                details[key] = body.get("score")
                details[f"{key}_time"] = body.get("time")
        return result.model_copy(update={"details": details})

    async def query(self, request: QueryRequest) -> QueryResult:
        """OData queries: ``params`` may hold ``filter`` (a ``$filter`` expression)."""
        unknown = sorted(set(request.params) - QUERY_PARAMS)
        if unknown:
            raise ConfigError(
                f"{self.key}: unknown query parameters {unknown}; use 'filter' (OData $filter)",
                fields={name: "unknown query parameter" for name in unknown},
            )
        return await super().query(request)

    # --- push --------------------------------------------------------------------------------

    async def push(self, request: PushRequest) -> PushResult:
        """``indicator``: submit an IoC. ``ticket`` (what the platform sends for a risk) or
        ``alert_status``: set the status of the Defender alerts the payload names.

        Alert ids are read from ``alert_ids``, ``finding_uids`` or ``findings[].source_uid``
        (``uid``); the status from ``status`` or, for a risk, ``action`` (``close`` resolves).
        """
        if request.kind == "indicator":
            return await self._submit_indicator(request.payload)
        if request.kind in ("ticket", "alert_status"):
            return await self._update_alerts(request.payload)
        raise FatalError(
            f"{self.key} does not support push kind {request.kind!r} "
            "(use 'indicator', 'alert_status' or 'ticket')"
        )

    async def _update_alerts(self, payload: dict[str, Any]) -> PushResult:
        status = payload.get("status") if payload.get("status") in ALERT_STATUSES else None
        status = status or ACTION_STATUS.get(str(payload.get("action", "")).lower())
        ids = alert_ids(payload)
        if status is None:
            return PushResult(
                ok=True,
                message=f"nothing to change in Defender for action {payload.get('action')!r}",
                details={"skipped": True},
            )
        if not ids:
            return PushResult(
                ok=True,
                message="no Defender alert ids in the payload; nothing to resolve",
                details={"skipped": True},
            )
        body: dict[str, Any] = {"status": status, "comment": _comment(payload, status)}
        if payload.get("classification") in CLASSIFICATIONS:
            body["classification"] = payload["classification"]
            if payload.get("determination"):
                body["determination"] = str(payload["determination"])
        updated: list[str] = []
        not_found: list[str] = []
        for alert_id in ids:
            try:
                # Setting a status is idempotent, so a timed-out PATCH may be retried.
                await self.http.request("PATCH", f"/api/alerts/{alert_id}", json=body)
            except ConfigError as exc:
                if exc.status_code != 404:
                    raise
                not_found.append(alert_id)
                continue
            updated.append(alert_id)
        return PushResult(
            ok=bool(updated) or not not_found,
            message=f"{status}: {len(updated)} Defender alert(s) updated"
            + (f", {len(not_found)} not found" if not_found else ""),
            details={"status": status, "updated": updated, "not_found": not_found},
        )

    async def _submit_indicator(self, payload: dict[str, Any]) -> PushResult:
        body = indicator_body(payload)
        # Defender upserts on (indicatorValue, indicatorType), so a retried POST is harmless.
        response = await self.http.request_json("POST", "/api/indicators", json=body)
        if not isinstance(response, dict) or "id" not in response:
            raise FatalError("malformed response from POST /api/indicators: no indicator id")
        record = {k: v for k, v in response.items() if not k.startswith("@odata")}
        indicator = indicator_to_indicator(record)
        return PushResult(
            ok=True,
            external_id=str(response["id"]),
            message=f"indicator {body['indicatorType']} {body['indicatorValue']} submitted",
            details={
                "indicator": record,
                "stix_id": indicator.stix_id() if indicator else None,
            },
        )

    async def disconnect(self) -> None:
        """Close both clients and both token clients."""
        await super().disconnect()
        if self._xdr_auth is not None:
            await self._xdr_auth.aclose()
        if self._xdr_http is not None:
            await self._xdr_http.aclose()

    # --- what the conformance suite and `aria integration test` pick up --------------------

    @classmethod
    def sandbox_counts(cls, size: int) -> dict[str, int]:
        """Records per stream in a sandbox of ``size``."""
        return counts_for(size)

    @classmethod
    def corpus_samples(cls) -> list[Any]:
        """Real Defender responses in ../shared/corpus the streams must normalize."""
        from aria.sdk.testing import CorpusSample  # test-time only: it needs pytest

        return [
            CorpusSample(
                "alerts",
                "vendor-api/microsoft-defender-endpoint/first_response_alerts.json",
                "value",
            ),
            CorpusSample("vulnerabilities", "scans/ms_defender/report_many_vulns.json", "value"),
        ]


def alert_ids(payload: dict[str, Any]) -> list[str]:
    """Defender alert ids named by a push payload, in order, once each."""
    found: list[Any] = []
    for key in ("alert_ids", "finding_uids"):
        value = payload.get(key)
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            found.extend(value)
    for finding in payload.get("findings") or []:
        if isinstance(finding, dict):
            found.append(finding.get("source_uid") or finding.get("uid"))
    return list(dict.fromkeys(str(v) for v in found if v not in (None, "")))


def _comment(payload: dict[str, Any], status: str) -> str:
    """The alert comment: which ARIA risk changed the status, and why."""
    risk = payload.get("risk_id")
    title = payload.get("title")
    reason = payload.get("status_reason")
    text = f"{status} by ARIA"
    if risk is not None:
        text += f": risk {risk}"
        if title:
            text += f" ({title})"
    if reason:
        text += f"; {reason}"
    return text[:1000]


def indicator_body(payload: dict[str, Any]) -> dict[str, Any]:
    """A ``POST /api/indicators`` body from Defender's own field names or canonical ones
    (``value``, ``type``, ``name``, ``description``, ``valid_until``, ``severity``)."""
    value = payload.get("indicatorValue") or payload.get("value")
    if not value:
        raise ConfigError(
            "an indicator needs a value", fields={"value": "required (or indicatorValue)"}
        )
    kind = payload.get("indicatorType")
    if not kind:
        try:
            canonical = Indicator.from_value(value, type=payload.get("type"))
        except ValueError as exc:
            raise ConfigError(
                f"cannot tell the indicator type of {str(value)[:100]!r}: {exc}",
                fields={"type": "unknown indicator type"},
            ) from None
        kind = INDICATOR_TYPES.get(canonical.type.value)
        if kind is None:
            raise ConfigError(
                f"Defender accepts IPs, domains, URLs and MD5/SHA-1/SHA-256 hashes, not "
                f"{canonical.type.value}",
                fields={"type": "not supported by Defender"},
            )
        value = canonical.value
    if kind == "IpAddress" and "/" in str(value):
        raise ConfigError(
            "Defender does not accept CIDR ranges as indicators", fields={"value": "CIDR"}
        )
    action = payload.get("action") or "Audit"
    if action not in INDICATOR_ACTIONS:
        raise ConfigError(
            f"action must be one of {', '.join(INDICATOR_ACTIONS)}", fields={"action": "invalid"}
        )
    body: dict[str, Any] = {
        "indicatorValue": str(value),
        "indicatorType": kind,
        "action": action,
        "title": str(payload.get("title") or payload.get("name") or f"ARIA indicator {value}"),
        "description": str(payload.get("description") or "Submitted from ARIA."),
        "application": str(payload.get("application") or "ARIA"),
        # Audit only records; Defender requires an alert then so the hit is visible.
        "generateAlert": bool(payload.get("generateAlert", action in ("Audit", "Alert"))),
    }
    severity = payload.get("severity")
    if severity is not None:
        word = INDICATOR_SEVERITIES.get(str(severity).lower(), str(severity))
        if word not in INDICATOR_SEVERITIES.values():
            raise ConfigError(
                "severity must be Informational, Low, Medium or High",
                fields={"severity": "invalid"},
            )
        body["severity"] = word
    expires = payload.get("expirationTime") or payload.get("valid_until")
    if expires:
        body["expirationTime"] = str(expires)
    for name in ("recommendedActions", "rbacGroupNames", "educateUrl"):
        if payload.get(name):
            body[name] = payload[name]
    return body
