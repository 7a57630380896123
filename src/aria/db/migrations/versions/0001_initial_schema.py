"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 11:23:43.063706
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import aria.db.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "integration_catalog",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("vendor", sa.String(length=200), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "features",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "what_you_get",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "config_requirements",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("documentation_url", sa.String(length=500), nullable=True),
        sa.Column("support_url", sa.String(length=500), nullable=True),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("pricing_model", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("min_platform_version", sa.String(length=50), nullable=True),
        sa.Column(
            "capabilities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "data_types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "auth_methods",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "config_schema",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("webhook_support", sa.Boolean(), nullable=False),
        sa.Column(
            "rate_limits",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("installation_complexity", sa.String(length=20), nullable=False),
        sa.Column("logo_svg", sa.Text(), nullable=True),
        sa.Column("price_per_call", sa.Numeric(precision=12, scale=6), nullable=False),
        sa.Column("avg_rating", sa.Numeric(precision=3, scale=2), nullable=False),
        sa.Column("total_reviews", sa.Integer(), nullable=False),
        sa.Column("total_installs", sa.Integer(), nullable=False),
        sa.Column("is_featured", sa.Boolean(), nullable=False),
        sa.Column("deprecated_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "category IN ('edr', 'vuln_mgmt', 'threat_intel', 'siem', 'ticketing', 'cloud_security', 'iam', 'network_security', 'dlp', 'email_security', 'backup', 'config_mgmt')",
            name=op.f("ck_integration_catalog_category_valid"),
        ),
        sa.CheckConstraint(
            "installation_complexity IN ('easy', 'moderate', 'advanced')",
            name=op.f("ck_integration_catalog_installation_complexity_valid"),
        ),
        sa.CheckConstraint(
            "pricing_model IN ('free', 'freemium', 'paid', 'enterprise')",
            name=op.f("ck_integration_catalog_pricing_model_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('official', 'community', 'beta', 'deprecated')",
            name=op.f("ck_integration_catalog_status_valid"),
        ),
        sa.CheckConstraint(
            "avg_rating >= 0 AND avg_rating <= 5",
            name=op.f("ck_integration_catalog_avg_rating_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_catalog")),
        sa.UniqueConstraint("key", name=op.f("uq_integration_catalog_key")),
    )
    with op.batch_alter_table("integration_catalog", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integration_catalog_avg_rating"), ["avg_rating"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_integration_catalog_category_status"),
            ["category", "status"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_integration_catalog_total_installs"), ["total_installs"], unique=False
        )

    op.create_table(
        "integration_collections",
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("display_order", sa.Integer(), nullable=False),
        sa.Column("is_featured", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_collections")),
        sa.UniqueConstraint("slug", name=op.f("uq_integration_collections_slug")),
    )
    with op.batch_alter_table("integration_collections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integration_collections_display_order"), ["display_order"], unique=False
        )

    op.create_table(
        "organizations",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("name", name=op.f("uq_organizations_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_organizations_slug")),
    )
    op.create_table(
        "users",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("failed_login_count", sa.Integer(), nullable=False),
        sa.Column("locked_until", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column(
            "scopes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_api_tokens_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_api_tokens_organization_id_revoked_at"),
            ["organization_id", "revoked_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_api_tokens_prefix"), ["prefix"], unique=False)
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("target_type", sa.String(length=100), nullable=True),
        sa.Column("target_id", sa.String(length=100), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_audit_log_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_audit_log_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_audit_log_entry_hash")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_action"), ["action"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_log_organization_id_created_at"),
            ["organization_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "integration_collection_items",
        sa.Column("collection_id", sa.Uuid(), nullable=False),
        sa.Column("integration_id", sa.Uuid(), nullable=False),
        sa.Column("display_order", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["integration_collections.id"],
            name=op.f("fk_integration_collection_items_collection_id_integration_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integration_catalog.id"],
            name=op.f("fk_integration_collection_items_integration_id_integration_catalog"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_collection_items")),
        sa.UniqueConstraint(
            "collection_id",
            "integration_id",
            name=op.f("uq_integration_collection_items_collection_id_integration_id"),
        ),
    )
    with op.batch_alter_table("integration_collection_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integration_collection_items_integration_id"),
            ["integration_id"],
            unique=False,
        )

    op.create_table(
        "integration_installations",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("integration_id", sa.Uuid(), nullable=False),
        sa.Column("installed_by", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("sync_frequency", sa.String(length=20), nullable=False),
        sa.Column("next_sync_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_sync_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_sync_status", sa.String(length=20), nullable=True),
        sa.Column("health_status", sa.String(length=20), nullable=False),
        sa.Column("last_health_check_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "health_status IN ('healthy', 'degraded', 'down', 'unknown')",
            name=op.f("ck_integration_installations_health_status_valid"),
        ),
        sa.CheckConstraint(
            "mode IN ('live', 'sandbox')", name=op.f("ck_integration_installations_mode_valid")
        ),
        sa.CheckConstraint(
            "status IN ('disabled', 'configuring', 'enabled', 'error', 'suspended')",
            name=op.f("ck_integration_installations_status_valid"),
        ),
        sa.CheckConstraint(
            "sync_frequency IN ('realtime', 'hourly', 'daily', 'weekly', 'manual')",
            name=op.f("ck_integration_installations_sync_frequency_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["installed_by"],
            ["users.id"],
            name=op.f("fk_integration_installations_installed_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integration_catalog.id"],
            name=op.f("fk_integration_installations_integration_id_integration_catalog"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_integration_installations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_installations")),
        sa.UniqueConstraint(
            "organization_id",
            "integration_id",
            name=op.f("uq_integration_installations_organization_id_integration_id"),
        ),
    )
    with op.batch_alter_table("integration_installations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integration_installations_integration_id"),
            ["integration_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_integration_installations_status_next_sync_at"),
            ["status", "next_sync_at"],
            unique=False,
        )

    op.create_table(
        "integration_reviews",
        sa.Column("integration_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("ease_of_use_rating", sa.Integer(), nullable=True),
        sa.Column("documentation_rating", sa.Integer(), nullable=True),
        sa.Column("support_rating", sa.Integer(), nullable=True),
        sa.Column("value_rating", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("review_text", sa.Text(), nullable=False),
        sa.Column("pros", sa.Text(), nullable=True),
        sa.Column("cons", sa.Text(), nullable=True),
        sa.Column("would_recommend", sa.Boolean(), nullable=True),
        sa.Column("is_verified_purchase", sa.Boolean(), nullable=False),
        sa.Column("helpful_count", sa.Integer(), nullable=False),
        sa.Column("not_helpful_count", sa.Integer(), nullable=False),
        sa.Column("vendor_response", sa.Text(), nullable=True),
        sa.Column("vendor_response_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "documentation_rating IS NULL OR (documentation_rating >= 1 AND documentation_rating <= 5)",
            name=op.f("ck_integration_reviews_documentation_rating_range"),
        ),
        sa.CheckConstraint(
            "ease_of_use_rating IS NULL OR (ease_of_use_rating >= 1 AND ease_of_use_rating <= 5)",
            name=op.f("ck_integration_reviews_ease_of_use_rating_range"),
        ),
        sa.CheckConstraint(
            "rating >= 1 AND rating <= 5", name=op.f("ck_integration_reviews_rating_range")
        ),
        sa.CheckConstraint(
            "support_rating IS NULL OR (support_rating >= 1 AND support_rating <= 5)",
            name=op.f("ck_integration_reviews_support_rating_range"),
        ),
        sa.CheckConstraint(
            "value_rating IS NULL OR (value_rating >= 1 AND value_rating <= 5)",
            name=op.f("ck_integration_reviews_value_rating_range"),
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integration_catalog.id"],
            name=op.f("fk_integration_reviews_integration_id_integration_catalog"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_integration_reviews_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_integration_reviews_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_reviews")),
        sa.UniqueConstraint(
            "integration_id",
            "user_id",
            "organization_id",
            name=op.f("uq_integration_reviews_integration_id_user_id_organization_id"),
        ),
    )
    with op.batch_alter_table("integration_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integration_reviews_integration_id_created_at"),
            ["integration_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_integration_reviews_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_integration_reviews_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "memberships",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('owner', 'admin', 'integration_manager', 'analyst', 'viewer')",
            name=op.f("ck_memberships_role_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_memberships_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint(
            "organization_id", "user_id", name=op.f("uq_memberships_organization_id_user_id")
        ),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_memberships_user_id"), ["user_id"], unique=False)

    op.create_table(
        "integration_activity_logs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("installation_id", sa.Uuid(), nullable=True),
        sa.Column("integration_id", sa.Uuid(), nullable=False),
        sa.Column("activity_type", sa.String(length=30), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("records_processed", sa.Integer(), nullable=False),
        sa.Column("records_failed", sa.Integer(), nullable=False),
        sa.Column("execution_time_ms", sa.Integer(), nullable=True),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column(
            "bytes_transferred",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("error_code", sa.String(length=100), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("triggered_by", sa.String(length=20), nullable=False),
        sa.Column("triggered_by_user_id", sa.Uuid(), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "activity_type IN ('install', 'uninstall', 'config_change', 'test_connection', 'health_check', 'sync', 'query', 'push', 'webhook', 'error', 'state_change')",
            name=op.f("ck_integration_activity_logs_activity_type_valid"),
        ),
        sa.CheckConstraint(
            "direction IN ('inbound', 'outbound', 'internal')",
            name=op.f("ck_integration_activity_logs_direction_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('success', 'failure', 'partial', 'rejected')",
            name=op.f("ck_integration_activity_logs_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["integration_installations.id"],
            name=op.f("fk_integration_activity_logs_installation_id_integration_installations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integration_catalog.id"],
            name=op.f("fk_integration_activity_logs_integration_id_integration_catalog"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_integration_activity_logs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["triggered_by_user_id"],
            ["users.id"],
            name=op.f("fk_integration_activity_logs_triggered_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_activity_logs")),
    )
    with op.batch_alter_table("integration_activity_logs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integration_activity_logs_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_integration_activity_logs_installation_id_created_at"),
            ["installation_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_integration_activity_logs_organization_id_created_at"),
            ["organization_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "integration_configurations",
        sa.Column("installation_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "changed_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("config_hash", sa.String(length=64), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_integration_configurations_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["integration_installations.id"],
            name=op.f("fk_integration_configurations_installation_id_integration_installations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_configurations")),
        sa.UniqueConstraint(
            "installation_id",
            "version",
            name=op.f("uq_integration_configurations_installation_id_version"),
        ),
    )
    op.create_table(
        "integration_credentials",
        sa.Column("installation_id", sa.Uuid(), nullable=False),
        sa.Column("field_name", sa.String(length=100), nullable=False),
        sa.Column("credential_type", sa.String(length=50), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_rotated", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rotation_frequency_days", sa.Integer(), nullable=True),
        sa.Column("auto_rotate", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["integration_installations.id"],
            name=op.f("fk_integration_credentials_installation_id_integration_installations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_credentials")),
        sa.UniqueConstraint(
            "installation_id",
            "field_name",
            name=op.f("uq_integration_credentials_installation_id_field_name"),
        ),
    )
    op.create_table(
        "integration_data_mappings",
        sa.Column("installation_id", sa.Uuid(), nullable=False),
        sa.Column("source_type", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "field_mappings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "transformations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "filter_rules",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["integration_installations.id"],
            name=op.f("fk_integration_data_mappings_installation_id_integration_installations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_data_mappings")),
        sa.UniqueConstraint(
            "installation_id",
            "source_type",
            "name",
            name=op.f("uq_integration_data_mappings_installation_id_source_type_name"),
        ),
    )
    with op.batch_alter_table("integration_data_mappings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integration_data_mappings_installation_id_source_type_priority"),
            ["installation_id", "source_type", "priority"],
            unique=False,
        )

    op.create_table(
        "integration_sync_jobs",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("installation_id", sa.Uuid(), nullable=False),
        sa.Column("job_type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("progress", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("records_total", sa.Integer(), nullable=True),
        sa.Column("records_processed", sa.Integer(), nullable=False),
        sa.Column("records_created", sa.Integer(), nullable=False),
        sa.Column("records_updated", sa.Integer(), nullable=False),
        sa.Column("records_failed", sa.Integer(), nullable=False),
        sa.Column(
            "checkpoint",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("retry_count", sa.Integer(), nullable=False),
        sa.Column("max_retries", sa.Integer(), nullable=False),
        sa.Column("next_retry_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancel_requested_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("triggered_by", sa.String(length=20), nullable=False),
        sa.Column("triggered_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("started_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "job_type IN ('full', 'incremental', 'manual')",
            name=op.f("ck_integration_sync_jobs_job_type_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled', 'retrying')",
            name=op.f("ck_integration_sync_jobs_status_valid"),
        ),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 100",
            name=op.f("ck_integration_sync_jobs_progress_range"),
        ),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["integration_installations.id"],
            name=op.f("fk_integration_sync_jobs_installation_id_integration_installations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_integration_sync_jobs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["triggered_by_user_id"],
            ["users.id"],
            name=op.f("fk_integration_sync_jobs_triggered_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_sync_jobs")),
    )
    with op.batch_alter_table("integration_sync_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integration_sync_jobs_installation_id_status"),
            ["installation_id", "status"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_integration_sync_jobs_organization_id_created_at"),
            ["organization_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_integration_sync_jobs_status_next_retry_at"),
            ["status", "next_retry_at"],
            unique=False,
        )

    op.create_table(
        "integration_usage_analytics",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("integration_id", sa.Uuid(), nullable=False),
        sa.Column("installation_id", sa.Uuid(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("successful_calls", sa.Integer(), nullable=False),
        sa.Column("failed_calls", sa.Integer(), nullable=False),
        sa.Column("avg_response_time_ms", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("max_response_time_ms", sa.Integer(), nullable=False),
        sa.Column("data_transferred_mb", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("records_synced", sa.Integer(), nullable=False),
        sa.Column("unique_users", sa.Integer(), nullable=False),
        sa.Column("uptime_percentage", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("error_rate", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("estimated_cost", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "error_rate >= 0 AND error_rate <= 100",
            name=op.f("ck_integration_usage_analytics_error_rate_range"),
        ),
        sa.CheckConstraint(
            "uptime_percentage >= 0 AND uptime_percentage <= 100",
            name=op.f("ck_integration_usage_analytics_uptime_percentage_range"),
        ),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["integration_installations.id"],
            name=op.f("fk_integration_usage_analytics_installation_id_integration_installations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integration_catalog.id"],
            name=op.f("fk_integration_usage_analytics_integration_id_integration_catalog"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_integration_usage_analytics_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_usage_analytics")),
        sa.UniqueConstraint(
            "organization_id",
            "integration_id",
            "day",
            name=op.f("uq_integration_usage_analytics_organization_id_integration_id_day"),
        ),
    )
    with op.batch_alter_table("integration_usage_analytics", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integration_usage_analytics_installation_id_day"),
            ["installation_id", "day"],
            unique=False,
        )

    op.create_table(
        "integration_webhooks",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("installation_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("previous_token_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "previous_token_expires_at", aria.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("verification_method", sa.String(length=20), nullable=False),
        sa.Column(
            "verification_config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("secret_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("secret_nonce", sa.LargeBinary(), nullable=True),
        sa.Column(
            "event_types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("last_received_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("total_received", sa.Integer(), nullable=False),
        sa.Column("total_failed", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "verification_method IN ('hmac', 'signature', 'ip_whitelist', 'bearer_token')",
            name=op.f("ck_integration_webhooks_verification_method_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["integration_installations.id"],
            name=op.f("fk_integration_webhooks_installation_id_integration_installations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_integration_webhooks_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_webhooks")),
        sa.UniqueConstraint(
            "previous_token_hash", name=op.f("uq_integration_webhooks_previous_token_hash")
        ),
        sa.UniqueConstraint("token_hash", name=op.f("uq_integration_webhooks_token_hash")),
    )
    with op.batch_alter_table("integration_webhooks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integration_webhooks_installation_id"), ["installation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_integration_webhooks_organization_id"), ["organization_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("integration_webhooks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integration_webhooks_organization_id"))
        batch_op.drop_index(batch_op.f("ix_integration_webhooks_installation_id"))

    op.drop_table("integration_webhooks")
    with op.batch_alter_table("integration_usage_analytics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integration_usage_analytics_installation_id_day"))

    op.drop_table("integration_usage_analytics")
    with op.batch_alter_table("integration_sync_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integration_sync_jobs_status_next_retry_at"))
        batch_op.drop_index(batch_op.f("ix_integration_sync_jobs_organization_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_integration_sync_jobs_installation_id_status"))

    op.drop_table("integration_sync_jobs")
    with op.batch_alter_table("integration_data_mappings", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_integration_data_mappings_installation_id_source_type_priority")
        )

    op.drop_table("integration_data_mappings")
    op.drop_table("integration_credentials")
    op.drop_table("integration_configurations")
    with op.batch_alter_table("integration_activity_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integration_activity_logs_organization_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_integration_activity_logs_installation_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_integration_activity_logs_created_at"))

    op.drop_table("integration_activity_logs")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memberships_user_id"))

    op.drop_table("memberships")
    with op.batch_alter_table("integration_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integration_reviews_user_id"))
        batch_op.drop_index(batch_op.f("ix_integration_reviews_organization_id"))
        batch_op.drop_index(batch_op.f("ix_integration_reviews_integration_id_created_at"))

    op.drop_table("integration_reviews")
    with op.batch_alter_table("integration_installations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integration_installations_status_next_sync_at"))
        batch_op.drop_index(batch_op.f("ix_integration_installations_integration_id"))

    op.drop_table("integration_installations")
    with op.batch_alter_table("integration_collection_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integration_collection_items_integration_id"))

    op.drop_table("integration_collection_items")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_organization_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_action"))

    op.drop_table("audit_log")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))
        batch_op.drop_index(batch_op.f("ix_api_tokens_prefix"))
        batch_op.drop_index(batch_op.f("ix_api_tokens_organization_id_revoked_at"))

    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("organizations")
    with op.batch_alter_table("integration_collections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integration_collections_display_order"))

    op.drop_table("integration_collections")
    with op.batch_alter_table("integration_catalog", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integration_catalog_total_installs"))
        batch_op.drop_index(batch_op.f("ix_integration_catalog_category_status"))
        batch_op.drop_index(batch_op.f("ix_integration_catalog_avg_rating"))

    op.drop_table("integration_catalog")
