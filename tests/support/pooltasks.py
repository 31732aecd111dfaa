"""Functions the worker pool tests run in worker processes. A module of their own that imports nothing heavy:
each worker the forkserver starts imports the module of its function, so a worker replaced every few tasks
costs a fork, not an import of the test module (scrapy, the extraction code...)."""

from __future__ import annotations

import os
import signal
import sys
import time


def square(n: int) -> int:
    """A quick task."""
    return n * n


def pid_of_worker(_: int) -> int:
    """Which process ran the task."""
    return os.getpid()


def stuck(_: int) -> None:
    """A task no alarm can interrupt: SIGALRM blocked, then a long sleep."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    time.sleep(3600)


def die(_: int) -> None:
    """A worker that dies mid-task, as under the OOM killer."""
    os._exit(9)


def fail(_: int) -> None:
    """A task that raises."""
    raise ValueError("bad page")


def loaded(name: str) -> bool:
    """Whether module `name` is imported in the worker."""
    return name in sys.modules
