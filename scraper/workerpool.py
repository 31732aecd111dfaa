"""Worker processes that cannot hang a crawl: one task at a time per worker, a hard deadline on every task,
and recycling decided by the parent.

`concurrent.futures.ProcessPoolExecutor(max_tasks_per_child=...)` deadlocks on Python 3.11-3.14 when a
retiring worker is not replaced (CPython gh-115634), and its manager thread keeps the process alive at exit
while a worker is stuck. This pool has no threads in the parent: the asyncio loop that runs the crawl reads
each worker's pipe when it becomes readable, so the parent never blocks on a worker. A worker that misses its
deadline is killed and replaced; a worker that has done its share of tasks is told to exit and replaced; a
worker that dies is replaced and its task fails with WorkerCrashed. Every task therefore ends, one way or
another, within its deadline of being started.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any


class WorkerCrashed(Exception):
    """The worker running a task died (killed by the OOM killer, a segfault in a C library...)."""


class WorkerOverdue(Exception):
    """A task ran past the pool's deadline; its worker was killed."""


def _alive(pid: int) -> bool:
    """Whether process `pid` is running (a zombie is not)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def watch_parent(pid: int, interval: float = 1.0) -> None:
    """Exit when process `pid` is gone, even killed with SIGKILL (nothing else would tell a worker)."""

    def watch() -> None:
        while _alive(pid):
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def serve(conn: Connection, parent: int) -> None:
    """A worker's loop: receive `(function, args)`, send back `(True, result)` or `(False, exception)`; `None`
    or a closed pipe ends it. Ctrl-C reaches the whole process group: the crawler decides what it means, so the
    worker ignores SIGINT and finishes its task."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch_parent(parent)
    while _answer(conn):
        pass


def _answer(conn: Connection) -> bool:
    """Run one task; False when the worker should exit. A function of its own, so that the task's arguments
    and result (a whole page) are freed before the next task is received, not held beside it."""
    try:
        message = conn.recv()
    except (EOFError, OSError):
        return False
    if message is None:
        return False
    function, args = message
    try:
        reply: tuple[bool, Any] = (True, function(*args))
    except BaseException as exc:  # the parent decides what an exception means; the worker goes on
        # Without its traceback: the frames it holds (a whole parsed page) would otherwise live in a reference
        # cycle until the garbage collector runs, beside the next page's tree.
        reply = (False, exc.with_traceback(None))
    try:
        conn.send(reply)
    except (EOFError, OSError):
        return False
    except Exception as exc:  # an unpicklable result or exception
        conn.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
    return True


@dataclass
class _Task:
    label: str
    function: Callable[..., Any]
    args: tuple[Any, ...]
    future: asyncio.Future[Any]
    started: float = 0.0
    timer: asyncio.TimerHandle | None = None


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    done: int = 0
    task: _Task | None = None


