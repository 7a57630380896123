"""The alerts stream on the wire: the point-in-time lifecycle, the fallback without PIT, an
expired PIT on resume, incremental reads that see Kibana triage, building blocks, and
incomplete pages."""

from __future__ import annotations

from typing import Any

import pytest

from aria.integrations.elasticsearch.sandbox_data import ALERTS_ALIAS, count_visible
from aria.sdk import ConfigError, Finding, SyncOptions, TransientError
from aria.sdk.records import FindingStatus
from tests.integrations.elasticsearch.conftest import Build

pytestmark = pytest.mark.anyio
SEARCH = f"/{ALERTS_ALIAS}/_search"
PIT = f"/{ALERTS_ALIAS}/_pit"


async def read(integ: Any, state: dict[str, Any] | None = None, **options: Any) -> dict[str, Any]:
    """Records, raw hits, pages and the last state of one read of the alerts stream."""
    out: dict[str, Any] = {"records": [], "raw": [], "pages": 0, "state": None}
    saved = {"alerts": state} if state else {}
    async for page in integ.sync(SyncOptions(streams=["alerts"], state=saved, **options)):
        assert not page.errors, page.errors
        out["records"].extend(page.records)
        out["raw"].extend(page.raw)
        out["pages"] += 1
        out["state"] = page.state
    return out


async def test_point_in_time_lifecycle(elastic: Build) -> None:
    integ, state, recorder = elastic(size=130)  # page_size 50: 117 visible alerts, 3 pages
    async with integ:
        out = await read(integ)
    assert len(out["raw"]) == count_visible(130) == 117 and out["pages"] == 3
    assert all(isinstance(r, Finding) for r in out["records"])
    calls = recorder.calls()
    assert calls == [
        f"POST {PIT}",
        "POST /_search",
        "POST /_search",
        "POST /_search",
        "DELETE /_pit",
    ]
    opened = recorder.to(PIT)[0]
    assert opened.url.params["keep_alive"] == "1m"
    pit_id = state.pits_closed[0]
    searches = recorder.bodies("/_search")
    assert all(b["pit"] == {"id": pit_id, "keep_alive": "1m"} for b in searches)
    assert all(b["size"] == 50 and b["track_total_hits"] is False for b in searches)
    assert all(b["sort"] == searches[0]["sort"] for b in searches)
    assert searches[0]["sort"] == [
        {"@timestamp": {"order": "asc", "unmapped_type": "date"}},
        {"kibana.alert.uuid": {"order": "asc", "unmapped_type": "keyword"}},
    ]
    # search_after is the last hit's sort, including the implicit _shard_doc tiebreaker.
    assert "search_after" not in searches[0]
    for page, body in enumerate(searches[1:], start=1):
        assert body["search_after"] == out["raw"][50 * page - 1]["sort"]
        assert len(body["search_after"]) == 3
    assert recorder.bodies("/_pit", "DELETE") == [{"id": pit_id}]
    assert state.pits_opened == 1 and state.open_pits() == []
    stamps = [(h["sort"][0], h["sort"][1]) for h in out["raw"]]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


async def test_the_newest_pit_id_is_used(elastic: Build) -> None:
    integ, state, recorder = elastic(size=130, rotate_pit_ids=True)
    async with integ:
        out = await read(integ)
    assert len(out["raw"]) == 117
    sent = [b["pit"]["id"] for b in recorder.bodies("/_search")]
    answered = [a["pit_id"] for a in recorder.answers("/_search")]
    assert sent[0] == recorder.answers(PIT)[0]["id"]
    assert sent[1:] == answered[:-1]  # each page uses the id the previous answer handed out
    assert len(set(sent)) == 3
    assert recorder.bodies("/_pit", "DELETE") == [{"id": answered[-1]}]
    assert state.open_pits() == []


async def test_cluster_without_pit_pages_with_plain_search_after(elastic: Build) -> None:
    integ, state, recorder = elastic(size=130, pit=False)
    async with integ:
        out = await read(integ)
    assert len(out["raw"]) == 117
    assert recorder.calls() == [f"POST {PIT}"] + [f"POST {SEARCH}"] * 3
    searches = recorder.bodies(SEARCH)
    assert all("pit" not in b for b in searches)
    assert searches[1]["search_after"] == out["raw"][49]["sort"]
    assert len(searches[1]["search_after"]) == 2  # no implicit tiebreaker without a PIT
    assert state.pits_opened == 0
    assert out["state"]["pagination"] is None


