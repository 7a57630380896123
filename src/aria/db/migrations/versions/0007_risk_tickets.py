"""Risk tickets: one row per (risk, ticketing installation) instead of a JSON list on the risk,
so a synced ticket finds its risk by (installation, external id) and its state flows back.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import aria.db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    tickets = op.create_table(
        "risk_tickets",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("risk_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("installation_id", sa.Uuid(), nullable=False),
        sa.Column("integration_key", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=100), nullable=True),
        sa.Column("risk_status", sa.String(length=20), nullable=True),
        sa.Column("comments", JSON, nullable=False),
        sa.Column("pushed_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("synced_at", aria.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["integration_installations.id"],
            name=op.f("fk_risk_tickets_installation_id_integration_installations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_risk_tickets_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["risk_id"],
            ["risks.id"],
            name=op.f("fk_risk_tickets_risk_id_risks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_tickets")),
        sa.UniqueConstraint(
            "installation_id",
            "external_id",
            name=op.f("uq_risk_tickets_installation_id_external_id"),
        ),
        sa.UniqueConstraint(
            "risk_id", "installation_id", name=op.f("uq_risk_tickets_risk_id_installation_id")
        ),
    )
    with op.batch_alter_table("risk_tickets", schema=None) as batch_op:
        batch_op.create_index("ix_risk_tickets_org", ["organization_id"], unique=False)

    _copy_ticket_lists(tickets)
    with op.batch_alter_table("risks", schema=None) as batch_op:
        batch_op.drop_column("tickets")


def _copy_ticket_lists(tickets: sa.Table) -> None:
    """Carry over tickets already linked in the old JSON column."""
    bind = op.get_bind()
    risks = sa.table(
        "risks", sa.column("id"), sa.column("organization_id", sa.Uuid()), sa.column("tickets")
    )
    rows = []
    for risk_id, organization_id, links in bind.execute(sa.select(risks)):
        for link in json.loads(links) if isinstance(links, str) else links or []:
            if not link.get("installation_id") or not link.get("external_id"):
                continue
            pushed = link.get("pushed_at")
            rows.append(
                {
                    "organization_id": organization_id,
                    "risk_id": risk_id,
                    "installation_id": uuid.UUID(link["installation_id"]),
                    "integration_key": link.get("integration") or "",
                    "external_id": str(link["external_id"]),
                    "url": link.get("url"),
                    "state": link.get("status"),
                    "comments": [],
                    "pushed_at": datetime.fromisoformat(pushed) if pushed else datetime.now(UTC),
                }
            )
    if rows:
        op.bulk_insert(tickets, rows)


def downgrade() -> None:
    with op.batch_alter_table("risks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tickets", JSON, nullable=False, server_default="[]"))
    with op.batch_alter_table("risk_tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_risk_tickets_org")
    op.drop_table("risk_tickets")
