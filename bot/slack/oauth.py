"""Multi-workspace installs ("Add to Slack") with slack-sdk's SQLAlchemy stores in the bot's database.

- ``bolt_oauth_settings()``: Bolt's OAuth settings with the installation store (tables
  ``slack_bots``, ``slack_installations``) and the OAuth state store (``slack_oauth_states``), both
  created by the alembic migration ``0005_slack_oauth``, on the store's own engine.
- ``routes(bolt)``: ``GET /slack/install`` (the "Add to Slack" page) and ``GET /slack/oauth_redirect``
  (Slack sends the installer back here; the installation is saved), served by Bolt's OAuth flow.
- ``TeamClients``: the Web API client for a workspace, for work that has no Slack request behind
  it (digests, resumed history scans): the single bot token, or the workspace's installation.
- Uninstalls and revoked tokens delete the installation (``bot/slack/listeners/installs.py``).

Without SLACK_CLIENT_ID none of this is active and SLACK_BOT_TOKEN serves the one workspace.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.oauth.oauth_settings import OAuthSettings as BoltOAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.settings import OAuthSettings

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


def bolt_oauth_settings(oauth: OAuthSettings, engine: Any) -> BoltOAuthSettings:
    logger = logging.getLogger("bot.bolt.oauth")
    installation_store = SQLAlchemyInstallationStore(client_id=oauth.client_id or "", engine=engine, logger=logger)
    state_store = SQLAlchemyOAuthStateStore(expiration_seconds=oauth.state_expiration_s, engine=engine, logger=logger)
    return BoltOAuthSettings(
        client_id=oauth.client_id,
        client_secret=oauth.client_secret,
        scopes=list(oauth.scopes),
        redirect_uri=oauth.redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=installation_store,
        # the bot acts as itself; no user token is asked for or kept
        installation_store_bot_only=True,
        state_store=state_store,
        logger=logger,
    )


def routes(bolt: Any) -> list[Route]:
    """The install page and the OAuth redirect; none when OAuth is off."""
    flow = getattr(bolt, "oauth_flow", None)
    if flow is None:
        return []

    async def install(request: Request) -> Response:
        bolt_request = to_bolt_request(request, b"")
        return to_starlette_response(await run_in_threadpool(flow.handle_installation, bolt_request))

    async def oauth_redirect(request: Request) -> Response:
        bolt_request = to_bolt_request(request, b"")
        return to_starlette_response(await run_in_threadpool(flow.handle_callback, bolt_request))

    return [Route(INSTALL_PATH, install, methods=["GET"]), Route(REDIRECT_PATH, oauth_redirect, methods=["GET"])]


class TeamClients:
    """``for_team(team_id)``: a client carrying that workspace's bot token, or ``None`` when the
    workspace has no installation (uninstalled). In single-workspace mode: always the one client."""

    def __init__(self, client: WebClient, installation_store: Any = None):
        self.client = client
        self.installation_store = installation_store

    def for_team(self, team_id: str | None) -> WebClient | None:
        if self.installation_store is None:
            return self.client
        try:
            bot = self.installation_store.find_bot(enterprise_id=None, team_id=team_id)
        except Exception:
            log.warning("installation of %s could not be read", team_id, exc_info=True)
            return None
        if bot is None or not bot.bot_token:
            return None
        return WebClient(
            token=bot.bot_token,
            base_url=self.client.base_url,
            timeout=self.client.timeout,
            retry_handlers=list(self.client.retry_handlers),
        )
