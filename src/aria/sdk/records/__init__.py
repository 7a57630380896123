"""Canonical records: the one shape every vendor record is normalized into.

Aligned with OCSF 1.8 (findings, inventory) and STIX 2.1 (indicators), not invented: each record
exports OCSF JSON (``to_ocsf()``), keeps the raw vendor record, and knows its dedupe key.
``ocsf_validate.validate_ocsf`` checks exports offline against the official schema.
"""

from typing import Annotated

from pydantic import Field

from aria.sdk.records._time import to_epoch_ms, to_utc
from aria.sdk.records.asset import Asset, AssetRef, device_identifiers
from aria.sdk.records.base import OCSF_VERSION, CanonicalRecord
from aria.sdk.records.enums import (
    ComplianceResult,
    Confidence,
    FindingKind,
    FindingStatus,
    IncidentStatus,
    IndicatorType,
    Severity,
)
from aria.sdk.records.finding import (
    ComplianceInfo,
    DetectionInfo,
    Finding,
    MitreAttack,
    VulnerabilityInfo,
)
from aria.sdk.records.identity import Identity
from aria.sdk.records.incident import Incident
from aria.sdk.records.indicator import (
    Indicator,
    infer_indicator_type,
    normalize_indicator_value,
)
from aria.sdk.records.ticket import RiskStatus, Ticket, TicketComment

AnyRecord = Annotated[
    Finding | Incident | Asset | Identity | Indicator | Ticket, Field(discriminator="record_type")
]
"""Any canonical record, discriminated on ``record_type`` (for queues and JSON round-trips)."""

__all__ = [
    "OCSF_VERSION",
    "AnyRecord",
    "Asset",
    "AssetRef",
    "CanonicalRecord",
    "ComplianceInfo",
    "ComplianceResult",
    "Confidence",
    "DetectionInfo",
    "Finding",
    "FindingKind",
    "FindingStatus",
    "Identity",
    "Incident",
    "IncidentStatus",
    "Indicator",
    "IndicatorType",
    "MitreAttack",
    "RiskStatus",
    "Severity",
    "Ticket",
    "TicketComment",
    "VulnerabilityInfo",
    "device_identifiers",
    "infer_indicator_type",
    "normalize_indicator_value",
    "to_epoch_ms",
    "to_utc",
]
