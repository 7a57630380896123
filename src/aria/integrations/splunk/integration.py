"""Splunk Enterprise / Splunk Cloud Platform with Enterprise Security.

* ``notables`` stream: ES notable events through a search job (:mod:`.jobs`), incremental on
  ``_time``, normalized into detection findings;
* ``query(type="search")``: a native SPL query or a :class:`~aria.sdk.siem.CommonQuery`
  translated to SPL (:mod:`.spl`), run as a search job, answered with ``SearchHit`` records;
* ``push(kind="event")``: risk changes forwarded through the HTTP Event Collector (:mod:`.hec`),
  a second host with its own token and its own HTTP client;
* ``test_connection``: ``GET /services/server/info``, and the HEC token when one is set.
"""

from __future__ import annotations

from typing import Any

from aria.integrations.splunk.auth import SplunkAuth
from aria.integrations.splunk.config import SplunkConfig, search_command
from aria.integrations.splunk.hec import HecClient, check_token, envelopes, forward
from aria.integrations.splunk.jobs import JOBS_PATH, SearchJobs
from aria.integrations.splunk.logo import LOGO_SVG
from aria.integrations.splunk.normalize import result_to_hit
from aria.integrations.splunk.sandbox import DEMO, make_sandbox
from aria.integrations.splunk.spl import epoch, translate
from aria.integrations.splunk.streams import STREAMS
from aria.sdk import (
    ConfigError,
    FatalError,
    Integration,
    IntegrationMetadata,
    PushRequest,
    PushResult,
    QueryRequest,
    QueryResult,
    RateLimits,
    auth,
    check_base_url,
    siem,
)
from aria.sdk.auth import AuthContext, SdkAuth

SERVER_INFO = "/services/server/info"


