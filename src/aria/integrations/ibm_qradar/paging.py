"""QRadar's header paging: ``Range: items=x-y`` on the request, ``Content-Range`` on the answer.

QRadar lists do not page through query parameters or body links. The client asks for an
inclusive, zero-based slice with the ``Range`` request header and the console answers with
``Content-Range: items x-y/total`` (``items */total`` when the slice starts past the end).
The SDK's paginators all move a query parameter, a body field or a link, so this module adds
the header variant as a :class:`~aria.sdk.paginate.Sequential` paginator: it keeps the SDK's
loop guard, ``max_pages`` and resumable positions (``{"start": n}``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import httpx

from aria.sdk import paginate
from aria.sdk.paginate import Position, RequestSpec

_CONTENT_RANGE = re.compile(r"^\s*items\s+(?:(\d+)\s*-\s*(\d+)|\*)\s*/\s*(\d+|\*)\s*$", re.I)


def range_header(start: int, size: int) -> str:
    """``items=start-end`` for ``size`` records from ``start`` (QRadar ranges are inclusive)."""
    return f"items={start}-{start + size - 1}"


@dataclass(frozen=True)
class ContentRange:
    """A parsed ``Content-Range``: the slice served (None when empty) and the list's total."""

    first: int | None
    last: int | None
    total: int | None


def parse_content_range(value: str | None) -> ContentRange | None:
    """``items 0-49/1234`` -> (0, 49, 1234); ``items */3`` -> (None, None, 3); else None."""
    if not value:
        return None
    match = _CONTENT_RANGE.match(value)
    if match is None:
        return None
    first, last, total = match.groups()
    return ContentRange(
        int(first) if first is not None else None,
        int(last) if last is not None else None,
        int(total) if total not in (None, "*") else None,
    )


def next_start(start: int, size: int, served: int, header: str | None) -> int | None:
    """Where the page after ``[start, start + served)`` begins, or None when that was the last.

    The total in ``Content-Range`` decides; without a usable header a short or empty page is
    the last one. The next start always comes from what was received, never from the
    server's numbers, so a console that repeats a range cannot make the read go backwards.
    """
    if served <= 0:
        return None
    following = start + served
    parsed = parse_content_range(header)
    if parsed is not None and parsed.total is not None:
        return following if following < parsed.total else None
    return following if served >= size else None


class RangeItems(paginate.Sequential):
    """Pages through the ``Range`` header; ends at the total in ``Content-Range``.

    The page size is ``size``, unless the stream's first request already carries a ``Range``
    header (``items=0-24``): its width wins, which is how a per-installation page size
    reaches a paginator declared once on the class.
    """

    def __init__(self, size: int = 100, *, max_pages: int = paginate.DEFAULT_MAX_PAGES) -> None:
        super().__init__(max_pages=max_pages)
        self.size = size

    def start(self) -> Position:
        return {"start": 0}

    def apply(self, request: RequestSpec, position: Position) -> RequestSpec:
        size = range_width(request.headers.get("Range"), self.size)
        headers = {**request.headers, "Range": range_header(int(position["start"]), size)}
        return replace(request, headers=headers)

    def advance(
        self, position: Position, response: httpx.Response, body: Any, records: list[dict[str, Any]]
    ) -> Position | None:
        size = range_width(response.request.headers.get("Range"), self.size)
        served = len(records)
        following = next_start(
            int(position["start"]), size, served, response.headers.get("Content-Range")
        )
        return None if following is None else {"start": following}


def range_width(header: str | None, default: int) -> int:
    """How many records a ``Range: items=x-y`` header asks for (``default`` if none)."""
    match = re.match(r"^\s*items\s*=\s*(\d+)\s*-\s*(\d+)\s*$", header or "", re.I)
    if match is None:
        return default
    first, last = int(match.group(1)), int(match.group(2))
    return max(1, last - first + 1)
