"""Analysis ids become 64-bit (PostgreSQL; SQLite integers already are).

A replica that answers a dump from its local spool while the database is away gives the analysis
a random negative 63-bit id (the ids the reply's buttons carry), and keeps it when the analysis is
copied into this database; the sequence keeps handing out positive ids, so the two never meet.

Revision ID: 0006_analysis_ids_64bit
Revises: 0005_slack_oauth
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_analysis_ids_64bit"
down_revision = "0005_slack_oauth"
branch_labels = None
depends_on = None

COLUMNS = (("oomlens_analyses", "id"), ("oomlens_replies", "analysis_id"), ("oomlens_feedback", "analysis_id"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(table, column, type_=sa.BigInteger(), existing_type=sa.Integer())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(table, column, type_=sa.Integer(), existing_type=sa.BigInteger())
