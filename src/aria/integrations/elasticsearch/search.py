"""Deep paging through Elasticsearch: a point in time (PIT) walked with ``search_after``.

Elasticsearch's recommended way to read many hits consistently:

1. ``POST /{index}/_pit?keep_alive=1m`` opens a PIT, a frozen view of the index;
2. ``POST /_search`` with ``{"pit": {"id", "keep_alive"}, "sort": [...], "search_after":
   <sort values of the last hit>, "size": n}`` reads page after page (no index in the path;
   each response may carry a newer ``pit_id``, which the next request must use);
3. ``DELETE /_pit {"id"}`` releases it after the last page.

Clusters without the PIT API (before 7.10, some proxies and forks) answer the open with 400,
404 or 405; the read then pages with plain ``search_after`` on ``/{index}/_search``. Sorts end
with a unique field (``kibana.alert.uuid`` for alerts), so a page boundary never splits equal
timestamps, with or without a PIT, and a checkpoint still resumes correctly after its PIT
expired (404 ``search_context_missing_exception``): a new PIT is opened and the read
continues after the saved sort values. Under a PIT Elasticsearch appends the implicit
``_shard_doc`` tiebreaker to every hit's ``sort``; it is sent back as it came and dropped when
falling back to plain paging.

Positions are plain JSON (``{"mode", "pit", "search_after"}``) so they live in checkpoints.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx

from aria.sdk import paginate
from aria.sdk.errors import ConfigError, FatalError, IntegrationError, TransientError
from aria.sdk.http import HttpClient, decode_json
from aria.sdk.paginate import Fetched, LoopGuard, Position, Reader, RequestSpec

log = logging.getLogger("aria.integrations.elasticsearch")

KEEP_ALIVE = "1m"
# Answers to POST /{index}/_pit meaning "this cluster has no PIT API".
NO_PIT_STATUSES = (400, 404, 405)


def check_search_body(body: Any, where: str) -> dict[str, Any]:
    """A search response, or ``FatalError`` when it is not one; ``TransientError`` when
    shards failed or the search timed out, since the page would silently miss hits."""
    hits = body.get("hits") if isinstance(body, dict) else None
    if not isinstance(hits, dict) or not isinstance(hits.get("hits"), list):
        raise FatalError(
            f"malformed response from {where}: expected a search response with hits.hits, "
            f"got {type(body).__name__}"
        )
    shards = body.get("_shards") if isinstance(body.get("_shards"), dict) else {}
    failed = int(shards.get("failed") or 0)
    if failed or body.get("timed_out") is True:
        reasons = sorted(
            {
                f"{(f.get('reason') or {}).get('type')}: {(f.get('reason') or {}).get('reason')}"
                for f in shards.get("failures") or []
                if isinstance(f, dict)
            }
        )
        what = f"{failed} shard(s) failed" if failed else "the search timed out"
        raise TransientError(
            f"{where}: {what}, so results would be incomplete"
            + (f" ({'; '.join(reasons)[:300]})" if reasons else ""),
            details={"shards": {k: v for k, v in shards.items() if k != "failures"}},
        )
    return body


class SearchReader:
    """Reads hits out of search responses (the ``Reader`` the paginator needs)."""

    def parse(self, response: httpx.Response) -> Any:
        """JSON, checked to be a complete search response."""
        where = f"{response.request.method} {response.request.url.path}"
        return check_search_body(decode_json(response), where)

    def extract(self, body: Any) -> list[dict[str, Any]]:
        """``hits.hits``."""
        return list(body["hits"]["hits"])


class PitSearchAfter(paginate.Paginator):
    """Pages a ``POST /{index}/_search`` request through a PIT with ``search_after``.

    The request's body carries ``size``, ``sort`` and ``query``; ``search_after`` and ``pit``
    are set per page. A page shorter than ``size`` is the last; the PIT is closed before that
    page is handed on. A read abandoned midway leaves its PIT to expire after ``keep_alive``
    (its position may still be resumed from a checkpoint).
    """

    def __init__(
        self, *, use_pit: bool = True, max_pages: int = paginate.DEFAULT_MAX_PAGES
    ) -> None:
        super().__init__(max_pages=max_pages)
        self.use_pit = use_pit

    @staticmethod
    def target(request: RequestSpec) -> str:
        """``/{index}`` of a ``/{index}/_search`` request."""
        if not request.path.endswith("/_search"):
            raise FatalError(f"PIT paging needs a /{{index}}/_search request, not {request.path}")
        return request.path[: -len("/_search")]

    async def open(self, http: HttpClient, target: str) -> str | None:
        """Open a PIT on ``target``; None when the cluster has no PIT API."""
        try:
            body = await http.request_json(
                "POST", f"{target}/_pit", params={"keep_alive": KEEP_ALIVE}
            )
        except (FatalError, ConfigError) as exc:
            if exc.status_code in NO_PIT_STATUSES:
                log.info("no point-in-time API on %s (%s); paging without one", target, exc)
                return None
            raise
        pit = body.get("id") if isinstance(body, dict) else None
        if not isinstance(pit, str) or not pit:
            raise FatalError(f"malformed response from POST {target}/_pit: no PIT id")
        return pit

    async def close(self, http: HttpClient, pit: str | None) -> None:
        """Release a PIT (best effort: an unreleased PIT expires after ``keep_alive``)."""
        if not pit:
            return
        try:
            await http.request("DELETE", "/_pit", json={"id": pit})
        except ConfigError as exc:
            if exc.status_code != 404:  # 404: already expired or closed
                log.warning("could not close a point in time: %s", exc)
        except IntegrationError as exc:
            log.warning("could not close a point in time: %s", exc)

    async def pages(
        self, http: HttpClient, request: RequestSpec, reader: Reader, position: Position | None
    ) -> AsyncIterator[Fetched]:
        guard = LoopGuard(self.max_pages)
        guard.start(position)
        target = self.target(request)
        base = dict(request.body or {})
        size = int(base.get("size", 10))
        sort_length = len(base.get("sort") or [])
        state = dict(position or {})
        mode, pit, after = state.get("mode"), state.get("pit"), state.get("search_after")
        if mode not in ("pit", "plain"):
            pit = await self.open(http, target) if self.use_pit else None
            mode = "pit" if pit else "plain"
        while True:
            response, mode, pit = await self._page(
                http, request, target, base, (mode, pit, after), sort_length
            )
            parsed = reader.parse(response)
            records = reader.extract(parsed)
            if mode == "pit" and isinstance(parsed.get("pit_id"), str):
                pit = parsed["pit_id"]
            last = records[-1].get("sort") if records else None
            if records and not isinstance(last, list):
                raise FatalError("malformed response: a sorted search returned hits without sort")
            nxt = (
                {"mode": mode, "pit": pit if mode == "pit" else None, "search_after": last}
                if records and len(records) >= size
                else None
            )
            guard.check(records, nxt)
            if nxt is None and mode == "pit":
                await self.close(http, pit)
            yield Fetched(records, parsed, nxt)
            if nxt is None:
                return
            after = last

    async def _page(
        self,
        http: HttpClient,
        request: RequestSpec,
        target: str,
        base: dict[str, Any],
        where: tuple[str, str | None, list[Any] | None],
        sort_length: int,
    ) -> tuple[httpx.Response, str, str | None]:
        """One page after ``where`` (mode, PIT id, search_after): through the PIT, reopened
        once when it is gone (expired, closed, lost with a node), else plain search_after.
        Returns the response and the mode and PIT id the read continues with."""
        mode, pit, after = where
        if mode == "pit":
            for attempt in (1, 2):
                body = {**base, "pit": {"id": pit, "keep_alive": KEEP_ALIVE}}
                if after is not None:
                    body["search_after"] = list(after)
                try:
                    return await http.request("POST", "/_search", json=body), "pit", pit
                except ConfigError as exc:
                    if exc.status_code != 404 or attempt == 2:
                        raise
                log.info("point in time expired or closed; opening a new one on %s", target)
                pit = await self.open(http, target)
                if pit is None:  # the PIT API went away: page without one
                    break
        body = dict(base)
        if after is not None:
            body["search_after"] = list(after)[:sort_length]
        response = await http.request(
            "POST", request.path, json=body, params=request.params or None
        )
        return response, "plain", None
