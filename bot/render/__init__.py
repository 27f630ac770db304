"""Renderers of analyses and summaries: terminal text, markdown, JSON (the contract), JSON lines,
Slack Block Kit (with mrkdwn escaping), gfp text and charts."""
