"""Durable work queue: one row per acknowledged Events API delivery, claimed with a lease.

The dedup keys gain a holder (the job that took them), so the replica that takes over a job
whose replica died re-enters the keys that job had already claimed instead of dropping it.

Revision ID: 0004_job_queue
Revises: 0003_channel_slots
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_job_queue"
down_revision = "0003_channel_slots"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oomlens_jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(300), nullable=False, unique=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("holder", sa.String(64), nullable=True),
        sa.Column("lease_until", sa.Float, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("done_at", sa.Float, nullable=True),
        sa.Column("error", sa.String(300), nullable=True),
    )
    op.create_index("ix_oomlens_jobs_pending", "oomlens_jobs", ["done_at", "lease_until"])
    with op.batch_alter_table("oomlens_dedup_keys") as batch:
        batch.add_column(sa.Column("holder", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("oomlens_dedup_keys") as batch:
        batch.drop_column("holder")
    op.drop_index("ix_oomlens_jobs_pending", table_name="oomlens_jobs")
    op.drop_table("oomlens_jobs")
