"""Renderers: JSON (the contract), terminal text, markdown and Slack Block Kit."""
