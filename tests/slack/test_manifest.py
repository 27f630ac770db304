"""The Slack app manifests (deploy/slack-manifest.dev.yaml: Socket Mode; deploy/slack-manifest.prod.yaml:
HTTP and OAuth) and the listeners registered by build_app must agree, both ways, and each manifest asks
for no scope the bot does not use."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from slack_harness import REPO_ROOT

MANIFESTS = {
    "dev": REPO_ROOT / "deploy" / "slack-manifest.dev.yaml",
    "prod": REPO_ROOT / "deploy" / "slack-manifest.prod.yaml",
}

# Which bot scopes each surface needs.
EVENT_SCOPES = {
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "message.mpim": "mpim:history",
    "app_mention": "app_mentions:read",
    "app_home_opened": None,
    "app_uninstalled": None,
    "tokens_revoked": None,
}


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
        if name in (
            "event",
            "command",
            "message_shortcut",
            "shortcut",
            "action",
            "view",
            "options",
            "message",
            "block_action",
            "view_submission",
        ):
            return self._recorder(name)
        raise AttributeError(name)


def registered() -> list[tuple[str, Any]]:
    from bot.slack.app import LISTENER_MODULES

    app = RecordingApp()
    for module in LISTENER_MODULES:
        module.register(app)
    return app.registered


@pytest.fixture(params=sorted(MANIFESTS))
def manifest(request) -> Any:
    loaded = yaml.safe_load(MANIFESTS[request.param].read_text())
    return lambda: loaded


def test_only_these_manifests_exist():
    assert sorted(p.name for p in (REPO_ROOT / "deploy").glob("slack-manifest*.yaml")) == sorted(
        p.name for p in MANIFESTS.values()
    )


def test_commands_match(manifest):
    listened = {c for kind, c in registered() if kind == "command"}
    declared = {c["command"] for c in manifest()["features"]["slash_commands"]}
    assert listened == declared


def test_shortcuts_match(manifest):
    listened = {c for kind, c in registered() if kind in ("message_shortcut", "shortcut")}
    declared = {s["callback_id"] for s in manifest()["features"]["shortcuts"]}
    assert listened == declared
    assert all(s["type"] == "message" for s in manifest()["features"]["shortcuts"])


def test_events_match(manifest):
    listened = set()
    for kind, constraint in registered():
        if kind == "event":
            listened.add(constraint if isinstance(constraint, str) else constraint["type"])
    subscribed = manifest()["settings"]["event_subscriptions"]["bot_events"]
    subscribed_types = {e.split(".")[0] if e.startswith("message.") else e for e in subscribed}
    assert listened == subscribed_types
    assert {"message.channels", "message.groups"} <= set(subscribed)


def test_interactivity_and_scopes_match(manifest):
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


def test_messages_tab_decides_the_dm_scope(manifest):
    m = manifest()
    tab = m["features"]["app_home"]["messages_tab_enabled"]
    assert ("im:history" in m["oauth_config"]["scopes"]["bot"]) is tab
    assert ("message.im" in m["settings"]["event_subscriptions"]["bot_events"]) is tab


def _urls(m: dict[str, Any]) -> list[str | None]:
    urls = [m["settings"]["event_subscriptions"].get("request_url"), m["settings"]["interactivity"].get("request_url")]
    return urls + [c.get("url") for c in m["features"]["slash_commands"]]


def test_prod_manifest_is_http_with_oauth_on_one_host():
    m = yaml.safe_load(MANIFESTS["prod"].read_text())
    assert m["settings"]["socket_mode_enabled"] is False
    urls = _urls(m)
    assert all(url and re.match(r"^https://[^/]+/slack/events$", url) for url in urls)
    (redirect,) = m["oauth_config"]["redirect_urls"]
    assert redirect == urls[0].replace("/slack/events", "/slack/oauth_redirect")


def test_dev_manifest_is_socket_mode_without_urls():
    m = yaml.safe_load(MANIFESTS["dev"].read_text())
    assert m["settings"]["socket_mode_enabled"] is True
    assert _urls(m) == [None] * len(_urls(m))
    assert "redirect_urls" not in m["oauth_config"]


def test_both_manifests_declare_the_same_surfaces():
    dev, prod = (yaml.safe_load(MANIFESTS[k].read_text()) for k in ("dev", "prod"))
    assert dev["oauth_config"]["scopes"] == prod["oauth_config"]["scopes"]
    assert dev["settings"]["event_subscriptions"]["bot_events"] == prod["settings"]["event_subscriptions"]["bot_events"]
    assert [c["command"] for c in dev["features"]["slash_commands"]] == [
        c["command"] for c in prod["features"]["slash_commands"]
    ]


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
