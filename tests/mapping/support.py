"""Helpers for mapping tests: a detection finding like Acme's normalizer makes, and specs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aria.mapping.rules import Plan, compile_mappings
from aria.sdk.records import Finding


def alert(**overrides: Any) -> dict[str, Any]:
    """A raw Acme EDR alert, shaped like tests/sdk/example_integration.py's sandbox serves."""
    raw = {
        "id": "6f1c2a9e-1b7d-4c55-9a51-3b2d8c1e0f42",
        "name": "Credential dumping",
        "severity": "high",
        "hostname": "WS-0042.corp.example",
        "updated_at": "2024-05-01T11:00:00Z",
    }
    raw.update(overrides)
    return raw


def finding(**raw_overrides: Any) -> Finding:
    """What Acme's ``Alerts.normalize`` returns for ``alert(**raw_overrides)``."""
    raw = alert(**raw_overrides)
    return Finding.detection(
        uid=raw["id"],
        title=raw["name"],
        severity=raw["severity"],
        modified_at=raw["updated_at"],
        raw=raw,
    )


@dataclass
class Spec:
    """A DataMapping-like object, as the sync engine would hand to ``compile_mappings``."""

    name: str = "m"
    field_mappings: list[Any] = field(default_factory=list)
    transformations: list[Any] = field(default_factory=list)
    filter_rules: dict[str, Any] = field(default_factory=dict)
    priority: int = 100
    is_active: bool = True


def plan(*specs: Spec, **one: Any) -> Plan:
    """A plan from specs, or from one spec's keyword arguments."""
    return compile_mappings(list(specs) or [Spec(**one)], record_classes=[Finding])


def mapped(record: Finding, **one: Any) -> Finding | None:
    return plan(**one).apply(record)
