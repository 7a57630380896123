"""The Search Job API lifecycle: create a job, poll it, page its results, delete it.

Sumo runs a search asynchronously: ``POST /v1/search/jobs`` answers 202 with the job id; the
job is polled at ``GET /v1/search/jobs/{id}`` (``state``, ``messageCount``, ``recordCount``,
``pendingErrors``) until ``DONE GATHERING RESULTS`` (or ``FORCE PAUSED`` at about 100,000
messages, or ``CANCELLED``); ``/messages`` (raw results) or ``/records`` (aggregate results)
are paged with ``offset`` and ``limit`` (at most 10,000); and ``DELETE`` frees the job, since
an org may run only 200 at once. Every call rides the same ``httpx`` client, whose cookie jar
returns the job's session cookie (``JSESSIONID``): some deployments answer 404 without it.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from aria.integrations.sumo_logic.normalize import message_to_hit, record_to_hit
from aria.sdk import ConfigError, FatalError, HttpClient, IntegrationError, TransientError
from aria.sdk.siem import SearchHit

log = logging.getLogger(__name__)

JOBS = "/v1/search/jobs"
DONE = "DONE GATHERING RESULTS"
FORCE_PAUSED = "FORCE PAUSED"
CANCELLED = "CANCELLED"
FINISHED = frozenset({DONE, FORCE_PAUSED, CANCELLED})
MAX_PAGE = 10_000  # messages or records per page, the API's maximum
# Seconds between status polls: quick for small searches, then every 5 s (Sumo keeps a job
# alive while it is polled at least every 20-30 s, and allows 4 API calls a second).
POLL_WAITS = (0.5, 1.0, 2.0, 4.0, 5.0)


@dataclass
class JobResult:
    """What a finished job produced, normalized."""

    job_id: str
    state: str
    message_count: int
    record_count: int
    hits: list[SearchHit] = field(default_factory=list)
    raw: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False


class SearchJob:
    """Runs one search job through the integration's HTTP client (auth, retries, cookies)."""

    def __init__(self, http: HttpClient, *, timeout_s: float) -> None:
        self.http = http
        self.timeout_s = timeout_s

    async def run(self, body: dict[str, Any], limit: int) -> JobResult:
        """Create the job, wait for it, read up to ``limit`` results, and always delete it."""
        job_id = await self._create(body)
        try:
            status = await self._wait(job_id)
            state = str(status.get("state"))
            messages = _count(status.get("messageCount"))
            records = _count(status.get("recordCount"))
            result = JobResult(job_id, state, messages, records)
            # Aggregate queries (count by ...) produce records; the others, messages.
            kind, available = ("records", records) if records > 0 else ("messages", messages)
            await self._page(result, kind, available, limit)
            result.truncated = state == FORCE_PAUSED or available > len(result.hits)
            return result
        finally:
            with contextlib.suppress(IntegrationError):
                await self.http.request("DELETE", f"{JOBS}/{job_id}")

    async def _create(self, body: dict[str, Any]) -> str:
        # Not idempotent: a timed-out POST may have started a job, so it is not sent twice.
        response = await self.http.request("POST", JOBS, json=body, idempotent=False)
        created = self.http.parse_json(response)
        job_id = created.get("id") if isinstance(created, dict) else None
        if not job_id:
            location = response.headers.get("location", "")
            job_id = (
                location.rstrip("/").rsplit("/", 1)[-1] if "/search/jobs/" in location else None
            )
        if not job_id:
            raise FatalError("malformed response from POST /v1/search/jobs: no search job id")
        return str(job_id)

    async def _get(self, job_id: str, suffix: str = "", **params: Any) -> Any:
        try:
            return await self.http.request_json(
                "GET", f"{JOBS}/{job_id}{suffix}", params=params or None
            )
        except ConfigError as exc:
            if exc.status_code != 404:
                raise
            raise FatalError(
                f"search job {job_id} is gone (404): Sumo Logic cancels jobs that are not polled "
                "for 30 seconds and answers 404 when the session cookie of the job is missing",
                status_code=404,
            ) from None

    async def _wait(self, job_id: str) -> dict[str, Any]:
        deadline = self.http.clock() + self.timeout_s
        polls = 0
        while True:
            status = await self._get(job_id)
            if not isinstance(status, dict) or "state" not in status:
                raise FatalError(f"malformed search job status for {job_id}: no 'state'")
            errors = [str(e) for e in status.get("pendingErrors") or []]
            if errors:
                raise FatalError(
                    self.http.redact(
                        f"Sumo Logic reported errors for the search: {'; '.join(errors)}"
                    )[:1000]
                )
            for warning in status.get("pendingWarnings") or []:
                log.warning("Sumo Logic search warning: %s", self.http.redact(str(warning))[:300])
            state = str(status["state"])
            if state == CANCELLED:
                raise TransientError(
                    f"Sumo Logic cancelled search job {job_id} (cancelled by a user, for "
                    "inactivity, or over the organization's search limits); run it again"
                )
            if state in FINISHED:
                return status
            if self.http.clock() >= deadline:
                raise TransientError(
                    f"search job {job_id} was still {state!r} after {self.timeout_s:g} s; "
                    "narrow the time range or raise search_timeout_s"
                )
            await self.http.sleep(POLL_WAITS[min(polls, len(POLL_WAITS) - 1)])
            polls += 1

    async def _page(self, result: JobResult, kind: str, available: int, limit: int) -> None:
        want = min(limit, available)
        offset = 0
        while offset < want:
            size = min(MAX_PAGE, want - offset)
            body = await self._get(result.job_id, f"/{kind}", offset=offset, limit=size)
            rows = body.get(kind) if isinstance(body, dict) else None
            if not isinstance(rows, list):
                raise FatalError(
                    f"malformed response from GET /v1/search/jobs/{{id}}/{kind}: no '{kind}' list"
                )
            if not rows:
                break
            for row in rows:
                if not isinstance(row, dict):
                    raise FatalError(f"malformed search job {kind}: expected objects")
                result.raw.append(dict(row.get("map") or {}))
                result.hits.append(
                    message_to_hit(row) if kind == "messages" else record_to_hit(row)
                )
            offset += len(rows)


def _count(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0
