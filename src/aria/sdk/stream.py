"""Streams: one declarative class per vendor collection (alerts, devices, vulnerabilities).

A stream says where the collection lives (``path``, ``method``, ``params``/``body`` templates),
where records sit in a response (``records``), how pages follow each other (``paginator``),
and which field makes reads incremental (``cursor_field``). :meth:`Stream.read` does the rest:
it renders the request, walks the pages, skips records already delivered, normalizes each
record and yields a :class:`Page` whose ``state`` is the checkpoint to save.

Checkpoint (``Page.state``, JSON), one per stream::

    {"cursor": "2024-05-01T10:00:00Z",      # high-water mark of completed reads
     "seen": {"<id>": "<cursor value>"},     # ids delivered inside the look-back window
     "since": ..., "max": ..., "full": ...,  # the read in progress (its window and progress)
     "pagination": {...} | None}             # where the next page of that read starts

An incremental read asks for ``since = cursor - lookback`` (late-arriving records are caught),
and drops records whose (id, cursor value) it already delivered, so a second read yields only
new or changed records. With ``lookback=0`` ``seen`` holds exactly the ids at the cursor value
(boundary dedupe). Records older than ``since`` are dropped too, which makes incremental reads
correct even when an API ignores the filter.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from aria.sdk.config import Config
from aria.sdk.cursors import to_datetime, to_iso
from aria.sdk.errors import FatalError
from aria.sdk.http import HttpClient, decode_json
from aria.sdk.paginate import NoPagination, Paginator, RequestSpec
from aria.sdk.paths import resolve
from aria.sdk.templates import render

if TYPE_CHECKING:
    from aria.sdk.records import CanonicalRecord

log = logging.getLogger("aria.sdk.stream")


@dataclass
class Page:
    """One page of normalized records plus the checkpoint to save once they are stored."""

    stream: str
    records: list[Any]
    raw: list[dict[str, Any]]
    state: dict[str, Any]
    done: bool
    errors: list[str] = field(default_factory=list)


@dataclass
class StreamContext:
    """What a read needs from its integration: the HTTP client, config and a clock."""

    http: HttpClient
    config: Config
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    variables: dict[str, Any] = field(default_factory=dict)


class Stream:
    """Declarative base class; subclass, set the class attributes, implement ``normalize``.

    ``records``: dotted path to the record list (``None``/``""``: the body is the list).
    ``primary_key``: dotted path (or tuple of paths) to the vendor id.
    ``cursor_field``: dotted path to the record's last-modified timestamp; ``None`` makes the
    stream full-refresh. ``lookback``: window re-read on each incremental read.
    """

    name: ClassVar[str] = ""
    path: ClassVar[str] = ""
    method: ClassVar[str] = "GET"
    params: ClassVar[dict[str, Any]] = {}
    body: ClassVar[Any] = None
    headers: ClassVar[dict[str, str]] = {}
    records: ClassVar[str | None] = "resources"
    paginator: ClassVar[Paginator] = NoPagination()
    cursor_field: ClassVar[str | None] = None
    lookback: ClassVar[timedelta] = timedelta(0)
    primary_key: ClassVar[str | tuple[str, ...]] = "id"
    full_refresh_only: ClassVar[bool] = False
    max_seen: ClassVar[int] = 5_000

    def __init__(self, config: Config | None = None) -> None:
        self.config = config

    def normalize(self, record: dict[str, Any]) -> CanonicalRecord | list[Any] | None:
        """Vendor record -> canonical record(s); ``None`` skips the record."""
        raise NotImplementedError(f"stream {self.name!r} must implement normalize()")

    # --- hooks for odd APIs -------------------------------------------------------------

    def parse(self, response: httpx.Response) -> Any:
        """Decode a response body; override for XML (defusedxml) or CSV."""
        return decode_json(response)

    def extract(self, body: Any) -> list[dict[str, Any]]:
        """The records inside a decoded body, found at ``records``."""
        found = resolve(body, self.records, None)
        if found is None:
            return []
        if not isinstance(found, list):
            where = self.records or "the top level"
            raise FatalError(
                f"malformed response: stream {self.name!r} expected a list at "
                f"{where!r}, got {type(found).__name__}"
            )
        return found

    def request(self, variables: dict[str, Any]) -> RequestSpec:
        """The first request, rendered from the templates and ``variables``."""
        path = render(self.path, variables)
        if path is None:
            raise FatalError(f"stream {self.name!r}: path {self.path!r} needs missing values")
        return RequestSpec(
            method=self.method.upper(),
            path=str(path),
            params=render(dict(self.params), variables) or {},
            body=render(self.body, variables),
            headers=render(dict(self.headers), variables) or {},
        )

    def record_id(self, record: dict[str, Any]) -> str | None:
        """The vendor id used for dedupe (composite keys joined with ``|``)."""
        keys = self.primary_key if isinstance(self.primary_key, tuple) else (self.primary_key,)
        parts = [resolve(record, key) for key in keys]
        if any(part is None for part in parts):
            return None
        return "|".join(str(part) for part in parts)

    def cursor_value(self, record: dict[str, Any]) -> datetime | None:
        """The record's incremental timestamp, or None."""
        return to_datetime(resolve(record, self.cursor_field)) if self.cursor_field else None

    @property
    def incremental(self) -> bool:
        """True when reads can start from a saved cursor."""
        return bool(self.cursor_field) and not self.full_refresh_only

    # --- the read -----------------------------------------------------------------------

    async def read(
        self, ctx: StreamContext, state: dict[str, Any] | None = None, full: bool = False
    ) -> AsyncIterator[Page]:
        """Yield pages from the saved ``state``; the last page has ``done=True``."""
        st = _State.load(state, full=full or not self.incremental, lookback=self.lookback)
        st.max_seen = self.max_seen
        variables = self._variables(ctx, st.since)
        request = self.request(variables)
        seen_before = dict(st.seen)
        async for fetched in self.paginator.pages(ctx.http, request, self, st.pagination):
            raw, canonical, errors = self._accept(fetched.records, st, seen_before)
            st.pagination = fetched.next_position
            done = fetched.next_position is None
            if done:
                st.finish(self.lookback)
            yield Page(self.name, canonical, raw, st.dump(), done, errors)

    def _variables(self, ctx: StreamContext, since: datetime | None) -> dict[str, Any]:
        config = ctx.config
        secret = set(config.secret_fields())
        variables: dict[str, Any] = {
            name: getattr(config, name) for name in type(config).model_fields if name not in secret
        }
        now = ctx.now()
        variables.update(now=to_iso(now), now_epoch=int(now.timestamp()))
        if since is not None:
            variables.update(
                since=to_iso(since),
                since_epoch=int(since.timestamp()),
                since_ms=int(since.timestamp() * 1000),
                since_date=since.date().isoformat(),
            )
        variables.update(ctx.variables)
        return variables

    def _accept(
        self, records: list[dict[str, Any]], st: _State, seen_before: dict[str, str]
    ) -> tuple[list[dict[str, Any]], list[Any], list[str]]:
        raw: list[dict[str, Any]] = []
        canonical: list[Any] = []
        errors: list[str] = []
        for record in records:
            value = self.cursor_value(record) if self.cursor_field else None
            rid = self.record_id(record)
            stamp = to_iso(value) if value is not None else None
            if value is not None and st.since is not None and value < st.since:
                continue
            if (
                rid is not None
                and stamp is not None
                and (seen_before.get(rid) == stamp or st.seen.get(rid) == stamp)
            ):
                continue
            if rid is not None and stamp is not None:
                st.seen[rid] = stamp
            if value is not None and (st.max is None or value > st.max):
                st.max = value
            try:
                out = self.normalize(record)
            except Exception as exc:  # one bad record must not block the stream forever
                errors.append(
                    f"stream {self.name!r} record {rid!r}: {type(exc).__name__}: {str(exc)[:200]}"
                )
                log.warning("normalize failed: %s", errors[-1])
                continue
            raw.append(record)
            if out is None:
                continue
            canonical.extend(out if isinstance(out, list) else [out])
        return raw, canonical, errors


