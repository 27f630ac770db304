"""Table definitions (SQLAlchemy Core) matching the alembic migrations."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

# Keys of deliveries already handled: "event:<event_id>", "msg:<channel>:<ts>", ... with a TTL,
# so Slack's retries (and a restart between two deliveries) never produce a second answer.
dedup_keys = Table(
    "oomlens_dedup_keys",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("expires_at", Float, nullable=False, index=True),
    # The job (see ``jobs``) that took the key: a replica taking over that job re-enters it.
    Column("holder", String(64), nullable=True),
)

# Analysis ids are 64-bit (revision 0006): a reply answered from a replica's local spool while the
# database was away carries a random negative id, kept when the analysis is copied here.
AnalysisId = BigInteger().with_variant(Integer(), "sqlite")

# One row per paste we analysed: feeds App Home, the detail buttons and feedback.
analyses = Table(
    "oomlens_analyses",
    metadata,
    Column("id", AnalysisId, primary_key=True, autoincrement=True),
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
    Column("analysis_id", AnalysisId, nullable=True),
    Column("text_digest", String(64), nullable=True),
    Column("created_at", Float, nullable=False),
)

# "helpful" / "wrong cause" votes, kept for review of the knowledge base.
feedback = Table(
    "oomlens_feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("analysis_id", AnalysisId, nullable=True, index=True),
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

# -- incident memory (revision 0002) ----------------------------------------------------------

# One row per analysed kernel memory event (a paste with three OOMs gives three rows): what the
# channel summaries and digests are built from, so they never need the rate-limited history API.
# The raw paste is kept only when OOMLENS_STORE_PASTES asks for it; rows expire with the retention.
oom_events = Table(
    "oomlens_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(32), nullable=True),
    Column("channel", String(32), nullable=True),
    Column("thread_ts", String(32), nullable=True),
    Column("message_ts", String(32), nullable=True),
    Column("event_index", Integer, nullable=False),
    Column("user_id", String(32), nullable=True),
    Column("source_kind", String(32), nullable=False),
    Column("posted_at", Float, nullable=False),  # when it was posted (message ts) or analysed
    Column("event_time", Float, nullable=True),  # when the kernel printed it, from the log prefix
    Column("host", String(255), nullable=True),
    Column("kernel", String(128), nullable=True),
    Column("kind", String(32), nullable=True),
    Column("trigger_comm", String(64), nullable=True),
    Column("victim_comm", String(64), nullable=True),
    Column("victim_pid", Integer, nullable=True),
    Column("cgroup", String(500), nullable=True),
    Column("oom_memcg", String(500), nullable=True),
    Column("pod_uid", String(64), nullable=True),
    Column("container_id", String(80), nullable=True),
    Column("container_runtime", String(32), nullable=True),
    Column("systemd_unit", String(255), nullable=True),
    Column("top_code", String(32), nullable=True),
    Column("top_title", String(300), nullable=True),
    Column("category", String(64), nullable=True),
    Column("confidence", Float, nullable=True),
    Column("figures", Text, nullable=False),  # JSON: key figures (kB), see bot/incidents/records.py
    Column("remediation", Text, nullable=False),  # JSON list of root-cause remediation steps
    Column("paste", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("channel", "message_ts", "event_index", name="uq_oomlens_events_message"),
)
Index("ix_oomlens_events_channel_time", oom_events.c.team_id, oom_events.c.channel, oom_events.c.posted_at)
Index("ix_oomlens_events_created_at", oom_events.c.created_at)

# `/oom digest daily 09:00 [Area/City]`: one schedule per channel.
digests = Table(
    "oomlens_digests",
    metadata,
    Column("team_id", String(32), primary_key=True),
    Column("channel", String(32), primary_key=True),
    Column("period", String(16), nullable=False),  # "daily"
    Column("at_time", String(5), nullable=False),  # "HH:MM"
    Column("timezone", String(64), nullable=False),
    Column("created_by", String(32), nullable=True),
    Column("updated_at", Float, nullable=False),
)

# Leases: a row per job run (e.g. "digest:T:C:2025-03-14"). The replica whose insert (or takeover
# of an expired, unfinished lease) succeeds does the work; the others see the row and skip.
leases = Table(
    "oomlens_leases",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("done_at", Float, nullable=True),
    Column("result", String(64), nullable=True),
)

# `/oom summary scan`: back-fill from conversations.history, resumable from the saved cursor.
scans = Table(
    "oomlens_scans",
    metadata,
    Column("team_id", String(32), primary_key=True),
    Column("channel", String(32), primary_key=True),
    Column("oldest", String(32), nullable=False),
    Column("cursor", String(500), nullable=True),
    Column("status", String(16), nullable=False),  # running, paused, done
    Column("pages", Integer, nullable=False),
    Column("messages", Integer, nullable=False),
    Column("events", Integer, nullable=False),
    Column("resume_at", Float, nullable=True),
    Column("updated_at", Float, nullable=False),
)

# Slack's chat.postMessage pace (about one message per second per channel) is per app, not per
# replica: each post reserves the channel's next slot here, so several replicas share one pace.
channel_slots = Table(
    "oomlens_channel_slots",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("next_at", Float, nullable=False),
)

# The durable work queue (revision 0004): one row per acknowledged Events API delivery (``key`` is
# "event:<event_id>", so Slack's retries of a recorded delivery add nothing). A replica claims a
# row by setting ``holder`` and ``lease_until``, extends the lease while it works (heartbeat), and
# sets ``done_at`` only after the reply is posted; a row whose lease expired is claimed again.
jobs = Table(
    "oomlens_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("body", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("holder", String(64), nullable=True),
    Column("lease_until", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("done_at", Float, nullable=True),
    Column("error", String(300), nullable=True),
)
Index("ix_oomlens_jobs_pending", jobs.c.done_at, jobs.c.lease_until)
