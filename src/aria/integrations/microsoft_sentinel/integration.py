"""Microsoft Sentinel: incidents, KQL search over the workspace, and ARIA risk events
forwarded into a custom log table.

Everything generic (token caching and refresh, retries, ``Retry-After``, checkpoints, rate
limiting) comes from the SDK. This module declares Sentinel and adds what the SDK has no
declaration for:

* three hosts: Azure Resource Manager (the main client, incidents), the Log Analytics query
  API (its own client and Entra token audience) and an ingestion host: the HTTP Data
  Collector API (signed with the workspace key by :class:`.sharedkey.SharedKeyAuth`) or the
  Logs Ingestion API (a third token audience, ``https://monitor.azure.com``); the extra
  clients share the transport, clock, retries and metrics of the main one;
* ``query(type="search")``: KQL, native or translated from a common query (:mod:`.kql`),
  run with ``POST /v1/workspaces/{id}/query`` and returned as search hits;
* ``push(kind="event")``: risk events as records of ``<log_type>_CL``, through either API;
* a connection probe that checks all three APIs and names the missing role.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import httpx

from aria.integrations.microsoft_sentinel import kql, sharedkey
from aria.integrations.microsoft_sentinel.config import LOGS_INGESTION_VERSION, SentinelConfig
from aria.integrations.microsoft_sentinel.logo import LOGO_SVG
from aria.integrations.microsoft_sentinel.normalize import row_to_hit, rows
from aria.integrations.microsoft_sentinel.sandbox import DEMO, make_sandbox
from aria.integrations.microsoft_sentinel.streams import API_VERSION, STREAMS
from aria.sdk import (
    AuthError,
    ConfigError,
    FatalError,
    HttpClient,
    Integration,
    IntegrationError,
    PushRequest,
    PushResult,
    QueryRequest,
    QueryResult,
    RateLimited,
    RateLimits,
    TransientError,
    check_base_url,
    siem,
)
from aria.sdk.auth import AuthContext, AuthKind, SdkAuth
from aria.sdk.cursors import to_datetime, to_iso
from aria.sdk.entra import EntraClientCredentials
from aria.sdk.ratelimit import limiter_for

# Azure Resource Manager reads: a bucket of 250 per subscription and principal, refilled at
# 25 a second. The Log Analytics query API: 200 requests per 30 seconds per user or client IP.
ARM_RATE_LIMITS = RateLimits(per_second=25, burst=250)
LOGS_RATE_LIMITS = RateLimits(per_minute=400, burst=200)
# Logs Ingestion API: 12,000 requests a minute per data collection rule.
INGESTION_RATE_LIMITS = RateLimits(per_minute=12_000, burst=100)
MAX_POST_BYTES = 30 * 1024 * 1024  # Data Collector: at most 30 MB per post
MAX_CALL_BYTES = 1024 * 1024  # Logs Ingestion: at most 1 MB per call
MAX_COLUMN = 45  # Data Collector column names (with the type suffix) stay within 45 characters
RESERVED = {"tenant", "timegenerated", "rawdata"}  # property names the API refuses
EVENT_TIME = "event_time"  # sent as time-generated-field, so TimeGenerated is the event's time
EVENT_KINDS = ("event",)  # the platform forwards risk changes to SIEMs as kind="event"
ROLE_HINT = "(Azure portal > the workspace > Access control (IAM) > Add role assignment)"


class MicrosoftSentinel(Integration):
    """Microsoft Sentinel on a Log Analytics workspace."""

    key = "microsoft-sentinel"
    name = "Microsoft Sentinel"
    vendor = "Microsoft"
    product = "Microsoft Sentinel (Azure Monitor Log Analytics)"
    category = "siem"
    description = (
        "Bring Microsoft Sentinel incidents into ARIA, search the Sentinel workspace with KQL "
        "(or ARIA's SIEM-neutral common queries, translated to KQL), and forward ARIA risk "
        "events into a custom log table, where analytics rules, workbooks and hunting queries "
        "can use them. Forwarding uses the Logs Ingestion API (a data collection rule) or the "
        "HTTP Data Collector API (the workspace key), which Microsoft retires on 2026-09-14."
    )
    features = [
        "Incremental sync of Sentinel incidents (Incidents - List, api-version "
        f"{API_VERSION}) on lastModifiedTimeUtc, following nextLink pages",
        "KQL search through the Log Analytics query API, native or translated from a common "
        "query with escaped literals and Data Collector column suffixes handled",
        "Risk events forwarded to <log_type>_CL through the Logs Ingestion API (1 MB calls) or "
        "the HTTP Data Collector API (SharedKey HMAC-SHA256 signature, 30 MB posts)",
        "Connection test that checks Azure Resource Manager, Log Analytics and the workspace "
        "key, naming the missing Azure role",
        "One Entra token per audience (Resource Manager, Log Analytics, Azure Monitor "
        "ingestion); Azure Government and Azure China endpoints configurable",
    ]
    what_you_get = [
        "Incidents (OCSF 2005) with severity, status (New/Active/Closed), owner, "
        "classification, tactics, labels and the Azure portal link",
        "Search hits from any workspace table (SecurityAlert, SigninLogs, custom logs) with "
        "time, message and every column",
        "ARIA risk events in Sentinel, searchable by risk_id with KQL",
    ]
    documentation_url = "https://learn.microsoft.com/rest/api/securityinsights/"
    support_url = "https://learn.microsoft.com/azure/sentinel/"
    version = "1.0.0"
    pricing_model = "enterprise"
    status = "official"
    min_platform_version = "0.1.0"
    capabilities = ["ingest", "sync", "query", "push"]
    data_types = ["incidents", "alerts", "events"]
    webhook_support = False  # Sentinel reaches out through Logic Apps playbooks, not webhooks
    rate_limits = ARM_RATE_LIMITS
    installation_complexity = "moderate"
    logo_svg = LOGO_SVG

    config = SentinelConfig
    auth = EntraClientCredentials(scope_field="management_scope")
    logs_auth: AuthKind = EntraClientCredentials(scope_field="log_analytics_scope")
    ingest_auth: AuthKind = EntraClientCredentials(scope_field="monitor_scope")
    streams = STREAMS
    sandbox = staticmethod(make_sandbox)
    sandbox_config = DEMO

    _logs_http: HttpClient | None = None
    _logs_auth: SdkAuth | None = None
    _ingest_http: HttpClient | None = None
    _ingest_auth: SdkAuth | None = None

    def initialize(self, config: dict[str, Any] | SentinelConfig) -> None:  # type: ignore[override]
        """Also build the Log Analytics client (its own token audience) and the ingestion
        client: Logs Ingestion (a third audience) when its rule is configured, else the Data
        Collector with a shared key. All share the main client's transport and metrics."""
        super().initialize(config)
        settings = self.settings
        self._logs_http, ctx = self._client(settings.log_analytics_base_url, LOGS_RATE_LIMITS)
        self._logs_auth = self.logs_auth.build(ctx)  # type: ignore[assignment]
        self._logs_http.client.auth = self._logs_auth
        if settings.ingestion_api == "logs_ingestion":
            if settings.dce_endpoint and settings.dcr_immutable_id:
                self._ingest_http, ctx = self._client(settings.dce_endpoint, INGESTION_RATE_LIMITS)
                self._ingest_auth = self.ingest_auth.build(ctx)  # type: ignore[assignment]
                self._ingest_http.client.auth = self._ingest_auth
        elif settings.shared_key is not None and settings.ingestion_base_url:
            self._ingest_http, _ = self._client(settings.ingestion_base_url, None)
            self._ingest_http.client.auth = sharedkey.SharedKeyAuth(
                settings.workspace_id,
                lambda: str(settings.value("shared_key")),
                self._ingest_http.clock,
            )

    def _client(self, base_url: str, limits: RateLimits | None) -> tuple[HttpClient, AuthContext]:
        """Another host's client, wired like the main one (transport, clock, metrics)."""
        url = check_base_url(str(base_url), self.url_policy)
        timing = {
            **({"clock": self._clock} if self._clock else {}),
            **({"sleep": self._sleep} if self._sleep else {}),
        }
        client = HttpClient(
            base_url=url,
            transport=self.transport,
            timeout=self.timeout,
            retry=self.retry_policy,
            redactor=self.redact,
            sleep=self._sleep,
            clock=self._clock,
            jitter=self._jitter,
            metrics=self.http.metrics,
            limiter=limiter_for(limits, **timing) if limits else None,
        )
        ctx = AuthContext(
            config=self.settings,
            base_url=url,
            transport=self.transport,
            timeout=self.timeout,
            clock=client.clock,
            redactor=self.redact,
            event_hooks=client.event_hooks(),
            url_policy=self.url_policy,
        )
        return client, ctx

    @property
    def settings(self) -> SentinelConfig:
        """The validated settings, typed."""
        if not isinstance(self.config, SentinelConfig):
            raise ConfigError("integration is not initialized: pass a config first")
        return self.config

    @property
    def logs_http(self) -> HttpClient:
        """The Log Analytics query API client."""
        if self._logs_http is None:
            raise ConfigError("integration is not initialized: pass a config first")
        return self._logs_http

    async def authenticate(self) -> None:
        """Fetch every token (two or three audiences), so a wrong secret or tenant fails here."""
        await super().authenticate()
        for extra in (self._logs_auth, self._ingest_auth):
            if extra is not None:
                await extra.authenticate()

    async def probe(self) -> None:
        """One cheap call per API: ``$top=1`` incidents, ``print`` in KQL and, with a shared
        key, an empty Data Collector post; every missing role is named at once."""
        missing: list[str] = []
        try:
            await self.http.request(
                "GET",
                f"{self.settings.workspace_path}/incidents",
                params={"api-version": API_VERSION, "$top": 1},
            )
        except AuthError as exc:
            if exc.status_code != 403:
                raise
            missing.append("Microsoft Sentinel Reader")
        try:
            await self._run_query("print ok = 1", None)
        except AuthError as exc:
            if exc.status_code != 403:
                raise
            missing.append("Log Analytics Reader")
        if missing:
            raise AuthError(
                "the app registration lacks these roles on the workspace: "
                + ", ".join(missing)
                + f" {ROLE_HINT}",
                status_code=403,
                details={"missing_roles": missing},
            )
        if self._ingest_http is not None and self._ingest_auth is None:  # the Data Collector
            try:
                await self._post_records([])
            except AuthError as exc:
                raise AuthError(
                    "the HTTP Data Collector API refused the workspace shared key (check "
                    "workspace_id and shared_key: Agents > Primary key)",
                    status_code=exc.status_code,
                ) from None

    # --- query -------------------------------------------------------------------------------

    def translate(self, query: siem.CommonQuery, table: str | None = None) -> str:
        """KQL for a common query, against ``table`` (default: the forwarding table)."""
        return kql.translate(query, table or self.settings.table)

    async def query(self, request: QueryRequest) -> QueryResult:
        """``search``: KQL (``query``) or a common query (``common``), optional ``start`` /
        ``end`` (ISO 8601) and ``table`` (common queries only). Other types read streams."""
        if request.type != siem.SEARCH:
            return await super().query(request)
        search = siem.search_params(
            self.key, request.params, request.limit, language="KQL", extra=("table",)
        )
        table = search.extra.get("table")
        limit = search.limit
        if search.common is not None:
            text = self.translate(
                search.common.model_copy(update={"limit": limit + 1}), str(table) if table else None
            )
            source = str(table) if table else self.settings.table
        else:
            if table is not None:
                raise ConfigError(
                    "'table' applies to common queries; name the table in the KQL",
                    fields={"table": "only with common"},
                )
            text = str(search.native)
            source = _first_table(text)
        start, end = to_datetime(search.start), to_datetime(search.end)  # naive means UTC
        body = await self._run_query(text, _timespan(start, end, self._now()))
        tables = body.get("tables") if isinstance(body, dict) else None
        if not isinstance(tables, list) or not tables or not isinstance(tables[0], dict):
            raise FatalError("malformed response from the query API: no result table")
        found = rows(tables[0])
        hits = [row_to_hit(row, source) for row in found[:limit]]
        partial = isinstance(body.get("error"), dict)  # 200 with a non-fatal error: cut short
        return QueryResult(
            type=siem.SEARCH,
            records=hits,
            raw=found[:limit],
            truncated=len(found) > limit or partial,
        )

    async def _run_query(self, text: str, timespan: str | None) -> Any:
        body: dict[str, Any] = {"query": text}
        if timespan:
            body["timespan"] = timespan
        return await self.logs_http.request_json(
            "POST", f"/v1/workspaces/{self.settings.workspace_id}/query", json=body
        )

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.http.clock(), UTC)

    # --- push --------------------------------------------------------------------------------

    async def push(self, request: PushRequest) -> PushResult:
        """``event`` (or ``ticket``, which the platform sends for a risk change): forward
        :func:`aria.sdk.siem.event_document` of the payload, or of each item of
        ``payload["events"]``, as records of ``<log_type>_CL`` (Data Collector or Logs
        Ingestion, as configured)."""
        if request.kind not in EVENT_KINDS:
            raise FatalError(
                f"{self.key} does not support push kind {request.kind!r} (use 'event')"
            )
        dcr = self.settings.ingestion_api == "logs_ingestion"
        if self._ingest_http is None:
            if dcr:
                raise ConfigError(
                    "forwarding with the Logs Ingestion API needs dce_endpoint and "
                    "dcr_immutable_id",
                    fields={
                        "dce_endpoint": "required to forward events",
                        "dcr_immutable_id": "required to forward events",
                    },
                )
            raise ConfigError(
                "forwarding to Sentinel needs the workspace shared key (shared_key)",
                fields={"shared_key": "required to forward events"},
            )
        payload = request.payload
        items = payload["events"] if isinstance(payload.get("events"), list) else [payload]
        now = to_iso(self._now())
        records: list[dict[str, Any]] = []
        errors: list[str] = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                errors.append(f"event {index}: not an object ({type(item).__name__})")
                continue
            document = siem.event_document(item)
            records.append(
                logs_ingestion_record(document, now)
                if dcr
                else data_collector_record(document, now)
            )
        accepted = 0
        batches = batched(records, MAX_CALL_BYTES if dcr else MAX_POST_BYTES)
        for number, batch in enumerate(batches):
            try:
                await (self._upload(batch) if dcr else self._post_records(batch))
            except AuthError:
                raise
            except (TransientError, RateLimited):
                if accepted == 0:
                    raise  # nothing landed yet: the platform may retry the whole push
                errors.append(
                    f"batch {number + 1}/{len(batches)}: {len(batch)} events not sent "
                    "(ingestion unavailable); earlier batches were accepted"
                )
                break
            except IntegrationError as exc:
                errors.append(f"batch {number + 1}/{len(batches)}: {self.redact(str(exc))}")
                continue
            accepted += len(batch)
        failed = len(items) - accepted
        details: dict[str, Any] = {"accepted": accepted, "table": self.settings.table}
        if failed:
            details.update(failed=failed, errors=errors[:20])
        return PushResult(
            ok=failed == 0,
            message=f"{accepted} event(s) forwarded to {self.settings.table}"
            + (f", {failed} failed" if failed else ""),
            details=details,
        )

    async def _post_records(self, records: list[dict[str, Any]]) -> httpx.Response:
        if self._ingest_http is None:
            raise ConfigError("no shared key configured", fields={"shared_key": "required"})
        content = json.dumps(records, separators=(",", ":"), default=str).encode("utf-8")
        return await self._ingest_http.request(
            "POST",
            sharedkey.RESOURCE,
            params={"api-version": sharedkey.API_VERSION},
            content=content,
            headers={
                "Content-Type": sharedkey.CONTENT_TYPE,
                "Log-Type": self.settings.log_type,
                "time-generated-field": EVENT_TIME,
            },
            idempotent=False,  # a timed-out post may have landed; do not send it twice
        )

    async def _upload(self, records: list[dict[str, Any]]) -> httpx.Response:
        """Logs Ingestion: ``POST /dataCollectionRules/{id}/streams/{stream}``, answered 204."""
        if self._ingest_http is None:
            raise ConfigError(
                "no data collection rule configured", fields={"dce_endpoint": "required"}
            )
        settings = self.settings
        content = json.dumps(records, separators=(",", ":"), default=str).encode("utf-8")
        return await self._ingest_http.request(
            "POST",
            f"/dataCollectionRules/{settings.dcr_immutable_id}/streams/{settings.stream}",
            params={"api-version": LOGS_INGESTION_VERSION},
            content=content,
            headers={"Content-Type": "application/json"},
            idempotent=False,  # a timed-out call may have landed; do not send it twice
        )

    async def disconnect(self) -> None:
        """Close every client and every token client."""
        await super().disconnect()
        for auth in (self._logs_auth, self._ingest_auth):
            if auth is not None:
                await auth.aclose()
        for client in (self._logs_http, self._ingest_http):
            if client is not None:
                await client.aclose()

    # --- what the conformance suite and `aria integration test` pick up --------------------

    @classmethod
    def sandbox_counts(cls, size: int) -> dict[str, int]:
        """Records per stream in a sandbox of ``size``: one incident per unit."""
        return {"incidents": size}

    @classmethod
    def corpus_samples(cls) -> list[Any]:
        """Real Sentinel responses in ../shared/corpus (none are collected yet)."""
        return []


