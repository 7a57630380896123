"""Splunk search jobs: dispatch, wait, page the results, clean up.

The REST way to search (``/services/search/jobs``):

1. ``POST /services/search/jobs`` with a form body (``search``, ``earliest_time``,
   ``latest_time``, ``exec_mode=normal``, ``output_mode=json``) answers ``201 {"sid": ...}``;
2. ``GET /services/search/jobs/{sid}?output_mode=json`` until ``entry[0].content.dispatchState``
   is ``DONE`` (``FAILED`` ends it, with the reasons in ``content.messages``);
3. ``GET /services/search/jobs/{sid}/results?output_mode=json&offset=&count=`` page by page;
4. ``DELETE /services/search/jobs/{sid}`` so finished jobs do not eat the user's disk quota.

Splunk resolves relative times (``now``, ``-30d``) on its own clock. The job reports the window
it actually searched (``earliestTime``/``latestTime``); :class:`SearchJobPages` pins that window
in the checkpoint, so a resumed read whose job has expired (404) dispatches the same search over
the same window again and continues at the saved offset, whatever the clock skew.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from aria.sdk import ConfigError, FatalError, HttpClient, IntegrationError, TransientError
from aria.sdk.cursors import to_datetime
from aria.sdk.paginate import (
    DEFAULT_MAX_PAGES,
    Fetched,
    LoopGuard,
    Paginator,
    Position,
    Reader,
    RequestSpec,
)

log = logging.getLogger("aria.integrations.splunk")

JOBS_PATH = "/services/search/jobs"
JSON = {"output_mode": "json"}
DONE, FAILED = "DONE", "FAILED"
POLL_FIRST = 0.5  # seconds before the second status check; grows by POLL_BACKOFF
POLL_BACKOFF = 1.5
POLL_MAX = 10.0
WAIT_LIMIT = 900.0  # a search still running after 15 minutes is cancelled


@dataclass(frozen=True)
class Job:
    """A finished search job: its id, result count and the window Splunk searched."""

    sid: str
    result_count: int
    earliest: str | None  # epoch seconds as Splunk accepts them in earliest_time
    latest: str | None


def epoch_text(value: Any) -> str | None:
    """A timestamp as epoch seconds for ``earliest_time``/``latest_time`` (ms kept)."""
    moment = to_datetime(value)
    if moment is None:
        return None
    seconds = moment.timestamp()
    return str(int(seconds)) if seconds.is_integer() else f"{seconds:.3f}"


def messages_text(body: Any) -> str:
    """Splunk's ``messages`` (``[{"type": "FATAL", "text": ...}]``) as one line."""
    messages = body.get("messages") if isinstance(body, dict) else None
    texts = [
        f"{m.get('type', 'ERROR')}: {m.get('text')}"
        for m in messages or []
        if isinstance(m, dict) and m.get("text")
    ]
    return "; ".join(texts)[:500]


class SearchJobs:
    """The search job lifecycle over one management-port client."""

    def __init__(self, http: HttpClient, *, wait_limit: float = WAIT_LIMIT) -> None:
        self.http = http
        self.wait_limit = wait_limit

    async def dispatch(self, form: Mapping[str, Any]) -> str:
        """Create the job; its sid. A rejected search (bad SPL) is a 400 ``FatalError`` whose
        message carries Splunk's parser error. Creating a job twice is harmless (the spare
        one expires), so timeouts are retried."""
        data = {**{k: str(v) for k, v in form.items() if v is not None}, **JSON}
        data.setdefault("exec_mode", "normal")
        body = await self.http.request_json("POST", JOBS_PATH, data=data)
        sid = body.get("sid") if isinstance(body, dict) else None
        if not isinstance(sid, str) or not sid:
            raise FatalError(f"malformed response from POST {JOBS_PATH}: no sid")
        return sid

    async def wait(self, sid: str) -> Job:
        """Poll the job until it is done (backing off), or raise: ``FatalError`` when Splunk
        reports it FAILED, ``TransientError`` when it vanished or ran past ``wait_limit``."""
        started = self.http.clock()
        interval = POLL_FIRST
        while True:
            try:
                body = await self.http.request_json("GET", f"{JOBS_PATH}/{_safe(sid)}", params=JSON)
            except ConfigError as exc:
                if exc.status_code != 404:
                    raise
                raise TransientError(
                    f"search job {sid} disappeared while running (cancelled or expired)",
                    status_code=404,
                ) from None
            content = _job_content(body)
            state = str(content.get("dispatchState") or "")
            if state == FAILED or _true(content.get("isFailed")):
                reason = messages_text(content) or "no reason given"
                raise FatalError(self.http.redact(f"search job {sid} failed: {reason}"))
            if state == DONE or (_true(content.get("isDone")) and not state):
                return Job(
                    sid=sid,
                    result_count=_count(content.get("resultCount")),
                    earliest=epoch_text(content.get("earliestTime")),
                    latest=epoch_text(content.get("latestTime")),
                )
            if self.http.clock() - started >= self.wait_limit:
                await self.cancel(sid)
                raise TransientError(
                    f"search job {sid} still {state or 'running'} after "
                    f"{self.wait_limit:g} s; it was cancelled"
                )
            await self.http.sleep(interval)
            interval = min(POLL_MAX, interval * POLL_BACKOFF)

    async def results(self, sid: str, offset: int, count: int) -> httpx.Response:
        """One page of the job's results (``ConfigError`` 404 when the job is gone)."""
        return await self.http.request(
            "GET",
            f"{JOBS_PATH}/{_safe(sid)}/results",
            params={**JSON, "offset": offset, "count": count},
        )

    async def cancel(self, sid: str) -> None:
        """Delete the job (best effort: it expires on its own after its ttl anyway)."""
        try:
            await self.http.request("DELETE", f"{JOBS_PATH}/{_safe(sid)}", params=JSON)
        except IntegrationError as exc:
            log.info("could not delete Splunk search job %s: %s", sid, exc)

    async def run(self, form: Mapping[str, Any]) -> Job:
        """Dispatch and wait."""
        return await self.wait(await self.dispatch(form))


