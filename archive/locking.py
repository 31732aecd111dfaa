"""Advisory ``fcntl.flock`` locks, with a timeout so nobody waits forever."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def acquire(fd: int, timeout: float | None) -> bool:
    """Take an exclusive flock on ``fd``; wait at most ``timeout`` seconds (None: forever)."""
    if timeout is None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return True
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)


@contextmanager
def lock_file(path: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing); TimeoutError after ``timeout`` s."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        if not acquire(fd, timeout):
            raise TimeoutError(f"timed out after {timeout:g}s waiting for the lock on '{path}'")
        yield
    finally:
        os.close(fd)
