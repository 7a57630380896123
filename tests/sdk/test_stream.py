"""Incremental reads: cursor, look-back, boundary dedupe, checkpoints and resume."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse

from aria.sdk import FatalError, Finding, Page, Stream
from aria.sdk.cursors import to_datetime
from aria.sdk.templates import render
from tests.sdk.example_integration import AcmeEdr, Alerts

pytestmark = pytest.mark.anyio


async def read_all(
    stream: Stream, integ: AcmeEdr, state: dict[str, Any] | None = None, full: bool = False
) -> list[Page]:
    return [p async for p in stream.read(integ.context(), state, full=full)]


def uids(pages: list[Page]) -> list[str]:
    return [r.source_uid for p in pages for r in p.records]


def alerts_of(integ: AcmeEdr) -> list[dict[str, Any]]:
    return integ.transport.app.state.alerts  # type: ignore[union-attr]


def shift(stamp: str, **delta: float) -> str:
    moved = to_datetime(stamp) + timedelta(**delta)  # type: ignore[operator]
    return moved.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
async def integ() -> Any:
    async with AcmeEdr.for_sandbox(size=60) as instance:
        yield instance


async def test_first_read_delivers_everything_and_checkpoints_each_page(integ: AcmeEdr) -> None:
    pages = await read_all(integ.stream("alerts"), integ)
    assert len(uids(pages)) == 60 and len(set(uids(pages))) == 60
    assert [p.done for p in pages] == [False, False, True]
    assert pages[0].state["pagination"] is not None and pages[-1].state["pagination"] is None
    newest = max(a["updated_at"] for a in alerts_of(integ))
    assert pages[-1].state["cursor"] == newest
    assert all(isinstance(r, Finding) for p in pages for r in p.records)
    assert [r["id"] for p in pages for r in p.raw] == uids(pages)


async def test_second_read_sees_only_new_or_changed_records(integ: AcmeEdr) -> None:
    stream = integ.stream("alerts")
    state = (await read_all(stream, integ))[-1].state
    assert uids(await read_all(stream, integ, state)) == []

    rows = alerts_of(integ)
    cursor = state["cursor"]
    rows.append(
        {
            "id": "new-1",
            "name": "n",
            "severity": "high",
            "hostname": "h",
            "updated_at": shift(cursor, minutes=1),
        }
    )
    changed = min(rows, key=lambda a: a["updated_at"])
    changed["updated_at"] = shift(cursor, minutes=2)
    pages = await read_all(stream, integ, state)
    assert sorted(uids(pages)) == sorted(["new-1", changed["id"]])
    assert pages[-1].state["cursor"] == shift(cursor, minutes=2)


async def test_lookback_catches_late_records(integ: AcmeEdr) -> None:
    stream = integ.stream("alerts")
    state = (await read_all(stream, integ))[-1].state
    cursor = state["cursor"]
    rows = alerts_of(integ)
    rows.append(
        {
            "id": "late-in-window",
            "name": "n",
            "severity": "low",
            "hostname": "h",
            "updated_at": shift(cursor, minutes=-3),
        }
    )
    rows.append(
        {
            "id": "late-too-late",
            "name": "n",
            "severity": "low",
            "hostname": "h",
            "updated_at": shift(cursor, minutes=-30),
        }
    )
    pages = await read_all(stream, integ, state)
    assert uids(pages) == ["late-in-window"]
    assert pages[-1].state["cursor"] == cursor  # a late record never moves the cursor back


class BoundaryAlerts(Alerts):
    """No look-back, inclusive filter: only boundary dedupe prevents re-delivery."""

    params = {"filter": "updated_at:>='{since}'", "limit": 25}
    lookback = timedelta(0)


async def test_boundary_dedupe_without_lookback(integ: AcmeEdr) -> None:
    stream = BoundaryAlerts(integ.config)
    state = (await read_all(stream, integ))[-1].state
    cursor = state["cursor"]
    at_cursor = [a["id"] for a in alerts_of(integ) if a["updated_at"] == cursor]
    assert set(state["seen"]) == set(at_cursor)  # exactly the ids at the cursor value
    assert uids(await read_all(stream, integ, state)) == []
    alerts_of(integ).append(
        {"id": "same-second", "name": "n", "severity": "low", "hostname": "h", "updated_at": cursor}
    )
    assert uids(await read_all(stream, integ, state)) == ["same-second"]


async def test_resume_from_checkpoint_mid_pagination(integ: AcmeEdr) -> None:
    stream = integ.stream("alerts")
    full = await read_all(stream, integ)
    first = full[0]
    resumed = await read_all(stream, integ, first.state)
    assert uids(resumed) == uids(full)[25:]
    assert resumed[-1].state["cursor"] == full[-1].state["cursor"]
    # state is plain JSON
    import json

    assert json.loads(json.dumps(first.state)) == first.state


async def test_resume_keeps_the_window_of_the_interrupted_read(integ: AcmeEdr) -> None:
    stream = integ.stream("alerts")
    done_state = (await read_all(stream, integ))[-1].state
    rows = alerts_of(integ)
    for i in range(30):
        rows.append(
            {
                "id": f"n{i:02d}",
                "name": "n",
                "severity": "low",
                "hostname": "h",
                "updated_at": shift(done_state["cursor"], minutes=i + 1),
            }
        )
    pages = [p async for p in stream.read(integ.context(), done_state)]
    interrupted = pages[0].state
    assert interrupted["since"] is not None and interrupted["pagination"] is not None
    resumed = await read_all(stream, integ, interrupted)
    assert sorted(uids(pages[:1]) + uids(resumed)) == [f"n{i:02d}" for i in range(30)]


async def test_far_future_cursor_yields_nothing(integ: AcmeEdr) -> None:
    pages = await read_all(integ.stream("alerts"), integ, {"cursor": "2999-01-01T00:00:00Z"})
    assert uids(pages) == [] and pages[-1].done


async def test_full_read_ignores_cursor(integ: AcmeEdr) -> None:
    pages = await read_all(
        integ.stream("alerts"), integ, {"cursor": "2999-01-01T00:00:00Z"}, full=True
    )
    assert len(uids(pages)) == 60


class Flaky(Alerts):
    def normalize(self, record: dict[str, Any]) -> Finding:
        if record["severity"] == "critical":
            raise ValueError("unexpected shape")
        return super().normalize(record)


async def test_one_bad_record_is_reported_not_fatal(integ: AcmeEdr) -> None:
    pages = await read_all(Flaky(integ.config), integ)
    critical = sum(a["severity"] == "critical" for a in alerts_of(integ))
    errors = [e for p in pages for e in p.errors]
    assert critical > 0 and len(errors) == critical
    assert len(uids(pages)) == 60 - critical
    assert "ValueError: unexpected shape" in errors[0]


def unfiltered_app(rows: list[dict[str, Any]]) -> Starlette:
    app = Starlette()
    app.add_route("/items", lambda request: JSONResponse(rows))
    return app


class ClientSide(Stream):
    name = "items"
    path = "/items"
    records = None  # top-level list
    cursor_field = "modified"

    def normalize(self, record: dict[str, Any]) -> dict[str, Any]:
        return record


async def test_incremental_works_when_api_ignores_the_filter() -> None:
    rows = [{"id": i, "modified": 1_714_000_000 + i * 60} for i in range(10)]
    from aria.sdk.http import HttpClient
    from aria.sdk.stream import StreamContext
    from tests.sdk.test_auth import Creds

    http = HttpClient(
        base_url="https://x.example", transport=httpx.ASGITransport(app=unfiltered_app(rows))
    )
    ctx = StreamContext(http=http, config=Creds())
    stream = ClientSide()
    first = [p async for p in stream.read(ctx)]
    assert len(first[0].records) == 10
    rows.append({"id": 99, "modified": 1_714_000_000 + 3600})
    second = [p async for p in stream.read(ctx, first[-1].state)]
    assert [r["id"] for r in second[0].records] == [99]


async def test_records_path_must_hold_a_list(integ: AcmeEdr) -> None:
    stream = integ.stream("alerts")
    with pytest.raises(FatalError, match="expected a list at 'resources'"):
        stream.extract({"resources": {"not": "a list"}})
    assert stream.extract({"errors": []}) == []


def test_templates_omit_missing_values_and_keep_native_types() -> None:
    template = {
        "filter": "updated:>'{since}'",
        "limit": 50,
        "from": "{since_epoch}",
        "nested": {"q": "{q}", "keep": "x"},
        "list": ["{q}", "a"],
    }
    assert render(template, {}) == {"limit": 50, "nested": {"keep": "x"}, "list": ["a"]}
    rendered = render(
        template, {"since": "2024-01-01T00:00:00Z", "since_epoch": 1704067200, "q": "host1"}
    )
    assert rendered["filter"] == "updated:>'2024-01-01T00:00:00Z'"
    assert rendered["from"] == 1704067200 and rendered["nested"]["q"] == "host1"


def test_cursor_values_in_every_common_shape() -> None:
    expected = to_datetime("2024-05-01T00:00:00Z")
    assert to_datetime(1714521600) == expected
    assert to_datetime(1714521600000) == expected
    assert to_datetime("1714521600") == expected
    assert to_datetime("2024-05-01T00:00:00") == expected
    assert to_datetime("2024-05-01T02:00:00+02:00") == expected
    with pytest.raises(FatalError):
        to_datetime("yesterday")
