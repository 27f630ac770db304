"""A progress line on standard error while a big log is read, only when stderr is a terminal."""

from __future__ import annotations

import os
import sys
import time
from typing import IO


class Progress:
    """``oomlens: 212 of 512 MB read (41%), 180 events`` redrawn in place, at most 10 times a second.

    Nothing is written when the stream is not a terminal (a pipe, a file, CI logs)."""

    def __init__(self, label: str, total_bytes: int | None, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.active = bool(getattr(self.stream, "isatty", lambda: False)())
        self.label = label
        self.total = total_bytes
        self.read = 0
        self.events = 0
        self._shown = 0.0

    @classmethod
    def for_path(cls, path: str, stream: IO[str] | None = None) -> Progress:
        total = None
        if path != "-":
            try:
                total = os.path.getsize(path)
            except OSError:
                total = None
        return cls(os.path.basename(path) if path != "-" else "standard input", total, stream)

    def bytes_read(self, count: int) -> None:
        self.read = count
        self._draw()

    def add_events(self, count: int) -> None:
        self.events += count
        self._draw()

    def _draw(self, force: bool = False) -> None:
        if not self.active:
            return
        now = time.monotonic()
        if not force and now - self._shown < 0.1:
            return
        self._shown = now
        done = f"{self.read / 2**20:.0f}"
        if self.total:
            done += f" of {self.total / 2**20:.0f} MB read ({min(100, 100 * self.read // self.total)}%)"
        else:
            done += " MB read"
        self.stream.write(f"\r\x1b[2Koomlens: {self.label}: {done}, {self.events} events")
        self.stream.flush()

    def finish(self) -> None:
        if self.active and self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
