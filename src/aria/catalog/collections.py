"""The featured collections the marketplace ships with (the plan's examples)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CollectionSeed:
    slug: str
    name: str
    description: str
    display_order: int
    # Integrations join by category (and, optionally, an explicit ordered key list first).
    categories: tuple[str, ...]
    keys: tuple[str, ...] = ()


SEEDS: tuple[CollectionSeed, ...] = (
    CollectionSeed(
        slug="edr-suite",
        name="EDR Suite",
        description="Endpoint detection and response: alerts, devices and incidents.",
        display_order=1,
        categories=("edr",),
        keys=("crowdstrike-falcon", "microsoft-defender-endpoint", "sentinelone"),
    ),
    CollectionSeed(
        slug="vulnerability-management",
        name="Vulnerability Management",
        description="Scanners and exposure platforms feeding vulnerability findings.",
        display_order=2,
        categories=("vuln_mgmt",),
        keys=("tenable-io", "qualys", "rapid7-insightvm"),
    ),
    CollectionSeed(
        slug="siem",
        name="SIEM",
        description="Send risks and events to your SIEM and pull its alerts back as findings.",
        display_order=3,
        categories=("siem",),
        keys=("splunk", "microsoft-sentinel", "qradar"),
    ),
)
