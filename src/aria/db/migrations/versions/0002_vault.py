"""vault: key-encryption keys and per-installation data keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 11:30:46.453947
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aria.db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vault_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'retired')", name=op.f("ck_vault_keys_status_valid")
        ),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_vault_keys")),
    )
    with op.batch_alter_table("vault_keys", schema=None) as batch_op:
        batch_op.create_index(
            "uq_vault_keys_one_active",
            ["status"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.create_table(
        "vault_data_keys",
        sa.Column("installation_id", sa.Uuid(), nullable=False),
        sa.Column("kek_id", sa.String(length=32), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rewrapped_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["integration_installations.id"],
            name=op.f("fk_vault_data_keys_installation_id_integration_installations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["kek_id"],
            ["vault_keys.key_id"],
            name=op.f("fk_vault_data_keys_kek_id_vault_keys"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("installation_id", name=op.f("pk_vault_data_keys")),
    )
    with op.batch_alter_table("vault_data_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vault_data_keys_kek_id"), ["kek_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("vault_data_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vault_data_keys_kek_id"))

    op.drop_table("vault_data_keys")
    with op.batch_alter_table("vault_keys", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_vault_keys_one_active",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.drop_table("vault_keys")
