"""Worker processes that cannot hang a crawl: a hard deadline on every task, and recycling decided by the parent.

`concurrent.futures.ProcessPoolExecutor(max_tasks_per_child=...)` deadlocks on Python 3.11-3.14 when a
retiring worker is not replaced (CPython gh-115634), and its manager thread keeps the process alive at exit
while a worker is stuck. This pool has no threads in the parent: the asyncio loop that runs the crawl reads
each worker's pipe when it becomes readable, so the parent never waits on a worker. Each worker holds the task
it runs and the next one (read off the pipe by a thread of the worker, so that sending never blocks the
parent), and runs them in order. A worker that misses the deadline of the task it runs is killed and replaced;
a worker that has been sent its share of tasks is told to exit once it has answered them, and replaced; a
worker that dies is replaced. The task it was running fails (WorkerOverdue, WorkerCrashed); the one it held
next goes back to the head of the queue. Every task therefore ends within its deadline of being started.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

PREFETCH = 2  # tasks a worker holds at once: the one it runs and the next, so it never waits for the parent


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


@contextlib.contextmanager
def _main_script_not_rerun() -> Iterator[None]:
    """Start processes without making them run the parent's main script. multiprocessing has every new process
    run the parent's `__main__` file again (as `__mp_main__`); for `scrapy crawl` that is Scrapy's console
    script, so each worker imported scrapy and twisted: 0.25 s of CPU and ~30 MB more per worker started (the
    forkserver's '__main__' preload, which would do it once, never takes effect on CPython 3.11). The pool's
    functions live in importable modules, never in `__main__`."""
    main = sys.modules["__main__"]
    path = main.__dict__.pop("__file__", None) if getattr(main.__spec__, "name", None) is None else None
    try:
        yield
    finally:
        if path is not None:
            main.__file__ = path


def watch_parent(pid: int, interval: float = 1.0) -> None:
    """Exit when process `pid` is gone, even killed with SIGKILL (nothing else would tell a worker)."""

    def watch() -> None:
        while _alive(pid):
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def serve(conn: Connection, parent: int) -> None:
    """A worker's loop: receive `(function, args)`, send back `(True, result)` or `(False, exception)`; `None`
    or a closed pipe ends it. A thread reads the pipe as messages come, so the parent's send never waits for
    the task in hand. Ctrl-C reaches the whole process group: the crawler decides what it means, so the
    worker ignores SIGINT and finishes its task."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch_parent(parent)
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def read() -> None:
        message: Any = ...
        while message is not None:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                message = None
            inbox.put(message)

    threading.Thread(target=read, name="inbox", daemon=True).start()
    while _answer(conn, inbox.get()):
        pass


def _answer(conn: Connection, message: Any) -> bool:
    """Run one task; False when the worker should exit. A function of its own, so that the task's arguments
    and result (a whole page) are freed before the next task runs, not held beside it."""
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
    sent: int = 0
    tasks: deque[_Task] = field(default_factory=deque)  # sent, not answered; the first is running


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
        lines = [
            f"{w.tasks[0].label} in worker {w.process.pid} for {now - w.tasks[0].started:.0f} s"
            for w in list(self._workers)
            if w.tasks
        ]
        if queued := len(self._queue) + sum(max(0, len(w.tasks) - 1) for w in list(self._workers)):
            lines.append(f"{queued} more queued")
        return lines

    def close(self) -> None:
        """Tell idle workers to exit, kill busy ones, fail every task not done; wait at most a second."""
        self._closed = True
        for worker in list(self._workers):
            self._retire(worker, kill=bool(worker.tasks))
            self._fail(worker.tasks, WorkerCrashed("the pool was closed"))
        self._fail(self._queue, WorkerCrashed("the pool was closed"))
        deadline = time.monotonic() + 1.0
        for process in self._retired:
            process.join(max(0.0, deadline - time.monotonic()))
        self.kill()
        atexit.unregister(self.kill)

    def kill(self) -> None:
        """SIGKILL every worker still running: the last resort at exit, when nobody can wait for them."""
        processes = [w.process for w in self._workers] + self._retired
        for process in processes:
            if process.is_alive():
                with contextlib.suppress(OSError):
                    process.kill()
        for process in processes:
            process.join(1.0)
        self._retired = [p for p in self._retired if p.is_alive()]

    # --- workers --------------------------------------------------------------------------------------
    def _start(self) -> _Worker:
        assert self._loop is not None
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(target=serve, args=(child_end, os.getpid()), daemon=True, name="extract-worker")
        with _main_script_not_rerun():
            process.start()
        child_end.close()
        self.started += 1
        worker = _Worker(process, parent_end)
        self._workers.append(worker)
        self._loop.add_reader(parent_end.fileno(), self._readable, worker)
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

    def _with_room(self) -> _Worker | None:
        """A worker to send the next task to: an idle one, a new one, else one that would hold it next."""
        open_workers = [w for w in self._workers if w.sent < self.tasks_per_worker]
        for worker in open_workers:
            if not worker.tasks:
                return worker
        if len(self._workers) < self.size:
            return self._start()
        return next((w for w in open_workers if len(w.tasks) < PREFETCH), None)

    def _dispatch(self) -> None:
        """Hand queued tasks to workers with room, starting workers up to `size`."""
        while self._queue and not self._closed and (worker := self._with_room()) is not None:
            task = self._queue.popleft()
            if task.future.done():  # cancelled while it waited
                continue
            try:
                worker.conn.send((task.function, task.args))
            except (OSError, ValueError):  # the worker died: the task goes first again, the worker's tasks fail
                self._queue.appendleft(task)
                self._lost(worker, WorkerCrashed(f"worker {worker.process.pid} died"))
                continue
            worker.sent += 1
            worker.tasks.append(task)
            if len(worker.tasks) == 1:
                self._begin(worker)

    def _begin(self, worker: _Worker) -> None:
        """The worker starts its first task now: its deadline runs from here."""
        assert self._loop is not None
        task = worker.tasks[0]
        task.started = time.monotonic()
        task.timer = self._loop.call_later(self.deadline, self._overdue, worker, task)

    @staticmethod
    def _fail(tasks: deque[_Task], error: BaseException) -> None:
        while tasks:
            task = tasks.popleft()
            if task.timer is not None:
                task.timer.cancel()
            if not task.future.done():
                task.future.set_exception(error)

    def _lost(self, worker: _Worker, error: BaseException) -> None:
        """`worker` is dead or killed: its running task fails with `error`, the one it held goes back first."""
        self._retire(worker, kill=True)
        if worker.tasks:
            self._fail(deque([worker.tasks.popleft()]), error)
        self._queue.extendleft(reversed(worker.tasks))
        worker.tasks.clear()

    def _readable(self, worker: _Worker) -> None:
        """The worker's pipe has data: the answer to its running task, or EOF because it died."""
        try:
            reply = worker.conn.recv()
        except (EOFError, OSError) as exc:
            worker.process.join(0.1)
            self._lost(
                worker,
                WorkerCrashed(f"worker {worker.process.pid} died (exit code {worker.process.exitcode}): {exc!r}"),
            )
            self._dispatch()
            return
        if not worker.tasks:  # an answer to nothing: the worker is broken
            self._lost(worker, WorkerCrashed(f"worker {worker.process.pid} answered a task it was not given"))
            self._dispatch()
            return
        task = worker.tasks.popleft()
        task.args = ()  # answered: the page is no longer needed here
        if task.timer is not None:
            task.timer.cancel()
        if worker.tasks:
            self._begin(worker)
        elif worker.sent >= self.tasks_per_worker:
            self._retire(worker, kill=False)
        if not task.future.done():
            if reply[0]:
                task.future.set_result(reply[1])
            else:
                task.future.set_exception(reply[1])
        self._dispatch()

    def _overdue(self, worker: _Worker, task: _Task) -> None:
        """`task` ran past the deadline: kill its worker, fail the task, start a replacement."""
        if not worker.tasks or worker.tasks[0] is not task:
            return
        self._lost(worker, WorkerOverdue(f"no answer after {self.deadline:g} s; worker {worker.process.pid} killed"))
        self._dispatch()
