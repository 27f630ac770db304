"""Several workspaces through "Add to Slack": the install page, the OAuth redirect, answers with
each workspace's own token, and uninstall / token revocation; all against the fake Slack API."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import pytest
from fake_slack import CLIENT_ID, CLIENT_SECRET
from slack_harness import BotServer, SlackSender, corpus_text, make_settings, new_channel, slack_escape


@pytest.fixture
def oauth_bot(fake_slack, db_url):
    from bot.settings import OAuthSettings

    server = BotServer(
        make_settings(fake_slack, db_url, bot_token=""),
        oauth=OAuthSettings(client_id=CLIENT_ID, client_secret=CLIENT_SECRET),
    )
    yield server
    server.stop()


def install(bot: BotServer, fake_slack, team_id: str, code: str) -> str:
    """Walk the browser through /slack/install and /slack/oauth_redirect; returns the new token."""
    token = fake_slack.add_install_code(code, team_id, f"Team {team_id}", f"UBOT{team_id}", f"BBOT{team_id}")
    with httpx.Client(base_url=bot.base_url, timeout=10) as browser:
        page = browser.get("/slack/install")
        assert page.status_code == 200 and "Add to Slack" in page.text
        link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.text).group(1)
        query = dict(httpx.URL(link.replace("&amp;", "&")).params)
        assert query["client_id"] == CLIENT_ID and "chat:write" in query["scope"].split(",")
        assert "im:history" not in query["scope"].split(",")  # least privilege, as the manifest
        # The state cookie is Secure (production is https); this test server is http, so the
        # browser's part is played by hand: send back the cookie the install page set.
        cookie = page.headers["set-cookie"].split(";", 1)[0]
        assert cookie.endswith("=" + query["state"]) and "HttpOnly" in page.headers["set-cookie"]
        done = browser.get(
            "/slack/oauth_redirect", params={"code": code, "state": query["state"]}, headers={"cookie": cookie}
        )
    assert done.status_code == 200, done.text
    return token


def event_body(team_id: str, event: dict[str, Any], event_id: str) -> bytes:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": team_id,
            "api_app_id": "A0TEST",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": team_id, "user_id": f"UBOT{team_id}", "is_bot": True}],
        }
    ).encode()


def test_two_workspaces_install_and_each_is_answered_with_its_own_token(oauth_bot, fake_slack):
    tokens = {team: install(oauth_bot, fake_slack, team, f"code-{team}") for team in ("T0AAA", "T0BBB")}
    store = oauth_bot.app.bolt.installation_store
    for team, token in tokens.items():
        assert store.find_bot(enterprise_id=None, team_id=team).bot_token == token

    sender = SlackSender(oauth_bot.base_url, fake_slack)
    try:
        for n, (team, token) in enumerate(tokens.items()):
            channel = new_channel()
            event = {
                "type": "message",
                "channel": channel,
                "user": "UHUMAN",
                "ts": fake_slack.new_ts(),
                "text": slack_escape(corpus_text("seed-rsync-32bit")),
                "team": team,
            }
            assert sender.post(event_body(team, event, f"EvOAUTH{n}"), "application/json").status_code == 200
            (reply,) = fake_slack.wait_calls("chat.postMessage", channel=channel)
            assert reply.headers["authorization"] == f"Bearer {token}"
    finally:
        sender.close()


def test_a_forged_or_replayed_state_installs_nothing(oauth_bot, fake_slack):
    fake_slack.add_install_code("code-x", "T0XXX", "X", "UBOTX", "BBOTX")
    with httpx.Client(base_url=oauth_bot.base_url, timeout=10) as browser:
        answer = browser.get("/slack/oauth_redirect", params={"code": "code-x", "state": "forged"})
    assert answer.status_code >= 400
    assert oauth_bot.app.bolt.installation_store.find_bot(enterprise_id=None, team_id="T0XXX") is None
    assert not fake_slack.calls_to("oauth.v2.access")


def test_uninstall_and_revocation_delete_the_installation(oauth_bot, fake_slack):
    from bot.slack.oauth import TeamClients

    install(oauth_bot, fake_slack, "T0AAA", "code-a")
    install(oauth_bot, fake_slack, "T0BBB", "code-b")
    bolt = oauth_bot.app.bolt
    clients = TeamClients(bolt.client, bolt.installation_store)
    assert clients.for_team("T0AAA") is not None and clients.for_team("T0BBB") is not None
    sender = SlackSender(oauth_bot.base_url, fake_slack)
    try:
        response = sender.post(event_body("T0AAA", {"type": "app_uninstalled"}, "EvUNINST"), "application/json")
        assert response.status_code == 200
        revoked = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOTT0BBB"]}}
        assert sender.post(event_body("T0BBB", revoked, "EvREVOKE"), "application/json").status_code == 200
    finally:
        sender.close()
    fake_slack.wait_for(lambda: clients.for_team("T0AAA") is None and clients.for_team("T0BBB") is None)


def test_without_a_client_id_the_install_routes_do_not_exist(bot):
    assert httpx.get(bot.base_url + "/slack/install").status_code == 404
    assert httpx.get(bot.base_url + "/slack/oauth_redirect").status_code == 404


def test_oauth_settings_are_checked_in_one_line():
    from bot.settings import OAuthSettings, Settings, SettingsError

    assert not OAuthSettings.from_env({}).enabled
    with pytest.raises(SettingsError, match=r"^SLACK_CLIENT_SECRET is not set"):
        OAuthSettings.from_env({"SLACK_CLIENT_ID": "1.2"})
    with pytest.raises(SettingsError, match=r"^SLACK_SCOPES is malformed"):
        OAuthSettings.from_env(
            {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s", "SLACK_SCOPES": "chat:write;files:read"}
        )
    with pytest.raises(SettingsError, match=r"^SLACK_REDIRECT_URI is malformed"):
        OAuthSettings.from_env(
            {
                "SLACK_CLIENT_ID": "1.2",
                "SLACK_CLIENT_SECRET": "s",
                "SLACK_REDIRECT_URI": "http://x/slack/oauth_redirect",
            }
        )
    # OAuth needs no SLACK_BOT_TOKEN; without either, the message names both ways
    settings = Settings.from_env({"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s", "SLACK_SIGNING_SECRET": "x"})
    assert settings.bot_token == ""
    with pytest.raises(SettingsError, match="SLACK_CLIENT_ID"):
        Settings.from_env({"SLACK_SIGNING_SECRET": "x"})
    oauth = OAuthSettings.from_env({"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "sekrit-value"})
    assert oauth.client_secret == "sekrit-value" and "sekrit-value" not in repr(oauth)


def test_default_scopes_are_the_prod_manifests():
    import yaml
    from slack_harness import REPO_ROOT

    from bot.settings import DEFAULT_BOT_SCOPES

    manifest = yaml.safe_load((REPO_ROOT / "deploy" / "slack-manifest.prod.yaml").read_text())
    assert set(DEFAULT_BOT_SCOPES) == set(manifest["oauth_config"]["scopes"]["bot"])


def test_digests_go_out_with_each_workspaces_client_and_skip_an_uninstalled_one(tmp_path):
    from datetime import UTC, datetime

    from bot.settings import Settings
    from bot.slack.incidents import Incidents
    from bot.slack.scheduler import Scheduler
    from bot.slack.services import Services
    from bot.store import Digest, Store

    store = Store.open(f"sqlite:///{tmp_path / 'd.sqlite3'}")
    posted = []

    class Recorder(Incidents):
        def post_digest(self, client, digest, *, now):
            posted.append((digest.team_id, client))
            return "1.1"

    clients = {"T0AAA": "client-of-AAA", "T0GONE": None}
    services = Services(settings=Settings(bot_token="", signing_secret="s"), store=store)
    scheduler = Scheduler(Recorder(services), client=None, client_for=clients.get)
    nine = datetime(2025, 3, 14, 9, 0, tzinfo=UTC).timestamp()
    for team in clients:
        store.set_digest(Digest(team, "C" + team, "daily", "09:00", "UTC", "U", updated_at=nine - 3600))
    assert scheduler.run_due_digests(now=nine + 60) == ["digest:T0AAA:CT0AAA:2025-03-14"]
    assert posted == [("T0AAA", "client-of-AAA")]
    assert scheduler.run_due_digests(now=nine + 120) == []  # the uninstalled one is settled, not retried
    store.close()


def test_oauth_with_socket_mode_is_refused_in_one_line(tmp_path):
    import os
    import subprocess
    import sys

    from slack_harness import REPO_ROOT

    env = dict(
        os.environ,
        SLACK_APP_TOKEN="xapp-1",
        SLACK_CLIENT_ID="1.2",
        SLACK_CLIENT_SECRET="s",
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}",
    )
    env.pop("SLACK_BOT_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--socket-mode"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=60,
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("oomlens serve: SLACK_CLIENT_ID:") and "HTTP mode" in line
