"""Keeping ``news-archive serve`` current: a thread that asks the store to refresh every few seconds.

Whether anything changed is decided by ``signature``: the name, inode, size and time of every data file in
the day folders (a ``stat`` each, nothing read), as cheap as the index's own incremental update's first
look. When it changed, ``Store.refresh`` runs ``Index.update`` (the same update ``serve`` runs at start) and
adds the records it indexed. Requests go on being served meanwhile, each from one whole state.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import files
from ..names import GZ_SUFFIX, SUFFIX

if TYPE_CHECKING:
    from .queries import Store

log = logging.getLogger("archive")
DEFAULT_INTERVAL = 30.0  # seconds between two looks at the archive (news-archive serve --refresh)


@dataclass(frozen=True)
class Refreshed:
    """What one refresh changed in one root: records added and dropped, all records served after it."""

    root: Path
    added: int
    removed: int
    served: int
    seconds: float

    def __str__(self) -> str:
        dropped = f", {_records(self.removed)} no longer served" if self.removed else ""
        added = _records(self.added, "new ")
        return f"refreshed {self.root}: {added}{dropped}, {self.served:,} served ({self.seconds:.2f} s)"


def _records(n: int, what: str = "") -> str:
    return f"{n:,} {what}record{'' if n == 1 else 's'}"


def signature(root: Path) -> tuple[object, ...]:
    """Every data file under ``root``'s day folders with its inode, size and modification time (stat only)."""
    out: list[tuple[str, str, int, int, int]] = []
    for day, path in files.day_dirs(root):
        with os.scandir(path) as entries:
            for e in entries:
                if not e.name.startswith(".") and e.name.endswith((SUFFIX, GZ_SUFFIX)):
                    st = e.stat(follow_symlinks=False)
                    out.append((day, e.name, st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(sorted(out))


class Refresher:
    """Calls ``store.refresh()`` every ``interval`` seconds in a daemon thread (off the request path) until
    stopped; ``report`` is given what each refresh changed."""

    def __init__(self, store: Store, interval: float, report: Callable[[Refreshed], None] | None = None) -> None:
        if interval <= 0:
            raise ValueError(f"the refresh interval must be more than 0 seconds, not {interval}")
        self.store = store
        self.interval = interval
        self.report = report
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="news-archive-refresh", daemon=True)

    def start(self) -> None:
        """Start looking."""
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop looking (a refresh under way is finished first, for up to ``timeout`` seconds)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                changed = self.store.refresh()
            except Exception as exc:  # the store reports its own failures; this is a bug: say it, go on
                log.warning("refresh failed (%s: %s): still serving what was read before", type(exc).__name__, exc)
                continue
            for done in changed:
                if self.report is not None:
                    self.report(done)
