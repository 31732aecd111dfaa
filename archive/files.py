"""Finding data files on disk and reading them as chunks of whole lines.

A data file is a *logical* stream ``day/<spider>-<run_id>.jsonl`` made of up to two physical parts:
an optional ``.jsonl.gz`` (finished, compressed data) followed by an optional plain ``.jsonl``
(data being appended). Offsets used by the index are offsets into that logical stream, so they stay
valid when the plain part is compressed into the gz part.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import operator
import os
import shutil
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

from .locking import acquire
from .names import GZ_SUFFIX, QUARANTINE_DIR, SUFFIX, is_day

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

CHUNK = 1 << 20
GZ_READ = 1 << 16  # compressed bytes decompressed at a time
GZ_WBITS = 31  # zlib: a gzip header and trailer around the deflate data
_ends_line = operator.methodcaller("endswith", b"\n")


@dataclass(frozen=True)
class DataFile:
    """One logical data file: its day, its name (``x.jsonl``) and the physical parts present."""

    day: str
    name: str
    gz: Path | None
    plain: Path | None

    @property
    def rel(self) -> str:
        """'YYYY-MM-DD/<name>.jsonl', the key used by the index and in reports."""
        return f"{self.day}/{self.name}"

    @property
    def parts(self) -> list[Path]:
        """Physical files in reading order: gz first, then plain."""
        return [p for p in (self.gz, self.plain) if p is not None]


class Chunk(NamedTuple):
    """Whole lines read from one physical part, plus a torn final fragment if the part ends in one."""

    path: Path
    line_no: int  # physical line number of lines[0], 1-based (0 when unknown)
    offset: int  # logical offset of lines[0]
    lines: list[bytes]  # each ends with b"\n"
    torn: bytes | None  # trailing bytes with no newline, only at the end of a part
    error: str | None = None  # compressed data damaged here: the rest of the part is unreadable


def day_dirs(root: Path, since: str | None = None, until: str | None = None) -> list[tuple[str, Path]]:
    """Day directories under ``root`` within [since, until], in day order; others are never opened."""
    out = []
    with os.scandir(root) as entries:
        for e in entries:
            in_range = (since is None or e.name >= since) and (until is None or e.name <= until)
            if in_range and is_day(e.name) and e.is_dir():
                out.append((e.name, Path(e.path)))
    return sorted(out)


def day_files(day: str, path: Path, hide_leftovers: bool = True) -> list[DataFile]:
    """The data files of one day directory, sorted by name (hidden and temporary files skipped).

    A plain part whose bytes are already the tail of its gz part (an interrupted compress) is hidden
    unless ``hide_leftovers`` is false.
    """
    plain: dict[str, Path] = {}
    gz: dict[str, Path] = {}
    with os.scandir(path) as entries:
        for e in entries:
            if e.name.startswith(".") or not e.is_file():
                continue
            if e.name.endswith(GZ_SUFFIX):
                gz[e.name[: -len(".gz")]] = Path(e.path)
            elif e.name.endswith(SUFFIX):
                plain[e.name] = Path(e.path)
    out = []
    for name in sorted(plain.keys() | gz.keys()):
        p, g = plain.get(name), gz.get(name)
        if hide_leftovers and p is not None and g is not None and is_leftover(p, g):
            p = None  # a crash between compressing and unlinking: the plain bytes are already in the gz
        out.append(DataFile(day, name, g, p))
    return out


def all_files(root: Path, since: str | None = None, until: str | None = None) -> Iterator[DataFile]:
    """Every data file in day order, then name order."""
    for day, path in day_dirs(root, since, until):
        yield from day_files(day, path)


class GzStream(io.RawIOBase):
    """The decompressed bytes of a gzip file of one or more members, decompressed as they are read.

    Damage (a truncated file, corrupt data, bytes that are not a gzip member) never raises: every byte
    decompressed before it is returned, then EOF, and ``damage`` says where and what it was.
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._z = zlib.decompressobj(GZ_WBITS)
        self._input = b""
        self._consumed = 0  # compressed bytes fed to members so far
        self._in_member = False
        self._out = memoryview(b"")
        self._eof = False
        self.damage: str | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        while not self._out and not self._eof:
            self._out = memoryview(self._decompress())
        out = memoryview(buffer).cast("B")
        n = min(len(out), len(self._out))
        out[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def close(self) -> None:
        self._file.close()
        super().close()

    def _decompress(self) -> bytes:
        if not self._input:
            self._input = self._file.read(GZ_READ)
            if not self._input:
                if self._in_member:
                    self._damaged("the file ends inside a gzip member")
                self._eof = True
                return b""
        if self._z.eof:  # the previous member is complete: another one follows
            self._z = zlib.decompressobj(GZ_WBITS)
        fed = len(self._input)
        try:
            out = self._z.decompress(self._input, CHUNK)
        except zlib.error as exc:
            self._damaged(f"corrupt compressed data ({exc})")
            self._eof = True
            return b""
        self._in_member = not self._z.eof
        self._input = self._z.unused_data if self._z.eof else self._z.unconsumed_tail
        self._consumed += fed - len(self._input)
        return out

    def _damaged(self, what: str) -> None:
        self.damage = f"damaged compressed data at byte {self._consumed}: {what}"


def open_part(path: Path) -> BinaryIO:
    """Open a physical part for buffered binary reading (gz decompressed as read, see GzStream)."""
    if path.name.endswith(".gz"):
        return io.BufferedReader(GzStream(path), CHUNK)
    return open(path, "rb", buffering=CHUNK)


def part_damage(f: BinaryIO) -> str | None:
    """What stopped reading ``f`` (opened by open_part) early, if its compressed data is damaged."""
    return getattr(getattr(f, "raw", None), "damage", None)


def gz_length(path: Path) -> int:
    """Decompressed length of a gz file (up to any damage)."""
    n = 0
    with open_part(path) as f:
        while block := f.read(CHUNK):
            n += len(block)
    return n


def count_lines(path: Path) -> int:
    """Newline-terminated lines in a part (up to any damage in a gz)."""
    n = 0
    with open_part(path) as f:
        while block := f.read(CHUNK):
            n += block.count(b"\n")
    return n


def ends_mid_line(gz: Path) -> bool:
    """True when a gz part's content does not end with a newline (or is damaged); False when empty."""
    last = b""
    with open_part(gz) as f:
        while block := f.read(CHUNK):
            last = block[-1:]
        if part_damage(f):
            return True
    return last not in (b"", b"\n")


def read_at(path: Path, start: int, size: int) -> bytes:
    """Up to ``size`` bytes of a part's content from offset ``start`` (decompressing up to it for gz)."""
    with open_part(path) as f:
        _skip_to(f, path, 0, start)
        return f.read(size)


def is_leftover(plain: Path, gz: Path) -> bool:
    """True when ``plain``'s bytes are exactly the tail of ``gz``'s content (an interrupted compress)."""
    try:
        size = plain.stat().st_size
        if size == 0:
            return False
        total = gz_length(gz)
        if total < size:
            return False
        with open_part(gz) as z, open(plain, "rb") as p:
            skip = total - size
            while skip:
                skip -= len(z.read(min(skip, CHUNK)))
            while block := p.read(CHUNK):
                if z.read(len(block)) != block:
                    return False
        return True
    except OSError:
        return False


def iter_chunks(df: DataFile, start: int = 0, gz_len: int | None = None) -> Iterator[Chunk]:
    """Read ``df``'s logical stream from offset ``start`` in chunks of whole lines.

    ``gz_len`` (the gz part's decompressed length, if the caller knows it) lets a start offset past the
    gz part skip decompressing it. If the plain part is compressed away while it is being read, reading
    continues in the new gz at the same logical offset.
    """
    base = 0
    if df.gz is not None:
        if gz_len and start >= gz_len:
            base = gz_len
        else:
            base = yield from _read_part(df.gz, 0, start)
    if df.plain is not None:
        try:
            f = open(df.plain, "rb", buffering=CHUNK)  # noqa: SIM115 - closed by the with below
        except FileNotFoundError:
            gz = df.plain.with_name(df.plain.name + ".gz")
            if not gz.exists():
                return
            yield from _read_part(gz, 0, max(start, base))
            return
        with f:
            yield from _read_open(f, df.plain, base, max(start, base))


def iter_part(path: Path) -> Iterator[Chunk]:
    """Chunks of whole lines of one physical part, with physical line numbers."""
    yield from _read_part(path, 0, 0)


def _read_part(path: Path, base: int, start: int) -> Generator[Chunk, None, int]:
    with open_part(path) as f:
        return (yield from _read_open(f, path, base, start))


def _read_open(f: BinaryIO, path: Path, base: int, start: int) -> Generator[Chunk, None, int]:
    """Yield chunks of ``f`` (whose logical offset is ``base``) from logical ``start``; return end offset.

    Damaged gz data ends the part with one chunk whose ``error`` names the damage; every whole line
    before it has been yielded, and a partial line just before it counts as part of the damage.
    """
    offset = base
    line_no = 1
    if start > base:
        offset = _skip_to(f, path, base, start)
        line_no = 0
    torn = None
    while lines := f.readlines(CHUNK):
        if not all(map(_ends_line, lines)):
            # EOF inside a line. readlines() may then carry on past it if the file is growing, so
            # cut at the first line without a newline: the rest is read again next time, whole.
            cut = next(i for i, line in enumerate(lines) if not line.endswith(b"\n"))
            torn = lines[cut]
            del lines[cut:]
        damage = part_damage(f) if torn is not None else None
        yield Chunk(path, line_no, offset, lines, None if damage else torn)
        offset += sum(map(len, lines))
        if line_no:
            line_no += len(lines)
        if torn is not None:
            # the end of the file as it was when read: stop, or a line still being appended would
            # come back in two pieces
            break
    if damage := part_damage(f):
        partial = f" (a partial line of {len(torn):,} bytes before it skipped)" if torn else ""
        yield Chunk(path, line_no, offset, [], None, damage + partial)
    return offset + len(torn or b"")


def _skip_to(f: BinaryIO, path: Path, base: int, start: int) -> int:
    """Position ``f`` at logical ``start`` (decompressing up to it for gz); return the offset reached."""
    if not path.name.endswith(".gz"):
        f.seek(start - base)
        return start
    skip = start - base
    while skip:
        got = len(f.read(min(skip, CHUNK)))
        if not got:
            break
        skip -= got
    return start - skip


def open_append_locked(path: Path, timeout: float) -> int:
    """Open ``path`` for O_APPEND writing (created if missing) and flock it; OSError if locked by another writer.

    If the file was replaced (repaired, compressed) while waiting for the lock, the new file is opened.
    """
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
    for _ in range(100):
        fd = os.open(path, flags, 0o644)
        try:
            if not acquire(fd, timeout):
                raise OSError(errno.EWOULDBLOCK, "locked by another writer (same spider and run_id?)")
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
            except FileNotFoundError:
                same = False
            if same:
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # replaced (repaired or compressed) while we waited: open the new file
    raise OSError(errno.EAGAIN, "file keeps being replaced")


def append_whole(fd: int, data: bytes, size: int) -> None:
    """Append ``data`` to the O_APPEND file ``fd`` of ``size`` bytes; on failure cut it back to ``size``, raise.

    One ``os.write`` in the normal case; a short write is continued, and any failure after a partial
    write takes the partial bytes back, so the file only ever holds whole appends (a kill aside).
    """
    view = memoryview(data)
    done = 0
    try:
        while done < len(data):
            n = os.write(fd, view[done:])
            if n <= 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            done += n
    except OSError:
        if done:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
        raise


def fsync_dir(path: Path) -> None:
    """fsync a directory so renames and creations in it are durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[BinaryIO]:
    """Write a new ``path`` all at once: the caller writes to a hidden temporary file beside it
    (``.<name>.<pid>.tmp``, which `verify --repair` quarantines when a crash leaves one), which is fsynced and
    renamed over ``path``, then the directory is fsynced; on an error the temporary file goes and ``path`` stays."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` all at once (`replacing`)."""
    with replacing(path) as out:
        out.write(data)


def compress(plain: Path) -> Path:
    """Compress ``plain`` into ``plain.gz`` atomically (adding a gzip member if it exists), then unlink it."""
    gz = plain.with_name(plain.name + ".gz")
    with replacing(gz) as out:
        needs_newline = False
        if gz.exists():
            with open(gz, "rb") as old:
                shutil.copyfileobj(old, out, CHUNK)
            needs_newline = ends_mid_line(gz)
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as z, open(plain, "rb") as src:
            if needs_newline:
                z.write(b"\n")
            shutil.copyfileobj(src, z, CHUNK)
    plain.unlink()
    fsync_dir(gz.parent)
    return gz


def quarantine_path(root: Path, path: Path) -> Path:
    """Where rejected bytes of ``path`` go: root/.quarantine/<relative path>.<UTC timestamp>.rejected."""
    rel = path.resolve().relative_to(root.resolve())
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return root / QUARANTINE_DIR / rel.parent / f"{rel.name}.{stamp}.rejected"


def write_quarantine(root: Path, path: Path, data: bytes) -> Path:
    """Durably store ``data`` rejected from ``path`` under root/.quarantine and return where."""
    dest = quarantine_path(root, path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(dest.parent)
    return dest


def move_to_quarantine(root: Path, path: Path) -> Path:
    """Rename a whole file into root/.quarantine (same file system, nothing copied or lost)."""
    dest = quarantine_path(root, path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.rename(path, dest)
    fsync_dir(dest.parent)
    fsync_dir(path.parent)
    return dest
