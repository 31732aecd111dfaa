"""ArchiveWriter: crash-safe appends of one JSON line per record, one file per run per UTC day."""

from __future__ import annotations

import fcntl
import os
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from . import files
from .jsonline import encode_line
from .names import check_name, file_name, parse_day

LOCK_TIMEOUT = 10.0


class ArchiveWriteError(OSError):
    """Writing the archive failed (disk full, permission denied, ...); the message names the path."""

    def __init__(self, path: Path, cause: OSError, action: str = "write") -> None:
        super().__init__(cause.errno, cause.strerror or str(cause), str(path))
        self.path = path
        self.action = action

    def __str__(self) -> str:
        return f"cannot {self.action} archive file '{self.path}': {self.strerror}"


def _utcnow() -> datetime:
    return datetime.now(UTC)


#: Day files a writer keeps open at once: writes naming their day may interleave days (CC-NEWS crosses midnight);
#: days interleaved beyond this cost a close and an open (flock, fstat) per write.
MAX_OPEN_DAYS = 16


def day_name(day: date | str) -> str:
    """The day folder name ``YYYY-MM-DD`` of ``day``: a date, an aware datetime (its UTC day) or a YYYY-MM-DD string.

    ValueError for anything else (a naive datetime, another string): a folder is never named otherwise.
    """
    if isinstance(day, datetime):
        if day.tzinfo is None:
            raise ValueError(f"a day from a datetime needs an aware one, not {day!r}")
        return day.astimezone(UTC).date().isoformat()
    name = parse_day(day, "day")
    assert name is not None
    return name


@dataclass(eq=False)
class DayFile:
    """One day's file open for appending: its descriptor (flock-ed), path, size, and appends not yet fsynced."""

    day: str
    path: Path
    fd: int
    size: int = 0
    unsynced: int = 0
    inode: int = 0


class DayFileWriter:
    """The crash-safe append machinery shared by ArchiveWriter (JSONL) and archive.warc.WarcWriter (WARC).

    One file ``root/YYYY-MM-DD/<name>`` per UTC day: the day at the time of writing (``clock``), or the day a
    write names (``day=``, e.g. the day of a capture). Each file is opened O_APPEND and flock-ed (one writer per
    file); every append is whole (``files.append_whole``), fsynced every ``fsync_every`` items of that file and
    at ``close``. Writes naming their days may interleave them: at most ``max_open`` files stay open, the least
    recently written is closed to make room (its appends not yet fsynced still counted: they are fsynced once
    ``fsync_every`` is reached after it is opened again, or at ``close``), and opened again (appended to, its
    size read afresh) when its day comes back; it is finished (``_finished``: ArchiveWriter's gzip) once, at
    ``close``, so a finished file is never appended to again by this writer. A clock day that has passed is
    finished at once.
    Subclasses prepare an opened file (``_opened``) and may finish one (``_finished``, ``_finishes``).
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        name: str,
        *,
        fsync_every: int = 100,
        clock: Callable[[], datetime] = _utcnow,
        max_open: int = MAX_OPEN_DAYS,
    ) -> None:
        self.root = Path(root)
        self.name = name
        if fsync_every < 0:
            raise ValueError(f"fsync_every must be >= 0, not {fsync_every}")
        if max_open < 1:
            raise ValueError(f"max_open must be >= 1, not {max_open}")
        self.fsync_every = fsync_every
        self.max_open = max_open
        self._clock = clock
        self._open_days: OrderedDict[str, DayFile] = OrderedDict()  # least recently written first
        self._set_aside: dict[str, DayFile] = {}  # days closed to make room, not finished (fd closed)
        self._current: DayFile | None = None
        self._clock_day: str | None = None
        self._closed = False
        self.reopened = 0  # files opened again after being set aside (interleaved days beyond max_open)

    @property
    def path(self) -> Path | None:
        """The file written last, if it is still open."""
        return self._current.path if self._current is not None else None

    def flush(self) -> None:
        """fsync what was written so far, in every open file."""
        for f in self._open_days.values():
            self._sync(f)

    def close(self) -> None:
        """fsync and close every open file, and finish each day's file (e.g. compress). Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        error: OSError | None = None
        for day in [*self._open_days, *sorted(self._set_aside)]:
            try:
                self._finish_day(day)
            except OSError as exc:
                error = error or exc
        if error is not None:
            raise error

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __del__(self) -> None:
        for f in getattr(self, "_open_days", {}).values():
            os.close(f.fd)

    def _select(self, day: date | str | None = None) -> DayFile:
        """The open file of ``day`` (default: the clock's UTC day), opened if need be; ValueError once closed."""
        if self._closed:
            raise ValueError(f"write to a closed {type(self).__name__}")
        if day is None:
            name = self._clock().astimezone(UTC).strftime("%Y-%m-%d")
            if self._clock_day is not None and self._clock_day != name:
                self._finish_day(self._clock_day)  # the time of writing has moved on: that day is done
            self._clock_day = name
        else:
            name = day_name(day)
        f = self._open_days.get(name)
        if f is None:
            if len(self._open_days) >= self.max_open:
                oldest = next(iter(self._open_days.values()))
                self._release(oldest, finish=False)
                self._set_aside[oldest.day] = oldest
            f = self._open(name, self._set_aside.get(name))
            self._set_aside.pop(name, None)  # only once open: a day that failed to open is still finished at close
        self._open_days.move_to_end(name)
        self._current = f
        return f

    def _open(self, day: str, left: DayFile | None = None) -> DayFile:
        """Open (create) ``root/day/<name>``, lock it, let the subclass prepare it (``_opened``) unless it is as this
        writer ``left`` it when it set the day aside (same file, same size: nothing to repair, its header written)."""
        directory = self.root / day
        path = directory / self.name
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveWriteError(directory, exc, "create directory for") from exc
        try:
            f = DayFile(day, path, files.open_append_locked(path, LOCK_TIMEOUT))
        except OSError as exc:
            raise ArchiveWriteError(path, exc, "open") from exc
        self._current = f
        try:
            stat = os.fstat(f.fd)
            f.size, f.inode = stat.st_size, stat.st_ino
            if left is not None:
                f.unsynced = left.unsynced
                self.reopened += 1
            if left is None or (left.inode, left.size) != (f.inode, f.size):
                if f.size == 0:
                    files.fsync_dir(directory)
                self._opened(f)
        except BaseException as exc:
            self._current = None
            if f.fd >= 0:
                _unlock(f.fd)
            if isinstance(exc, OSError) and not isinstance(exc, ArchiveWriteError):
                raise ArchiveWriteError(path, exc, "open") from exc
            raise
        self._open_days[day] = f
        return f

    def _opened(self, f: DayFile) -> None:
        """Prepare a file just opened and locked (the current one): repair what an earlier run left, write a header."""

    def _finishes(self) -> bool:
        """Whether ``_finished`` does anything (a set-aside day's file is locked again at close only then)."""
        return False

    def _finished(self, path: Path) -> None:
        """Called with a day's file once it is synced, before it is unlocked (ArchiveWriter compresses it)."""

    def _written(self) -> None:
        """Count one item written to the current file; fsync it every ``fsync_every``."""
        f = self._current
        assert f is not None
        f.unsynced += 1
        if self.fsync_every and f.unsynced >= self.fsync_every:
            self._sync(f)

    def _append(self, data: bytes) -> None:
        f = self._current
        assert f is not None
        try:
            files.append_whole(f.fd, data, f.size)  # a partial append is taken back: only whole ones stay
        except OSError as exc:
            raise ArchiveWriteError(f.path, exc) from exc
        f.size += len(data)

    @staticmethod
    def _sync(f: DayFile) -> None:
        try:
            os.fsync(f.fd)
        except OSError as exc:
            raise ArchiveWriteError(f.path, exc, "sync") from exc
        f.unsynced = 0

    def _release(self, f: DayFile, *, finish: bool) -> None:
        """Unlock and close a day's file; ``finish``: fsync it and call ``_finished`` first (the run is done)."""
        del self._open_days[f.day]
        if self._current is f:
            self._current = None
        try:
            if finish:
                self._sync(f)
                self._finished(f.path)
        finally:
            _unlock(f.fd)

    def _finish_day(self, day: str) -> None:
        """Finish ``day``'s file, open or set aside (locked again for ``_finished``)."""
        f = self._open_days.get(day)
        if f is not None:
            self._release(f, finish=True)
            return
        left = self._set_aside.pop(day, None)
        path = self.root / day / self.name
        if left is None or not (left.unsynced or self._finishes()) or not path.exists():
            return
        try:
            f = DayFile(day, path, files.open_append_locked(path, LOCK_TIMEOUT))
        except OSError as exc:
            raise ArchiveWriteError(path, exc, "open") from exc
        try:
            self._sync(f)
            self._finished(path)
        finally:
            _unlock(f.fd)


