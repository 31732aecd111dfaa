"""ArchiveWriter: crash-safe appends of one JSON line per record, one file per run per UTC day."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from . import files
from .jsonline import encode_line
from .names import check_name, file_name

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


class DayFileWriter:
    """The crash-safe append machinery shared by ArchiveWriter (JSONL) and archive.warc.WarcWriter (WARC).

    One file ``root/YYYY-MM-DD/<name>`` per UTC day at the time of writing, opened O_APPEND and flock-ed
    (one writer per file); every append is whole (``files.append_whole``), fsynced every ``fsync_every``
    items and on close. Subclasses open a day's file (``_open``) and may finish one (``_finished``).
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        name: str,
        *,
        fsync_every: int = 100,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.root = Path(root)
        self.name = name
        if fsync_every < 0:
            raise ValueError(f"fsync_every must be >= 0, not {fsync_every}")
        self.fsync_every = fsync_every
        self._clock = clock
        self._fd: int | None = None
        self._day: str | None = None
        self._path: Path | None = None
        self._size = 0
        self._unsynced = 0
        self._closed = False

    @property
    def path(self) -> Path | None:
        """The file currently open for appending, if any."""
        return self._path

    def flush(self) -> None:
        """fsync what was written so far."""
        if self._fd is not None:
            self._sync()

    def close(self) -> None:
        """fsync and close the open file (and finish it, e.g. compress). Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._finish()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_fd", None) is not None:
            os.close(self._fd)  # type: ignore[arg-type]

    def _today(self) -> Path:
        """The file of the current UTC day, open (the previous day's finished first); ValueError once closed."""
        if self._closed:
            raise ValueError(f"write to a closed {type(self).__name__}")
        day = self._clock().astimezone(UTC).strftime("%Y-%m-%d")
        if day != self._day:
            self._finish()
            self._open(day)
        assert self._path is not None
        return self._path

    def _open(self, day: str) -> None:
        raise NotImplementedError

    def _written(self) -> None:
        """Count one item written; fsync every ``fsync_every``."""
        self._unsynced += 1
        if self.fsync_every and self._unsynced >= self.fsync_every:
            self._sync()

    @staticmethod
    def _open_locked(path: Path) -> int:
        return files.open_append_locked(path, LOCK_TIMEOUT)

    def _append(self, data: bytes) -> None:
        assert self._fd is not None and self._path is not None
        try:
            files.append_whole(self._fd, data, self._size)  # a partial append is taken back: only whole ones stay
        except OSError as exc:
            raise ArchiveWriteError(self._path, exc) from exc
        self._size += len(data)

    def _sync(self) -> None:
        assert self._fd is not None and self._path is not None
        try:
            os.fsync(self._fd)
        except OSError as exc:
            raise ArchiveWriteError(self._path, exc, "sync") from exc
        self._unsynced = 0

    def _finished(self, path: Path) -> None:
        """Called with a day's file once it is synced, before it is unlocked (ArchiveWriter compresses it)."""

    def _finish(self) -> None:
        if self._fd is None:
            return
        fd, path = self._fd, self._path
        assert path is not None
        try:
            self._sync()
            self._finished(path)
        finally:
            self._fd = self._path = self._day = None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


class ArchiveWriter(DayFileWriter):
    """Append records to ``root/YYYY-MM-DD/<spider>-<run_id>.jsonl`` (UTC day at the time of writing).

    Each record is one line written by a single ``os.write`` on an O_APPEND descriptor, fsynced every
    ``fsync_every`` records and on close, so a killed process leaves only whole lines (at most the last
    one torn). The file is flock-ed while open: one writer per file. ``gzip=True`` compresses each
    finished day file to ``.jsonl.gz``. ``clock`` (returning an aware datetime) is for tests and tools.
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
    ) -> None:
        super().__init__(root, file_name(spider, run_id), fsync_every=fsync_every, clock=clock)
        self.spider = check_name("spider", spider)
        self.run_id = check_name("run_id", run_id)
        self.gzip = gzip
        self.records_written = 0

    def write(self, record: Mapping[str, Any]) -> Path:
        """Append ``record`` as one whole line and return the file written; ValueError if unserialisable."""
        if self._closed:
            raise ValueError("write to a closed ArchiveWriter")
        line = encode_line(record)
        path = self._today()
        self._append(line)
        self.records_written += 1
        self._written()
        return path

    def _open(self, day: str) -> None:
        directory = self.root / day
        path = directory / self.name
        gz = path.with_name(path.name + ".gz")
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveWriteError(directory, exc, "create directory for") from exc
        fd = -1
        try:
            fd = self._open_locked(path)
            size = os.fstat(fd).st_size
            if size and gz.exists() and files.is_leftover(path, gz):
                # an earlier close died between compressing and unlinking: these bytes are in the gz
                files.move_to_quarantine(self.root, path)
                os.close(fd)
                fd = -1
                fd = self._open_locked(path)
                size = os.fstat(fd).st_size
        except OSError as exc:
            if fd >= 0:
                os.close(fd)
            raise ArchiveWriteError(path, exc, "open") from exc
        self._fd, self._day, self._path, self._size = fd, day, path, size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            self._append(b"\n")  # a torn line from an earlier run: start ours on a fresh line
        elif size == 0:
            try:
                files.fsync_dir(directory)
            except OSError as exc:
                raise ArchiveWriteError(path, exc, "open") from exc

    def _finished(self, path: Path) -> None:
        if self.gzip:
            try:
                files.compress(path)
            except OSError as exc:
                raise ArchiveWriteError(path, exc, "compress") from exc