class Splunk(Integration):
    """Splunk: notables in, SPL queries on demand, risk events out through HEC."""

    key = "splunk"
    name = "Splunk"
    vendor = "Splunk"
    product = "Splunk Enterprise, Splunk Cloud Platform, Splunk Enterprise Security"
    category = "siem"
    description = (
        "Connect ARIA to Splunk Enterprise or Splunk Cloud Platform. Enterprise Security "
        "notable events arrive as detections with their urgency, review status, rule and "
        "destination; any SPL search, or a SIEM-neutral query ARIA translates to SPL, runs as "
        "a Splunk search job on demand; and every risk change in ARIA is forwarded to the HTTP "
        "Event Collector as an aria:risk event, searchable by risk id next to your own data."
    )
    features = [
        "Incremental sync of Enterprise Security notable events (the `notable` macro, so "
        "Incident Review status, owner and urgency come along), cursor on _time",
        "Search jobs the Splunk way: dispatch, poll dispatchState, page the results, delete "
        "the job; a job that expired mid-read is re-run over the exact same window",
        "On-demand SPL: native queries, or field/time filters translated to safely quoted SPL",
        "Risk events forwarded through the HTTP Event Collector (sourcetype aria:risk, your "
        "index) with HEC reply codes turned into clear errors",
        "Authentication token (Bearer) or username and password (Basic) for the REST API",
        "Connection test checks the REST credentials and the HEC token without indexing data",
        "Splunk Enterprise (on premises) and Splunk Cloud Platform",
        "Gentle on the search head: Splunk publishes no REST rate limit (searches count "
        "against role quotas), so ARIA keeps to 120 calls a minute and deletes finished jobs",
    ]
    what_you_get = [
        "Detection findings (OCSF 2004) for notable events: rule, urgency as severity, review "
        "status, destination asset, ATT&CK techniques from ES annotations",
        "Search hits from any SPL search, with _time, _raw and the extracted fields",
        "ARIA risk changes in Splunk as JSON events (risk_id, title, score, status, link)",
    ]
    documentation_url = "https://docs.splunk.com/Documentation/Splunk/latest/RESTREF/RESTsearch"
    support_url = (
        "https://docs.splunk.com/Documentation/Splunk/latest/Data/UsetheHTTPEventCollector"
    )
    version = "1.0.0"
    pricing_model = "enterprise"
    status = "official"
    min_platform_version = "0.1.0"
    capabilities = ["ingest", "sync", "query", "push"]
    data_types = ["alerts", "events", "findings"]
    webhook_support = False  # Splunk alert actions could call a webhook, but unsigned
    # Splunk publishes no REST rate limit; searches are bounded by role quotas (concurrent
    # jobs, disk). Stay gentle: one sync is a handful of calls (dispatch, polls, pages).
    rate_limits = RateLimits(per_minute=120, burst=10)
    installation_complexity = "moderate"
    logo_svg = LOGO_SVG

    config = SplunkConfig
    auth = SplunkAuth()
    streams = STREAMS
    sandbox = staticmethod(make_sandbox)
    sandbox_config = DEMO

    _hec: HecClient | None = None
    _hec_auth: SdkAuth | None = None

    @classmethod
    def metadata(cls) -> IntegrationMetadata:
        """The catalog lists both ways into the REST API."""
        meta = super().metadata()
        return meta.model_copy(update={"auth_methods": ["bearer", "basic"]})

    def initialize(self, config: dict[str, Any] | SplunkConfig) -> None:  # type: ignore[override]
        """Also build the HEC client: its own host, guarded like base_url, with the HEC token
        (and nothing else) in its Authorization header."""
        super().initialize(config)
        settings = self.settings
        self._hec = None
        if settings.hec_url is None:
            return
        try:
            hec_url = check_base_url(settings.hec_url, self.url_policy)
        except ConfigError as exc:
            problem = exc.fields.get("base_url", str(exc))
            raise ConfigError(f"hec_url rejected: {problem}", fields={"hec_url": problem}) from None
        hec = HecClient(
            base_url=hec_url,
            transport=self.transport,
            timeout=self.timeout,
            retry=self.retry_policy,
            redactor=self.redact,
            sleep=self._sleep,
            clock=self._clock,
            jitter=self._jitter,
            metrics=self.http.metrics,
        )
        ctx = AuthContext(
            config=settings,
            base_url=hec_url,
            transport=self.transport,
            timeout=self.timeout,
            clock=hec.clock,
            redactor=self.redact,
            event_hooks=hec.event_hooks(),
            url_policy=self.url_policy,
        )
        built = auth.ApiKey(header="Authorization", template="Splunk {hec_token}").build(ctx)
        hec.client.auth = built
        self._hec_auth = built if isinstance(built, SdkAuth) else None
        self._hec = hec

    @property
    def settings(self) -> SplunkConfig:
        """The validated settings, typed."""
        if not isinstance(self.config, SplunkConfig):
            raise ConfigError("integration is not initialized: pass a config first")
        return self.config

    async def probe(self) -> None:
        """``GET /services/server/info`` proves the REST credentials; an empty HEC POST proves
        the HEC token (answered "No data" only once the token passed)."""
        body = await self.http.request_json("GET", SERVER_INFO, params={"output_mode": "json"})
        if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
            raise FatalError(f"malformed response from {SERVER_INFO}: no entry list")
        if self._hec is not None:
            await check_token(self._hec)

    # --- query -------------------------------------------------------------------------------

    def translate(self, query: siem.CommonQuery) -> str:
        """SPL for a common query, in the installation's index unless a filter names one."""
        return translate(query, index=self.settings.index)

    async def query(self, request: QueryRequest) -> QueryResult:
        """``type="search"``: ``params`` holds ``query`` (SPL) or ``common`` (a CommonQuery),
        and optionally ``start``/``end`` (ISO times) bounding the job. Other types read a
        stream once (``notables``)."""
        if request.type != siem.SEARCH:
            return await super().query(request)
        search = siem.search_params(self.key, request.params, request.limit, language="SPL")
        if search.common is not None:
            spl = self.translate(search.common)
        elif isinstance(search.native, str):
            spl = search_command(search.native)
        else:
            raise ConfigError(
                f"{self.key}: 'query' must be a non-empty SPL string", fields={"query": "empty"}
            )
        form: dict[str, Any] = {
            "search": spl,
            "exec_mode": "normal",
            # One more than wanted, so the job tells whether there was more.
            "max_count": search.limit + 1,
        }
        for moment, field in ((search.start, "earliest_time"), (search.end, "latest_time")):
            if moment is not None:
                form[field] = epoch(moment)
        return await self._search(form, search.limit)

    async def _search(self, form: dict[str, Any], limit: int) -> QueryResult:
        jobs = SearchJobs(self.http)
        job = await jobs.run(form)
        rows: list[dict[str, Any]] = []
        try:
            page = self.settings.page_size
            while len(rows) < min(limit, job.result_count):
                response = await jobs.results(job.sid, len(rows), min(page, limit - len(rows)))
                body = self.http.parse_json(response)
                batch = body.get("results") if isinstance(body, dict) else None
                if not isinstance(batch, list):
                    raise FatalError(
                        f"malformed response from GET {JOBS_PATH}/<sid>/results: no results list"
                    )
                if not batch:
                    break
                rows.extend(r for r in batch if isinstance(r, dict))
        finally:
            await jobs.cancel(job.sid)
        rows = rows[:limit]
        return QueryResult(
            type=siem.SEARCH,
            records=[result_to_hit(r) for r in rows],
            raw=rows,
            truncated=job.result_count > len(rows),
        )

    # --- push --------------------------------------------------------------------------------

    async def push(self, request: PushRequest) -> PushResult:
        """``kind="event"``: forward ``siem.event_document`` of the payload (or of each item of
        ``payload["events"]``) to HEC in one batch."""
        if request.kind != "event":
            raise FatalError(
                f"{self.key} does not support push kind {request.kind!r} (use 'event')"
            )
        if self._hec is None:
            raise ConfigError(
                "forwarding to Splunk needs the HTTP Event Collector: set hec_url and hec_token",
                fields={"hec_url": "not set"},
            )
        events = envelopes(request.payload, index=self.settings.index, now=self.http.clock())
        return await forward(self._hec, events)

    async def disconnect(self) -> None:
        """Close the REST and HEC clients."""
        await super().disconnect()
        if self._hec_auth is not None:
            await self._hec_auth.aclose()
        if self._hec is not None:
            await self._hec.aclose()

    # --- what the conformance suite and `aria integration test` pick up --------------------

    @classmethod
    def corpus_samples(cls) -> list[Any]:
        """Real ES notables (read from index=notable) in ../shared/corpus."""
        from aria.sdk.testing import CorpusSample  # test-time only: it needs pytest

        return [CorpusSample("notables", "vendor-api/splunk/response_two_events.json", None)]
