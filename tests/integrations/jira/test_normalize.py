"""Normalizers, ADF and JQL helpers, on real Jira Cloud samples and on the shapes that differ."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from aria.integrations.jira import JiraConfig, adf
from aria.integrations.jira.jql import date_literal, quote, tickets_jql
from aria.integrations.jira.normalize import ARIA_FOOTER, issue_to_ticket, risk_id
from aria.integrations.jira.sandbox import DEMO
from aria.sdk import Ticket
from aria.sdk.records import IncidentStatus, Severity
from aria.sdk.records.ocsf_validate import validate_ocsf
from tests.integrations.jira.conftest import ISSUE_SAMPLE, SEARCH_SAMPLE, corpus

SETTINGS = JiraConfig.parse(dict(DEMO))


def ticket(issue: dict[str, Any], settings: JiraConfig = SETTINGS) -> Ticket:
    return issue_to_ticket(issue, mapping=settings.mapping(), browse_base=settings.browse_base)


def test_real_search_response_normalizes() -> None:
    """A real search/JQL page (two Done issues, Highest and High) from Jira Cloud."""
    body = corpus(SEARCH_SAMPLE)
    tickets = [ticket(issue) for issue in body["issues"]]
    first = tickets[0]
    assert first.uid == "21422" and first.key == "COMPANYSA-28"
    assert first.title == "Issue for demo"
    assert (first.state, first.risk_status, first.status) == (
        "Done",
        "closed",
        IncidentStatus.CLOSED,
    )
    assert first.severity is Severity.CRITICAL and first.severity_raw == "Highest"
    assert first.modified_at == datetime(2023, 4, 30, 21, 24, 14, 22000, tzinfo=UTC)  # +0300
    assert first.url == "https://aria-demo.atlassian.net/browse/COMPANYSA-28"
    assert first.risk_id is None  # not one of ARIA's issues
    raw_comments = body["issues"][0]["fields"]["comment"]["comments"]
    assert [c.uid for c in first.comments] == [c["id"] for c in raw_comments]
    assert all(c.body and not c.from_aria for c in first.comments)
    assert tickets[1].severity is Severity.HIGH
    for record in tickets:
        validate_ocsf(record.to_ocsf())


def test_real_issue_in_progress() -> None:
    """A real GET issue (In Progress, Low) with an ADF comment."""
    issue = corpus(ISSUE_SAMPLE)
    record = ticket(issue)
    assert (record.state, record.risk_status) == ("In Progress", "in_progress")
    assert record.status is IncidentStatus.IN_PROGRESS
    assert record.severity is Severity.LOW
    assert record.description == "XSOAR description stam"
    assert record.comments[0].body == "Hello there"
    assert record.comments[0].author == "Example User"
    ocsf = record.to_ocsf()
    validate_ocsf(ocsf)
    assert ocsf["tickets"][0]["status"] == "In Progress"


def _issue(status: str, category: str, labels: list[str]) -> dict[str, Any]:
    return {
        "id": "10001",
        "key": "SEC-1",
        "fields": {
            "summary": "[ARIA risk 77] Exposed RDP",
            "status": {"name": status, "statusCategory": {"key": category}},
            "labels": labels,
            "updated": "2025-06-01T10:00:00.000+0000",
            "comment": {
                "comments": [
                    {"id": "1", "body": adf.document("Triage please", footer=ARIA_FOOTER)},
                    {"id": "2", "body": "plain v2 body from a webhook"},
                ]
            },
        },
    }


def test_status_mapping_names_then_categories() -> None:
    """The installation's mapping wins; unknown statuses fall back to their category."""
    custom = JiraConfig.parse({**DEMO, "state_mapping": {"closed": "Resolved"}})
    assert ticket(_issue("Resolved", "done", []), custom).risk_status == "closed"
    assert ticket(_issue("Triage", "new", []), custom).risk_status == "open"
    assert ticket(_issue("Waiting for vendor", "indeterminate", []), custom).risk_status == (
        "in_progress"
    )
    odd = ticket(_issue("Parked", "unknown", []), custom)
    assert odd.risk_status is None and odd.status is IncidentStatus.OTHER
    assert custom.mapping().vendor_state("close") == "Resolved"
    assert custom.mapping().vendor_state("reopen") == "To Do"  # defaults fill the rest


def test_risk_id_and_aria_comments() -> None:
    record = ticket(_issue("Done", "done", ["aria-risk", "aria-risk-77", "aria-risk-x"]))
    assert record.risk_id == 77
    assert [c.from_aria for c in record.comments] == [True, False]
    assert record.comments[1].body == "plain v2 body from a webhook"
    assert risk_id(["aria-risk-", "other"]) is None


def test_adf_document_links_and_never_empty_text() -> None:
    doc = adf.document("Risk score: 20\n\nOpen in ARIA: https://aria.example/risks/7.", footer="x")
    assert adf.problems(doc) == []
    assert adf.links(doc) == ["https://aria.example/risks/7"]
    assert adf.to_text(doc) == "Risk score: 20\nOpen in ARIA: https://aria.example/risks/7.\nx"
    link_node = doc["content"][1]["content"][1]
    assert link_node["marks"] == [
        {"type": "link", "attrs": {"href": "https://aria.example/risks/7"}}
    ]
    assert adf.problems(adf.document("")) == []
    assert adf.problems({"type": "doc", "version": 1, "content": [{"type": "text", "text": ""}]})
    assert adf.problems("plain text")


def test_jql_quoting_and_window() -> None:
    assert quote('a "b" \\ c') == '"a \\"b\\" \\\\ c"'
    since = datetime(2025, 6, 2, 3, 4, 59, tzinfo=UTC)
    assert tickets_jql("SEC") == 'project = "SEC" AND labels = "aria-risk" ORDER BY updated ASC'
    assert tickets_jql("SEC", since, "UTC").endswith(
        'AND updated >= "2025/06/02 03:04" ORDER BY updated ASC'
    )


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", "2025/06/02 03:04"),
        ("America/Los_Angeles", "2025/06/01 20:04"),  # PDT, UTC-7
        ("Asia/Kolkata", "2025/06/02 08:34"),
        ("Nowhere/Unknown", "2025/06/01 15:04"),  # unknown: UTC, twelve hours early
        (None, "2025/06/02 03:04"),
    ],
)
def test_jql_dates_in_the_searching_users_zone(zone: str | None, expected: str) -> None:
    if zone not in (None, "UTC", "Nowhere/Unknown"):
        try:
            ZoneInfo(zone)
        except ZoneInfoNotFoundError:
            pytest.skip(f"no time zone database entry for {zone} on this machine")
    assert date_literal(datetime(2025, 6, 2, 3, 4, 59, tzinfo=UTC), zone) == expected
