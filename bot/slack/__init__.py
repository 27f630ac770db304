"""Slack-specific helpers: text escaping/unescaping, dump detection, pacing, safe downloads."""
