"""Sumo Logic: Cloud SIEM insights and signals, log search through search jobs, and ARIA's
risk events forwarded to an HTTP Logs and Metrics source.

Everything generic (Basic auth, retries, ``Retry-After``, checkpoints, rate limiting) comes
from the SDK. What Sumo needs on top:

* the API host follows the deployment (:mod:`.config`);
* searches are asynchronous jobs whose follow-up calls must carry the job's session cookie:
  :mod:`.search` runs them through the SDK client, whose ``httpx`` cookie jar keeps it, one
  job at a time per installation (the jar holds one ``JSESSIONID``);
* forwarding goes to another host, the HTTP source's collection endpoint, with no API
  credentials: the token is the URL's last path segment. A second ``HttpClient`` (same
  transport, clock, retries and metrics, no auth) sends there; the URL, its path and its
  token are registered with the redactor and masked in the SDK's request log, so they never
  show in errors, results or logs.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx

from aria.integrations.sumo_logic.config import SumoLogicConfig, sumo_string
from aria.integrations.sumo_logic.logo import LOGO_SVG
from aria.integrations.sumo_logic.sandbox import DEMO, make_sandbox
from aria.integrations.sumo_logic.sandbox_data import counts_for
from aria.integrations.sumo_logic.search import SearchJob
from aria.integrations.sumo_logic.streams import QUERIES, QUERY_PARAMS, STREAMS
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
    RateLimits,
    auth,
    check_base_url,
    siem,
)
from aria.sdk.cursors import to_datetime

DEFAULT_WINDOW = timedelta(hours=24)
MAX_BATCH_BYTES = 1_000_000  # Sumo recommends 100 KB to 1 MB (uncompressed) per POST
PLAIN_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
RECEIVER_PATH = re.compile(r"(/receiver/v1/[^/\s]+/)[^\s?#\"']+")


class _MaskSourceTokens(logging.Filter):
    """The SDK logs each request's path at debug level and httpx its full URL at info level;
    an HTTP source path is a credential, so both loggers mask it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            return True
        masked = RECEIVER_PATH.sub(r"\1***", text)
        if masked != text:
            record.msg, record.args = masked, ()
        return True


for _name in ("aria.sdk.http", "httpx"):
    _logger = logging.getLogger(_name)
    if not any(isinstance(f, _MaskSourceTokens) for f in _logger.filters):
        _logger.addFilter(_MaskSourceTokens())


def field_ref(name: str) -> str:
    """A field in the search language: bare when plain, else ``%"quoted"``."""
    return name if PLAIN_FIELD.match(name) else "%" + sumo_string(name)