def _unlock(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


class ArchiveWriter(DayFileWriter):
    """Append records to ``root/YYYY-MM-DD/<spider>-<run_id>.jsonl``: the UTC day at the time of writing, or the
    day ``write`` is given (import-warc, reextract: the day of the capture).

    Each record is one line written by a single ``os.write`` on an O_APPEND descriptor, fsynced every
    ``fsync_every`` records and on close, so a killed process leaves only whole lines (at most the last
    one torn). The file is flock-ed while open: one writer per file. ``gzip=True`` compresses each
    finished day file to ``.jsonl.gz`` (a past clock day at once, the others at close: never one that is
    written again). ``clock`` (returning an aware datetime) is for tests and tools.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        spider: str,
        run_id: str,
        *,
        gzip: bool = False,
        fsync_every: int = 100,
        clock: Callable[[], datetime] = _utcnow,
        max_open: int = MAX_OPEN_DAYS,
    ) -> None:
        super().__init__(root, file_name(spider, run_id), fsync_every=fsync_every, clock=clock, max_open=max_open)
        self.spider = check_name("spider", spider)
        self.run_id = check_name("run_id", run_id)
        self.gzip = gzip
        self.records_written = 0

    def write(self, record: Mapping[str, Any], *, day: date | str | None = None) -> Path:
        """Append ``record`` as one whole line to the file of ``day`` (default: the clock's UTC day); return it.

        ValueError if the record cannot be serialised or ``day`` is no day (see ``day_name``).
        """
        if self._closed:
            raise ValueError("write to a closed ArchiveWriter")
        line = encode_line(record)
        f = self._select(day)
        self._append(line)
        self.records_written += 1
        self._written()
        return f.path

    def _opened(self, f: DayFile) -> None:
        gz = f.path.with_name(f.path.name + ".gz")
        if f.size and gz.exists() and files.is_leftover(f.path, gz):
            # an earlier close died between compressing and unlinking: these bytes are in the gz
            files.move_to_quarantine(self.root, f.path)
            _unlock(f.fd)
            f.fd = -1
            f.fd = files.open_append_locked(f.path, LOCK_TIMEOUT)
            f.size = os.fstat(f.fd).st_size
        if f.size and os.pread(f.fd, 1, f.size - 1) != b"\n":
            self._append(b"\n")  # a torn line from an earlier run: start ours on a fresh line

    def _finishes(self) -> bool:
        return self.gzip

    def _finished(self, path: Path) -> None:
        if self.gzip:
            try:
                files.compress(path)
            except OSError as exc:
                raise ArchiveWriteError(path, exc, "compress") from exc
