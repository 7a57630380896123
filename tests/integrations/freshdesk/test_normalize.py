"""Normalizers on the real Freshdesk list-tickets response in ../shared/corpus and on
documented shapes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aria.integrations.freshdesk.config import FreshdeskConfig
from aria.integrations.freshdesk.normalize import (
    CONVERSATIONS_KEY,
    conversation_to_comment,
    html_body,
    is_aria,
    priority_for,
    risk_id,
    ticket_to_ticket,
)
from aria.integrations.freshdesk.sandbox import DEMO
from aria.integrations.freshdesk.streams import Tickets
from aria.sdk.records import IncidentStatus, Severity
from aria.sdk.records.ocsf_validate import validate_ocsf
from tests.integrations.freshdesk.conftest import TICKETS_SAMPLE, corpus_tickets

BASE = "https://acme.freshdesk.com"
CONFIG = FreshdeskConfig.parse(DEMO)
MAPPING = CONFIG.state_map()


def test_corpus_tickets_normalize() -> None:
    """The real list response (ten Open, Low-priority portal tickets without tags)
    normalizes field by field; the stream drops them, since ARIA did not open them."""
    rows = corpus_tickets(TICKETS_SAMPLE)
    tickets = [ticket_to_ticket(r, base_url=BASE, mapping=MAPPING) for r in rows]
    assert [t.key for t in tickets] == [str(n) for n in range(29, 39)]
    first = tickets[0]
    assert first.source_uid == "29" and first.title == "test3"
    assert first.state == "2" and first.risk_status == "open"
    assert first.status is IncidentStatus.NEW and first.severity is Severity.LOW
    assert first.severity_raw == "Low" and first.risk_id is None
    assert first.created_at == datetime(2021, 5, 12, 13, 30, 1, tzinfo=UTC)
    assert first.url == f"{BASE}/a/tickets/29" and first.comments == []
    for ticket in tickets:
        validate_ocsf(ticket.to_ocsf())
    stream = Tickets(CONFIG)
    assert [stream.normalize(r) for r in rows] == [None] * len(rows)


def aria_ticket(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": 1042,
        "subject": "[ARIA risk 2021] Exposed RDP",
        "status": 3,
        "priority": 4,
        "tags": ["ARIA-Risk", "aria-risk-2021"],
        "created_at": "2025-05-03T10:00:00Z",
        "updated_at": "2025-05-04T11:30:15Z",
        "description_text": "Exposed RDP\n\nARIA risk id: 2021",
    }
    return {**base, **fields}


def test_aria_ticket_becomes_a_ticket() -> None:
    ticket = ticket_to_ticket(aria_ticket(), base_url=BASE + "/", mapping=MAPPING)
    assert is_aria(aria_ticket()) and ticket.risk_id == 2021
    assert ticket.state == "3" and ticket.risk_status == "in_progress"
    assert ticket.status is IncidentStatus.ON_HOLD and ticket.severity is Severity.CRITICAL
    assert ticket.description == "Exposed RDP\n\nARIA risk id: 2021"
    assert ticket.url == f"{BASE}/a/tickets/1042"
    assert ticket.modified_at == datetime(2025, 5, 4, 11, 30, 15, tzinfo=UTC)
    validate_ocsf(ticket.to_ocsf())


@pytest.mark.parametrize(
    ("status", "risk_status", "ocsf"),
    [
        (2, "open", IncidentStatus.NEW),
        (3, "in_progress", IncidentStatus.ON_HOLD),
        (4, "closed", IncidentStatus.RESOLVED),
        (5, "closed", IncidentStatus.CLOSED),
        (7, None, IncidentStatus.OTHER),
    ],
)
def test_every_status_maps(status: int, risk_status: str | None, ocsf: IncidentStatus) -> None:
    ticket = ticket_to_ticket(aria_ticket(status=status), base_url=BASE, mapping=MAPPING)
    assert ticket.risk_status == risk_status and ticket.status is ocsf


def test_custom_status_mapping_reads_back() -> None:
    mapping = FreshdeskConfig.parse({**DEMO, "state_mapping": {"in_progress": "7"}}).state_map()
    ticket = ticket_to_ticket(aria_ticket(status=7), base_url=BASE, mapping=mapping)
    assert ticket.risk_status == "in_progress"
    assert ticket_to_ticket(aria_ticket(status=3), base_url=BASE, mapping=mapping).risk_status == (
        "in_progress"
    )


def test_conversations_become_comments() -> None:
    record = aria_ticket(
        **{
            CONVERSATIONS_KEY: [
                {
                    "id": 9,
                    "body": "<div>Could you confirm&nbsp;the hosts?</div>",
                    "body_text": "",
                    "from_email": "support@acme.example",
                    "user_id": 43000000102,
                    "created_at": "2025-05-04T09:00:00Z",
                },
                {
                    "id": 8,
                    "body": "<div>[ARIA] New finding</div>",
                    "body_text": "[ARIA] New finding",
                    "user_id": 43000000101,
                    "created_at": "2025-05-03T11:00:00Z",
                },
                {"id": 10, "body": "<div></div>", "body_text": ""},
            ]
        }
    )
    ticket = ticket_to_ticket(record, base_url=BASE, mapping=MAPPING)
    assert [(c.uid, c.from_aria) for c in ticket.comments] == [("8", True), ("9", False)]
    assert ticket.comments[1].body == "Could you confirm\xa0the hosts?"
    assert ticket.comments[1].author == "support@acme.example"
    assert ticket.comments[0].author == "43000000101"
    assert conversation_to_comment({"body": "", "body_text": ""}) is None


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["aria-risk", "aria-risk-7"], 7),
        (["aria-risk"], None),
        (["aria-risk-x"], None),
        (None, None),
    ],
)
def test_risk_id_from_tags(tags: object, expected: int | None) -> None:
    assert risk_id({"tags": tags}) == expected


def test_priority_and_html() -> None:
    assert [priority_for(s) for s in (25, 20, 19, 12, 11, 6, 5, 1, None)] == [
        4,
        4,
        3,
        3,
        2,
        2,
        1,
        1,
        2,
    ]
    body = html_body('Risk <b> & "x"\nOpen in ARIA: https://aria.example/risks/7?a=1&b=2')
    assert body == (
        "<div>Risk &lt;b&gt; &amp; &quot;x&quot;<br>Open in ARIA: "
        '<a href="https://aria.example/risks/7?a=1&amp;b=2">https://aria.example/risks/7?a=1&amp;b=2</a>'
        "</div>"
    )