class SumoLogic(Integration):
    """Sumo Logic (Cloud SIEM, Log Search, HTTP sources)."""

    key = "sumo-logic"
    name = "Sumo Logic"
    vendor = "Sumo Logic"
    product = "Sumo Logic Cloud SIEM, Log Search (Search Job API), HTTP Logs and Metrics Source"
    category = "siem"
    description = (
        "Connect ARIA to Sumo Logic in both directions. Cloud SIEM insights arrive as incidents "
        "and their signals as detection findings with ATT&CK tactics, techniques and the "
        "affected host or IP, so high-severity activity raises risks automatically. ARIA's "
        "risk events are forwarded as JSON to a Sumo Logic HTTP source, where your dashboards, "
        "monitors and Cloud SIEM rules can use them; and log searches run from ARIA as Sumo "
        "search jobs, in the native query language or ARIA's common query form."
    )
    features = [
        "Incremental sync of Cloud SIEM insights (creation time) and signals (signal time) with "
        "offset paging, 100 per call",
        "Insights become incidents linked to their signals; closed insights keep their "
        "resolution (Resolved, False Positive, No Action, Duplicate)",
        "Signals become detection findings with ATT&CK tactic/technique from _mitreAttack tags, "
        "0-10 severity, suppression state and the entity's IP or host",
        "Forward ARIA risk events as newline-delimited JSON to an HTTP Logs and Metrics source "
        "(gzip, X-Sumo-Category/Name/Host), batches up to 1 MB",
        "Log search through the Search Job API: create, poll, page messages or aggregate "
        "records, delete; session cookies kept across the job's calls",
        "Common queries translated to the Sumo query language (json auto, where =, matches)",
        "All deployments: US1, US2, EU, AU, DE, JP, CA, IN, FED, KR, CH, or a custom endpoint",
        "Client-side limit of 4 API calls a second per access key (Sumo's documented quota)",
    ]
    what_you_get = [
        "Incidents (OCSF 2005) for Cloud SIEM insights, with assignee, status and signal links",
        "Detection findings (OCSF 2004) for Cloud SIEM signals, with ATT&CK and affected device",
        "Your ARIA risk changes searchable in Sumo Logic by risk_id, title, score and action",
        "Search hits (time, raw message, fields) from any Sumo Logic log search",
    ]
    documentation_url = "https://www.sumologic.com/help/docs/api/search-job/"
    support_url = "https://www.sumologic.com/help/docs/api/cloud-siem-enterprise/"
    version = "1.0.0"
    pricing_model = "enterprise"
    status = "official"
    min_platform_version = "0.1.0"
    capabilities = ["ingest", "sync", "query", "push"]
    data_types = ["alerts", "incidents", "events", "logs"]
    webhook_support = False  # Sumo's webhook connections send monitor alerts, not CSE objects
    # Sumo: 4 API requests a second (240 a minute) per user, 10 concurrent per access key,
    # 200 active search jobs per org; 429 beyond any of them. No bursts: evenly spaced calls
    # stay under four in any one-second window, however Sumo counts it.
    rate_limits = RateLimits(per_second=4, per_minute=240, burst=1)
    installation_complexity = "moderate"
    logo_svg = LOGO_SVG

    config = SumoLogicConfig
    auth = auth.Basic("access_id", "access_key")
    streams = STREAMS
    queries = QUERIES
    sandbox = staticmethod(make_sandbox)
    sandbox_config = DEMO

    _source_http: HttpClient | None = None
    _source_url: str | None = None
    _search_lock: anyio.Lock

    def initialize(self, config: dict[str, Any] | SumoLogicConfig) -> None:  # type: ignore[override]
        """Also register the HTTP source URL's path and token with the redactor."""
        super().initialize(config)
        self._source_http = None
        self._source_url = None
        # The client's cookie jar holds one session cookie: one search job at a time.
        self._search_lock = anyio.Lock()
        secret = self.settings.http_source_url
        if secret is not None:
            try:
                url = httpx.URL(secret.get_secret_value().strip())
            except (httpx.InvalidURL, TypeError, ValueError):
                return  # the whole value is already a redactor pattern
            path = url.path.rstrip("/")
            self.redact.add(path)
            self.redact.add(url.raw_path.decode("ascii", "replace").split("?")[0].rstrip("/"))
            self.redact.add(path.rsplit("/", 1)[-1])

    @property
    def settings(self) -> SumoLogicConfig:
        """The validated settings, typed."""
        if not isinstance(self.config, SumoLogicConfig):
            raise ConfigError("integration is not initialized: pass a config first")
        return self.config

    async def probe(self) -> None:
        """One Cloud SIEM call (``limit=1``): proves the key and names a missing capability."""
        try:
            await self.http.request("GET", "/sec/v1/insights", params={"limit": 1})
        except AuthError as exc:
            if exc.status_code != 403:
                raise
            raise AuthError(
                "the access key's role cannot read Cloud SIEM insights (Sumo Logic > "
                "Administration > Users and Roles > Roles: add the Cloud SIEM capabilities)",
                status_code=403,
            ) from None
        except FatalError as exc:
            if exc.status_code not in (301, 302, 307, 308):
                raise
            # Sumo redirects API calls made to another deployment's endpoint.
            raise ConfigError(
                f"Sumo Logic answered {exc.status_code} (moved): the account lives on another "
                "deployment; pick the one in your Sumo Logic web UI address",
                fields={"deployment": "wrong deployment for this account"},
                status_code=exc.status_code,
            ) from None

    # --- query ---------------------------------------------------------------------------

    def translate(self, query: siem.CommonQuery) -> str:
        """A common query in the Sumo query language: the scope, ``json auto``, one ``where``
        per filter (``=`` for eq, ``matches "*v*"`` for contains). Values are string literals
        with quotes and backslashes escaped; in ``matches`` a ``*`` inside a value is still a
        wildcard (Sumo has no escape for it), which can only widen a contains match. The time
        range goes into the job's ``from``/``to``, not the query."""
        parts = [self.settings.scope(), "json auto"]
        for condition in query.filters:
            field = field_ref(condition.field)
            if condition.op == "eq":
                parts.append(f"where {field} = {sumo_string(condition.value)}")
            else:
                parts.append(f"where {field} matches {sumo_string('*' + condition.value + '*')}")
        return " | ".join(parts)

    async def query(self, request: QueryRequest) -> QueryResult:
        """``search``: a Sumo search job (``query`` native, or ``common``). Other types read
        ``insights``/``signals`` once, optionally filtered with ``q`` (Cloud SIEM DSL)."""
        if request.type != siem.SEARCH:
            unknown = sorted(set(request.params) - QUERY_PARAMS)
            if unknown:
                raise ConfigError(
                    f"{self.key}: unknown query parameters {unknown}; use 'q' (Cloud SIEM query)",
                    fields={name: "unknown query parameter" for name in unknown},
                )
            return await super().query(request)
        return await self._search(request)

    async def _search(self, request: QueryRequest) -> QueryResult:
        search = siem.search_params(
            self.key,
            request.params,
            request.limit,
            language="Sumo query",
            extra=("by_receipt_time",),
        )
        if search.common is not None:
            text = self.translate(search.common)
        else:
            text = str(search.native).strip()
        start, end = self._window(search.start, search.end)
        body: dict[str, Any] = {
            "query": text,
            "from": _sumo_time(start),
            "to": _sumo_time(end + timedelta(seconds=1)),  # 'to' is exclusive; whole seconds
            "timeZone": "UTC",
        }
        if search.extra.get("by_receipt_time", self.settings.by_receipt_time):
            body["byReceiptTime"] = True
        job = SearchJob(self.http, timeout_s=self.settings.search_timeout_s)
        async with self._search_lock:
            result = await job.run(body, search.limit)
        return QueryResult(
            type=siem.SEARCH, records=result.hits, raw=result.raw, truncated=result.truncated
        )

    def _window(self, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
        """The job's bounds: ``end`` defaults to now, ``start`` to 24 hours before ``end``
        (naive times are UTC)."""
        upper = to_datetime(end) or datetime.fromtimestamp(self.http.clock(), UTC)
        lower = to_datetime(start) or upper - DEFAULT_WINDOW
        if lower > upper:
            raise ConfigError("start is after end", fields={"start": "after end"})
        return lower, upper

    # --- push ----------------------------------------------------------------------------

    async def push(self, request: PushRequest) -> PushResult:
        """``event``: forward ``siem.event_document`` of the payload (or of each item of
        ``payload["events"]``) to the HTTP source as newline-delimited JSON."""
        if request.kind != "event":
            raise FatalError(
                f"{self.key} does not support push kind {request.kind!r} (use 'event')"
            )
        return await self._forward(request.payload)

    async def _forward(self, payload: dict[str, Any]) -> PushResult:
        items = payload.get("events", [payload])
        if not isinstance(items, list):
            raise ConfigError("payload['events'] must be a list", fields={"events": "not a list"})
        lines: list[str] = []
        rejected: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                rejected.append({"index": index, "error": "not an object"})
                continue
            document = siem.event_document(item)
            lines.append(json.dumps(document, separators=(",", ":"), default=str))
        http, url = self._source()
        headers = {
            "Content-Encoding": "gzip",
            "Content-Type": "text/plain; charset=utf-8",
            "X-Sumo-Category": self.settings.source_category,
            "X-Sumo-Name": self.settings.source_name,
        }
        if self.settings.source_host:
            headers["X-Sumo-Host"] = self.settings.source_host
        accepted, failed = 0, 0
        errors: list[str] = []
        batches = list(_batches(lines))
        for number, batch in enumerate(batches):
            if errors:
                failed += len(batch)  # not sent: an earlier batch failed
                continue
            body = gzip.compress(("\n".join(batch) + "\n").encode("utf-8"))
            try:
                # Not idempotent: a timed-out POST may have been ingested; no duplicate sends.
                await http.request("POST", url, content=body, headers=headers, idempotent=False)
            except IntegrationError as exc:
                if number == 0:
                    raise
                failed += len(batch)
                errors.append(self.redact(str(exc)))
                continue
            accepted += len(batch)
        ok = not failed and not rejected
        message = f"{accepted} event(s) forwarded to Sumo Logic ({self.settings.source_category})"
        if failed or rejected:
            message += f"; {failed} failed, {len(rejected)} rejected"
        return PushResult(
            ok=ok,
            message=message,
            details={
                "accepted": accepted,
                "failed": failed,
                "rejected": rejected,
                "errors": errors,
                "source_category": self.settings.source_category,
            },
        )

    def _source(self) -> tuple[HttpClient, str]:
        """The HTTP source client and URL, checked on first use (no API credentials)."""
        if self._source_http is not None and self._source_url is not None:
            return self._source_http, self._source_url
        secret = self.settings.http_source_url
        if secret is None:
            raise ConfigError(
                "forwarding events needs the URL of a Sumo Logic HTTP source",
                fields={"http_source_url": "required to forward events"},
            )
        raw = secret.get_secret_value().strip()
        try:
            url = httpx.URL(raw)
        except (httpx.InvalidURL, TypeError, ValueError):
            url = None
        if url is None or not url.host or not url.path.startswith("/receiver/"):
            raise ConfigError(
                "http_source_url is not a Sumo Logic HTTP source URL "
                "(https://<collection endpoint>/receiver/v1/http/<token>)",
                fields={"http_source_url": "not an HTTP source URL"},
            )
        if url.scheme != "https" and self.mode == "live":
            raise ConfigError(
                "http_source_url must use https: the URL carries the source's token",
                fields={"http_source_url": "not https"},
            )
        origin = f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port else "")
        try:
            origin = check_base_url(origin, self.url_policy)
        except ConfigError as exc:
            problem = (exc.fields or {}).get("base_url", "not allowed")
            raise ConfigError(
                f"http_source_url rejected: {problem}", fields={"http_source_url": problem}
            ) from None
        self._source_http = HttpClient(
            base_url=origin,
            transport=self.transport,
            timeout=self.timeout,
            retry=self.retry_policy,
            redactor=self.redact,
            sleep=self._sleep,
            clock=self._clock,
            jitter=self._jitter,
            metrics=self.http.metrics,
        )
        self._source_url = str(url)
        return self._source_http, self._source_url

    async def disconnect(self) -> None:
        """Close the API client and the HTTP source client."""
        await super().disconnect()
        if self._source_http is not None:
            await self._source_http.aclose()
            self._source_http = None

    # --- what the conformance suite and `aria integration test` pick up --------------------

    @classmethod
    def sandbox_counts(cls, size: int) -> dict[str, int]:
        """Records per stream in a sandbox of ``size``."""
        return counts_for(size)

    @classmethod
    def corpus_samples(cls) -> list[Any]:
        """Real Cloud SIEM responses in ../shared/corpus the streams must normalize."""
        from aria.sdk.testing import CorpusSample  # test-time only: it needs pytest

        return [
            CorpusSample(
                "insights", "vendor-api/sumo-logic/insight_list_single.json", "data.objects"
            ),
            CorpusSample("signals", "vendor-api/sumo-logic/signal_list.json", "data.objects"),
        ]


def _sumo_time(moment: datetime) -> str:
    """A job bound as Sumo documents it: ``YYYY-MM-DDTHH:mm:ss`` in the job's time zone (UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _batches(lines: list[str]) -> list[list[str]]:
    """Lines grouped so each POST stays under 1 MB before compression."""
    batches: list[list[str]] = []
    current: list[str] = []
    size = 0
    for line in lines:
        length = len(line.encode("utf-8")) + 1
        if current and size + length > MAX_BATCH_BYTES:
            batches.append(current)
            current, size = [], 0
        current.append(line)
        size += length
    if current:
        batches.append(current)
    return batches
