"""webhooks

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 12:09:19.558897
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import aria.db.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column(
            "event_types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("payload_template", sa.Text(), nullable=True),
        sa.Column(
            "header_names",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("headers_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("headers_nonce", sa.LargeBinary(), nullable=True),
        sa.Column("secret_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("secret_nonce", sa.LargeBinary(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("backoff_base_s", sa.Integer(), nullable=False),
        sa.Column("backoff_max_s", sa.Integer(), nullable=False),
        sa.Column("timeout_s", sa.Integer(), nullable=False),
        sa.Column("failure_threshold", sa.Integer(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("total_triggers", sa.Integer(), nullable=False),
        sa.Column("total_failures", sa.Integer(), nullable=False),
        sa.Column("last_triggered_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "method IN ('POST', 'PUT', 'PATCH')", name=op.f("ck_webhook_subscriptions_method_valid")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_webhook_subscriptions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_subscriptions_organization_id"),
            ["organization_id"],
            unique=False,
        )

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=60), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_until", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_time_ms", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'delivering', 'succeeded', 'retrying', 'failed', 'cancelled')",
            name=op.f("ck_webhook_deliveries_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_webhook_deliveries_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscriptions.id"],
            name=op.f("fk_webhook_deliveries_subscription_id_webhook_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_status_next_attempt_at"),
            ["status", "next_attempt_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_subscription_id_created_at"),
            ["subscription_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "webhook_inbound_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("installation_id", sa.Uuid(), nullable=False),
        sa.Column("webhook_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column(
            "headers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("body_size", sa.Integer(), nullable=False),
        sa.Column("source_ip", sa.String(length=45), nullable=True),
        sa.Column("delivery_key", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_until", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("processed_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("records_processed", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('received', 'processing', 'processed', 'retrying', 'dead')",
            name=op.f("ck_webhook_inbound_events_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["integration_installations.id"],
            name=op.f("fk_webhook_inbound_events_installation_id_integration_installations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_webhook_inbound_events_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["integration_webhooks.id"],
            name=op.f("fk_webhook_inbound_events_webhook_id_integration_webhooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_inbound_events")),
    )
    with op.batch_alter_table("webhook_inbound_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_inbound_events_installation_id"),
            ["installation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_inbound_events_organization_id"),
            ["organization_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_inbound_events_status_next_attempt_at"),
            ["status", "next_attempt_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_inbound_events_webhook_id_received_at"),
            ["webhook_id", "received_at"],
            unique=False,
        )

    op.create_table(
        "webhook_seen_ids",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("webhook_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["integration_webhooks.id"],
            name=op.f("fk_webhook_seen_ids_webhook_id_integration_webhooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_webhook_seen_ids")),
    )
    with op.batch_alter_table("webhook_seen_ids", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_seen_ids_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_seen_ids_webhook_id"), ["webhook_id"], unique=False
        )

    op.create_table(
        "webhook_dead_letters",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("installation_id", sa.Uuid(), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("delivery_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("replayed_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("replay_count", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('inbound', 'outbound')", name=op.f("ck_webhook_dead_letters_kind_valid")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'replayed')", name=op.f("ck_webhook_dead_letters_status_valid")
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name=op.f("fk_webhook_dead_letters_delivery_id_webhook_deliveries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["webhook_inbound_events.id"],
            name=op.f("fk_webhook_dead_letters_event_id_webhook_inbound_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["integration_installations.id"],
            name=op.f("fk_webhook_dead_letters_installation_id_integration_installations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_webhook_dead_letters_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_dead_letters")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_webhook_dead_letters_delivery_id")),
        sa.UniqueConstraint("event_id", name=op.f("uq_webhook_dead_letters_event_id")),
    )
    with op.batch_alter_table("webhook_dead_letters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_dead_letters_installation_id"), ["installation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_dead_letters_organization_id_created_at"),
            ["organization_id", "created_at"],
            unique=False,
        )

    with op.batch_alter_table("integration_webhooks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("preset", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("token_prefix", sa.String(length=12), nullable=True))
        batch_op.add_column(
            sa.Column("stream", sa.String(length=100), server_default="webhook", nullable=False)
        )
        batch_op.add_column(
            sa.Column("rate_limit_per_minute", sa.Integer(), server_default="6000", nullable=False)
        )
        batch_op.add_column(
            sa.Column("max_body_bytes", sa.Integer(), server_default="1048576", nullable=False)
        )
        batch_op.add_column(
            sa.Column("previous_secret_ciphertext", sa.LargeBinary(), nullable=True)
        )
        batch_op.add_column(sa.Column("previous_secret_nonce", sa.LargeBinary(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "previous_secret_expires_at",
                aria.db.types.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("total_rejected", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.drop_constraint(
            batch_op.f("ck_integration_webhooks_verification_method_valid"), type_="check"
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_integration_webhooks_verification_method_valid"),
            "verification_method IN ('hmac', 'signature', 'ip_whitelist', 'bearer_token', "
            "'integration')",
        )


def downgrade() -> None:
    op.execute("DELETE FROM integration_webhooks WHERE verification_method = 'integration'")
    with op.batch_alter_table("integration_webhooks", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_integration_webhooks_verification_method_valid"), type_="check"
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_integration_webhooks_verification_method_valid"),
            "verification_method IN ('hmac', 'signature', 'ip_whitelist', 'bearer_token')",
        )
        batch_op.drop_column("total_rejected")
        batch_op.drop_column("previous_secret_expires_at")
        batch_op.drop_column("previous_secret_nonce")
        batch_op.drop_column("previous_secret_ciphertext")
        batch_op.drop_column("max_body_bytes")
        batch_op.drop_column("rate_limit_per_minute")
        batch_op.drop_column("stream")
        batch_op.drop_column("token_prefix")
        batch_op.drop_column("preset")
        batch_op.drop_column("name")

    with op.batch_alter_table("webhook_dead_letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_dead_letters_organization_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_webhook_dead_letters_installation_id"))

    op.drop_table("webhook_dead_letters")
    with op.batch_alter_table("webhook_seen_ids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_seen_ids_webhook_id"))
        batch_op.drop_index(batch_op.f("ix_webhook_seen_ids_expires_at"))

    op.drop_table("webhook_seen_ids")
    with op.batch_alter_table("webhook_inbound_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_inbound_events_webhook_id_received_at"))
        batch_op.drop_index(batch_op.f("ix_webhook_inbound_events_status_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_webhook_inbound_events_organization_id"))
        batch_op.drop_index(batch_op.f("ix_webhook_inbound_events_installation_id"))

    op.drop_table("webhook_inbound_events")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_subscription_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_status_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_organization_id"))

    op.drop_table("webhook_deliveries")
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_subscriptions_organization_id"))

    op.drop_table("webhook_subscriptions")
