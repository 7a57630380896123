"""Range/Content-Range paging: the header helpers, the paginator, and the offenses stream."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from aria.integrations.ibm_qradar.paging import (
    ContentRange,
    RangeItems,
    next_start,
    parse_content_range,
    range_header,
    range_width,
)
from aria.integrations.ibm_qradar.streams import Offenses
from aria.sdk import FatalError, HttpClient, SyncOptions
from aria.sdk.paginate import RequestSpec
from tests.integrations.ibm_qradar.conftest import Build


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("items 0-49/1234", ContentRange(0, 49, 1234)),
        ("items 50-59/60", ContentRange(50, 59, 60)),
        ("ITEMS 0 - 4 / 5", ContentRange(0, 4, 5)),
        ("items */3", ContentRange(None, None, 3)),
        ("items 0-4/*", ContentRange(0, 4, None)),
        ("bytes 0-99/100", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_content_range(header: str | None, expected: ContentRange | None) -> None:
    assert parse_content_range(header) == expected


def test_range_header_is_inclusive() -> None:
    assert range_header(0, 50) == "items=0-49"
    assert range_header(25, 25) == "items=25-49"
    assert range_width("items=25-49", 100) == 25
    assert range_width(None, 100) == 100
    assert range_width("bogus", 7) == 7


@pytest.mark.parametrize(
    ("start", "size", "served", "header", "expected"),
    [
        (0, 25, 25, "items 0-24/60", 25),  # more to come
        (50, 25, 10, "items 50-59/60", None),  # last page, short
        (25, 25, 25, "items 25-49/50", None),  # last page, exactly full: no extra request
        (0, 25, 20, "items 0-19/60", 20),  # the console served fewer than asked: go on
        (0, 25, 0, "items */0", None),  # empty list
        (0, 25, 25, None, 25),  # no header: a full page may have a successor
        (25, 25, 7, None, None),  # no header: a short page is the last
    ],
)
def test_next_start(start: int, size: int, served: int, header: str | None, expected: Any) -> None:
    assert next_start(start, size, served, header) == expected


def _client(handler: Any) -> HttpClient:
    return HttpClient(base_url="https://qradar.example.com", transport=httpx.MockTransport(handler))


async def _walk(
    paginator: RangeItems, client: HttpClient, position: Any = None
) -> list[list[dict[str, Any]]]:
    request = RequestSpec("GET", "/api/siem/offenses", headers={"Range": range_header(0, 10)})
    pages = []
    async for page in paginator.pages(client, request, Offenses(), position):
        pages.append(page.records)
    return pages


def _server(total: int, *, content_range: bool = True, seen: list[str] | None = None) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        first, last = (int(x) for x in request.headers["range"].split("=")[1].split("-"))
        if seen is not None:
            seen.append(request.headers["range"])
        chunk = [{"id": i} for i in range(first, min(last + 1, total))]
        headers = {}
        if content_range:
            headers["Content-Range"] = (
                f"items {first}-{first + len(chunk) - 1}/{total}" if chunk else f"items */{total}"
            )
        return httpx.Response(200, json=chunk, headers=headers)

    return handler


@pytest.mark.anyio
async def test_paginator_takes_the_page_size_from_the_first_range() -> None:
    seen: list[str] = []
    pages = await _walk(RangeItems(size=999), _client(_server(23, seen=seen)))
    assert seen == ["items=0-9", "items=10-19", "items=20-29"]
    assert [len(p) for p in pages] == [10, 10, 3]
    assert [r["id"] for p in pages for r in p] == list(range(23))


@pytest.mark.anyio
async def test_paginator_without_content_range_stops_on_a_short_or_empty_page() -> None:
    seen: list[str] = []
    pages = await _walk(RangeItems(), _client(_server(20, content_range=False, seen=seen)))
    # 20 records in pages of 10: the third (empty) request is the only way to know.
    assert seen == ["items=0-9", "items=10-19", "items=20-29"]
    assert [len(p) for p in pages] == [10, 10, 0]


@pytest.mark.anyio
async def test_paginator_resumes_from_a_saved_position() -> None:
    seen: list[str] = []
    pages = await _walk(RangeItems(), _client(_server(23, seen=seen)), {"start": 10})
    assert seen == ["items=10-19", "items=20-29"]
    assert [r["id"] for p in pages for r in p] == list(range(10, 23))


@pytest.mark.anyio
async def test_a_console_that_repeats_a_page_is_a_loop() -> None:
    def stuck(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json=[{"id": i} for i in range(10)], headers={"Content-Range": "items 0-9/50"}
        )

    with pytest.raises(FatalError, match="loop"):
        await _walk(RangeItems(), _client(stuck))


@pytest.mark.anyio
async def test_offenses_stream_pages_with_range_headers(qradar: Build) -> None:
    """60 offenses in pages of 25: three requests, Content-Range on each, last page done."""
    integ, app, recorder = qradar(size=60)
    async with integ:
        pages = [p async for p in integ.sync(SyncOptions(streams=["offenses"]))]
    calls = recorder.to("/api/siem/offenses")
    assert [c.headers["range"] for c in calls] == ["items=0-24", "items=25-49", "items=50-74"]
    assert [len(p.records) for p in pages] == [25, 25, 10]
    assert [p.done for p in pages] == [False, False, True]
    assert [p.state["pagination"] for p in pages] == [{"start": 25}, {"start": 50}, None]
    ids = [r.source_uid for p in pages for r in p.records]
    assert sorted(ids, key=int) == [str(o["id"]) for o in app.state.qradar.data.offenses]
    # Oldest change first, as the stream asks (sort=+last_updated_time).
    stamps = [r.raw["last_updated_time"] for p in pages for r in p.records]
    assert stamps == sorted(stamps)
    assert calls[0].url.params["sort"] == "+last_updated_time"
    assert "last_updated_time" in calls[0].url.params["fields"].split(",")


@pytest.mark.anyio
async def test_exact_multiple_of_the_page_size_needs_no_extra_request(qradar: Build) -> None:
    integ, _, recorder = qradar(size=50)
    async with integ:
        pages = [p async for p in integ.sync(SyncOptions(streams=["offenses"]))]
    assert [c.headers["range"] for c in recorder.to("/api/siem/offenses")] == [
        "items=0-24",
        "items=25-49",
    ]
    assert [p.done for p in pages] == [False, True]


@pytest.mark.anyio
async def test_page_size_comes_from_the_config(qradar: Build) -> None:
    integ, _, recorder = qradar(size=30, config={"page_size": 100})
    async with integ:
        pages = [p async for p in integ.sync(SyncOptions(streams=["offenses"]))]
    assert [c.headers["range"] for c in recorder.to("/api/siem/offenses")] == ["items=0-99"]
    assert len(pages) == 1 and len(pages[0].records) == 30 and pages[0].done
