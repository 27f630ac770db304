"""Downloading a shared file or snippet with the bot token, safely.

The URL comes from an event, so before the bearer token is attached the host is checked against
the allow-list (Slack's file hosts, or the configured API host in tests); redirects are followed
by hand and re-checked, the size is capped before and while reading, and ``.gz`` files are
decompressed with the same cap (no gzip bombs).
"""

from __future__ import annotations

import gzip
import io
import logging
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from slack_sdk.errors import SlackApiError

from knowledge.units import size_bytes

from .text import looks_binary

if TYPE_CHECKING:
    from .services import Services

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".log", ".txt", ".text", ".out", ".dmesg")
TEXT_FILETYPES = {"text", "txt", "log", "plain", "shell", "markdown", "post"}


class DownloadError(Exception):
    """Why a file could not be used; ``str(error)`` is a short sentence for the user."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        return None  # handled by the caller so every hop is host-checked


_opener = urllib.request.build_opener(_NoRedirect)


def host_allowed(url: str, allowed_hosts: frozenset[str], plain_http_hosts: frozenset[str] = frozenset()) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host not in allowed_hosts:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and host in plain_http_hosts


def is_supported_file(file: dict) -> bool:
    """Plain text, .log, .txt, .gz (and Slack snippets)."""
    name = (file.get("name") or file.get("title") or "").lower()
    mimetype = (file.get("mimetype") or "").lower()
    filetype = (file.get("filetype") or "").lower()
    if file.get("mode") == "snippet":
        return True
    if name.endswith(".gz") or filetype == "gzip" or mimetype in ("application/gzip", "application/x-gzip"):
        return True
    if name.endswith(TEXT_SUFFIXES) or filetype in TEXT_FILETYPES:
        return True
    return mimetype.startswith("text/")


def download_text(
    file: dict,
    *,
    token: str,
    allowed_hosts: frozenset[str],
    plain_http_hosts: frozenset[str] = frozenset(),
    max_bytes: int,
    timeout_s: float = 15.0,
) -> str:
    """Return the file's text, or raise DownloadError with a message for the user."""
    name = file.get("name") or file.get("title") or "file"
    size = file.get("size")
    if isinstance(size, int) and size > max_bytes:
        raise DownloadError(
            f"{name} is {size_bytes(size)}; I read files up to {size_bytes(max_bytes)}. "
            "Paste the OOM part of the log, or compress it (.gz)."
        )
    url = file.get("url_private_download") or file.get("url_private")
    if not url:
        raise DownloadError(f"Slack did not give me a download link for {name}.")
    data = _fetch(url, token, allowed_hosts, plain_http_hosts, max_bytes, timeout_s, name)
    is_gzip = data[:2] == b"\x1f\x8b"
    if is_gzip:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
                data = stream.read(max_bytes * 4 + 1)
        except (OSError, EOFError):
            raise DownloadError(f"{name} looks like gzip but could not be decompressed.") from None
        if len(data) > max_bytes * 4:
            raise DownloadError(
                f"{name} decompresses to more than {size_bytes(max_bytes * 4)}; send the OOM part of the log instead."
            )
    if looks_binary(data):
        raise DownloadError(f"{name} does not look like a text log.")
    return data.decode("utf-8", errors="replace")


def _fetch(
    url: str,
    token: str,
    allowed_hosts: frozenset[str],
    plain_http_hosts: frozenset[str],
    max_bytes: int,
    timeout_s: float,
    name: str,
) -> bytes:
    for _hop in range(4):
        if not host_allowed(url, allowed_hosts, plain_http_hosts):
            # Never send the bot token anywhere but Slack's file hosts.
            raise DownloadError(f"{name} is not hosted on Slack's file servers, so I did not fetch it.")
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        try:
            with _opener.open(request, timeout=timeout_s) as response:
                data = response.read(max_bytes + 1)
        except urllib.error.HTTPError as error:
            if error.code in (301, 302, 303, 307, 308) and error.headers.get("Location"):
                url = urljoin(url, error.headers["Location"])
                continue
            raise DownloadError(f"Slack refused the download of {name} (HTTP {error.code}).") from None
        except (urllib.error.URLError, TimeoutError, OSError):
            raise DownloadError(f"I could not download {name} from Slack; try again later.") from None
        if len(data) > max_bytes:
            raise DownloadError(
                f"{name} is larger than {size_bytes(max_bytes)}, the most I read. "
                "Paste the OOM part of the log, or compress it (.gz)."
            )
        return data
    raise DownloadError(f"Too many redirects while downloading {name}.")


MAX_FILES = 3


def _file_object(client: Any, file: dict[str, Any]) -> dict[str, Any]:
    """Events may carry only a stub (`file_access: check_file_info`): fetch the full object."""
    if file.get("url_private_download") or file.get("url_private") or not file.get("id"):
        return file
    try:
        return client.files_info(file=file["id"])["file"]
    except SlackApiError as error:
        log.warning("files.info failed for %s: %s", file.get("id"), error.response.get("error"))
        return file


def read_files(services: Services, client: Any, files: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(texts, problems) for the supported files among ``files``."""
    texts: list[str] = []
    problems: list[str] = []
    for stub in files[:MAX_FILES]:
        file = _file_object(client, stub)
        if not is_supported_file(file):
            continue
        try:
            texts.append(
                download_text(
                    file,
                    token=services.settings.bot_token,
                    allowed_hosts=services.settings.allowed_file_hosts,
                    plain_http_hosts=services.plain_http_hosts,
                    max_bytes=services.settings.max_file_bytes,
                )
            )
        except DownloadError as error:
            log.info("file %s not used: %s", file.get("id"), error)
            problems.append(str(error))
    return texts, problems
