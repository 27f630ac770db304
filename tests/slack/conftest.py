"""pytest fixtures for tests/slack (defined in slack_harness)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from slack_harness import bot, db_url, fake_slack, slack  # noqa: F401
