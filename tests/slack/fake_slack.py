"""A fake Slack Web API (and Socket Mode websocket) for end-to-end tests of the bot.

It runs on 127.0.0.1 on an ephemeral port, records every call, answers the methods the bot uses,
serves file downloads that demand the bot token, and checks every message it receives against
Block Kit limits and the "no live mentions from a paste" rule. Problems land in ``violations``;
the test fixtures fail a test that leaves any.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T0TEST"
# "Add to Slack": the app's credentials, and the code Slack hands the installer's browser.
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "client-secret"

_LIVE_MENTION = re.compile(r"<!(channel|here|everyone|subteam\^)[^>]*>")
_USER_MENTION = re.compile(r"<@([A-Z0-9]+)(\|[^>]*)?>")
_BAD_AMP = re.compile(r"&(?!amp;|lt;|gt;)")
_ALLOWED_MARKUP = re.compile(r"<(@[A-Z0-9]+|#[A-Z0-9]+(\|[^<>]*)?|https://[^\s<>|]+(\|[^<>]*)?)>")


@dataclass
class Call:
    method: str
    headers: dict[str, str]
    params: dict[str, Any]
    at: float


@dataclass
class Fault:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=lambda: {"ok": False, "error": "ratelimited"})


class ServerThread:
    """Run an ASGI app under uvicorn in a daemon thread on 127.0.0.1:<ephemeral>."""

    def __init__(self, asgi_app: Any):
        self.server = uvicorn.Server(
            uvicorn.Config(asgi_app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", access_log=False)
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> int:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self.server.servers[0].sockets[0].getsockname()[1]

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _text_fields(node: Any, path: str = "") -> list[tuple[str, str, str]]:
    """(path, type, text) for every text object in a block tree."""
    found: list[tuple[str, str, str]] = []
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            found.append((path, node["type"], node["text"]))
        for key, value in node.items():
            found.extend(_text_fields(value, f"{path}.{key}"))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found.extend(_text_fields(item, f"{path}[{index}]"))
    return found


def validate_blocks(blocks: Any, *, surface: str = "message", allowed_users: set[str] = frozenset()) -> list[str]:
    """Block Kit limits (slack_sdk's validators and Slack's message limits) and mention hygiene."""
    problems: list[str] = []
    if not isinstance(blocks, list):
        return [f"blocks is not a list: {type(blocks).__name__}"]
    max_blocks = 50 if surface == "message" else 100
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks > {max_blocks}")
    total = 0
    for index, block in enumerate(blocks):
        kind = block.get("type")
        if len(block.get("block_id", "")) > 255:
            problems.append(f"block {index}: block_id > 255")
        if kind == "section":
            text = (block.get("text") or {}).get("text", "")
            if len(text) > 3000:
                problems.append(f"block {index}: section text {len(text)} > 3000")
            if len(block.get("fields") or []) > 10:
                problems.append(f"block {index}: > 10 fields")
            if not text and not block.get("fields"):
                problems.append(f"block {index}: empty section")
        elif kind == "header":
            text = block["text"]
            if text.get("type") != "plain_text" or len(text.get("text", "")) > 150:
                problems.append(f"block {index}: header must be plain_text <= 150")
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= 25:
                problems.append(f"block {index}: actions with {len(elements)} elements")
            for element in elements:
                if len(element.get("text", {}).get("text", "")) > 75:
                    problems.append(f"block {index}: button text > 75")
                if len(element.get("value", "")) > 2000:
                    problems.append(f"block {index}: button value > 2000")
                if len(element.get("action_id", "")) > 255:
                    problems.append(f"block {index}: action_id > 255")
                if element.get("type") == "static_select":
                    options = element.get("options") or []
                    if not 1 <= len(options) <= 100:
                        problems.append(f"block {index}: static_select with {len(options)} options")
                    for option in options:
                        if len(option["text"]["text"]) > 75 or len(option.get("value", "")) > 150:
                            problems.append(f"block {index}: option text > 75 or value > 150")
                    if len(element.get("placeholder", {}).get("text", "")) > 150:
                        problems.append(f"block {index}: placeholder > 150")
        elif kind == "context":
            if not 1 <= len(block.get("elements") or []) <= 10:
                problems.append(f"block {index}: context elements")
        elif kind == "markdown" and len(block.get("text", "")) > 12000:
            problems.append(f"block {index}: markdown > 12000")
    for path, kind, text in _text_fields(blocks):
        total += len(text)
        problems.extend(f"{path}: {p}" for p in check_text(text, kind, allowed_users))
    if surface == "message" and total > 12000:
        problems.append(f"aggregate block text {total} > 12000 (msg_blocks_too_long)")
    return problems


def check_text(text: str, kind: str, allowed_users: set[str] = frozenset()) -> list[str]:
    problems = []
    if _LIVE_MENTION.search(text):
        problems.append(f"live broadcast mention in {kind}: {_LIVE_MENTION.search(text).group(0)!r}")
    for match in _USER_MENTION.finditer(text):
        if match.group(1) not in allowed_users:
            problems.append(f"unexpected user mention {match.group(0)!r}")
    if kind == "mrkdwn":
        if _BAD_AMP.search(text):
            problems.append(f"unescaped & in mrkdwn near {text[max(0, _BAD_AMP.search(text).start() - 20) :][:40]!r}")
        stripped = _ALLOWED_MARKUP.sub("", text)
        if "<" in stripped or ">" in stripped:
            at = max(stripped.find("<"), stripped.find(">"))
            problems.append(f"unescaped angle bracket in mrkdwn near {stripped[max(0, at - 20) : at + 20]!r}")
    return problems


class FakeSlack:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.faults: dict[str, list[Fault]] = {}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.threads: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.history: dict[str, list[dict[str, Any]]] = {}  # channel -> messages, oldest first
        self.files: dict[str, dict[str, Any]] = {}  # id -> {"content": bytes, "meta": {...}}
        self.uploads: dict[str, dict[str, Any]] = {}  # id -> {"content": bytes, "filename", "channel", "thread_ts"}
        self.response_posts: list[dict[str, Any]] = []
        self.downloads: list[Call] = []
        self.allowed_users: set[str] = set()
        self.post_interval_s = 0.9  # Slack: ~1 chat.postMessage per second per channel
        self.ws_url: str | None = None
        self._last_post: dict[str, float] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._server: ServerThread | None = None
        self.base_url = ""
        # token -> identity for auth.test; the bot token of the default workspace, plus OAuth installs
        self.tokens: dict[str, dict[str, Any]] = {
            BOT_TOKEN: {"team_id": TEAM_ID, "team": "Test", "user_id": BOT_USER_ID, "bot_id": BOT_ID}
        }
        self.oauth_codes: dict[str, dict[str, Any]] = {}  # code -> workspace it installs into

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        app = Starlette(
            routes=[
                Route("/api/{method}", self._api, methods=["GET", "POST"]),
                Route("/upload/{file_id}", self._upload, methods=["POST"]),
                Route("/files-pri/{file_id}/{name}", self._download, methods=["GET"]),
                Route("/response/{rid}", self._response, methods=["POST"]),
            ]
        )
        self._server = ServerThread(app)
        port = self._server.start()
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        if self._server:
            self._server.stop()

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    def response_url(self) -> str:
        return f"{self.base_url}/response/{next(self._ids)}"

    # -- test helpers -------------------------------------------------------------------------

    def new_ts(self) -> str:
        return f"{1700000000 + next(self._ts)}.{next(self._ids):06d}"

    def add_fault(self, method: str, status: int = 429, retry_after: int | None = 1, times: int = 1) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = {"ok": False, "error": "ratelimited" if status == 429 else "internal_error"}
        with self.lock:
            self.faults.setdefault(method, []).extend(Fault(status, headers, body) for _ in range(times))

    def add_file(self, name: str, content: bytes, **meta: Any) -> dict[str, Any]:
        file_id = f"F{next(self._ids):08d}"
        url = f"{self.base_url}/files-pri/{file_id}/{name}"
        info = {
            "id": file_id,
            "name": name,
            "title": name,
            "size": len(content),
            "mimetype": "text/plain",
            "filetype": "text",
            "url_private": url,
            "url_private_download": url + "?download=1",
            **meta,
        }
        with self.lock:
            self.files[file_id] = {"content": content, "meta": info}
        return info

    def messages_by_text(self, channel: str, needle: str) -> list[str]:
        """ts of the messages posted in ``channel`` whose text contains ``needle``."""
        with self.lock:
            return [ts for (c, ts), m in self.messages.items() if c == channel and needle in (m.get("text") or "")]

    def calls_to(self, method: str, **where: Any) -> list[Call]:
        with self.lock:
            calls = list(self.calls)
        return [c for c in calls if c.method == method and all(c.params.get(k) == v for k, v in where.items())]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.02) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        raise AssertionError("timed out waiting for the bot")

    def wait_calls(self, method: str, count: int = 1, timeout: float = 15.0, **where: Any) -> list[Call]:
        return self.wait_for(
            lambda: (lambda c: c if len(c) >= count else None)(self.calls_to(method, **where)), timeout=timeout
        )

    # -- HTTP handlers ------------------------------------------------------------------------

    async def _params(self, request: Request) -> dict[str, Any]:
        body = await request.body()
        params: dict[str, Any] = dict(request.query_params)
        ctype = request.headers.get("content-type", "")
        if body:
            if "json" in ctype:
                params.update(json.loads(body))
            else:
                params.update(dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)))
        for key in ("blocks", "view", "attachments"):
            if isinstance(params.get(key), str) and params[key].strip()[:1] in "[{":
                params[key] = json.loads(params[key])
        return params

    def _record(self, method: str, request: Request, params: dict[str, Any]) -> Call:
        call = Call(method, {k.lower(): v for k, v in request.headers.items()}, params, time.monotonic())
        with self.lock:
            self.calls.append(call)
        return call

    def _violation(self, message: str) -> None:
        with self.lock:
            self.violations.append(message)

    def _check_message(self, method: str, params: dict[str, Any], surface: str = "message") -> None:
        text = params.get("text")
        blocks = params.get("blocks")
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"):
            if not blocks and not text:
                self._violation(f"{method}: neither text nor blocks")
            if blocks and not text and method != "response_url":
                self._violation(f"{method}: blocks without fallback text")
            if isinstance(text, str):
                if len(text) > 40000:
                    self._violation(f"{method}: text longer than 40000")
                for problem in check_text(text, "mrkdwn", self.allowed_users):
                    self._violation(f"{method} text: {problem}")
        if blocks:
            for problem in validate_blocks(blocks, surface=surface, allowed_users=self.allowed_users):
                self._violation(f"{method}: {problem}")

    async def _api(self, request: Request) -> Response:
        method = request.path_params["method"]
        params = await self._params(request)
        call = self._record(method, request, params)
        auth = call.headers.get("authorization", "")
        if method == "apps.connections.open":
            if auth != f"Bearer {APP_TOKEN}":
                return JSONResponse({"ok": False, "error": "invalid_auth"})
            return JSONResponse({"ok": True, "url": self.ws_url})
        if method == "oauth.v2.access":
            return JSONResponse(self._oauth_v2_access(params, auth))
        with self.lock:
            known = auth.startswith("Bearer ") and auth[len("Bearer ") :] in self.tokens
        if not known:
            return JSONResponse({"ok": False, "error": "invalid_auth"})
        with self.lock:
            queue = self.faults.get(method)
            fault = queue.pop(0) if queue else None
        if fault is not None:
            return JSONResponse(fault.body, status_code=fault.status, headers=fault.headers)
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return JSONResponse({"ok": True})
        if method == "auth.test":
            return JSONResponse(handler(params, token=auth[len("Bearer ") :]))
        return JSONResponse(handler(params))

    def add_install_code(self, code: str, team_id: str, team: str, bot_user_id: str, bot_id: str) -> str:
        """A code that oauth.v2.access exchanges for a new bot token in ``team_id``; returns the token."""
        token = f"xoxb-{team_id.lower()}-{code}"
        with self.lock:
            self.oauth_codes[code] = {
                "token": token,
                "team_id": team_id,
                "team": team,
                "user_id": bot_user_id,
                "bot_id": bot_id,
            }
        return token

    def revoke(self, token: str) -> None:
        with self.lock:
            self.tokens.pop(token, None)

    def _oauth_v2_access(self, params: dict[str, Any], auth: str) -> dict[str, Any]:
        import base64

        client = (params.get("client_id"), params.get("client_secret"))
        if auth.startswith("Basic "):
            client = tuple(base64.b64decode(auth[len("Basic ") :]).decode().split(":", 1))  # type: ignore[assignment]
        if client != (CLIENT_ID, CLIENT_SECRET):
            return {"ok": False, "error": "invalid_client_id"}
        with self.lock:
            install = self.oauth_codes.pop(params.get("code") or "", None)
            if install is None:
                return {"ok": False, "error": "invalid_code"}
            self.tokens[install["token"]] = {k: install[k] for k in ("team_id", "team", "user_id", "bot_id")}
        return {
            "ok": True,
            "access_token": install["token"],
            "token_type": "bot",
            "scope": "chat:write,commands",
            "bot_user_id": install["user_id"],
            "app_id": "A0TEST",
            "team": {"id": install["team_id"], "name": install["team"]},
            "enterprise": None,
            "authed_user": {"id": "UINSTALLER"},
            "is_enterprise_install": False,
        }

    def _m_auth_test(self, params: dict[str, Any], token: str = BOT_TOKEN) -> dict[str, Any]:
        with self.lock:
            who = self.tokens.get(token) or self.tokens[BOT_TOKEN]
        return {
            "ok": True,
            "url": f"https://{who['team'].lower()}.slack.com/",
            "team": who["team"],
            "user": "oomlens",
            "team_id": who["team_id"],
            "user_id": who["user_id"],
            "bot_id": who["bot_id"],
            "is_enterprise_install": False,
        }

    def _m_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel", "")
        now = time.monotonic()
        with self.lock:
            last = self._last_post.get(channel)
            self._last_post[channel] = now
        if last is not None and now - last < self.post_interval_s:
            self._violation(f"chat.postMessage pacing: two posts in {channel} {now - last:.2f}s apart")
        self._check_message("chat.postMessage", params)
        ts = self.new_ts()
        message = {
            "ts": ts,
            "channel": channel,
            "text": params.get("text"),
            "blocks": params.get("blocks"),
            "thread_ts": params.get("thread_ts"),
            "bot_id": BOT_ID,
            "user": BOT_USER_ID,
        }
        metadata = params.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if metadata:
            message["metadata"] = metadata
        with self.lock:
            self.messages[(channel, ts)] = message
            if params.get("thread_ts"):  # conversations.replies shows the bot's own replies too
                self.threads.setdefault((channel, params["thread_ts"]), []).append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _m_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (params.get("channel", ""), params.get("ts", ""))
        with self.lock:
            exists = key in self.messages
        if not exists:
            return {"ok": False, "error": "message_not_found"}
        self._check_message("chat.update", params)
        with self.lock:
            self.messages[key].update(text=params.get("text"), blocks=params.get("blocks"))
        return {"ok": True, "channel": key[0], "ts": key[1]}

    def _m_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_message("chat.postEphemeral", params)
        return {"ok": True, "message_ts": self.new_ts()}

    def _m_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params.get("view") or {}
        self._check_view(view)
        return {"ok": True, "view": {"id": f"V{next(self._ids)}", **view}}

    _m_views_publish = _m_views_open
    _m_views_update = _m_views_open

    def _check_view(self, view: dict[str, Any]) -> None:
        if len((view.get("title") or {}).get("text", "")) > 24:
            self._violation("view title > 24")
        if len(view.get("private_metadata", "")) > 3000:
            self._violation("view private_metadata > 3000")
        for problem in validate_blocks(view.get("blocks") or [], surface="view", allowed_users=self.allowed_users):
            self._violation(f"view: {problem}")

    def _m_conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            messages = list(self.threads.get((params.get("channel", ""), params.get("ts", "")), []))
        return {"ok": True, "messages": messages, "has_more": False, "response_metadata": {"next_cursor": ""}}

    def add_history(self, channel: str, messages: list[dict[str, Any]]) -> None:
        """Messages posted before the bot joined (oldest first), served by conversations.history."""
        with self.lock:
            self.history.setdefault(channel, []).extend(messages)

    def _m_conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Newest first, `limit` per page (capped at 15 like non-Marketplace apps since 2025 when
        `limit` is absent), opaque cursors, `oldest`/`latest` bounds."""
        with self.lock:
            messages = list(reversed(self.history.get(params.get("channel", ""), [])))
        oldest = float(params.get("oldest") or 0)
        latest = float(params.get("latest") or 1e12)
        messages = [m for m in messages if oldest < float(m["ts"]) <= latest]
        limit = int(params.get("limit") or 15)
        cursor = params.get("cursor") or ""
        if cursor and not cursor.startswith("dXNlcjo"):
            return {"ok": False, "error": "invalid_cursor"}
        start = int(cursor[len("dXNlcjo") :]) if cursor else 0
        page = messages[start : start + limit]
        more = start + limit < len(messages)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": f"dXNlcjo{start + limit}" if more else ""},
        }

    def _m_files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            stored = self.files.get(params.get("file", ""))
        if stored is None:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": stored["meta"]}

    def _m_files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = f"FUP{next(self._ids):06d}"
        with self.lock:
            self.uploads[file_id] = {
                "filename": params.get("filename"),
                "length": params.get("length"),
                "alt_txt": params.get("alt_txt"),
                "content": None,
                "channel": None,
                "thread_ts": None,
            }
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files")
        files = json.loads(files) if isinstance(files, str) else files or []
        done = []
        with self.lock:
            for entry in files:
                upload = self.uploads.get(entry["id"])
                if upload is None or upload["content"] is None:
                    self.violations.append(f"completeUploadExternal for {entry['id']} without upload")
                    continue
                # File titles and alt texts are shown as plain text: a paste's `<!channel>` or `&`
                # must reach them defused (look-alike brackets), never raw.
                for kind, value in (("file title", entry.get("title")), ("file alt text", upload.get("alt_txt"))):
                    if isinstance(value, str) and re.search(r"[<>]|&(?!amp;|lt;|gt;)", value):
                        self.violations.append(f"raw markup in {kind}: {value[:80]!r}")
                comment = params.get("initial_comment")
                if isinstance(comment, str):
                    self.violations.extend(check_text(comment, "mrkdwn", self.allowed_users))
                upload.update(
                    channel=params.get("channel_id"),
                    thread_ts=params.get("thread_ts"),
                    title=entry.get("title"),
                    comment=params.get("initial_comment"),
                )
                done.append({"id": entry["id"], "title": entry.get("title"), "name": upload["filename"]})
        return {"ok": True, "files": done}

    async def _upload(self, request: Request) -> Response:
        file_id = request.path_params["file_id"]
        body = await request.body()
        self._record("upload", request, {"file_id": file_id, "bytes": len(body)})
        with self.lock:
            if file_id not in self.uploads:
                return PlainTextResponse("no such upload", status_code=404)
            self.uploads[file_id]["content"] = body
        return PlainTextResponse(f"OK - {len(body)}")

    async def _download(self, request: Request) -> Response:
        call = Call(
            "download",
            {k.lower(): v for k, v in request.headers.items()},
            {"file_id": request.path_params["file_id"]},
            time.monotonic(),
        )
        with self.lock:
            self.downloads.append(call)
            stored = self.files.get(request.path_params["file_id"])
        if call.headers.get("authorization") != f"Bearer {BOT_TOKEN}":
            return PlainTextResponse("<html>login</html>", status_code=401)  # Slack serves a login page
        if stored is None:
            return PlainTextResponse("not found", status_code=404)
        return Response(stored["content"], media_type="application/octet-stream")

    async def _response(self, request: Request) -> Response:
        params = await self._params(request)
        self._record("response_url", request, params)
        if not params.get("delete_original"):
            self._check_message("response_url", params)
        with self.lock:
            self.response_posts.append(params)
        return JSONResponse({"ok": True})


