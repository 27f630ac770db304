"""App Home: what the bot does, how to use it, and the latest analyses in this workspace."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.render.blockkit import render_home
from bot.slack.services import Services


def handle_home_opened(event: dict[str, Any], body: dict[str, Any], client: Any, context: Any) -> None:
    if event.get("tab", "home") != "home":
        return
    services: Services = context["oomlens"]
    analyses = services.store.latest_analyses(body.get("team_id") or context.get("team_id"), limit=10)
    client.views_publish(user_id=event["user"], view=render_home(analyses))


def register(app: App) -> None:
    app.event("app_home_opened")(handle_home_opened)
