"""Data-mapping throughput: a 5-rule mapping plan applied to 100,000 detection findings.

The plan runs on every synced record, so its cost adds to every sync. Printed figures only:
records/s and rule applications/s for the plan, and for comparison the floor every changed
record pays (one ``model_dump`` + one ``model_validate``, so a mapping cannot emit an invalid
record).
"""

from __future__ import annotations

import time
from typing import Any

from aria.mapping.rules import compile_mappings
from aria.sdk.records import Finding

RECORDS = 100_000
SEVERITIES = ("Low", "Medium", "High", "Critical")


class _Mapping:
    """Stands in for a DataMapping row."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


MAPPING = _Mapping(
    name="bench",
    priority=100,
    is_active=True,
    field_mappings=[
        {
            "source": "raw.severity",
            "target": "severity",
            "transforms": [
                "lowercase",
                {"type": "value_map", "map": {"low": 2, "medium": 3, "high": 4, "critical": 5}},
            ],
        },
        {"source": "raw.hostname", "target": "asset.hostname", "transforms": ["lowercase"]},
        {
            "source": "raw.technique",
            "target": "detection_info.attacks.0.technique_id",
            "transforms": [{"type": "regex_extract", "pattern": r"(T\d{4})", "group": 1}],
        },
        {"source": "raw.product", "target": "source_product", "transforms": ["strip"]},
    ],
    transformations=[],
    filter_rules={"not": {"field": "raw.severity", "op": "eq", "value": "Informational"}},
)
RULES = 5  # four field mappings and one filter


def findings(count: int) -> list[Finding]:
    return [
        Finding.detection(
            uid=f"alert-{index}",
            title="Credential dumping",
            severity=SEVERITIES[index % 4].lower(),
            raw={
                "id": f"alert-{index}",
                "severity": SEVERITIES[index % 4],
                "hostname": f"WS-{index % 5000:04d}.corp.example",
                "technique": "T1003.001 OS Credential Dumping",
                "product": " Acme EDR ",
            },
        )
        for index in range(count)
    ]


def main() -> None:
    records = findings(RECORDS)
    plan = compile_mappings([MAPPING], record_classes=[Finding])
    plan.apply(records[0])  # warm up
    started = time.perf_counter()
    for record in records:
        plan.apply(record)
    elapsed = time.perf_counter() - started
    rate = RECORDS / elapsed
    print(f"5-rule mapping plan, {RECORDS:,} detection findings: {rate:,.0f} records/s")
    print(f"  = {rate * RULES:,.0f} rule applications/s ({elapsed:.2f} s)")
    print(f"  stats: {plan.stats.as_dict() | {'error_samples': '...'}}")

    started = time.perf_counter()
    for record in records:
        Finding.model_validate(record.model_dump(mode="python"))
    floor = RECORDS / (time.perf_counter() - started)
    print(f"floor (model_dump + model_validate alone): {floor:,.0f} records/s")

    passthrough = compile_mappings([])
    started = time.perf_counter()
    for record in records:
        passthrough.apply(record)
    print(f"no mappings (pass-through): {RECORDS / (time.perf_counter() - started):,.0f} records/s")


if __name__ == "__main__":
    main()