class FakeSocketModeServer:
    """The websocket end of Socket Mode: pushes envelopes, records the app's acks."""

    def __init__(self) -> None:
        from websockets.sync.server import serve

        self.acks: dict[str, tuple[float, dict[str, Any]]] = {}
        self.sent: dict[str, float] = {}
        self.connections: list[Any] = []
        self.lock = threading.Lock()
        self.connected = threading.Event()
        self._server = serve(self._handler, "127.0.0.1", 0, compression=None)
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self._ids = itertools.count(1)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link/?ticket=test&app_id=A0TEST"

    def _handler(self, connection: Any) -> None:
        with self.lock:
            self.connections.append(connection)
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "connection_info": {"app_id": "A0TEST"},
                    "debug_info": {"host": "fake"},
                }
            )
        )
        self.connected.set()
        try:
            for raw in connection:
                data = json.loads(raw)
                envelope_id = data.get("envelope_id")
                if envelope_id:
                    with self.lock:
                        self.acks[envelope_id] = (time.monotonic(), data)
        except Exception:
            pass

    def send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
        accepts_response_payload: bool = False,
    ) -> str:
        envelope_id = f"env-{next(self._ids)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        with self.lock:
            connection = self.connections[-1]
            self.sent[envelope_id] = time.monotonic()
        connection.send(json.dumps(envelope))
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> float:
        """Seconds between sending the envelope and the app's ack."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if envelope_id in self.acks:
                    return self.acks[envelope_id][0] - self.sent[envelope_id]
            time.sleep(0.01)
        raise AssertionError(f"no ack for {envelope_id}")

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
