"""Elasticsearch / Elastic Security: detection alerts in, ARIA events out, searches on demand.

The SDK does the generic work (retries with backoff, 429 handling, checkpoints, redaction).
This module declares Elasticsearch and adds what has no declaration:

* auth that is an API key *or* a native user (:mod:`.auth`);
* the alerts stream's point-in-time paging (:mod:`.search`, used by :mod:`.streams`);
* a connection probe that checks the credentials, the index privileges ARIA needs
  (``_has_privileges``) and that the alerts index exists;
* ``push(kind="event")``: ARIA risk events to ``_bulk`` as NDJSON, with per-item results:
  items rejected by a full write queue (429) are sent again, every other failed item is
  reported in the result (never dropped silently);
* ``query(type="search")``: Query DSL, Lucene query strings or ARIA's common query, paged with
  ``search_after`` through a point in time up to the limit.

Elasticsearch has no fixed request quota: a busy cluster answers 429
(``es_rejected_execution_exception``, no ``Retry-After``) when a thread pool queue is full,
and the SDK backs off and retries.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aria.integrations.elasticsearch.auth import ElasticAuth
from aria.integrations.elasticsearch.bulk import CHUNK, ItemResult, document_id, ndjson, parse_items
from aria.integrations.elasticsearch.config import INDEX_PATTERN, ElasticsearchConfig
from aria.integrations.elasticsearch.dsl import (
    Kind,
    common_dsl,
    field_kinds,
    native_dsl,
    translate,
    with_time,
)
from aria.integrations.elasticsearch.logo import LOGO_SVG
from aria.integrations.elasticsearch.normalize import hit_to_search_hit
from aria.integrations.elasticsearch.sandbox import DEMO, make_sandbox
from aria.integrations.elasticsearch.sandbox_data import count_visible
from aria.integrations.elasticsearch.search import PitSearchAfter, SearchReader
from aria.integrations.elasticsearch.streams import STREAMS
from aria.sdk import (
    AuthError,
    ConfigError,
    FatalError,
    Integration,
    PushRequest,
    PushResult,
    QueryRequest,
    QueryResult,
    RateLimits,
    RequestSpec,
    siem,
)
from aria.sdk.cursors import to_iso

log = logging.getLogger("aria.integrations.elasticsearch")

SEARCH_SORT: list[dict[str, Any]] = [{"@timestamp": {"order": "desc", "unmapped_type": "date"}}]


class Elasticsearch(Integration):
    """Elasticsearch (Elastic Cloud, Serverless or self-managed) with Elastic Security."""

    key = "elasticsearch"
    name = "Elasticsearch"
    vendor = "Elastic"
    product = "Elasticsearch, Elastic Security (SIEM)"
    category = "siem"
    description = (
        "Bring Elastic Security detection alerts into ARIA, forward ARIA risk events to an "
        "Elasticsearch index, and search any index from ARIA with Query DSL, Lucene query "
        "strings or ARIA's common query. Alerts arrive with the rule's severity, risk score, "
        "MITRE ATT&CK mapping, the host and the user, so high-severity detections raise risks "
        "automatically; alerts acknowledged or closed in Kibana follow on the next sync. Works "
        "with Elastic Cloud, Serverless and self-managed clusters, with an API key or a "
        "native user."
    )
    features = [
        "Incremental sync of Elastic Security detection alerts from .alerts-security.alerts-"
        "<space>, read through a point in time with search_after (plain search_after on "
        "clusters without the PIT API)",
        "Alerts acknowledged or closed in Kibana update their findings (workflow status and "
        "workflow_status_updated_at are part of the sync window)",
        "Building-block alerts left out unless you ask for them",
        "ARIA risk events forwarded with the _bulk API (NDJSON create actions with stable ids, "
        "so retries never duplicate); every rejected document is reported with Elasticsearch's "
        "reason, and documents refused by a full write queue (429) are sent again",
        "On-demand search of any index: Query DSL objects, Lucene query_string, or ARIA's "
        "common query translated to Query DSL using the index's field mappings",
        "API key (Authorization: ApiKey) or native-realm user (HTTP Basic)",
        "The connection test checks the credentials, the read and create_doc index privileges "
        "and that the alerts index exists, and names whatever is missing",
        "No fixed request quota: Elasticsearch answers 429 (es_rejected_execution_exception) "
        "when its queues are full; ARIA backs off and retries",
    ]
    what_you_get = [
        "Detection findings (OCSF 2004) with severity, risk score, ATT&CK tactics and "
        "(sub-)techniques, host, agent id and user",
        "Finding status from the alert workflow: open, acknowledged, closed (closed as false "
        "positive is suppressed)",
        "Links from each finding to the alert in Kibana",
        "ARIA risk events (risk id, title, score, status, technique) searchable in Kibana "
        "Discover and usable in detection rules",
        "Search results from any index as normalized hits (time, message, fields)",
    ]
    documentation_url = "https://www.elastic.co/docs/api/doc/elasticsearch/"
    support_url = "https://www.elastic.co/docs/solutions/security/detect-and-alert"
    version = "1.0.0"
    pricing_model = "freemium"
    status = "official"
    min_platform_version = "0.1.0"
    capabilities = ["ingest", "sync", "query", "push"]
    data_types = ["alerts", "events", "logs"]
    webhook_support = False  # Kibana connectors can call out, but alerts are read by search
    # No documented request rate limit: overload shows as 429 es_rejected_execution_exception.
    rate_limits = RateLimits()
    installation_complexity = "moderate"
    logo_svg = LOGO_SVG

    config = ElasticsearchConfig
    auth = ElasticAuth()
    streams = STREAMS
    sandbox = staticmethod(make_sandbox)
    sandbox_config = DEMO

    @property
    def settings(self) -> ElasticsearchConfig:
        """The validated settings, typed."""
        if not isinstance(self.config, ElasticsearchConfig):
            raise ConfigError("integration is not initialized: pass a config first")
        return self.config

    # --- connection -----------------------------------------------------------------------

    async def probe(self) -> None:
        """Credentials (``_authenticate``), index privileges (``_has_privileges``), and the
        alerts index (``_field_caps``), naming everything that is missing at once."""
        settings = self.settings
        await self.http.request_json("GET", "/_security/_authenticate")
        wanted = {settings.alerts_index: ["read"], settings.events_index: ["create_doc"]}
        body = {"index": [{"names": [n], "privileges": p} for n, p in wanted.items()]}
        granted = await self.http.request_json("POST", "/_security/user/_has_privileges", json=body)
        index = granted.get("index") if isinstance(granted, dict) else None
        if not isinstance(index, dict):
            raise FatalError("malformed response from _has_privileges: no index section")
        missing = [
            f"{privilege} on {name}"
            for name, privileges in wanted.items()
            for privilege in privileges
            if not (index.get(name) or {}).get(privilege)
        ]
        if missing:
            raise AuthError(
                self.redact(
                    "the credentials lack these index privileges: "
                    + ", ".join(missing)
                    + " (Kibana > Stack Management > Security > API keys or Roles)"
                ),
                status_code=403,
                details={"missing_privileges": missing},
            )
        try:
            caps = await self.http.request_json(
                "GET", f"/{settings.alerts_index}/_field_caps", params={"fields": "@timestamp"}
            )
        except ConfigError as exc:
            if exc.status_code != 404:
                raise
            caps = {"indices": []}
        if not (isinstance(caps, dict) and caps.get("indices")):
            raise ConfigError(
                f"the alerts index {settings.alerts_index} does not exist: no detection rule "
                "has written alerts in that Kibana space yet, or alerts_index names the wrong "
                "space",
                fields={"alerts_index": "no such index"},
                status_code=404,
            )

    # --- push: events to _bulk --------------------------------------------------------------

    async def push(self, request: PushRequest) -> PushResult:
        """``event``: index ARIA events (one, or a list under ``payload["events"]``)."""
        if request.kind == "event":
            return await self._forward(request.payload)
        raise FatalError(f"{self.key} does not support push kind {request.kind!r} (use 'event')")

    async def _forward(self, payload: dict[str, Any]) -> PushResult:
        events = payload.get("events")
        items = events if isinstance(events, list) else [payload]
        index = self.settings.events_index
        if not items:
            return PushResult(ok=True, message="no events to forward", details={"accepted": 0})
        now = to_iso(datetime.fromtimestamp(self.http.clock(), UTC))
        documents: list[dict[str, Any]] = []
        for position, event in enumerate(items):
            if not isinstance(event, Mapping):
                raise ConfigError(
                    f"event #{position} is a {type(event).__name__}, not an object",
                    fields={"events": "must be a list of objects"},
                )
            document = siem.event_document(event)
            stamp = document.get("@timestamp")
            document["@timestamp"] = stamp if isinstance(stamp, str) and stamp else now
            documents.append(document)
        ids = [document_id(d) for d in documents]
        results = await self._bulk(index, ids, documents)
        return self._push_result(index, ids, results)

    async def _bulk(
        self, index: str, ids: list[str], documents: list[dict[str, Any]]
    ) -> dict[int, ItemResult]:
        """Send every document; documents rejected with 429 go again with backoff."""
        results: dict[int, ItemResult] = {}
        pending = list(range(len(documents)))
        attempt = 0
        while pending:
            attempt += 1
            again: list[int] = []
            for start in range(0, len(pending), CHUNK):
                chunk = pending[start : start + CHUNK]
                body = ndjson(index, ((ids[i], documents[i]) for i in chunk))
                # Safe to retry: create with a content-derived _id stores each event once.
                response = await self.http.request(
                    "POST",
                    "/_bulk",
                    content=body,
                    headers={"Content-Type": "application/x-ndjson"},
                )
                for position, item in zip(
                    chunk, parse_items(self.http.parse_json(response), len(chunk)), strict=True
                ):
                    results[position] = item
                    if item.retryable:
                        again.append(position)
            if not again or attempt >= self.retry_policy.max_attempts:
                break
            self.http.metrics.retries += 1
            self.http.metrics.rate_limited += 1
            await self.http.sleep(self.http.jitter(self.retry_policy.backoff(attempt)))
            pending = again
        return results

    def _push_result(
        self, index: str, ids: list[str], results: dict[int, ItemResult]
    ) -> PushResult:
        stored = [i for i in sorted(results) if results[i].stored]
        failed = [i for i in sorted(results) if not results[i].stored]
        errors = [
            {
                "position": i,
                "id": ids[i],
                "status": results[i].status,
                "type": results[i].error_type,
                "reason": self.redact(results[i].reason or "")[:500],
            }
            for i in failed
        ]
        duplicates = sum(1 for i in stored if results[i].status == 409)
        message = f"{len(stored)} of {len(results)} event(s) indexed into {index}"
        if duplicates:
            message += f" ({duplicates} already there)"
        if errors:
            first = errors[0]
            message += f"; {len(errors)} rejected, e.g. {first['type']}: {first['reason'][:200]}"
        return PushResult(
            ok=not failed,
            external_id=ids[stored[0]] if len(results) == 1 and stored else None,
            message=message,
            details={
                "accepted": len(stored),
                "failed": len(failed),
                "duplicates": duplicates,
                "index": index,
                "ids": [ids[i] for i in stored],
                "errors": errors,
            },
        )

    # --- query: search ----------------------------------------------------------------------

    def translate(self, query: siem.CommonQuery, kinds: Mapping[str, Kind] | None = None) -> str:
        """A common query as Query DSL JSON (``kinds``: field mappings, when known)."""
        return translate(query, kinds)

    async def query(self, request: QueryRequest) -> QueryResult:
        """``type="search"``: Query DSL / Lucene / common query over ``index``; other types
        run a stream once (``alerts``)."""
        if request.type != siem.SEARCH:
            return await super().query(request)
        return await self._search(request)

    async def _search(self, request: QueryRequest) -> QueryResult:
        search = siem.search_params(
            self.key,
            request.params,
            request.limit,
            language="Query DSL or a Lucene string",
            extra=("index",),
        )
        index = str(search.extra.get("index") or self.settings.events_index)
        if not _index_ok(index):
            raise ConfigError(
                f"invalid index expression {index[:100]!r}", fields={"index": "invalid"}
            )
        limit = search.limit
        if search.common is not None:
            # The common query carries the time bounds (its own, else start/end).
            kinds = await self._field_kinds(index, [f.field for f in search.common.filters])
            dsl = common_dsl(search.common, kinds)
        else:
            try:
                dsl = with_time(native_dsl(search.native), search.start, search.end)
            except ValueError as exc:
                raise ConfigError(str(exc), fields={"query": "not a query"}) from None
        body = {"size": min(limit, self.settings.page_size), "query": dsl}
        body["sort"] = SEARCH_SORT
        try:
            raw, truncated = await self._collect(
                RequestSpec("POST", f"/{index}/_search", body=body), limit
            )
        except FatalError as exc:
            if exc.status_code == 400:  # Elasticsearch refused the query: the caller's to fix
                raise ConfigError(
                    exc.message, fields={"query": "rejected"}, status_code=400
                ) from None
            raise
        return QueryResult(
            type=siem.SEARCH,
            records=[hit_to_search_hit(hit) for hit in raw],
            raw=raw,
            truncated=truncated,
        )

    async def _collect(self, spec: RequestSpec, limit: int) -> tuple[list[dict[str, Any]], bool]:
        """Hits up to ``limit``, paged with search_after through a PIT; the PIT is closed
        whether the pages ran out or the limit was reached."""
        paginator = PitSearchAfter()
        raw: list[dict[str, Any]] = []
        total: Any = None
        position: dict[str, Any] | None = None
        finished = False
        pages = paginator.pages(self.http, spec, SearchReader(), None)
        try:
            async with contextlib.aclosing(pages):
                async for fetched in pages:
                    if total is None:
                        total = fetched.body["hits"].get("total")
                    raw.extend(fetched.records)
                    position = fetched.next_position
                    if position is None:
                        finished = True
                        break
                    if len(raw) >= limit:
                        break
        finally:
            if not finished and position and position.get("mode") == "pit":
                await paginator.close(self.http, position.get("pit"))
        kept = raw[:limit]
        if finished:
            return kept, len(raw) > limit
        exact = isinstance(total, dict) and total.get("relation") == "eq"
        return kept, not (exact and int(total.get("value") or 0) <= len(kept))

    async def _field_kinds(self, index: str, fields: list[str]) -> dict[str, Kind]:
        """Field mappings from the field capabilities API (``{}`` when not allowed)."""
        if not fields:
            return {}
        names = sorted({*fields, *(f"{f}.keyword" for f in fields)})
        try:
            caps = await self.http.request_json(
                "GET",
                f"/{index}/_field_caps",
                params={
                    "fields": ",".join(names),
                    "ignore_unavailable": "true",
                    "allow_no_indices": "true",
                },
            )
        except AuthError as exc:
            if exc.status_code != 403:
                raise
            log.info("no field capabilities on %s; treating fields as keyword", index)
            return {}
        found = caps.get("fields") if isinstance(caps, dict) else None
        return field_kinds(found if isinstance(found, dict) else {}, fields)

    # --- what the conformance suite and `aria integration test` pick up --------------------

    @classmethod
    def sandbox_counts(cls, size: int) -> dict[str, int]:
        """Alerts the stream reads from a sandbox of ``size`` (building blocks left out)."""
        return {"alerts": count_visible(size)}

    @classmethod
    def corpus_samples(cls) -> list[Any]:
        """Real Elasticsearch search responses in ../shared/corpus the stream must normalize."""
        from aria.sdk.testing import CorpusSample  # test-time only: it needs pytest

        return [
            CorpusSample(
                "alerts", "vendor-api/elasticsearch/incidents_first_iteration.json", "hits.hits"
            )
        ]


def _index_ok(index: str) -> bool:
    """Index expressions go into the URL path: nothing that could change the path."""
    return re.match(INDEX_PATTERN, index) is not None
