"""deploy/slack-manifest.yaml and the listeners registered by build_app must agree, both ways."""

from __future__ import annotations

import re
from typing import Any

import yaml

from slack_harness import REPO_ROOT

MANIFEST = REPO_ROOT / "deploy" / "slack-manifest.yaml"

# Which bot scopes each surface needs.
EVENT_SCOPES = {"message.channels": "channels:history", "message.groups": "groups:history",
                "message.im": "im:history", "message.mpim": "mpim:history", "app_mention": "app_mentions:read",
                "app_home_opened": None}


class RecordingApp:
    """Stands in for a Bolt App in ``register(app)`` and records what each module listens to."""

    def __init__(self) -> None:
        self.registered: list[tuple[str, Any]] = []

    def _recorder(self, kind: str):
        def decorator_factory(constraint: Any, *args: Any, **kwargs: Any):
            self.registered.append((kind, constraint))
            return lambda function: function

        return decorator_factory

    def __getattr__(self, name: str):
        if name in ("event", "command", "message_shortcut", "shortcut", "action", "view", "options",
                    "message", "block_action", "view_submission"):
            return self._recorder(name)
        raise AttributeError(name)


def registered() -> list[tuple[str, Any]]:
    from bot.slack.app import LISTENER_MODULES

    app = RecordingApp()
    for module in LISTENER_MODULES:
        module.register(app)
    return app.registered


def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text())


def test_commands_match():
    listened = {c for kind, c in registered() if kind == "command"}
    declared = {c["command"] for c in manifest()["features"]["slash_commands"]}
    assert listened == declared


def test_shortcuts_match():
    listened = {c for kind, c in registered() if kind in ("message_shortcut", "shortcut")}
    declared = {s["callback_id"] for s in manifest()["features"]["shortcuts"]}
    assert listened == declared
    assert all(s["type"] == "message" for s in manifest()["features"]["shortcuts"])


def test_events_match():
    listened = set()
    for kind, constraint in registered():
        if kind == "event":
            listened.add(constraint if isinstance(constraint, str) else constraint["type"])
    subscribed = manifest()["settings"]["event_subscriptions"]["bot_events"]
    subscribed_types = {e.split(".")[0] if e.startswith("message.") else e for e in subscribed}
    assert listened == subscribed_types
    assert {"message.channels", "message.groups"} <= set(subscribed)


def test_interactivity_and_scopes_match():
    m = manifest()
    kinds = {kind for kind, _ in registered()}
    needs_interactivity = bool(kinds & {"action", "view", "message_shortcut", "shortcut"})
    assert m["settings"]["interactivity"]["is_enabled"] is needs_interactivity
    required = {"chat:write", "files:read", "files:write"}
    if "command" in kinds:
        required.add("commands")
    for event in m["settings"]["event_subscriptions"]["bot_events"]:
        if EVENT_SCOPES[event]:
            required.add(EVENT_SCOPES[event])
    assert set(m["oauth_config"]["scopes"]["bot"]) == required


def test_urls_point_at_the_bolt_endpoint():
    m = manifest()
    urls = [m["settings"]["event_subscriptions"]["request_url"], m["settings"]["interactivity"]["request_url"]]
    urls += [c["url"] for c in m["features"]["slash_commands"]]
    assert all(re.match(r"^https://[^/]+/slack/events$", url) for url in urls)


def test_recording_app_sees_every_listener_of_the_real_app(fake_slack, db_url):
    from slack_harness import make_settings
    from bot.slack.app import build_app

    app = build_app(make_settings(fake_slack, db_url))
    try:
        # build_app adds exactly one catch-all `message` listener after the modules' own.
        assert len(app.bolt._listeners) == len(registered()) + 1
    finally:
        app.shutdown()
        app.services.store.close()
