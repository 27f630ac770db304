"""Installations and OAuth states for "Add to Slack" (several workspaces).

The tables are slack-sdk's own (its SQLAlchemy installation and state stores read and write
them), so they are built from slack-sdk's table definitions rather than restated here.

Revision ID: 0005_slack_oauth
Revises: 0004_job_queue
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

revision = "0005_slack_oauth"
down_revision = "0004_job_queue"
branch_labels = None
depends_on = None

BOTS = SQLAlchemyInstallationStore.default_bots_table_name
INSTALLATIONS = SQLAlchemyInstallationStore.default_installations_table_name
STATES = SQLAlchemyOAuthStateStore.default_table_name


def _tables() -> sa.MetaData:
    metadata = sa.MetaData()
    SQLAlchemyInstallationStore.build_bots_table(metadata, BOTS)
    SQLAlchemyInstallationStore.build_installations_table(metadata, INSTALLATIONS)
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, STATES)
    return metadata


def upgrade() -> None:
    _tables().create_all(bind=op.get_bind(), checkfirst=True)


def downgrade() -> None:
    _tables().drop_all(bind=op.get_bind(), checkfirst=True)
