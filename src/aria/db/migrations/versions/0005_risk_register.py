"""risk register

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 11:50:03.383010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import aria.db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=True),
        sa.Column("domain", sa.String(length=255), nullable=True),
        sa.Column(
            "ips",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "macs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("os_name", sa.String(length=200), nullable=True),
        sa.Column("criticality", sa.String(length=20), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "sources",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("first_seen_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_assets_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
    )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assets_org_hostname", ["organization_id", "hostname"], unique=False
        )

    op.create_table(
        "risk_rules",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("min_severity_id", sa.SmallInteger(), nullable=False),
        sa.Column(
            "finding_kinds",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("group_by", sa.String(length=20), nullable=False),
        sa.Column(
            "likelihood_by_severity",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "impact_by_criticality",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "group_by IN ('asset_technique', 'asset', 'technique')",
            name=op.f("ck_risk_rules_group_by_valid"),
        ),
        sa.CheckConstraint(
            "min_severity_id >= 0 AND min_severity_id <= 6",
            name=op.f("ck_risk_rules_min_severity_id_range"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_risk_rules_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_rules")),
        sa.UniqueConstraint(
            "organization_id", "name", name=op.f("uq_risk_rules_organization_id_name")
        ),
    )
    op.create_table(
        "asset_identifiers",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_asset_identifiers_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_asset_identifiers_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_identifiers")),
        sa.UniqueConstraint(
            "organization_id",
            "kind",
            "value",
            name=op.f("uq_asset_identifiers_organization_id_kind_value"),
        ),
    )
    with op.batch_alter_table("asset_identifiers", schema=None) as batch_op:
        batch_op.create_index("ix_asset_identifiers_asset", ["asset_id"], unique=False)

    op.create_table(
        "asset_sources",
        sa.Column("asset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("integration_key", sa.String(length=100), nullable=False),
        sa.Column("stream", sa.String(length=50), nullable=False),
        sa.Column("dedupe_hash", sa.String(length=32), nullable=False),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("uid", sa.String(length=300), nullable=True),
        sa.Column("severity_id", sa.SmallInteger(), nullable=False),
        sa.Column("severity_raw", sa.String(length=100), nullable=True),
        sa.Column("status_id", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("first_seen_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reopened_count", sa.Integer(), nullable=False),
        sa.Column("last_job_id", sa.Uuid(), nullable=True),
        sa.Column("source_removed_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("installation_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_asset_sources_asset_id_assets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["integration_installations.id"],
            name=op.f("fk_asset_sources_installation_id_integration_installations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_asset_sources_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_sources")),
        sa.UniqueConstraint("organization_id", "dedupe_hash", name="uq_asset_sources_dedupe"),
    )
    with op.batch_alter_table("asset_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_sources_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(
            "ix_asset_sources_installation_stream_job",
            ["installation_id", "stream", "last_job_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_asset_sources_org_severity_status",
            ["organization_id", "severity_id", "status_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_asset_sources_org_updated", ["organization_id", "updated_at"], unique=False
        )

    op.create_table(
        "findings",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("asset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("asset_key", sa.String(length=320), nullable=True),
        sa.Column("technique_id", sa.String(length=20), nullable=True),
        sa.Column("cve", sa.String(length=300), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("integration_key", sa.String(length=100), nullable=False),
        sa.Column("stream", sa.String(length=50), nullable=False),
        sa.Column("dedupe_hash", sa.String(length=32), nullable=False),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("uid", sa.String(length=300), nullable=True),
        sa.Column("severity_id", sa.SmallInteger(), nullable=False),
        sa.Column("severity_raw", sa.String(length=100), nullable=True),
        sa.Column("status_id", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("first_seen_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reopened_count", sa.Integer(), nullable=False),
        sa.Column("last_job_id", sa.Uuid(), nullable=True),
        sa.Column("source_removed_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("installation_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('detection', 'vulnerability', 'compliance')",
            name=op.f("ck_findings_kind_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_findings_asset_id_assets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["integration_installations.id"],
            name=op.f("fk_findings_installation_id_integration_installations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_findings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
        sa.UniqueConstraint("organization_id", "dedupe_hash", name="uq_findings_dedupe"),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index("ix_findings_asset", ["asset_id"], unique=False)
        batch_op.create_index(
            "ix_findings_installation_stream_job",
            ["installation_id", "stream", "last_job_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_findings_org_severity_status",
            ["organization_id", "severity_id", "status_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_findings_org_updated", ["organization_id", "updated_at"], unique=False
        )

    op.create_table(
        "identities",
        sa.Column("provider", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("integration_key", sa.String(length=100), nullable=False),
        sa.Column("stream", sa.String(length=50), nullable=False),
        sa.Column("dedupe_hash", sa.String(length=32), nullable=False),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("uid", sa.String(length=300), nullable=True),
        sa.Column("severity_id", sa.SmallInteger(), nullable=False),
        sa.Column("severity_raw", sa.String(length=100), nullable=True),
        sa.Column("status_id", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("first_seen_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reopened_count", sa.Integer(), nullable=False),
        sa.Column("last_job_id", sa.Uuid(), nullable=True),
        sa.Column("source_removed_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("installation_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["integration_installations.id"],
            name=op.f("fk_identities_installation_id_integration_installations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_identities_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identities")),
        sa.UniqueConstraint("organization_id", "dedupe_hash", name="uq_identities_dedupe"),
    )
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.create_index("ix_identities_email", ["organization_id", "email"], unique=False)
        batch_op.create_index(
            "ix_identities_installation_stream_job",
            ["installation_id", "stream", "last_job_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_identities_org_severity_status",
            ["organization_id", "severity_id", "status_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_identities_org_updated", ["organization_id", "updated_at"], unique=False
        )

    op.create_table(
        "incidents",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("integration_key", sa.String(length=100), nullable=False),
        sa.Column("stream", sa.String(length=50), nullable=False),
        sa.Column("dedupe_hash", sa.String(length=32), nullable=False),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("uid", sa.String(length=300), nullable=True),
        sa.Column("severity_id", sa.SmallInteger(), nullable=False),
        sa.Column("severity_raw", sa.String(length=100), nullable=True),
        sa.Column("status_id", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("first_seen_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reopened_count", sa.Integer(), nullable=False),
        sa.Column("last_job_id", sa.Uuid(), nullable=True),
        sa.Column("source_removed_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("installation_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["integration_installations.id"],
            name=op.f("fk_incidents_installation_id_integration_installations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_incidents_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("organization_id", "dedupe_hash", name="uq_incidents_dedupe"),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incidents_installation_stream_job",
            ["installation_id", "stream", "last_job_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_incidents_org_severity_status",
            ["organization_id", "severity_id", "status_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_incidents_org_updated", ["organization_id", "updated_at"], unique=False
        )

    op.create_table(
        "indicators",
        sa.Column("indicator_type", sa.String(length=30), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("integration_key", sa.String(length=100), nullable=False),
        sa.Column("stream", sa.String(length=50), nullable=False),
        sa.Column("dedupe_hash", sa.String(length=32), nullable=False),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("uid", sa.String(length=300), nullable=True),
        sa.Column("severity_id", sa.SmallInteger(), nullable=False),
        sa.Column("severity_raw", sa.String(length=100), nullable=True),
        sa.Column("status_id", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("first_seen_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reopened_count", sa.Integer(), nullable=False),
        sa.Column("last_job_id", sa.Uuid(), nullable=True),
        sa.Column("source_removed_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("installation_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["integration_installations.id"],
            name=op.f("fk_indicators_installation_id_integration_installations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_indicators_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicators")),
        sa.UniqueConstraint("organization_id", "dedupe_hash", name="uq_indicators_dedupe"),
    )
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.create_index(
            "ix_indicators_installation_stream_job",
            ["installation_id", "stream", "last_job_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_indicators_org_severity_status",
            ["organization_id", "severity_id", "status_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_indicators_org_updated", ["organization_id", "updated_at"], unique=False
        )
        batch_op.create_index(
            "ix_indicators_type_value", ["organization_id", "indicator_type", "value"], unique=False
        )

    op.create_table(
        "risks",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("rule_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("group_key", sa.String(length=400), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("likelihood", sa.SmallInteger(), nullable=False),
        sa.Column("impact", sa.SmallInteger(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("treatment", sa.String(length=20), nullable=False),
        sa.Column("owner_user_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("asset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("technique_id", sa.String(length=20), nullable=True),
        sa.Column(
            "tickets",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'closed')", name=op.f("ck_risks_status_valid")
        ),
        sa.CheckConstraint(
            "treatment IN ('mitigate', 'accept', 'transfer', 'avoid')",
            name=op.f("ck_risks_treatment_valid"),
        ),
        sa.CheckConstraint("impact >= 1 AND impact <= 5", name=op.f("ck_risks_impact_range")),
        sa.CheckConstraint(
            "likelihood >= 1 AND likelihood <= 5", name=op.f("ck_risks_likelihood_range")
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_risks_asset_id_assets"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_risks_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["users.id"],
            name=op.f("fk_risks_owner_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["risk_rules.id"],
            name=op.f("fk_risks_rule_id_risk_rules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risks")),
    )
    with op.batch_alter_table("risks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_risks_org_group_status", ["organization_id", "group_key", "status"], unique=False
        )
        batch_op.create_index("ix_risks_org_status", ["organization_id", "status"], unique=False)

    op.create_table(
        "risk_findings",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("risk_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "finding_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
            name=op.f("fk_risk_findings_finding_id_findings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["risk_id"],
            ["risks.id"],
            name=op.f("fk_risk_findings_risk_id_risks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_findings")),
        sa.UniqueConstraint(
            "risk_id", "finding_id", name=op.f("uq_risk_findings_risk_id_finding_id")
        ),
    )
    with op.batch_alter_table("risk_findings", schema=None) as batch_op:
        batch_op.create_index("ix_risk_findings_finding", ["finding_id"], unique=False)

    with op.batch_alter_table("integration_installations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "sync_state",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default=sa.text("'{}'"),  # existing installations start with no state
            )
        )
        batch_op.add_column(sa.Column("sync_lease_job_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "sync_lease_expires_at", aria.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("integration_installations", schema=None) as batch_op:
        batch_op.drop_column("sync_lease_expires_at")
        batch_op.drop_column("sync_lease_job_id")
        batch_op.drop_column("sync_state")

    with op.batch_alter_table("risk_findings", schema=None) as batch_op:
        batch_op.drop_index("ix_risk_findings_finding")

    op.drop_table("risk_findings")
    with op.batch_alter_table("risks", schema=None) as batch_op:
        batch_op.drop_index("ix_risks_org_status")
        batch_op.drop_index("ix_risks_org_group_status")

    op.drop_table("risks")
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.drop_index("ix_indicators_type_value")
        batch_op.drop_index("ix_indicators_org_updated")
        batch_op.drop_index("ix_indicators_org_severity_status")
        batch_op.drop_index("ix_indicators_installation_stream_job")

    op.drop_table("indicators")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_org_updated")
        batch_op.drop_index("ix_incidents_org_severity_status")
        batch_op.drop_index("ix_incidents_installation_stream_job")

    op.drop_table("incidents")
    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.drop_index("ix_identities_org_updated")
        batch_op.drop_index("ix_identities_org_severity_status")
        batch_op.drop_index("ix_identities_installation_stream_job")
        batch_op.drop_index("ix_identities_email")

    op.drop_table("identities")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index("ix_findings_org_updated")
        batch_op.drop_index("ix_findings_org_severity_status")
        batch_op.drop_index("ix_findings_installation_stream_job")
        batch_op.drop_index("ix_findings_asset")

    op.drop_table("findings")
    with op.batch_alter_table("asset_sources", schema=None) as batch_op:
        batch_op.drop_index("ix_asset_sources_org_updated")
        batch_op.drop_index("ix_asset_sources_org_severity_status")
        batch_op.drop_index("ix_asset_sources_installation_stream_job")
        batch_op.drop_index(batch_op.f("ix_asset_sources_asset_id"))

    op.drop_table("asset_sources")
    with op.batch_alter_table("asset_identifiers", schema=None) as batch_op:
        batch_op.drop_index("ix_asset_identifiers_asset")

    op.drop_table("asset_identifiers")
    op.drop_table("risk_rules")
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_index("ix_assets_org_hostname")

    op.drop_table("assets")
