"""Incident memory: analysed events, digest schedules, job leases, history scans.

Revision ID: 0002_incident_memory
Revises: 0001_slack_bot
Create Date: 2025-02-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_incident_memory"
down_revision = "0001_slack_bot"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oomlens_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=True),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("thread_ts", sa.String(32), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("event_index", sa.Integer, nullable=False),
        sa.Column("user_id", sa.String(32), nullable=True),
        sa.Column("source_kind", sa.String(32), nullable=False),
        sa.Column("posted_at", sa.Float, nullable=False),
        sa.Column("event_time", sa.Float, nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("kernel", sa.String(128), nullable=True),
        sa.Column("kind", sa.String(32), nullable=True),
        sa.Column("trigger_comm", sa.String(64), nullable=True),
        sa.Column("victim_comm", sa.String(64), nullable=True),
        sa.Column("victim_pid", sa.Integer, nullable=True),
        sa.Column("cgroup", sa.String(500), nullable=True),
        sa.Column("oom_memcg", sa.String(500), nullable=True),
        sa.Column("pod_uid", sa.String(64), nullable=True),
        sa.Column("container_id", sa.String(80), nullable=True),
        sa.Column("container_runtime", sa.String(32), nullable=True),
        sa.Column("systemd_unit", sa.String(255), nullable=True),
        sa.Column("top_code", sa.String(32), nullable=True),
        sa.Column("top_title", sa.String(300), nullable=True),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("confidence", sa.Float, nullable=True),
        sa.Column("figures", sa.Text, nullable=False),
        sa.Column("remediation", sa.Text, nullable=False),
        sa.Column("paste", sa.Text, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("channel", "message_ts", "event_index", name="uq_oomlens_events_message"),
    )
    op.create_index("ix_oomlens_events_channel_time", "oomlens_events", ["team_id", "channel", "posted_at"])
    op.create_index("ix_oomlens_events_created_at", "oomlens_events", ["created_at"])
    op.create_table(
        "oomlens_digests",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("at_time", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(32), nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "oomlens_leases",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("done_at", sa.Float, nullable=True),
        sa.Column("result", sa.String(64), nullable=True),
    )
    op.create_table(
        "oomlens_scans",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("oldest", sa.String(32), nullable=False),
        sa.Column("cursor", sa.String(500), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("messages", sa.Integer, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("resume_at", sa.Float, nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("oomlens_scans")
    op.drop_table("oomlens_leases")
    op.drop_table("oomlens_digests")
    op.drop_index("ix_oomlens_events_created_at", "oomlens_events")
    op.drop_index("ix_oomlens_events_channel_time", "oomlens_events")
    op.drop_table("oomlens_events")
