"""The risk register's tables. Every synced record keeps its raw vendor payload beside the
canonical fields, a dedupe hash (the DESIGN.md key, hashed) unique per organization, and a
content hash so only meaningful changes count as updates."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from aria.db.base import Base, between, one_of
from aria.db.types import JSONType, UTCDateTime, utcnow

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
RecordId = BigInteger().with_variant(Integer(), "sqlite")

FINDING_KINDS = ("detection", "vulnerability", "compliance")
RISK_STATUSES = ("open", "in_progress", "closed")
RISK_TREATMENTS = ("mitigate", "accept", "transfer", "avoid")


class SourceRecord:
    """Columns every record synced from an installation carries."""

    id: Mapped[int] = mapped_column(RecordId, primary_key=True, autoincrement=True)

    @declared_attr
    def organization_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
        )

    @declared_attr
    def installation_id(cls) -> Mapped[uuid.UUID | None]:
        # SET NULL: records outlive an uninstalled installation (marked by source_removed_at).
        return mapped_column(Uuid, ForeignKey("integration_installations.id", ondelete="SET NULL"))

    integration_key: Mapped[str] = mapped_column(String(100), nullable=False)
    stream: Mapped[str] = mapped_column(String(50), nullable=False)
    dedupe_hash: Mapped[str] = mapped_column(String(32), nullable=False)
    content_hash: Mapped[str] = mapped_column(String(32), nullable=False)
    uid: Mapped[str | None] = mapped_column(String(300))
    severity_id: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=0)
    severity_raw: Mapped[str | None] = mapped_column(String(100))
    status_id: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=1)
    title: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    raw: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    source_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def _record_indexes(table: str) -> tuple[Any, ...]:
    return (
        UniqueConstraint("organization_id", "dedupe_hash", name=f"uq_{table}_dedupe"),
        Index(f"ix_{table}_installation_stream_job", "installation_id", "stream", "last_job_id"),
        Index(f"ix_{table}_org_severity_status", "organization_id", "severity_id", "status_id"),
        Index(f"ix_{table}_org_updated", "organization_id", "updated_at"),
    )


class Asset(Base):
    """One device, merged across every source that reported it."""

    __tablename__ = "assets"
    __table_args__ = (Index("ix_assets_org_hostname", "organization_id", "hostname"),)

    id: Mapped[int] = mapped_column(RecordId, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    hostname: Mapped[str | None] = mapped_column(String(255))
    domain: Mapped[str | None] = mapped_column(String(255))
    ips: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    macs: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    os_name: Mapped[str | None] = mapped_column(String(200))
    criticality: Mapped[str | None] = mapped_column(String(20))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    sources: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class AssetIdentifier(Base):
    """A normalized identifier (instance id, agent id, serial, MAC, host+domain) → its asset."""

    __tablename__ = "asset_identifiers"
    __table_args__ = (
        UniqueConstraint("organization_id", "kind", "value"),
        Index("ix_asset_identifiers_asset", "asset_id"),
    )

    id: Mapped[int] = mapped_column(RecordId, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    asset_id: Mapped[int] = mapped_column(
        RecordId, ForeignKey("assets.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    value: Mapped[str] = mapped_column(String(300), nullable=False)


class AssetSource(SourceRecord, Base):
    """What one installation reported about a device (raw kept); points at the merged asset."""

    __tablename__ = "asset_sources"
    __table_args__ = _record_indexes("asset_sources")

    asset_id: Mapped[int | None] = mapped_column(
        RecordId, ForeignKey("assets.id", ondelete="SET NULL"), index=True
    )


class Finding(SourceRecord, Base):
    """Detection, vulnerability or compliance finding (OCSF 2004 / 2002 / 2003)."""

    __tablename__ = "findings"
    __table_args__ = (
        *_record_indexes("findings"),
        one_of("kind", FINDING_KINDS),
        Index("ix_findings_asset", "asset_id"),
    )

    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    asset_id: Mapped[int | None] = mapped_column(
        RecordId, ForeignKey("assets.id", ondelete="SET NULL")
    )
    asset_key: Mapped[str | None] = mapped_column(String(320))
    technique_id: Mapped[str | None] = mapped_column(String(20))
    cve: Mapped[str | None] = mapped_column(String(300))


class Incident(SourceRecord, Base):
    """An incident from an EDR/SIEM (OCSF 2005)."""

    __tablename__ = "incidents"
    __table_args__ = _record_indexes("incidents")


class Identity(SourceRecord, Base):
    """A user account at one identity provider; people merge on ``email``."""

    __tablename__ = "identities"
    __table_args__ = (
        *_record_indexes("identities"),
        Index("ix_identities_email", "organization_id", "email"),
    )

    provider: Mapped[str] = mapped_column(String(100), nullable=False)
    email: Mapped[str | None] = mapped_column(String(320))


class Indicator(SourceRecord, Base):
    """An indicator of compromise, deduped on its normalized (type, value) per organization."""

    __tablename__ = "indicators"
    __table_args__ = (
        *_record_indexes("indicators"),
        Index("ix_indicators_type_value", "organization_id", "indicator_type", "value"),
    )

    indicator_type: Mapped[str] = mapped_column(String(30), nullable=False)
    value: Mapped[str] = mapped_column(Text, nullable=False)


class RiskRule(Base):
    """An organization's rule for turning findings into risks."""

    __tablename__ = "risk_rules"
    __table_args__ = (
        UniqueConstraint("organization_id", "name"),
        between("min_severity_id", 0, 6),
        one_of("group_by", ("asset_technique", "asset", "technique")),
    )

    id: Mapped[int] = mapped_column(RecordId, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    min_severity_id: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=4)
    finding_kinds: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    group_by: Mapped[str] = mapped_column(String(20), nullable=False, default="asset_technique")
    likelihood_by_severity: Mapped[dict[str, int]] = mapped_column(
        JSONType, nullable=False, default=dict
    )
    impact_by_criticality: Mapped[dict[str, int]] = mapped_column(
        JSONType, nullable=False, default=dict
    )
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Risk(Base):
    """A GRC risk: likelihood times impact, treatment, owner, and the findings behind it."""

    __tablename__ = "risks"
    __table_args__ = (
        one_of("status", RISK_STATUSES),
        one_of("treatment", RISK_TREATMENTS),
        between("likelihood", 1, 5),
        between("impact", 1, 5),
        Index("ix_risks_org_status", "organization_id", "status"),
        Index("ix_risks_org_group_status", "organization_id", "group_key", "status"),
    )

    id: Mapped[int] = mapped_column(RecordId, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    rule_id: Mapped[int | None] = mapped_column(
        RecordId, ForeignKey("risk_rules.id", ondelete="SET NULL")
    )
    group_key: Mapped[str] = mapped_column(String(400), nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    likelihood: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    impact: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    score: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    treatment: Mapped[str] = mapped_column(String(20), nullable=False, default="mitigate")
    owner_user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    status_reason: Mapped[str | None] = mapped_column(Text)
    asset_id: Mapped[int | None] = mapped_column(
        RecordId, ForeignKey("assets.id", ondelete="SET NULL")
    )
    technique_id: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tickets: Mapped[list[RiskTicket]] = relationship(
        lazy="selectin", order_by="RiskTicket.id", cascade="all, delete-orphan"
    )


class RiskTicket(Base):
    """A ticket opened for a risk in an installed ticketing system.

    One per (risk, installation); the vendor's key is unique per installation so a synced
    ticket finds its risk with one indexed lookup, and its state flows back to the risk.
    """

    __tablename__ = "risk_tickets"
    __table_args__ = (
        UniqueConstraint("risk_id", "installation_id"),
        UniqueConstraint("installation_id", "external_id"),
        Index("ix_risk_tickets_org", "organization_id"),
    )

    id: Mapped[int] = mapped_column(RecordId, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    risk_id: Mapped[int] = mapped_column(
        RecordId, ForeignKey("risks.id", ondelete="CASCADE"), nullable=False
    )
    installation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("integration_installations.id", ondelete="CASCADE"), nullable=False
    )
    integration_key: Mapped[str] = mapped_column(String(100), nullable=False)
    external_id: Mapped[str] = mapped_column(String(255), nullable=False)
    url: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str | None] = mapped_column(String(100))
    risk_status: Mapped[str | None] = mapped_column(String(20))
    comments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, nullable=False, default=list)
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RiskFinding(Base):
    """Which findings make up a risk."""

    __tablename__ = "risk_findings"
    __table_args__ = (
        UniqueConstraint("risk_id", "finding_id"),
        Index("ix_risk_findings_finding", "finding_id"),
    )

    id: Mapped[int] = mapped_column(RecordId, primary_key=True, autoincrement=True)
    risk_id: Mapped[int] = mapped_column(
        RecordId, ForeignKey("risks.id", ondelete="CASCADE"), nullable=False
    )
    finding_id: Mapped[int] = mapped_column(
        RecordId, ForeignKey("findings.id", ondelete="CASCADE"), nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
