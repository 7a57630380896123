"""The shared contracts of ticketing and SIEM integrations: Ticket, StateMapping, siem helpers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter, ValidationError

from aria.sdk import ConfigError, Ticket, siem, ticketing
from aria.sdk.records import AnyRecord
from aria.sdk.records.ocsf_validate import validate_ocsf

MAPPING = ticketing.StateMapping(
    {"open": "To Do", "in_progress": "In Progress", "closed": "Done"},
    {"won't do": "closed", "in review": "in_progress"},
)


def test_ticket_exports_valid_ocsf_with_ticket_object() -> None:
    ticket = Ticket(
        uid="10001",
        key="SEC-7",
        title="[ARIA risk 3] Credential theft",
        state="Done",
        risk_status="closed",
        risk_id=3,
        url="https://acme.atlassian.net/browse/SEC-7",
        modified_at=datetime(2026, 11, 1, tzinfo=UTC),
        comments=[{"body": "fixed", "author": "ana"}],
    )
    event = ticket.to_ocsf()
    validate_ocsf(event)
    assert event["tickets"] == [
        {
            "uid": "SEC-7",
            "title": "[ARIA risk 3] Credential theft",
            "src_url": "https://acme.atlassian.net/browse/SEC-7",
            "status": "Done",
            "status_details": ["fixed"],
        }
    ]
    assert ticket.dedupe_key("inst") == ("inst", "10001")


def test_ticket_round_trips_through_any_record() -> None:
    ticket = Ticket(uid="5", state="open", risk_status="open")
    again = TypeAdapter(AnyRecord).validate_python(ticket.model_dump(mode="json"))
    assert isinstance(again, Ticket) and again.risk_status == "open"


def test_ticket_rejects_unknown_risk_status() -> None:
    with pytest.raises(ValidationError):
        Ticket(uid="5", risk_status="done")


def test_state_mapping_both_ways_case_insensitive() -> None:
    assert MAPPING.vendor_state("reopen") == "To Do"
    assert MAPPING.vendor_state("close") == "Done"
    assert MAPPING.vendor_state("in_progress") == "In Progress"
    assert MAPPING.risk_status("DONE") == "closed"
    assert MAPPING.risk_status("Won't Do") == "closed"
    assert MAPPING.risk_status("in review") == "in_progress"
    assert MAPPING.risk_status("Blocked") is None
    assert MAPPING.risk_status(None) is None


def test_configured_state_overrides_inbound_default() -> None:
    mapping = ticketing.StateMapping({"closed": "Resolved"}, {"resolved": "in_progress"})
    assert mapping.risk_status("resolved") == "closed"
    with pytest.raises(ConfigError, match="no vendor state for ARIA status 'open'"):
        mapping.vendor_state("open")


def test_state_mapping_rejects_unknown_aria_status() -> None:
    with pytest.raises(ConfigError, match="unknown ARIA risk statuses"):
        ticketing.StateMapping({"done": "Done"}, {})


def test_ticket_text_carries_link_and_id() -> None:
    payload = {"risk_id": 9, "title": "T", "score": 12, "link": "https://aria/risks/9"}
    assert ticketing.ticket_title(payload) == "[ARIA risk 9] T"
    body = ticketing.ticket_description(payload)
    assert "https://aria/risks/9" in body and "ARIA risk id: 9" in body


def test_event_document_is_flat_and_drops_nested_data() -> None:
    doc = siem.event_document(
        {
            "action": "open",
            "risk_id": 4,
            "score": 20,
            "ticket": {"external_id": "X"},
            "findings": [{"source_uid": "a"}, {"source_uid": "b"}],
            "extra": {"nested": True},
        }
    )
    assert doc == {
        "source": "aria",
        "aria_event": "risk.open",
        "action": "open",
        "risk_id": 4,
        "score": 20,
        "finding_count": 2,
    }


def test_common_query_validates_fields_and_range() -> None:
    query = siem.CommonQuery.model_validate(
        {"filters": [{"field": "risk_id", "value": "4"}], "limit": 5}
    )
    assert query.filters[0].op == "eq"
    with pytest.raises(ValidationError):
        siem.CommonQuery.model_validate({"filters": [{"field": "a b) OR 1=1", "value": "x"}]})
    with pytest.raises(ValidationError, match="end is before start"):
        siem.CommonQuery(
            start=datetime(2026, 2, 1, tzinfo=UTC), end=datetime(2026, 1, 1, tzinfo=UTC)
        )


def test_quote_escapes_the_quote_and_backslash() -> None:
    assert siem.quote('a"b\\c') == '"a\\"b\\\\c"'
    assert siem.quote("it's", "'") == "'it\\'s'"


def test_search_params_take_one_form_and_validate_it() -> None:
    native = siem.search_params(
        "x", {"query": "index=main", "start": "2026-01-01T00:00:00Z"}, 50, language="SPL"
    )
    assert native.native == "index=main" and native.common is None
    assert native.start == datetime(2026, 1, 1, tzinfo=UTC) and native.limit == 50
    common = siem.search_params(
        "x",
        {
            "common": {"filters": [{"field": "risk_id", "value": "4"}], "limit": 5},
            "start": "2026-01-01T00:00:00Z",
            "index": "aria",
        },
        50,
        language="SPL",
        extra=("index",),
    )
    assert common.common is not None and common.common.start == common.start
    assert common.limit == 5 and common.extra == {"index": "aria"}
    problems = [
        ({"query": "a", "common": {}}, "exactly one"),
        ({}, "exactly one"),
        ({"query": "  "}, "non-empty SPL"),
        ({"query": "a", "table": "t"}, "unknown search parameters"),
        ({"query": "a", "start": "yesterday"}, "start must be an ISO 8601 time"),
        ({"common": {"filters": [{"field": "a b", "value": "x"}]}}, "invalid common query"),
        (
            {"query": "a", "start": "2026-02-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
            "end is before start",
        ),
    ]
    for params, message in problems:
        with pytest.raises(ConfigError, match=message):
            siem.search_params("x", params, 10, language="SPL")


def test_search_params_read_times_without_a_zone_as_utc() -> None:
    mixed = siem.search_params(
        "x",
        {
            "common": {"filters": [], "start": "2026-01-01T00:00:00"},
            "end": "2026-01-02T00:00:00Z",
        },
        10,
        language="SPL",
    )
    assert mixed.start == datetime(2026, 1, 1, tzinfo=UTC)
    assert mixed.common is not None and mixed.common.start == mixed.start
    naive = siem.search_params(
        "x", {"query": "a", "start": "2026-01-01T00:00:00"}, 10, language="SPL"
    )
    assert naive.start == datetime(2026, 1, 1, tzinfo=UTC)
