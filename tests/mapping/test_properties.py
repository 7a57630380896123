"""Properties of the engine, checked on generated inputs (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from aria.mapping.filters import FilterNode, compile_filter
from aria.mapping.rules import MappingError, compile_mappings
from aria.mapping.transforms import TransformSpec
from aria.sdk.records import AssetRef, Finding
from tests.mapping.support import Spec, finding

TRANSFORM: TypeAdapter[Any] = TypeAdapter(TransformSpec)
FILTER: TypeAdapter[Any] = TypeAdapter(FilterNode)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=20),
    st.sampled_from(["low", "high", "critical", "4", "2024-05-01T11:00:00Z", "", "  x "]),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=5), scalars, max_size=3),
)
RAW_KEYS = ("a", "b", "c", "sev", "when")
raw_records = st.fixed_dictionaries({}, optional={key: values for key in RAW_KEYS})


def run(spec: Any, value: Any) -> Any:
    return TRANSFORM.validate_python(spec).compile()(value, {})


@FAST
@given(st.text())
def test_lowercase_is_idempotent(text: str) -> None:
    once = run("lowercase", text)
    assert run("lowercase", once) == once


@FAST
@given(st.text())
def test_strip_is_idempotent(text: str) -> None:
    once = run("strip", text)
    assert run("strip", once) == once


@FAST
@given(st.dictionaries(st.text(max_size=10), scalars, max_size=10), values)
def test_value_map_with_a_default_is_total(table: dict[str, Any], value: Any) -> None:
    spec = {"type": "value_map", "map": table, "default": "\x00default"}
    result = run(spec, value)
    assert result == "\x00default" or result in table.values()


@FAST
@given(st.integers())
def test_to_int_round_trips_text(number: int) -> None:
    assert run("to_int", str(number)) == number


@FAST
@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
        max_value=datetime(2999, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    )
)
def test_date_parse_reads_iso_back(moment: datetime) -> None:
    assert run("date_parse", moment.isoformat()) == moment


OPS = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "contains", "regex", "exists")


@st.composite
def leaves(draw: st.DrawFn) -> dict[str, Any]:
    op = draw(st.sampled_from(OPS))
    field = draw(
        st.sampled_from([f"raw.{k}" for k in RAW_KEYS] + ["severity", "title", "modified_at"])
    )
    if op in {"in", "not_in"}:
        value: Any = draw(st.lists(scalars, max_size=3))
    elif op == "regex":
        value = draw(st.sampled_from(["^a", "x", r"\d+", "high|low"]))
    elif op == "exists":
        value = draw(st.sampled_from([None, True, False]))
    elif op in {"gt", "gte", "lt", "lte"}:
        value = draw(st.one_of(st.integers(), st.text(max_size=5), st.just("2024-05-01T00:00:00Z")))
    else:
        value = draw(scalars)
    return {"field": field, "op": op, "value": value}


filters = st.recursive(
    leaves(),
    lambda children: st.one_of(
        st.builds(lambda c: {"all": c}, st.lists(children, max_size=3)),
        st.builds(lambda c: {"any": c}, st.lists(children, max_size=3)),
        st.builds(lambda c: {"not": c}, children),
    ),
    max_leaves=6,
)


def record_dict(raw: dict[str, Any]) -> dict[str, Any]:
    return finding(**raw).model_dump(mode="python")


@FAST
@given(filters, raw_records)
def test_not_is_the_complement(node: dict[str, Any], raw: dict[str, Any]) -> None:
    record = record_dict(raw)
    keep = compile_filter(FILTER.validate_python(node))
    negated = compile_filter(FILTER.validate_python({"not": node}))
    assert negated(record) is (not keep(record))


@FAST
@given(leaves(), raw_records)
def test_ne_and_not_in_complement_eq_and_in(leaf: dict[str, Any], raw: dict[str, Any]) -> None:
    pairs = {"eq": "ne", "ne": "eq", "in": "not_in", "not_in": "in"}
    if leaf["op"] not in pairs:
        return
    record = record_dict(raw)
    keep = compile_filter(FILTER.validate_python(leaf))
    other = compile_filter(FILTER.validate_python({**leaf, "op": pairs[leaf["op"]]}))
    assert other(record) is (not keep(record))


@FAST
@given(raw_records, st.sampled_from(["low", "high", "critical", "informational"]))
def test_an_empty_mapping_is_identity(raw: dict[str, Any], severity: str) -> None:
    record = finding(severity=severity, **raw)
    for plan in (compile_mappings([]), compile_mappings([Spec()])):
        out = plan.apply(record)
        assert out is record
        assert out.model_dump() == record.model_dump()


TARGETS = (
    "title",
    "description",
    "severity",
    "severity_raw",
    "status",
    "created_at",
    "first_seen",
    "source_uid",
    "asset.hostname",
    "asset.ip",
    "asset.mac",
    "detection_info.confidence",
    "detection_info.url",
    "detection_info.attacks.0.technique_id",
    "kind",
)
TRANSFORM_CHOICES = st.sampled_from(
    [
        "lowercase",
        "strip",
        "to_int",
        "to_float",
        "date_parse",
        "split",
        {"type": "value_map", "map": {"high": 4, "low": "bogus"}, "default": None},
        {"type": "default", "value": "n/a"},
        {"type": "regex_extract", "pattern": r"(\d+)", "group": 1},
    ]
)
rules = st.lists(
    st.fixed_dictionaries(
        {
            "source": st.sampled_from([f"raw.{k}" for k in RAW_KEYS] + ["title"]),
            "target": st.sampled_from(TARGETS),
            "transforms": st.lists(TRANSFORM_CHOICES, max_size=2),
        }
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules, raw_records)
def test_a_mapping_never_produces_an_invalid_record(
    field_mappings: list[dict[str, Any]], raw: dict[str, Any]
) -> None:
    record = finding(**raw, hosts=[{"name": "WS-1"}])
    record = record.model_copy(update={"asset": AssetRef(hostname="ws-1", ip="10.0.0.1")})
    snapshot = record.model_dump()
    plan = compile_mappings([Spec(field_mappings=field_mappings)], record_classes=[Finding])
    try:
        out = plan.apply(record)
    except MappingError as error:
        assert error.record is record and error.mapping == "m"
        assert plan.stats.errors == 1
        return
    finally:
        assert record.model_dump() == snapshot  # the input is never mutated
    assert isinstance(out, Finding)
    assert Finding.model_validate(out.model_dump()) == out  # a valid, round-tripping record
    assert out.raw == record.raw
