"""Per-channel send slots shared by all replicas (Slack's ~1 message/s/channel pace).

Revision ID: 0003_channel_slots
Revises: 0002_incident_memory
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_channel_slots"
down_revision = "0002_incident_memory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oomlens_channel_slots",
        sa.Column("channel", sa.String(64), primary_key=True),
        sa.Column("next_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("oomlens_channel_slots")
