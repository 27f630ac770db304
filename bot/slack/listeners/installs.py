"""The app's life in a workspace: ``app_uninstalled`` and ``tokens_revoked``.

With "Add to Slack" (OAuth) the workspace's installation is deleted, so no digest or resumed scan
tries its dead token again; in single-workspace mode there is nothing stored to forget and the
event is logged (SLACK_BOT_TOKEN stops working: the operator must reinstall or stop the bot).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

log = logging.getLogger(__name__)


def _store(app: Any) -> Any:
    return getattr(app, "installation_store", None)


def register(app: App) -> None:
    @app.event("app_uninstalled")
    def handle_app_uninstalled(context: Any) -> None:
        store = _store(app)
        if store is None:
            log.warning(
                "the app was uninstalled from workspace %s; SLACK_BOT_TOKEN no longer works", context.get("team_id")
            )
            return
        store.delete_all(enterprise_id=context.get("enterprise_id"), team_id=context.get("team_id"))
        log.info("the app was uninstalled from workspace %s; its installation is deleted", context.get("team_id"))

    @app.event("tokens_revoked")
    def handle_tokens_revoked(event: dict[str, Any], context: Any) -> None:
        tokens = event.get("tokens") if isinstance(event.get("tokens"), dict) else {}
        store = _store(app)
        team_id, enterprise_id = context.get("team_id"), context.get("enterprise_id")
        if store is None:
            if tokens.get("bot"):
                log.warning("the bot token of workspace %s was revoked; SLACK_BOT_TOKEN no longer works", team_id)
            return
        for user_id in tokens.get("oauth") or []:
            if isinstance(user_id, str):
                store.delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)
        if tokens.get("bot"):
            store.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
            log.info("the bot token of workspace %s was revoked; its installation is deleted", team_id)
