"""Slack bot state: dedup keys, analyses, replies, feedback, paste fragments.

Revision ID: 0001_slack_bot
Revises:
Create Date: 2025-01-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_slack_bot"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oomlens_dedup_keys",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_oomlens_dedup_keys_expires_at", "oomlens_dedup_keys", ["expires_at"])
    op.create_table(
        "oomlens_analyses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=True),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("source_ts", sa.String(32), nullable=True),
        sa.Column("thread_ts", sa.String(32), nullable=True),
        sa.Column("source_kind", sa.String(32), nullable=False),
        sa.Column("headline", sa.String(300), nullable=False),
        sa.Column("top_code", sa.String(32), nullable=True),
        sa.Column("top_title", sa.String(300), nullable=True),
        sa.Column("event_count", sa.Integer, nullable=False),
        sa.Column("paste", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_oomlens_analyses_team_id", "oomlens_analyses", ["team_id"])
    op.create_index("ix_oomlens_analyses_created_at", "oomlens_analyses", ["created_at"])
    op.create_table(
        "oomlens_replies",
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("source_ts", sa.String(32), primary_key=True),
        sa.Column("reply_ts", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32), nullable=False),
        sa.Column("analysis_id", sa.Integer, nullable=True),
        sa.Column("text_digest", sa.String(64), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "oomlens_feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("analysis_id", sa.Integer, nullable=True),
        sa.Column("team_id", sa.String(32), nullable=True),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("user_id", sa.String(32), nullable=True),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("top_code", sa.String(32), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_oomlens_feedback_analysis_id", "oomlens_feedback", ["analysis_id"])
    op.create_table(
        "oomlens_fragments",
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("thread_key", sa.String(32), primary_key=True),
        sa.Column("first_ts", sa.String(32), nullable=False),
        sa.Column("last_ts", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("oomlens_fragments")
    op.drop_table("oomlens_feedback")
    op.drop_table("oomlens_replies")
    op.drop_table("oomlens_analyses")
    op.drop_table("oomlens_dedup_keys")
