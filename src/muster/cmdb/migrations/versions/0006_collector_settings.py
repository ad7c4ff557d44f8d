"""Collector: site sweep settings, exclusions, SNMP credentials, sweep progress, schedules

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 19:52:49.534343
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import muster.cmdb.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.String(length=191), nullable=False),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apscheduler_jobs")),
    )
    with op.batch_alter_table("apscheduler_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_apscheduler_jobs_next_run_time"), ["next_run_time"], unique=False
        )

    op.create_table(
        "exclusion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("cidr", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_exclusion_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exclusion")),
        sa.UniqueConstraint("site_id", "cidr", name=op.f("uq_exclusion_site_id_cidr")),
    )
    with op.batch_alter_table("exclusion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exclusion_site_id"), ["site_id"], unique=False)

    op.create_table(
        "snmp_credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=4), nullable=False),
        sa.Column("community", sa.String(length=1024), nullable=True),
        sa.Column("user", sa.String(length=255), nullable=True),
        sa.Column("auth_protocol", sa.String(length=16), nullable=True),
        sa.Column("auth_key", sa.String(length=1024), nullable=True),
        sa.Column("priv_protocol", sa.String(length=16), nullable=True),
        sa.Column("priv_key", sa.String(length=1024), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
            name=op.f("fk_snmp_credential_site_id_site"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snmp_credential")),
        sa.UniqueConstraint(
            "site_id", "position", name=op.f("uq_snmp_credential_site_id_position")
        ),
    )
    with op.batch_alter_table("snmp_credential", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_snmp_credential_site_id"), ["site_id"], unique=False)

    with op.batch_alter_table("site", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("profile", sa.String(length=32), server_default="standard", nullable=False)
        )
        batch_op.add_column(
            sa.Column("techniques", muster.cmdb.models.JsonDocument(), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "port_profile", sa.String(length=32), server_default="common", nullable=False
            )
        )
        batch_op.add_column(sa.Column("ports", muster.cmdb.models.JsonDocument(), nullable=True))
        batch_op.add_column(
            sa.Column("rate_limit", sa.Integer(), server_default=sa.text("300"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("priority", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("allow_public", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("schedule", sa.String(length=128), nullable=True))

    with op.batch_alter_table("sweep", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("probed", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("total", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("heartbeat_at", muster.cmdb.models.UtcDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("trigger", sa.String(length=16), server_default="cli", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("sweep", schema=None) as batch_op:
        batch_op.drop_column("trigger")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("total")
        batch_op.drop_column("probed")

    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("schedule")
        batch_op.drop_column("allow_public")
        batch_op.drop_column("priority")
        batch_op.drop_column("rate_limit")
        batch_op.drop_column("ports")
        batch_op.drop_column("port_profile")
        batch_op.drop_column("techniques")
        batch_op.drop_column("profile")

    with op.batch_alter_table("snmp_credential", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_snmp_credential_site_id"))

    op.drop_table("snmp_credential")
    with op.batch_alter_table("exclusion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exclusion_site_id"))

    op.drop_table("exclusion")
    with op.batch_alter_table("apscheduler_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_apscheduler_jobs_next_run_time"))

    op.drop_table("apscheduler_jobs")
