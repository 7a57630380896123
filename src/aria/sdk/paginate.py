"""Paginators: how a stream walks from the first page to the last.

Each paginator turns the stream's first request into a sequence of :class:`Fetched` pages and
says, after every page, where the *next* page starts (a small JSON-serialisable ``position``
the stream saves in its checkpoint, so a resumed read continues from the next page). Every
paginator stops on the last page, refuses to loop (a repeated cursor, next URL or page content
raises ``FatalError("pagination loop detected ...")``) and gives up after ``max_pages``.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

import httpx

from aria.sdk.errors import FatalError, TransientError
from aria.sdk.http import HttpClient
from aria.sdk.paths import resolve

Position = dict[str, Any]
Where = Literal["query", "body"]
DEFAULT_MAX_PAGES = 10_000


@dataclass(frozen=True)
class RequestSpec:
    """One request before it is sent: method, path (or same-origin URL), query and JSON body."""

    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def with_value(self, where: Where, name: str, value: Any) -> RequestSpec:
        """A copy with ``name=value`` set in the query string or the top level of the body."""
        if where == "query":
            return replace(self, params={**self.params, name: value})
        body = dict(self.body or {})
        body[name] = value
        return replace(self, body=body)

    async def send(self, http: HttpClient) -> httpx.Response:
        """Send through the shared client (retries, errors, metrics)."""
        return await http.request(
            self.method,
            self.path,
            params=self.params or None,
            json=self.body,
            headers=self.headers or None,
        )


class Reader(Protocol):
    """How a stream decodes a response and finds its records (``Stream`` implements it)."""

    def parse(self, response: httpx.Response) -> Any:
        """Decode the body (JSON by default)."""
        ...

    def extract(self, body: Any) -> list[dict[str, Any]]:
        """The records inside a decoded body."""
        ...


@dataclass
class Fetched:
    """One page: its records, the decoded body, and where the next page starts (None: done)."""

    records: list[dict[str, Any]]
    body: Any
    next_position: Position | None


class LoopGuard:
    """Remembers positions and page contents seen in one read to catch vendor loops."""

    def __init__(self, max_pages: int) -> None:
        self.max_pages = max_pages
        self.pages = 0
        self._positions: set[str] = set()
        self._contents: set[str] = set()

    def start(self, position: Position | None) -> None:
        """Record the position the read starts from."""
        if position is not None:
            self._positions.add(_fingerprint(position))

    def check(self, records: Sequence[Any], next_position: Position | None) -> None:
        """Raise when a page repeats, the next position was already visited, or too many pages."""
        self.pages += 1
        if records:
            digest = _fingerprint(list(records))
            if digest in self._contents:
                raise FatalError(
                    f"pagination loop detected: page {self.pages} repeats the "
                    "content of an earlier page"
                )
            self._contents.add(digest)
        if next_position is None:
            return
        key = _fingerprint(next_position)
        if key in self._positions:
            raise FatalError(
                f"pagination loop detected: page {self.pages} points back to an "
                f"already visited position {_short(next_position)}"
            )
        self._positions.add(key)
        if self.pages >= self.max_pages:
            raise FatalError(f"pagination stopped: more than max_pages={self.max_pages} pages")


def _fingerprint(value: Any) -> str:
    raw = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def _short(position: Position) -> str:
    text = json.dumps(position, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


class Paginator(ABC):
    """Contract: ``pages()`` yields every page from ``position`` (``None``: the first page)."""

    def __init__(self, *, max_pages: int = DEFAULT_MAX_PAGES) -> None:
        self.max_pages = max_pages

    @abstractmethod
    def pages(
        self, http: HttpClient, request: RequestSpec, reader: Reader, position: Position | None
    ) -> AsyncIterator[Fetched]:
        """Yield pages in order; the last one has ``next_position=None``."""


class Sequential(Paginator):
    """Base for paginators that send one request per page and compute the next position."""

    def start(self) -> Position:
        """Position of the first page."""
        return {}

    @abstractmethod
    def apply(self, request: RequestSpec, position: Position) -> RequestSpec:
        """The request for the page at ``position``."""

    @abstractmethod
    def advance(
        self, position: Position, response: httpx.Response, body: Any, records: list[dict[str, Any]]
    ) -> Position | None:
        """Position of the page after this one, or None when this was the last."""

    async def pages(
        self, http: HttpClient, request: RequestSpec, reader: Reader, position: Position | None
    ) -> AsyncIterator[Fetched]:
        guard = LoopGuard(self.max_pages)
        current = position if position is not None else self.start()
        guard.start(current)
        while True:
            response = await self.apply(request, current).send(http)
            body = reader.parse(response)
            records = reader.extract(body)
            nxt = self.advance(current, response, body, records)
            guard.check(records, nxt)
            yield Fetched(records, body, nxt)
            if nxt is None:
                return
            current = nxt


class NoPagination(Sequential):
    """The endpoint returns everything in one response."""

    def apply(self, request: RequestSpec, position: Position) -> RequestSpec:
        return request

    def advance(
        self, position: Position, response: httpx.Response, body: Any, records: list[dict[str, Any]]
    ) -> Position | None:
        return None


class OffsetLimit(Sequential):
    """``?offset=200&limit=100``; ends on a short or empty page, or at ``total`` when given.

    Set ``limit`` no higher than the vendor's maximum page size (a silently capped page looks
    like the last one when no ``total`` path is declared).
    """

    def __init__(
        self,
        offset_param: str = "offset",
        limit_param: str = "limit",
        limit: int = 100,
        *,
        total: str | None = None,
        where: Where = "query",
        start: int = 0,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        super().__init__(max_pages=max_pages)
        self.offset_param, self.limit_param, self.limit = offset_param, limit_param, limit
        self.total, self.where, self.first = total, where, start

    def start(self) -> Position:
        return {"offset": self.first}

    def apply(self, request: RequestSpec, position: Position) -> RequestSpec:
        return request.with_value(self.where, self.offset_param, position["offset"]).with_value(
            self.where, self.limit_param, self.limit
        )

    def advance(
        self, position: Position, response: httpx.Response, body: Any, records: list[dict[str, Any]]
    ) -> Position | None:
        if not records:
            return None
        nxt = int(position["offset"]) + len(records)
        total = resolve(body, self.total) if self.total else None
        if total is not None:
            return None if nxt >= int(total) else {"offset": nxt}
        return None if len(records) < self.limit else {"offset": nxt}


class PageNumber(Sequential):
    """``?page=3&size=100``; ends on a short or empty page, or at ``total_pages`` when given."""

    def __init__(
        self,
        page_param: str = "page",
        size_param: str = "size",
        size: int = 100,
        *,
        start: int = 1,
        total_pages: str | None = None,
        where: Where = "query",
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        super().__init__(max_pages=max_pages)
        self.page_param, self.size_param, self.size = page_param, size_param, size
        self.first, self.total_pages, self.where = start, total_pages, where

    def start(self) -> Position:
        return {"page": self.first}

    def apply(self, request: RequestSpec, position: Position) -> RequestSpec:
        return request.with_value(self.where, self.page_param, position["page"]).with_value(
            self.where, self.size_param, self.size
        )

    def advance(
        self, position: Position, response: httpx.Response, body: Any, records: list[dict[str, Any]]
    ) -> Position | None:
        if not records or len(records) < self.size:
            return None
        page = int(position["page"])
        total = resolve(body, self.total_pages) if self.total_pages else None
        if total is not None and page - self.first + 1 >= int(total):
            return None
        return {"page": page + 1}


class Cursor(Sequential):
    """An opaque token from the body (dotted path) or a response header, sent back as ``param``.

    Ends when the token is missing or empty, or (``stop_on_empty``) on an empty page.
    """

    def __init__(
        self,
        token: str = "meta.pagination.after",  # noqa: S107 - a JSON path
        param: str = "after",
        *,
        where: Where = "query",
        from_: Literal["body", "header"] = "body",
        stop_on_empty: bool = True,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        super().__init__(max_pages=max_pages)
        self.token, self.param, self.where, self.from_ = token, param, where, from_
        self.stop_on_empty = stop_on_empty

    def start(self) -> Position:
        return {"cursor": None}

    def apply(self, request: RequestSpec, position: Position) -> RequestSpec:
        cursor = position.get("cursor")
        return (
            request if cursor in (None, "") else request.with_value(self.where, self.param, cursor)
        )

    def advance(
        self, position: Position, response: httpx.Response, body: Any, records: list[dict[str, Any]]
    ) -> Position | None:
        if self.stop_on_empty and not records:
            return None
        token = (
            response.headers.get(self.token)
            if self.from_ == "header"
            else resolve(body, self.token)
        )
        return {"cursor": token} if token not in (None, "") else None


class _UrlFollower(Sequential):
    """Follows absolute next-page URLs (same origin only, enforced by the HTTP client)."""

    def start(self) -> Position:
        return {"url": None}

    def apply(self, request: RequestSpec, position: Position) -> RequestSpec:
        url = position.get("url")
        return request if not url else replace(request, path=url, params={})

    def advance(
        self, position: Position, response: httpx.Response, body: Any, records: list[dict[str, Any]]
    ) -> Position | None:
        link = self.next_link(response, body)
        if not link:
            return None
        return {"url": str(response.request.url.join(link))}

    @abstractmethod
    def next_link(self, response: httpx.Response, body: Any) -> str | None:
        """The raw next link, possibly relative."""


class LinkHeader(_UrlFollower):
    """RFC 8288/5988 ``Link: <...>; rel="next"`` (GitHub, Okta, Zendesk cursor pagination)."""

    def next_link(self, response: httpx.Response, body: Any) -> str | None:
        return response.links.get("next", {}).get("url")


class NextUrl(_UrlFollower):
    """A next-page URL inside the body (``@odata.nextLink``, ``links.next``)."""

    def __init__(
        self, path: str = "@odata.nextLink", *, max_pages: int = DEFAULT_MAX_PAGES
    ) -> None:
        super().__init__(max_pages=max_pages)
        self.path = path

    def next_link(self, response: httpx.Response, body: Any) -> str | None:
        link = resolve(body, self.path)
        return str(link) if link else None


class _IdsReader:
    def __init__(self, reader: Reader, ids_path: str) -> None:
        self.reader, self.ids_path = reader, ids_path

    def parse(self, response: httpx.Response) -> Any:
        return self.reader.parse(response)

    def extract(self, body: Any) -> list[Any]:
        ids = resolve(body, self.ids_path, [])
        if not isinstance(ids, list):
            raise FatalError(f"malformed response: expected a list of ids at {self.ids_path!r}")
        return ids


class IdsThenHydrate(Paginator):
    """Query IDs page by page (any paginator), then fetch the entities for each ID page.

    CrowdStrike style: ``GET /devices/queries/devices/v1?offset=..`` returns ``resources: [ids]``;
    ``POST /devices/entities/devices/v2 {"ids": [...]}`` returns the records. The stream's
    ``path``/``params`` describe the ID query; ``records`` says where entities sit.
    """

    def __init__(
        self,
        ids: Paginator,
        hydrate_path: str,
        *,
        hydrate_method: Literal["GET", "POST"] = "GET",
        ids_param: str = "ids",
        ids_path: str = "resources",
        batch: int = 100,
    ) -> None:
        super().__init__(max_pages=ids.max_pages)
        self.ids, self.hydrate_path, self.hydrate_method = ids, hydrate_path, hydrate_method
        self.ids_param, self.ids_path, self.batch = ids_param, ids_path, batch

    async def pages(
        self, http: HttpClient, request: RequestSpec, reader: Reader, position: Position | None
    ) -> AsyncIterator[Fetched]:
        id_pages = self.ids.pages(http, request, _IdsReader(reader, self.ids_path), position)
        async for id_page in id_pages:
            records: list[dict[str, Any]] = []
            ids = [str(i) for i in id_page.records]
            for start in range(0, len(ids), self.batch):
                chunk = ids[start : start + self.batch]
                records.extend(await self._hydrate(http, reader, chunk))
            yield Fetched(records, id_page.body, id_page.next_position)

    async def _hydrate(
        self, http: HttpClient, reader: Reader, ids: list[str]
    ) -> list[dict[str, Any]]:
        if self.hydrate_method == "GET":
            response = await http.request(
                "GET", self.hydrate_path, params=[(self.ids_param, i) for i in ids]
            )
        else:
            response = await http.request("POST", self.hydrate_path, json={self.ids_param: ids})
        return reader.extract(reader.parse(response))


class AsyncExportJob(Paginator):
    """Create an export job, poll it with backoff until done, then download each chunk.

    The stream's request creates the job (Tenable ``POST /vulns/export``); ``poll`` and
    ``download`` are path templates with ``{job_id}`` and ``{chunk}``. Each chunk is one page;
    the checkpoint keeps the job id and chunk list, so a resumed read skips finished chunks.
    """

    def __init__(
        self,
        poll: str,
        download: str,
        *,
        job_id_path: str = "export_uuid",
        status_path: str = "status",
        done_values: Sequence[str] = ("FINISHED",),
        failed_values: Sequence[str] = ("ERROR", "CANCELLED"),
        chunks_path: str | None = "chunks_available",
        poll_interval: float = 2.0,
        poll_backoff: float = 1.5,
        poll_max_interval: float = 60.0,
        max_polls: int = 200,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        super().__init__(max_pages=max_pages)
        self.poll, self.download = poll, download
        self.job_id_path, self.status_path, self.chunks_path = job_id_path, status_path, chunks_path
        self.done_values, self.failed_values = set(done_values), set(failed_values)
        self.poll_interval, self.poll_backoff = poll_interval, poll_backoff
        self.poll_max_interval, self.max_polls = poll_max_interval, max_polls

    async def pages(
        self, http: HttpClient, request: RequestSpec, reader: Reader, position: Position | None
    ) -> AsyncIterator[Fetched]:
        if position and position.get("job_id") is not None:
            job_id, chunks, index = position["job_id"], position["chunks"], position["index"]
        else:
            job_id = resolve(reader.parse(await request.send(http)), self.job_id_path)
            if job_id in (None, ""):
                raise FatalError(f"malformed response: no export job id at {self.job_id_path!r}")
            chunks, index = await self._wait(http, job_id), 0
        guard = LoopGuard(self.max_pages)
        while index < len(chunks):
            url = self.download.format(job_id=job_id, chunk=chunks[index])
            body = reader.parse(await http.request("GET", url))
            records = reader.extract(body)
            index += 1
            nxt = (
                {"job_id": job_id, "chunks": chunks, "index": index}
                if index < len(chunks)
                else None
            )
            guard.check(records, nxt)
            yield Fetched(records, body, nxt)
        if not chunks:
            yield Fetched([], None, None)

    async def _wait(self, http: HttpClient, job_id: Any) -> list[Any]:
        interval = self.poll_interval
        for _ in range(self.max_polls):
            body = await http.request_json("GET", self.poll.format(job_id=job_id))
            status = resolve(body, self.status_path)
            if status in self.done_values:
                if self.chunks_path is None:
                    return [0]
                chunks = resolve(body, self.chunks_path, [])
                if not isinstance(chunks, list):
                    raise FatalError("malformed response: export chunk list is not a list")
                return chunks
            if status in self.failed_values:
                raise TransientError(f"export job ended with status {status!r}")
            await http.sleep(interval)
            interval = min(self.poll_max_interval, interval * self.poll_backoff)
        raise TransientError(f"export job not finished after {self.max_polls} polls")


__all__ = [
    "AsyncExportJob",
    "Cursor",
    "Fetched",
    "IdsThenHydrate",
    "LinkHeader",
    "LoopGuard",
    "NextUrl",
    "NoPagination",
    "OffsetLimit",
    "PageNumber",
    "Paginator",
    "Position",
    "Reader",
    "RequestSpec",
    "Sequential",
]
