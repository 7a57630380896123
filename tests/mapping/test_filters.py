"""Filter ops and nesting, on canonical fields and raw vendor fields."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from aria.mapping.filters import FilterNode, compile_filter
from tests.mapping.support import Spec, finding, plan

_ADAPTER: TypeAdapter[Any] = TypeAdapter(FilterNode)
RECORD = finding(severity="high", hostname="WS-0042.corp.example").model_dump(mode="python")
RECORD["raw"]["score"] = 72
RECORD["raw"]["tags"] = ["edr", "lateral"]
RECORD["raw"]["nothing"] = None


def keeps(node: dict[str, Any]) -> bool:
    return compile_filter(_ADAPTER.validate_python(node))(RECORD)


def leaf(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        (leaf("raw.severity", "eq", "high"), True),
        (leaf("raw.severity", "eq", "High"), False),
        (leaf("raw.severity", "ne", "low"), True),
        (leaf("raw.missing", "eq", None), False),
        (leaf("raw.missing", "ne", "x"), True),
        (leaf("raw.severity", "in", ["high", "critical"]), True),
        (leaf("raw.severity", "not_in", ["high", "critical"]), False),
        (leaf("raw.score", "gt", 70), True),
        (leaf("raw.score", "gte", 72), True),
        (leaf("raw.score", "lt", 72), False),
        (leaf("raw.score", "lte", 72), True),
        (leaf("raw.score", "gt", "70"), False),  # different kinds never compare
        (leaf("raw.missing", "lt", 5), False),
        (leaf("raw.hostname", "contains", "corp"), True),
        (leaf("raw.tags", "contains", "lateral"), True),
        (leaf("raw.tags", "contains", "cloud"), False),
        (leaf("raw.score", "contains", 7), False),
        (leaf("raw.hostname", "regex", r"^WS-\d{4}\."), True),
        (leaf("raw.score", "regex", r"72"), False),  # regex reads text only
        (leaf("raw.severity", "exists"), True),
        (leaf("raw.nothing", "exists"), False),
        (leaf("raw.missing", "exists", False), True),
        # canonical fields: enums by id or by name, datetimes against ISO text
        (leaf("severity", "eq", 4), True),
        (leaf("severity", "eq", "HIGH"), True),
        (leaf("severity", "in", ["critical", 4]), True),
        (leaf("severity", "gte", 3), True),
        (leaf("status", "eq", "new"), True),
        (leaf("kind", "eq", "detection"), True),
        (leaf("modified_at", "gte", "2024-05-01T10:00:00Z"), True),
        (leaf("modified_at", "lt", "2024-05-01T10:00:00Z"), False),
        (leaf("modified_at", "eq", "2024-05-01T13:00:00+02:00"), True),
        (leaf("asset", "exists"), False),
    ],
)
def test_leaf_ops(node: dict[str, Any], expected: bool) -> None:
    assert keeps(node) is expected


def test_nesting() -> None:
    high = leaf("raw.severity", "eq", "high")
    low = leaf("raw.severity", "eq", "low")
    assert keeps({"all": [high, leaf("raw.score", "gt", 50)]})
    assert not keeps({"all": [high, low]})
    assert keeps({"any": [low, high]})
    assert not keeps({"any": [low]})
    assert keeps({"not": low})
    assert keeps({"all": [{"any": [low, {"not": low}]}, {"not": {"all": [high, low]}}]})
    assert keeps({"all": []}) and not keeps({"any": []})  # the usual identities


def test_dropped_records_are_counted_by_mapping_name() -> None:
    drop_low = Spec(name="Drop low", filter_rules={"not": leaf("raw.severity", "eq", "low")})
    runner = plan(drop_low)
    assert runner.apply(finding(severity="low")) is None
    kept = finding(severity="high")
    assert runner.apply(kept) is kept
    stats = runner.stats.as_dict()
    assert stats["dropped"] == 1 and stats["applied"] == 1
    assert stats["dropped_by"] == {"Drop low": 1}
    assert stats["messages"] == ["1 dropped by mapping Drop low"]
