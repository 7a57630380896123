"""IBM QRadar SIEM: offenses into ARIA as incidents, and AQL searches over QRadar's events.

Everything generic (retries, ``Retry-After``, checkpoints, rate limiting, redaction) comes from
the SDK. What QRadar needs beyond the declarations:

* the ``SEC`` header for the authorized service token (:class:`aria.sdk.auth.ApiKey`) and a
  ``Version`` header on every call, set once on the HTTP client;
* header paging (``Range``/``Content-Range``, :mod:`.paging`), which no SDK paginator does;
* ``query(type="search")``: an Ariel search job (create, poll, page results, cancel on
  timeout; :mod:`.search`), from native AQL or from ARIA's common query form (:mod:`.aql`);
* ``push``: QRadar has no REST API that ingests events, so forwarding is refused plainly.
"""

from __future__ import annotations

from typing import Any, cast

from aria.integrations.ibm_qradar import aql
from aria.integrations.ibm_qradar.config import QRadarConfig
from aria.integrations.ibm_qradar.logo import LOGO_SVG
from aria.integrations.ibm_qradar.normalize import row_to_hit
from aria.integrations.ibm_qradar.paging import range_header
from aria.integrations.ibm_qradar.sandbox import DEMO, make_sandbox
from aria.integrations.ibm_qradar.search import ArielSearch
from aria.integrations.ibm_qradar.streams import QUERIES, STREAMS
from aria.sdk import (
    AuthError,
    Config,
    ConfigError,
    FatalError,
    Integration,
    PushRequest,
    PushResult,
    QueryRequest,
    QueryResult,
    RateLimits,
    auth,
)
from aria.sdk.siem import SEARCH, CommonQuery, search_params

NO_FORWARDING = (
    "IBM QRadar has no REST API for ingesting events: events reach QRadar only through log "
    "sources it collects from (syslog/LEEF, or protocols QRadar itself runs such as the HTTP "
    "Receiver and the Universal Cloud REST API). Forwarding ARIA events to QRadar is not "
    "offered; ARIA reads QRadar offenses and searches QRadar events with AQL instead."
)
AUTHORIZED_SERVICES = "Admin > User Management > Authorized Services"