# --- helpers -------------------------------------------------------------------------------------


def data_collector_record(document: dict[str, Any], now: str) -> dict[str, Any]:
    """A flat event document as a Data Collector record: property names of letters, digits
    and underscores only (at most 43 characters, leaving room for the type suffix), reserved
    names prefixed, and ``event_time`` for ``time-generated-field``."""
    record: dict[str, Any] = {}
    for key, value in document.items():
        name = re.sub(r"[^A-Za-z0-9_]", "_", str(key))[: MAX_COLUMN - 2] or "field"
        if name.lower() in RESERVED:
            name = f"aria_{name}"[: MAX_COLUMN - 2]
        record.setdefault(name, value)
    record.setdefault(EVENT_TIME, now)
    return record


def logs_ingestion_record(document: dict[str, Any], now: str) -> dict[str, Any]:
    """A flat event document as a Logs Ingestion record: column names of letters, digits and
    underscores starting with a letter, ``TimeGenerated`` and ``event_time`` set to now."""
    record: dict[str, Any] = {"TimeGenerated": now}
    for key, value in document.items():
        name = re.sub(r"[^A-Za-z0-9_]", "_", str(key))[:MAX_COLUMN] or "field"
        if not name[0].isalpha():
            name = f"c{name}"[:MAX_COLUMN]
        record.setdefault(name, value)
    record.setdefault(EVENT_TIME, now)
    return record


def batched(
    records: list[dict[str, Any]], limit: int = MAX_POST_BYTES
) -> list[list[dict[str, Any]]]:
    """Records in posts under ``limit`` bytes of JSON (a record over it goes alone: the API
    answers it, not us)."""
    batches: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 2
    for record in records:
        length = len(json.dumps(record, separators=(",", ":"), default=str).encode()) + 1
        if current and size + length > limit:
            batches.append(current)
            current, size = [], 2
        current.append(record)
        size += length
    if current:
        batches.append(current)
    return batches


def _timespan(start: datetime | None, end: datetime | None, now: datetime) -> str | None:
    """The query API's ``timespan`` (an ISO 8601 interval) for the bounds given."""
    if start is None and end is None:
        return None
    low = start or datetime(1970, 1, 1, tzinfo=UTC)
    high = end or max(now, low)
    return f"{to_iso(low)}/{to_iso(high)}"


def _first_table(text: str) -> str | None:
    match = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", text)
    return match.group(1) if match and match.group(1) != "print" else None


__all__ = ["MicrosoftSentinel", "batched", "data_collector_record", "logs_ingestion_record"]
