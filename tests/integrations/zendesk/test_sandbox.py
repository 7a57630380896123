"""The Zendesk sandbox on its own: export cursors shaped like Zendesk's, the search subset,
Zendesk's refusals (closed tickets, anonymous users), and prefix-stable data."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from aria.integrations.zendesk import Zendesk
from aria.integrations.zendesk.sandbox import DEMO, compile_query, make_sandbox
from aria.sdk import SyncOptions
from aria.sdk.testing import InstantTime, no_jitter

pytestmark = pytest.mark.anyio
EXPORT = "/api/v2/incremental/tickets/cursor.json"


def client(app: Any, password: str = DEMO["api_token"]) -> httpx.AsyncClient:
    pair = base64.b64encode(f"{DEMO['email']}/token:{password}".encode()).decode()
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://aria-demo.zendesk.com",
        headers={"Authorization": f"Basic {pair}"},
    )


async def test_export_cursor_walks_every_ticket_once_in_change_order() -> None:
    app = make_sandbox(size=20)
    seen: list[dict[str, Any]] = []
    async with client(app) as zd:
        body = (await zd.get(EXPORT, params={"start_time": 0, "per_page": 7})).json()
        seen += body["tickets"]
        while not body["end_of_stream"]:
            assert body["after_url"].endswith(body["after_cursor"].replace("=", "%3D"))
            body = (await zd.get(EXPORT, params={"cursor": body["after_cursor"]})).json()
            seen += body["tickets"]
    total = len(app.state.zendesk.data.tickets)
    assert len(seen) == total == 24 and len({t["id"] for t in seen}) == total
    keys = [(t["generated_timestamp"], t["id"]) for t in seen]
    assert keys == sorted(keys)
    decoded = base64.b64decode(body["after_cursor"]).decode()
    assert decoded.endswith(f"||{seen[-1]['id']}|")  # like Zendesk's "<ts>.0||<id>|"


async def test_export_refuses_future_start_times_and_missing_parameters() -> None:
    app = make_sandbox(size=2)
    async with client(app) as zd:
        future = await zd.get(EXPORT, params={"start_time": 4_000_000_000})
        missing = await zd.get(EXPORT)
        bad = await zd.get(EXPORT, params={"cursor": "not-a-cursor"})
    assert future.status_code == 422 and "Too recent" in future.json()["description"]
    assert missing.status_code == 400 and bad.status_code == 400


async def test_wrong_credentials_get_401_but_users_me_answers_anonymous() -> None:
    app = make_sandbox(size=2)
    async with client(app, "wrong") as zd:
        export = await zd.get(EXPORT, params={"start_time": 0})
        me = await zd.get("/api/v2/users/me.json")
    assert export.status_code == 401 and export.json() == {"error": "Couldn't authenticate you"}
    assert me.status_code == 200 and me.json()["user"]["id"] is None


async def test_closed_tickets_refuse_updates() -> None:
    app = make_sandbox(size=20)
    closed = next(t for t in app.state.zendesk.data.tickets if t["status"] == "closed")
    async with client(app) as zd:
        response = await zd.put(
            f"/api/v2/tickets/{closed['id']}.json", json={"ticket": {"status": "open"}}
        )
    assert response.status_code == 422
    assert response.json()["details"]["status"][0]["description"].startswith("Status: closed")


@pytest.mark.parametrize(
    ("query", "matches"),
    [
        (
            "tags:aria-risk status:pending",
            lambda t: "aria-risk" in t["tags"] and t["status"] == "pending",
        ),
        ("status<solved", lambda t: t["status"] in ("new", "open", "pending", "hold")),
        ("-tags:aria-risk", lambda t: "aria-risk" not in t["tags"]),
        ('"Exposed RDP"', lambda t: "exposed rdp" in t["subject"].lower()),
        ("priority:urgent type:ticket", lambda t: t["priority"] == "urgent"),
    ],
)
def test_search_language_subset(query: str, matches: Any) -> None:
    app = make_sandbox(size=40)
    tickets = app.state.zendesk.data.tickets
    predicate = compile_query(query)
    assert [t["id"] for t in tickets if predicate(t)] == [t["id"] for t in tickets if matches(t)]


def test_bigger_sandboxes_keep_the_same_tickets() -> None:
    small = make_sandbox(size=10).state.zendesk.data.tickets
    big = make_sandbox(size=30).state.zendesk.data.tickets
    assert big[: len(small)] == small
    assert max(t["updated_at"] for t in small) < min(t["updated_at"] for t in big[len(small) :])


async def test_a_ticket_deleted_before_its_comments_are_read_keeps_the_sync_going(
    instant: InstantTime,
) -> None:
    app = make_sandbox(size=5)
    gone = app.state.zendesk.data.tickets[0]["id"]

    class Deleting(httpx.AsyncBaseTransport):
        """Zendesk deleting a ticket right after the export listed it."""

        def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
            self.inner = inner

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path == f"/api/v2/tickets/{gone}/comments.json":
                return httpx.Response(404, json={"error": "RecordNotFound"}, request=request)
            return await self.inner.handle_async_request(request)

    integ = Zendesk(
        DEMO,
        transport=Deleting(httpx.ASGITransport(app=app)),
        mode="sandbox",
        sleep=instant.sleep,
        clock=instant.clock,
        jitter=no_jitter,
    )
    records = []
    async with integ:
        async for page in integ.sync(SyncOptions(streams=["tickets"])):
            records += page.records
    assert len(records) == 5
    assert next(t for t in records if t.source_uid == str(gone)).comments == []
