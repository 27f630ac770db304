"""Table definitions (SQLAlchemy Core) matching the alembic migrations."""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text

metadata = MetaData()

# Keys of deliveries already handled: "event:<event_id>", "msg:<channel>:<ts>", ... with a TTL,
# so Slack's retries (and a restart between two deliveries) never produce a second answer.
dedup_keys = Table(
    "oomlens_dedup_keys",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("expires_at", Float, nullable=False, index=True),
)

# One row per paste we analysed: feeds App Home, the detail buttons and feedback.
analyses = Table(
    "oomlens_analyses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(32), nullable=True, index=True),
    Column("channel", String(32), nullable=True),
    Column("source_ts", String(32), nullable=True),
    Column("thread_ts", String(32), nullable=True),
    Column("source_kind", String(32), nullable=False),
    Column("headline", String(300), nullable=False),
    Column("top_code", String(32), nullable=True),
    Column("top_title", String(300), nullable=True),
    Column("event_count", Integer, nullable=False),
    Column("paste", Text, nullable=False),
    Column("created_at", Float, nullable=False, index=True),
)

# Which reply of ours answers which source message (so an edit updates it instead of re-posting).
replies = Table(
    "oomlens_replies",
    metadata,
    Column("channel", String(32), primary_key=True),
    Column("source_ts", String(32), primary_key=True),
    Column("reply_ts", String(32), nullable=False),
    Column("thread_ts", String(32), nullable=False),
    Column("analysis_id", Integer, nullable=True),
    Column("text_digest", String(64), nullable=True),
    Column("created_at", Float, nullable=False),
)

# "helpful" / "wrong cause" votes, kept for review of the knowledge base.
feedback = Table(
    "oomlens_feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("analysis_id", Integer, nullable=True, index=True),
    Column("team_id", String(32), nullable=True),
    Column("channel", String(32), nullable=True),
    Column("user_id", String(32), nullable=True),
    Column("verdict", String(16), nullable=False),
    Column("top_code", String(32), nullable=True),
    Column("created_at", Float, nullable=False),
)

# A dump pasted over several consecutive messages by one author: the text so far.
fragments = Table(
    "oomlens_fragments",
    metadata,
    Column("channel", String(32), primary_key=True),
    Column("user_id", String(32), primary_key=True),
    Column("thread_key", String(32), primary_key=True),
    Column("first_ts", String(32), nullable=False),
    Column("last_ts", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
)