class SearchJobPages(Paginator):
    """A stream over a search job. The stream's request carries the job form in ``body`` and
    the page size in ``params["count"]``; each results page is one page of the stream.

    The position is ``{"sid", "offset", "total", "earliest", "latest"}``: the next offset in a
    job whose window is pinned, so a read resumes even after the job expired.
    """

    def __init__(self, *, max_pages: int = DEFAULT_MAX_PAGES) -> None:
        super().__init__(max_pages=max_pages)

    async def pages(
        self, http: HttpClient, request: RequestSpec, reader: Reader, position: Position | None
    ) -> AsyncIterator[Fetched]:
        jobs = SearchJobs(http)
        form = dict(request.body or {})
        count = int(request.params.get("count") or 100)
        guard = LoopGuard(self.max_pages)
        if position and position.get("sid"):
            job = Job(
                sid=str(position["sid"]),
                result_count=int(position.get("total") or 0),
                earliest=position.get("earliest"),
                latest=position.get("latest"),
            )
            offset = int(position.get("offset") or 0)
            guard.start(position)
        else:
            job, offset = await jobs.run(form), 0
        redispatched = False
        while True:
            if job.result_count <= offset:
                await jobs.cancel(job.sid)
                yield Fetched([], None, None)
                return
            try:
                response = await jobs.results(job.sid, offset, count)
            except ConfigError as exc:
                if exc.status_code != 404 or redispatched:
                    raise
                # The job expired between pages (or before a resumed read): search the same
                # window again; the same events come back in the same (time) order.
                job = await self._again(jobs, form, job)
                redispatched = True
                continue
            redispatched = False
            body = reader.parse(response)
            records = reader.extract(body)
            following = offset + len(records)
            done = not records or following >= job.result_count
            nxt = None if done else _position(job, following)
            guard.check(records, nxt)
            if done:
                await jobs.cancel(job.sid)
            yield Fetched(records, body, nxt)
            if done:
                return
            offset = following

    @staticmethod
    async def _again(jobs: SearchJobs, form: dict[str, Any], old: Job) -> Job:
        pinned = dict(form)
        if old.earliest is not None:
            pinned["earliest_time"] = old.earliest
        if old.latest is not None:
            pinned["latest_time"] = old.latest
        job = await jobs.run(pinned)
        if job.result_count != old.result_count:
            log.warning(
                "Splunk search re-dispatched after job %s expired returned %d results instead "
                "of %d (late-indexed events); the look-back of the next sync catches them",
                old.sid,
                job.result_count,
                old.result_count,
            )
        return job


def _position(job: Job, offset: int) -> Position:
    return {
        "sid": job.sid,
        "offset": offset,
        "total": job.result_count,
        "earliest": job.earliest,
        "latest": job.latest,
    }


def _job_content(body: Any) -> dict[str, Any]:
    """``entry[0].content`` of a job status response, or ``FatalError``."""
    entries = body.get("entry") if isinstance(body, dict) else None
    if isinstance(entries, list) and entries and isinstance(entries[0], dict):
        content = entries[0].get("content")
        if isinstance(content, dict):
            return content
    raise FatalError("malformed response from the search job status: no entry[0].content")


def _safe(sid: str) -> str:
    """A sid as one path segment (sids are ``1717329600.123`` or ``user__app__name_at_...``)."""
    return quote(sid, safe="")


def _true(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


def _count(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        raise FatalError(f"malformed search job status: resultCount {value!r}") from None