@dataclass
class WorkerPool:
    """`size` worker processes started from a forkserver that has imported `preload`. Each worker runs at most
    `tasks_per_worker` tasks, each for at most `deadline` seconds."""

    size: int
    tasks_per_worker: int
    deadline: float
    preload: list[str] = field(default_factory=list)
    _workers: list[_Worker] = field(default_factory=list)
    _queue: deque[_Task] = field(default_factory=deque)
    _retired: list[BaseProcess] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None
    _closed: bool = False

    def __post_init__(self) -> None:
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(self.preload)
        self.started = 0  # workers started over the pool's life, replacements included
        atexit.register(self.kill)  # runs before multiprocessing's own exit handler, which would join them

    # --- public ---------------------------------------------------------------------------------------
    async def run(self, label: str, function: Callable[..., Any], *args: Any) -> Any:
        """`function(*args)` in a worker; WorkerCrashed or WorkerOverdue when the worker could not finish it.
        `label` names the task in `waiting()`."""
        if self._closed:
            raise RuntimeError("the worker pool is closed")
        self._loop = asyncio.get_running_loop()
        task = _Task(label, function, args, self._loop.create_future())
        self._queue.append(task)
        self._dispatch()
        return await task.future

    def waiting(self) -> list[str]:
        """What the pool is busy with, for a watchdog's report: one line per running task, then the queue."""
        now = time.monotonic()
        lines = [f"{w.task.label} in worker {w.process.pid} for {now - w.task.started:.0f} s"
                 for w in list(self._workers) if w.task is not None]
        if queued := len(self._queue):
            lines.append(f"{queued} more queued")
        return lines

    def close(self) -> None:
        """Tell idle workers to exit, kill busy ones, fail queued tasks; wait at most a second for them."""
        self._closed = True
        for task in self._queue:
            if not task.future.done():
                task.future.set_exception(WorkerCrashed("the pool was closed"))
        self._queue.clear()
        for worker in list(self._workers):
            if worker.task is not None and not worker.task.future.done():
                worker.task.future.set_exception(WorkerCrashed("the pool was closed"))
            self._retire(worker, kill=worker.task is not None)
        deadline = time.monotonic() + 1.0
        for process in self._retired:
            process.join(max(0.0, deadline - time.monotonic()))
        self.kill()
        atexit.unregister(self.kill)

    def kill(self) -> None:
        """SIGKILL every worker still running: the last resort at exit, when nobody can wait for them."""
        for process in [w.process for w in self._workers] + self._retired:
            if process.is_alive():
                with contextlib.suppress(OSError):
                    process.kill()
        for process in [w.process for w in self._workers] + self._retired:
            process.join(1.0)
        self._retired = [p for p in self._retired if p.is_alive()]

    # --- workers --------------------------------------------------------------------------------------
    def _start(self) -> _Worker:
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(target=serve, args=(child_end, os.getpid()), daemon=True,
                                        name="extract-worker")
        process.start()
        child_end.close()
        self.started += 1
        worker = _Worker(process, parent_end)
        self._workers.append(worker)
        return worker

    def _retire(self, worker: _Worker, kill: bool) -> None:
        """Take `worker` out of the pool: ask it to exit, or kill it when it is stuck or broken."""
        if worker in self._workers:
            self._workers.remove(worker)
        if self._loop is not None:
            with contextlib.suppress(ValueError, OSError):
                self._loop.remove_reader(worker.conn.fileno())
        if not kill:
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send(None)
        elif worker.process.is_alive():
            with contextlib.suppress(OSError):
                worker.process.kill()
        worker.conn.close()
        self._retired = [p for p in self._retired if p.is_alive()]  # is_alive() reaps the ones that ended
        self._retired.append(worker.process)

    def _idle_worker(self) -> _Worker | None:
        for worker in self._workers:
            if worker.task is None:
                return worker
        return self._start() if len(self._workers) < self.size else None

    def _dispatch(self) -> None:
        """Hand queued tasks to idle workers, starting workers up to `size`."""
        assert self._loop is not None
        while self._queue and not self._closed and (worker := self._idle_worker()) is not None:
            task = self._queue.popleft()
            if task.future.done():  # cancelled while it waited
                continue
            try:
                worker.conn.send((task.function, task.args))
            except (OSError, ValueError):  # the worker died while idle: replace it, the task goes first again
                self._queue.appendleft(task)
                self._retire(worker, kill=True)
                continue
            task.args = ()  # sent: the worker has its own copy of the page
            task.started = time.monotonic()
            task.timer = self._loop.call_later(self.deadline, self._overdue, worker, task)
            worker.task = task
            self._loop.add_reader(worker.conn.fileno(), self._readable, worker)

    def _finish(self, worker: _Worker, outcome: tuple[bool, Any] | BaseException) -> None:
        task = worker.task
        assert task is not None
        worker.task = None
        if task.timer is not None:
            task.timer.cancel()
        if not task.future.done():
            if isinstance(outcome, BaseException):
                task.future.set_exception(outcome)
            elif outcome[0]:
                task.future.set_result(outcome[1])
            else:
                task.future.set_exception(outcome[1])
        self._dispatch()

    def _readable(self, worker: _Worker) -> None:
        """The worker's pipe has data: its reply, or EOF because it died."""
        assert self._loop is not None
        self._loop.remove_reader(worker.conn.fileno())
        try:
            reply = worker.conn.recv()
        except (EOFError, OSError) as exc:
            self._retire(worker, kill=True)
            worker.process.join(0.1)
            code = worker.process.exitcode
            self._finish(worker, WorkerCrashed(f"worker {worker.process.pid} died (exit code {code}): {exc!r}"))
            return
        worker.done += 1
        if worker.done >= self.tasks_per_worker:
            self._retire(worker, kill=False)
        self._finish(worker, reply)

    def _overdue(self, worker: _Worker, task: _Task) -> None:
        """`task` ran past the deadline: kill its worker, fail the task, start a replacement."""
        if worker.task is not task:
            return
        self._retire(worker, kill=True)
        self._finish(worker, WorkerOverdue(f"no answer after {self.deadline:g} s; worker {worker.process.pid} "
                                           "killed"))
