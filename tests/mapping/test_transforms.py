"""Every transform of the closed set, on its own and inside a mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from aria.mapping.transforms import (
    MAX_PATTERN,
    TRANSFORMS,
    TransformError,
    TransformSpec,
    compile_safe_regex,
)
from aria.sdk.records import Severity
from tests.mapping.support import finding, mapped

_ADAPTER: TypeAdapter[Any] = TypeAdapter(TransformSpec)


def run(spec: Any, value: Any, record: dict[str, Any] | None = None) -> Any:
    return _ADAPTER.validate_python(spec).compile()(value, record or {})


def test_the_set_is_closed_and_complete() -> None:
    assert set(TRANSFORMS) == {
        "lowercase",
        "uppercase",
        "strip",
        "value_map",
        "regex_extract",
        "date_parse",
        "concatenate",
        "default",
        "split",
        "to_int",
        "to_float",
    }
    with pytest.raises(ValidationError, match="unknown transform 'eval'"):
        _ADAPTER.validate_python({"type": "eval", "code": "1+1"})


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        ("lowercase", "WS-01.Corp", "ws-01.corp"),
        ("lowercase", ["A", 1, "B"], ["a", 1, "b"]),
        ("lowercase", 5, 5),
        ("lowercase", None, None),
        ("uppercase", "cve-2024-1", "CVE-2024-1"),
        ("strip", "  x  ", "x"),
        ({"type": "strip", "chars": "[]"}, "[x]", "x"),
    ],
)
def test_text_transforms(spec: Any, value: Any, expected: Any) -> None:
    assert run(spec, value) == expected


def test_value_map() -> None:
    table = {"type": "value_map", "map": {"Critical": 5, "High": 4, "1": "one", "true": "yes"}}
    assert run(table, "Critical") == 5
    assert run(table, "critical") is None  # case matters unless asked
    assert run({**table, "case_insensitive": True}, "critical") == 5
    assert run({**table, "default": 0}, "Bogus") == 0
    assert run(table, 1) == "one"  # JSON keys are text: numbers are looked up as text
    assert run(table, True) == "yes"
    assert run({**table, "default": 0}, {"not": "hashable"}) == 0


def test_regex_extract() -> None:
    assert (
        run({"type": "regex_extract", "pattern": r"(T\d{4})(\.\d+)?", "group": 1}, "x T1003.001")
        == "T1003"
    )
    assert run({"type": "regex_extract", "pattern": r"T\d+"}, "T1003 and T1059") == "T1003"
    named = {"type": "regex_extract", "pattern": r"user=(?P<user>\w+)", "group": "user"}
    assert run(named, "host=a user=alice") == "alice"
    assert run(named, "no match") is None
    assert run(named, None) is None
    assert run({"type": "regex_extract", "pattern": r"\d+"}, 12345) == "12345"


def test_date_parse() -> None:
    fmt = {"type": "date_parse", "format": "%d/%m/%Y %H:%M"}
    assert run(fmt, "01/05/2024 11:30") == datetime(2024, 5, 1, 11, 30, tzinfo=UTC)
    offset = {"type": "date_parse", "format": "%Y-%m-%d %H:%M %z"}
    assert run(offset, "2024-05-01 13:30 +0200") == datetime(2024, 5, 1, 11, 30, tzinfo=UTC)
    assert run("date_parse", "2024-05-01T13:30:00+02:00") == datetime(
        2024, 5, 1, 11, 30, tzinfo=UTC
    )
    assert run("date_parse", 1714562400) == datetime(2024, 5, 1, 11, 20, tzinfo=UTC)
    assert run("date_parse", None) is None
    with pytest.raises(TransformError, match="cannot parse"):
        run(fmt, "yesterday")


def test_concatenate_and_default() -> None:
    record = {"raw": {"first": "Ada", "last": "Lovelace", "none": None}}
    spec = {"type": "concatenate", "sources": ["raw.last", "raw.none", "raw.missing"]}
    assert run(spec, "Ada", record) == "Ada Lovelace"
    assert run({**spec, "separator": "/"}, None, record) == "Lovelace"
    assert run({"type": "concatenate", "sources": ["raw.missing"]}, None, record) is None
    assert run({"type": "default", "value": "n/a"}, None) == "n/a"
    assert run({"type": "default", "value": "n/a"}, "x") == "x"


def test_split() -> None:
    assert run("split", "a, b,,c ") == ["a", "b", "c"]
    assert run({"type": "split", "separator": "|", "index": 0}, "x|y") == "x"
    assert run({"type": "split", "index": -1}, "a,b,c") == "c"
    assert run({"type": "split", "index": 7}, "a,b") is None
    with pytest.raises(TransformError, match="expects text"):
        run("split", 5)


@pytest.mark.parametrize(
    ("value", "expected"), [(" 42 ", 42), ("42.0", 42), (42.0, 42), (7, 7), (None, None)]
)
def test_to_int(value: Any, expected: Any) -> None:
    assert run("to_int", value) == expected


@pytest.mark.parametrize("value", ["4.5", "abc", True, [1], "inf"])
def test_to_int_refuses(value: Any) -> None:
    with pytest.raises(TransformError):
        run("to_int", value)


def test_to_float() -> None:
    assert run("to_float", "7.5") == 7.5
    assert run("to_float", 3) == 3.0
    for bad in ("nan", "x", False):
        with pytest.raises(TransformError):
            run("to_float", bad)


def test_transforms_chain_in_order_inside_a_mapping() -> None:
    record = finding(severity="  CRITICAL ")
    out = mapped(
        record,
        field_mappings=[
            {
                "source": "raw.severity",
                "target": "severity",
                "transforms": [
                    "strip",
                    "lowercase",
                    {"type": "value_map", "map": {"critical": 5}, "default": 0},
                ],
            }
        ],
    )
    assert out is not None and out.severity is Severity.CRITICAL


class TestRegexGuard:
    @pytest.mark.parametrize(
        "pattern",
        [r"(a+)+$", r"(a*)*b", r"(?:x{2,})+", r"((ab)*c)+", r"(a|b+)*", r"(\w+\s?)+$"],
    )
    def test_nested_quantifiers_are_refused(self, pattern: str) -> None:
        with pytest.raises(ValueError, match="nested quantifiers"):
            compile_safe_regex(pattern)

    @pytest.mark.parametrize("pattern", [r"(a)\1", r"(?P<x>a)(?P=x)"])
    def test_backreferences_are_refused(self, pattern: str) -> None:
        with pytest.raises(ValueError, match="backreferences"):
            compile_safe_regex(pattern)

    def test_long_patterns_and_huge_counts_are_refused(self) -> None:
        with pytest.raises(ValueError, match="longer than"):
            compile_safe_regex("a" * (MAX_PATTERN + 1))
        with pytest.raises(ValueError, match="repeat counts"):
            compile_safe_regex("a{100000}")
        with pytest.raises(ValueError, match="invalid regular expression"):
            compile_safe_regex("(unclosed")

    @pytest.mark.parametrize(
        "pattern", [r"(T\d{4})(\.\d{3})?", r"^(?:[a-z0-9-]+\.)?corp\.example$", r"(a|b)c+", r"x?"]
    )
    def test_ordinary_patterns_pass(self, pattern: str) -> None:
        compile_safe_regex(pattern)
