"""A progress line for long commands: on stderr, redrawn in place, only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

BAR_WIDTH = 24


class Progress:
    """``label: [#####-----] 45% 4,500/10,000, 221/s, <note>`` (no bar without a total), redrawn at most every
    ``interval`` seconds; nothing at all when ``stream`` (default stderr) is not a terminal, so logs and pipes
    get the summary line alone. Use as a context manager: the line is cleared at the end."""

    def __init__(
        self, label: str, total: int | None = None, *, stream: TextIO | None = None, interval: float = 0.2
    ) -> None:
        self.label = label
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.shown = self.stream.isatty()
        self.started = time.monotonic()
        self._drawn = 0.0
        self._width = 0

    def update(self, done: int, note: str = "") -> None:
        """Show that ``done`` items are done (``note``: anything else worth a glance), if it is time to redraw."""
        now = time.monotonic()
        if not self.shown or now - self._drawn < self.interval:
            return
        self._drawn = now
        rate = done / max(now - self.started, 1e-9)
        if self.total:
            filled = min(BAR_WIDTH, BAR_WIDTH * done // self.total)
            count = (
                f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {100 * done // self.total:3d}% {done:,}/{self.total:,}"
            )
        else:
            count = f"{done:,}"
        line = f"{self.label}: {count}, {rate:,.0f}/s" + (f", {note}" if note else "")
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = len(line)

    def close(self) -> None:
        """Clear the line (the summary that follows takes its place)."""
        if self.shown and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
