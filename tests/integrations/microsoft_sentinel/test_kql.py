"""Common query -> KQL: escaping that no value can break, Data Collector columns, and the
sandbox's evaluation of what ``translate`` produces."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from aria.integrations.microsoft_sentinel import kql
from aria.integrations.microsoft_sentinel.kql_engine import KqlError, Table, run, tokenize
from aria.sdk import ConfigError
from aria.sdk.siem import CommonQuery

NOW = datetime(2025, 6, 2, 12, tzinfo=UTC)
TABLE = "AriaRiskEvents_CL"


def common(*filters: tuple[str, str, str], **extra: Any) -> CommonQuery:
    return CommonQuery.model_validate(
        {"filters": [{"field": f, "op": op, "value": v} for f, op, v in filters], **extra}
    )


def events() -> dict[str, Table]:
    """A custom log table as the Data Collector API would have typed it."""
    table = Table(TABLE)
    types = {
        "TimeGenerated": "datetime",
        "risk_id_d": "real",
        "title_s": "string",
        "closed_b": "bool",
        "owner_g": "guid",
    }
    rows = [
        (datetime(2025, 6, 1, 10, tzinfo=UTC), 41.0, 'He said "hi" \\o/', False, None),
        (datetime(2025, 6, 1, 11, tzinfo=UTC), 42.0, "Exposed RDP on db-01", True, None),
        (
            datetime(2025, 6, 2, 9, tzinfo=UTC),
            43.0,
            "line one\nline two",
            False,
            "0f3b8e4a-6c1d-4e2f-9a7b-5d4c3b2a1f00",
        ),
    ]
    for moment, risk, title, closed, owner in rows:
        row = {"TimeGenerated": moment, "risk_id_d": risk, "title_s": title, "closed_b": closed}
        if owner:
            row["owner_g"] = owner
        table.add(row, types)
    return {TABLE: table}


def search(query: CommonQuery) -> list[dict[str, Any]]:
    return run(kql.translate(query, TABLE), events(), now=NOW).rows


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("plain", '"plain"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("tab\there", '"tab\\there"'),
        ("two\nlines\r", '"two\\nlines\\r"'),
        ("it's", '"it\'s"'),
        ('\\"', '"\\\\\\""'),
    ],
)
def test_string_literal_escaping(value: str, literal: str) -> None:
    assert kql.string(value) == literal
    assert tokenize(literal) == [("string", value)]  # reads back as exactly the value


def test_control_characters_are_refused() -> None:
    with pytest.raises(ConfigError):
        kql.string("bell\x07")


@pytest.mark.parametrize(
    "value",
    [
        '" or true or "',
        '") or true //',
        '\\" | take 1000 | where "',
        '"\n| project secret',
    ],
)
def test_a_value_cannot_leave_its_literal(value: str) -> None:
    query = common(("title", "eq", value))
    text = kql.translate(query, TABLE)
    strings = [t for kind, t in tokenize(text) if kind == "string"]
    assert value in strings  # the whole value is one literal, so nothing leaked into KQL
    assert search(query) == []  # and it matches nothing instead of everything


def test_translation_shape() -> None:
    query = common(
        ("risk_id", "eq", "42"),
        ("title", "contains", "rdp"),
        start=datetime(2025, 6, 1, tzinfo=UTC),
        end=datetime(2025, 6, 2, tzinfo=UTC),
        limit=25,
    )
    text = kql.translate(query, TABLE)
    lines = text.splitlines()
    assert lines[0] == TABLE
    assert lines[1] == (
        "| where TimeGenerated between (datetime(2025-06-01T00:00:00.0000000Z) .. "
        "datetime(2025-06-02T00:00:00.0000000Z))"
    )
    assert 'column_ifexists("risk_id_d", real(null)) == real(42)' in lines[2]
    assert 'column_ifexists("risk_id_s", "") == "42"' in lines[2]
    assert 'tostring(column_ifexists("risk_id", "")) == "42"' in lines[2]
    assert 'column_ifexists("title_s", "") contains "rdp"' in lines[3]
    assert lines[-1] == "| take 25"


def test_equality_finds_a_number_stored_as_real() -> None:
    found = search(common(("risk_id", "eq", "42")))
    assert [r["risk_id_d"] for r in found] == [42.0]


def test_contains_ignores_case_and_handles_escapes() -> None:
    assert [r["risk_id_d"] for r in search(common(("title", "contains", "rdp")))] == [42.0]
    assert [r["risk_id_d"] for r in search(common(("title", "eq", 'He said "hi" \\o/')))] == [41.0]
    assert [r["risk_id_d"] for r in search(common(("title", "contains", "one\nline")))] == [43.0]


def test_bool_guid_and_time_candidates() -> None:
    assert [r["risk_id_d"] for r in search(common(("closed", "eq", "true")))] == [42.0]
    owner = "0F3B8E4A6C1D4E2F9A7B5D4C3B2A1F00"  # no dashes, upper case: still that GUID
    assert "guid(0f3b8e4a-6c1d-4e2f-9a7b-5d4c3b2a1f00)" in kql.condition(
        common(("owner", "eq", owner)).filters[0]
    )
    assert [r["risk_id_d"] for r in search(common(("owner", "eq", owner)))] == [43.0]


def test_time_bounds_and_take() -> None:
    since = common(start=datetime(2025, 6, 1, 10, 30, tzinfo=UTC))
    assert [r["risk_id_d"] for r in search(since)] == [42.0, 43.0]
    until = common(end=datetime(2025, 6, 1, 11, tzinfo=UTC))  # inclusive
    assert [r["risk_id_d"] for r in search(until)] == [41.0, 42.0]
    assert len(search(common(limit=2))) == 2


def test_filters_are_anded() -> None:
    assert search(common(("risk_id", "eq", "42"), ("closed", "eq", "false"))) == []


def test_unusual_table_names_are_bracketed() -> None:
    assert kql.table_name("My Table") == "['My Table']"
    assert kql.table_name("SecurityAlert") == "SecurityAlert"
    assert tokenize(kql.table_name("it's"))[0] == ("word", "it's")


def test_unknown_column_is_a_semantic_error_as_in_kusto() -> None:
    with pytest.raises(KqlError) as caught:
        run(f"{TABLE} | where risk_id == 42", events(), now=NOW)
    assert caught.value.kind == "SemanticError"


def test_unknown_table_and_syntax_errors() -> None:
    with pytest.raises(KqlError) as caught:
        run("Nope | take 1", events(), now=NOW)
    assert caught.value.kind == "SemanticError"
    with pytest.raises(KqlError) as caught:
        run(f"{TABLE} | summarize count() by title_s", events(), now=NOW)
    assert caught.value.kind == "SyntaxError"


def test_native_operators() -> None:
    tables = events()
    newest = run(f"{TABLE} | sort by TimeGenerated desc | take 1", tables, now=NOW).rows
    assert newest[0]["risk_id_d"] == 43.0
    projected = run(f"{TABLE} | where risk_id_d >= 42 | project risk_id_d", tables, now=NOW)
    assert projected.columns == [("risk_id_d", "real")]
    assert [r["risk_id_d"] for r in projected.rows] == [42.0, 43.0]
    assert run(f"{TABLE} | count", tables, now=NOW).rows == [{"Count": 3}]
    printed = run("print ok = 1", tables, now=NOW)
    assert printed.body()["rows"] == [[1]]