async def test_resume_after_the_pit_expired_opens_a_new_one(elastic: Build) -> None:
    integ, state, _ = elastic(size=130)
    async with integ:
        head: list[Any] = []
        saved = None
        async for page in integ.sync(SyncOptions(streams=["alerts"])):
            head.extend(page.raw)
            saved = page.state
            break
        assert saved is not None and saved["pagination"]["mode"] == "pit"
        state.pits.clear()  # keep_alive elapsed while the sync was paused
        rest = await read(integ, saved)
        full = await read(integ, None, full=True)
    ids = [h["_id"] for h in head + rest["raw"]]
    assert len(ids) == len(set(ids)) == 117
    assert set(ids) == {h["_id"] for h in full["raw"]}
    assert state.pits_opened == 3  # first read, the reopen, the full read
    assert state.open_pits() == []


async def test_incremental_read_sees_kibana_triage(elastic: Build) -> None:
    integ, state, recorder = elastic(size=60)
    async with integ:
        first = await read(integ)
        target = next(
            h["_id"]
            for h in first["raw"][:5]
            if h["_source"]["kibana.alert.workflow_status"] != "closed"
        )
        changed_at = state.set_workflow_status(target, "closed")
        recorder.requests.clear()
        second = await read(integ, first["state"])
    assert [h["_id"] for h in second["raw"]] == [target]
    finding = second["records"][0]
    assert finding.status is FindingStatus.RESOLVED
    assert finding.modified_at.isoformat().startswith(changed_at[:19])
    query = recorder.bodies("/_search")[0]["query"]["bool"]
    window = query["filter"][0]["bool"]
    assert window["minimum_should_match"] == 1
    fields = [next(iter(c["range"])) for c in window["should"]]
    assert fields == [
        "@timestamp",
        "kibana.alert.workflow_status_updated_at",
        "kibana.alert.last_detected",
    ]
    since = window["should"][0]["range"]["@timestamp"]["gte"]
    assert since < first["state"]["cursor"]  # the five-minute look-back


async def test_building_blocks_are_left_out_unless_asked(elastic: Build) -> None:
    integ, _, recorder = elastic(size=40)
    async with integ:
        out = await read(integ)
    assert len(out["raw"]) == 36
    assert all("kibana.alert.building_block_type" not in h["_source"] for h in out["raw"])
    query = recorder.bodies("/_search")[0]["query"]
    assert query == {
        "bool": {"must_not": [{"exists": {"field": "kibana.alert.building_block_type"}}]}
    }
    integ, _, recorder = elastic(size=40, config={"include_building_blocks": True})
    async with integ:
        out = await read(integ)
    assert len(out["raw"]) == 40
    assert recorder.bodies("/_search")[0]["query"] == {"match_all": {}}


async def test_shard_failures_fail_the_page_rather_than_lose_alerts(elastic: Build) -> None:
    integ, state, _ = elastic(size=130)
    state.shard_failures = 1
    pages: list[Any] = []
    async with integ:
        with pytest.raises(TransientError, match="1 shard\\(s\\) failed") as info:
            async for page in integ.sync(SyncOptions(streams=["alerts"])):
                pages.append(page)
    assert pages == []
    assert "node_not_connected_exception" in str(info.value)


async def test_missing_alerts_index_is_a_config_error(elastic: Build) -> None:
    integ, _, _ = elastic(config={"alerts_index": ".alerts-security.alerts-nospace"})
    async with integ:
        with pytest.raises(ConfigError) as info:
            await read(integ)
    assert info.value.status_code == 404


async def test_far_future_cursor_closes_its_pit(elastic: Build) -> None:
    integ, state, recorder = elastic(size=30)
    async with integ:
        out = await read(integ, {"cursor": "2999-01-01T00:00:00Z"})
    assert out["raw"] == [] and out["pages"] == 1
    assert recorder.calls()[-1] == "DELETE /_pit" and state.open_pits() == []