@dataclass
class _State:
    cursor: datetime | None
    seen: dict[str, str]
    since: datetime | None
    max: datetime | None
    full: bool
    pagination: dict[str, Any] | None
    max_seen: int = 5_000

    @classmethod
    def load(cls, raw: dict[str, Any] | None, *, full: bool, lookback: timedelta) -> _State:
        raw = copy.deepcopy(raw or {})
        cursor = to_datetime(raw.get("cursor"))
        seen = dict(raw.get("seen") or {})
        resumable = raw.get("pagination") is not None and (not full or raw.get("full"))
        if resumable:
            return cls(
                cursor,
                seen,
                to_datetime(raw.get("since")),
                to_datetime(raw.get("max")),
                bool(raw.get("full")),
                raw["pagination"],
            )
        if full:
            return cls(cursor, {}, None, None, True, None)
        since = None if cursor is None else cursor - lookback
        return cls(cursor, seen, since, None, False, None)

    def finish(self, lookback: timedelta) -> None:
        if self.max is not None and (self.cursor is None or self.max > self.cursor):
            self.cursor = self.max
        if self.cursor is not None:
            floor = self.cursor - lookback
            self.seen = {k: v for k, v in self.seen.items() if _at(v) >= floor}
        self._trim()
        self.since = self.max = None
        self.full = False
        self.pagination = None

    def _trim(self) -> None:
        """Bound the checkpoint size: keep the newest ``max_seen`` ids (older ones may be
        delivered twice, which the idempotent upsert downstream absorbs)."""
        if len(self.seen) > self.max_seen:
            newest = sorted(self.seen.items(), key=lambda kv: _at(kv[1]), reverse=True)
            self.seen = dict(newest[: self.max_seen])

    def dump(self) -> dict[str, Any]:
        self._trim()
        return {
            "cursor": to_iso(self.cursor) if self.cursor else None,
            "seen": dict(self.seen),
            "since": to_iso(self.since) if self.since else None,
            "max": to_iso(self.max) if self.max else None,
            "full": self.full,
            "pagination": copy.deepcopy(self.pagination),
        }


def _at(stamp: str) -> datetime:
    return to_datetime(stamp) or datetime.min.replace(tzinfo=UTC)