class IbmQradar(Integration):
    """IBM QRadar SIEM (on premises, and QRadar on Cloud)."""

    key = "ibm-qradar"
    name = "IBM QRadar"
    vendor = "IBM"
    product = "IBM QRadar SIEM, QRadar on Cloud"
    category = "siem"
    description = (
        "Bring IBM QRadar offenses into ARIA as incidents and search QRadar's events from ARIA. "
        "Offenses arrive with their magnitude, status (open, hidden, closed with the closing "
        "reason), assignee, offense source, categories and event counts, and stay in step as "
        "analysts work them in QRadar. ARIA runs Ariel (AQL) searches on QRadar for "
        "investigations, in native AQL or ARIA's common query form. Forwarding ARIA events "
        "into QRadar is not offered: QRadar has no REST ingestion API and takes events only "
        "from log sources (syslog/LEEF and collection protocols)."
    )
    features = [
        "Incremental sync of offenses (filter and sort on last_updated_time, Range paging)",
        "Offense status, assignee and closing reason kept in step with the QRadar console",
        "Optional domain filter for multi-tenant consoles",
        "Ariel (AQL) event and flow searches: create, poll, page results, cancel on timeout",
        "Common query form translated to AQL with safe quoting (values can never break out)",
        "Every call pinned to the configured REST API version (Version header)",
        "Event forwarding to QRadar is not offered: QRadar has no REST ingestion API",
    ]
    what_you_get = [
        "Incidents (OCSF 2005) for QRadar offenses, with magnitude as severity and a console link",
        "Offense description, offense source, categories, log sources and event/flow counts",
        "Search hits (time, one-line message, all columns) from Ariel AQL searches",
    ]
    documentation_url = "https://www.ibm.com/docs/en/qradar-common?topic=api-restful-overview"
    support_url = "https://www.ibm.com/mysupport"
    version = "1.0.0"
    pricing_model = "enterprise"
    status = "official"
    min_platform_version = "0.1.0"
    capabilities = ["ingest", "sync", "query", "push"]
    data_types = ["incidents", "events"]
    webhook_support = False
    # QRadar documents no fixed API rate limit; the console serves the UI and the API alike
    # and Ariel searches share its search slots, so stay gentle.
    rate_limits = RateLimits(per_second=5, per_minute=240, burst=5)
    installation_complexity = "moderate"
    logo_svg = LOGO_SVG

    config = QRadarConfig
    auth = auth.ApiKey(header="SEC", template="{sec_token}")
    streams = STREAMS
    queries = QUERIES
    sandbox = staticmethod(make_sandbox)
    sandbox_config = DEMO

    # --- lifecycle -----------------------------------------------------------------------------

    @property
    def settings(self) -> QRadarConfig:
        """The installation's settings, typed."""
        return cast(QRadarConfig, self.config)

    def initialize(self, config: dict[str, Any] | Config) -> None:
        """Build the client, then pin every call to the configured API version."""
        super().initialize(config)
        self.http.client.headers["Version"] = self.settings.api_version

    async def probe(self) -> None:
        """``GET /api/system/about`` proves the token; one offense proves offense access."""
        await self.http.request("GET", "/api/system/about")
        try:
            await self.http.request(
                "GET",
                "/api/siem/offenses",
                params={"fields": "id"},
                headers={"Range": range_header(0, 1)},
            )
        except AuthError as exc:
            if exc.status_code != 403:
                raise
            raise AuthError(
                "the authorized service cannot read offenses: give its user role the "
                f"Offenses permission ({AUTHORIZED_SERVICES})",
                status_code=403,
            ) from None

    # --- search --------------------------------------------------------------------------------

    def translate(self, query: CommonQuery) -> str:
        """ARIA's common query as AQL over events (see :func:`.aql.translate`)."""
        return aql.translate(query, window_hours=self.settings.search_window_hours)

    async def query(self, request: QueryRequest) -> QueryResult:
        """``type="search"``: an Ariel search; other types read a stream or query variant."""
        if request.type != SEARCH:
            return await super().query(request)
        text, limit = self.search_text(request.params, request.limit)
        search = ArielSearch(
            self.http,
            self.redact,
            page_size=self.settings.page_size,
            timeout_s=self.settings.search_timeout_s,
        )
        result = await search.run(text, limit)
        return QueryResult(
            type=SEARCH,
            records=[row_to_hit(row, result.source) for row in result.rows],
            raw=result.rows,
            truncated=result.truncated,
        )

    def search_text(self, params: dict[str, Any], limit: int) -> tuple[str, int]:
        """The AQL to run and how many rows to read, from ``query`` or ``common``."""
        search = search_params(self.key, params, limit, language="AQL")
        if search.common is not None:
            return self.translate(search.common), search.limit
        text = search.native
        if not isinstance(text, str):
            raise ConfigError("the AQL query is empty", fields={"query": "empty"})
        window = self.settings.search_window_hours
        return aql.bounded(text.strip(), search.start, search.end, window), search.limit

    # --- push ----------------------------------------------------------------------------------

    async def push(self, request: PushRequest) -> PushResult:
        """Nothing can be pushed: QRadar ingests events only through log sources."""
        if request.kind == "event":
            raise FatalError(NO_FORWARDING)
        raise FatalError(
            f"{self.key} does not support push kind {request.kind!r}: QRadar offenses are "
            "read-only for ARIA and events cannot be forwarded"
        )

    # --- what the conformance suite and `aria integration test` pick up ------------------------

    @classmethod
    def sandbox_counts(cls, size: int) -> dict[str, int]:
        """Offenses a sandbox of ``size`` serves."""
        return {"offenses": size}

    @classmethod
    def corpus_samples(cls) -> list[Any]:
        """Real QRadar offenses in ../shared/corpus the offenses stream must normalize."""
        from aria.sdk.testing import CorpusSample  # test-time only: it needs pytest

        return [
            CorpusSample(
                "offenses", "vendor-api/qradar/command_test_data.json", "offenses_list.response"
            )
        ]
