"""Every paginator: walks to the last page, resumes from a position, detects loops."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from aria.sdk import FatalError, TransientError, paginate
from aria.sdk.http import HttpClient, decode_json
from aria.sdk.paginate import Fetched, RequestSpec
from aria.sdk.paths import resolve
from tests.sdk.conftest import FakeTime

pytestmark = pytest.mark.anyio
BASE = "https://api.vendor.example"
ITEMS = [{"id": f"r{i:02d}"} for i in range(45)]


class Reader:
    def __init__(self, path: str | None = "data") -> None:
        self.path = path

    def parse(self, response: httpx.Response) -> Any:
        return decode_json(response)

    def extract(self, body: Any) -> list[dict[str, Any]]:
        return list(resolve(body, self.path, []) or [])


def vendor(loop_at: int | None = None) -> Starlette:
    """One app, one endpoint per pagination style, 45 items; ``loop_at`` breaks cursors."""
    app = Starlette()

    async def offset(request: Request) -> JSONResponse:
        q = request.query_params
        off, lim = int(q.get("offset", 0)), int(q.get("limit", 10))
        if loop_at is not None and off >= loop_at:
            off = 0  # a broken server ignoring the offset
        return JSONResponse({"data": ITEMS[off : off + lim], "meta": {"total": len(ITEMS)}})

    async def offset_body(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse({"data": ITEMS[body["start"] : body["start"] + body["count"]]})

    async def pages(request: Request) -> JSONResponse:
        page, size = int(request.query_params["page"]), int(request.query_params["size"])
        return JSONResponse({"data": ITEMS[(page - 1) * size : page * size]})

    async def cursor(request: Request) -> JSONResponse:
        off = int(request.query_params.get("after", 0))
        nxt = off + 10 if off + 10 < len(ITEMS) else None
        if loop_at is not None and nxt is not None and nxt > loop_at:
            nxt = loop_at
        return JSONResponse(
            {
                "data": ITEMS[off : off + 10],
                "meta": {"pagination": {"after": str(nxt) if nxt else ""}},
            }
        )

    async def header_cursor(request: Request) -> JSONResponse:
        off = int(request.headers.get("x-unused", 0) or request.query_params.get("c", 0))
        headers = {"X-Next": str(off + 10)} if off + 10 < len(ITEMS) else {}
        return JSONResponse({"data": ITEMS[off : off + 10]}, headers=headers)

    async def link(request: Request) -> JSONResponse:
        off = int(request.query_params.get("o", 0))
        headers = {}
        if off + 10 < len(ITEMS):
            target = loop_at if loop_at is not None and off >= loop_at else off + 10
            headers["Link"] = f'</link?o={target}>; rel="next", </link?o=0>; rel="first"'
        return JSONResponse({"data": ITEMS[off : off + 10]}, headers=headers)

    async def odata(request: Request) -> JSONResponse:
        off = int(request.query_params.get("skip", 0))
        body: dict[str, Any] = {"value": ITEMS[off : off + 10]}
        if off + 10 < len(ITEMS):
            body["@odata.nextLink"] = f"{BASE}/odata?skip={off + 10}"
        return JSONResponse(body)

    async def evil(request: Request) -> JSONResponse:
        return JSONResponse({"value": ITEMS[:1], "@odata.nextLink": "http://169.254.169.254/x"})

    async def id_query(request: Request) -> JSONResponse:
        off = int(request.query_params.get("offset", 0))
        ids = [i["id"] for i in ITEMS][off : off + 20]
        return JSONResponse({"resources": ids})

    async def entities_get(request: Request) -> JSONResponse:
        wanted = request.query_params.getlist("ids")
        return JSONResponse({"data": [{"id": i, "hydrated": True} for i in wanted]})

    async def entities_post(request: Request) -> JSONResponse:
        wanted = (await request.json())["ids"]
        return JSONResponse({"data": [{"id": i, "hydrated": True} for i in wanted]})

    for path, fn, methods in [
        ("/offset", offset, ["GET"]),
        ("/offset-body", offset_body, ["POST"]),
        ("/pages", pages, ["GET"]),
        ("/cursor", cursor, ["GET"]),
        ("/header-cursor", header_cursor, ["GET"]),
        ("/link", link, ["GET"]),
        ("/odata", odata, ["GET"]),
        ("/evil", evil, ["GET"]),
        ("/ids", id_query, ["GET"]),
        ("/entities", entities_get, ["GET"]),
        ("/entities", entities_post, ["POST"]),
    ]:
        app.add_route(path, fn, methods=methods)
    return app


def http_for(app: Any, ft: FakeTime | None = None) -> HttpClient:
    ft = ft or FakeTime()
    return HttpClient(
        base_url=BASE, transport=httpx.ASGITransport(app=app), sleep=ft.sleep, clock=ft.clock
    )


async def collect(
    p: paginate.Paginator,
    request: RequestSpec,
    *,
    reader: Any = None,
    app: Any = None,
    position: dict[str, Any] | None = None,
    http: HttpClient | None = None,
) -> list[Fetched]:
    http = http or http_for(app or vendor())
    return [page async for page in p.pages(http, request, reader or Reader(), position)]


def ids(pages: list[Fetched]) -> list[str]:
    return [r["id"] for page in pages for r in page.records]


ALL = [i["id"] for i in ITEMS]


async def test_no_pagination_single_page() -> None:
    pages = await collect(paginate.NoPagination(), RequestSpec("GET", "/offset"))
    assert len(pages) == 1 and pages[0].next_position is None


async def test_offset_limit_uses_total_and_ends() -> None:
    pages = await collect(
        paginate.OffsetLimit(limit=10, total="meta.total"), RequestSpec("GET", "/offset")
    )
    assert ids(pages) == ALL and len(pages) == 5
    assert [p.next_position for p in pages][-2:] == [{"offset": 40}, None]


async def test_offset_limit_short_page_ends_without_total() -> None:
    pages = await collect(paginate.OffsetLimit(limit=20), RequestSpec("GET", "/offset"))
    assert ids(pages) == ALL and [len(p.records) for p in pages] == [20, 20, 5]
    # without a total, a full last page costs one more (empty) request
    pages = await collect(paginate.OffsetLimit(limit=15), RequestSpec("GET", "/offset"))
    assert ids(pages) == ALL and [len(p.records) for p in pages] == [15, 15, 15, 0]


async def test_offset_limit_in_body() -> None:
    p = paginate.OffsetLimit("start", "count", 10, where="body")
    pages = await collect(p, RequestSpec("POST", "/offset-body", body={"filter": "x"}))
    assert ids(pages) == ALL


async def test_offset_limit_resumes_from_position() -> None:
    pages = await collect(
        paginate.OffsetLimit(limit=10, total="meta.total"),
        RequestSpec("GET", "/offset"),
        position={"offset": 30},
    )
    assert ids(pages) == ALL[30:]


async def test_offset_loop_detected_when_server_ignores_offset() -> None:
    with pytest.raises(FatalError, match="pagination loop detected"):
        await collect(
            paginate.OffsetLimit(limit=10), RequestSpec("GET", "/offset"), app=vendor(loop_at=20)
        )


async def test_page_number() -> None:
    pages = await collect(paginate.PageNumber(size=10), RequestSpec("GET", "/pages"))
    assert ids(pages) == ALL and pages[-1].next_position is None


async def test_cursor_from_body_ends_on_empty_token() -> None:
    pages = await collect(
        paginate.Cursor("meta.pagination.after", "after"), RequestSpec("GET", "/cursor")
    )
    assert ids(pages) == ALL and len(pages) == 5


async def test_cursor_repeated_token_is_a_loop() -> None:
    with pytest.raises(FatalError, match="pagination loop detected"):
        await collect(paginate.Cursor(), RequestSpec("GET", "/cursor"), app=vendor(loop_at=20))


async def test_cursor_from_header() -> None:
    p = paginate.Cursor("X-Next", "c", from_="header")
    pages = await collect(p, RequestSpec("GET", "/header-cursor"))
    assert ids(pages) == ALL


async def test_link_header() -> None:
    pages = await collect(paginate.LinkHeader(), RequestSpec("GET", "/link", params={"o": 0}))
    assert ids(pages) == ALL
    assert pages[0].next_position == {"url": f"{BASE}/link?o=10"}


async def test_link_header_loop() -> None:
    with pytest.raises(FatalError, match="loop"):
        await collect(paginate.LinkHeader(), RequestSpec("GET", "/link"), app=vendor(loop_at=10))


async def test_next_url_with_dotted_key_and_resume() -> None:
    reader = Reader("value")
    pages = await collect(
        paginate.NextUrl("@odata.nextLink"), RequestSpec("GET", "/odata"), reader=reader
    )
    assert ids(pages) == ALL
    resumed = await collect(
        paginate.NextUrl(),
        RequestSpec("GET", "/odata"),
        reader=reader,
        position=pages[2].next_position,
    )
    assert ids(resumed) == ALL[30:]


async def test_next_url_to_another_host_is_refused() -> None:
    with pytest.raises(FatalError, match="refusing"):
        await collect(paginate.NextUrl(), RequestSpec("GET", "/evil"), reader=Reader("value"))


async def test_max_pages_safety_valve() -> None:
    with pytest.raises(FatalError, match="max_pages=2"):
        await collect(paginate.PageNumber(size=10, max_pages=2), RequestSpec("GET", "/pages"))


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_ids_then_hydrate(method: str) -> None:
    p = paginate.IdsThenHydrate(
        paginate.OffsetLimit(limit=20), "/entities", hydrate_method=method, batch=7
    )  # type: ignore[arg-type]
    pages = await collect(p, RequestSpec("GET", "/ids"))
    assert ids(pages) == ALL and all(r["hydrated"] for pg in pages for r in pg.records)
    assert [p.next_position for p in pages] == [{"offset": 20}, {"offset": 40}, None]


async def test_ids_then_hydrate_resumes() -> None:
    p = paginate.IdsThenHydrate(paginate.OffsetLimit(limit=20), "/entities")
    pages = await collect(p, RequestSpec("GET", "/ids"), position={"offset": 40})
    assert ids(pages) == ALL[40:]


def export_app(statuses: list[str]) -> tuple[Starlette, list[str]]:
    calls: list[str] = []
    app = Starlette()

    async def create(request: Request) -> JSONResponse:
        calls.append("create")
        return JSONResponse({"export_uuid": "job-1"})

    async def status(request: Request) -> JSONResponse:
        calls.append("status")
        state = statuses.pop(0) if len(statuses) > 1 else statuses[0]
        return JSONResponse({"status": state, "chunks_available": [1, 2, 3]})

    async def chunk(request: Request) -> Response:
        n = int(request.path_params["n"])
        calls.append(f"chunk{n}")
        return JSONResponse(ITEMS[(n - 1) * 15 : n * 15])

    app.add_route("/export", create, methods=["POST"])
    app.add_route("/export/job-1/status", status)
    app.add_route("/export/job-1/chunks/{n:int}", chunk)
    return app, calls


EXPORT = paginate.AsyncExportJob(
    "/export/{job_id}/status",
    "/export/{job_id}/chunks/{chunk}",
    poll_interval=1.0,
    poll_backoff=2.0,
)


async def test_async_export_job_create_poll_download() -> None:
    app, calls = export_app(["QUEUED", "PROCESSING", "FINISHED"])
    ft = FakeTime()
    pages = await collect(
        EXPORT,
        RequestSpec("POST", "/export", body={"since": 0}),
        reader=Reader(None),
        http=http_for(app, ft),
    )
    assert ids(pages) == ALL
    assert calls == ["create", "status", "status", "status", "chunk1", "chunk2", "chunk3"]
    assert ft.sleeps == [1.0, 2.0]
    assert pages[0].next_position == {"job_id": "job-1", "chunks": [1, 2, 3], "index": 1}


async def test_async_export_job_resume_skips_create_and_done_chunks() -> None:
    app, calls = export_app(["FINISHED"])
    pages = await collect(
        EXPORT,
        RequestSpec("POST", "/export"),
        reader=Reader(None),
        http=http_for(app),
        position={"job_id": "job-1", "chunks": [1, 2, 3], "index": 2},
    )
    assert calls == ["chunk3"] and ids(pages) == ALL[30:]


async def test_async_export_job_failure() -> None:
    app, _ = export_app(["ERROR"])
    with pytest.raises(TransientError, match="ERROR"):
        await collect(
            EXPORT, RequestSpec("POST", "/export"), reader=Reader(None), http=http_for(app)
        )


def test_request_spec_with_value_does_not_mutate() -> None:
    spec = RequestSpec("POST", "/x", params={"a": 1}, body={"b": 2})
    assert spec.with_value("query", "c", 3).params == {"a": 1, "c": 3}
    assert spec.with_value("body", "c", 3).body == {"b": 2, "c": 3}
    assert spec.params == {"a": 1} and spec.body == {"b": 2}


def test_resolve_dotted_paths() -> None:
    body = {"meta": {"pagination": {"after": "t"}}, "@odata.nextLink": "u", "data": [{"id": 1}]}
    assert resolve(body, "meta.pagination.after") == "t"
    assert resolve(body, "@odata.nextLink") == "u"
    assert resolve(body, "data.0.id") == 1
    assert resolve(body, "meta.missing", "d") == "d"
    assert resolve(body, "") is body
