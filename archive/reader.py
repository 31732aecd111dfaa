"""Archive: stream, look up and search the records under an archive root."""

from __future__ import annotations

import contextlib
import dataclasses
import heapq
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import files
from .index import Index, SearchHit
from .jsonline import encode_line, loads, may_need_repair, surrogate_note
from .names import REEXTRACT_SPIDER, WARC_SUFFIX, parse_day

if TYPE_CHECKING:
    from .warc import Source

log = logging.getLogger("archive")


@dataclass(frozen=True)
class DayInfo:
    """One day partition: its date, its data files, how many records (lines) and bytes on disk, and the bytes of
    its WARC files (the raw captures)."""

    day: str
    files: list[str]
    records: int
    bytes: int
    warc_bytes: int = 0


def warn_line(path: Path, line_no: int, problem: str) -> None:
    """Log one line on the 'archive' logger (stderr by default) about a line that was skipped."""
    log.warning("%s:%s: %s", path, line_no or "?", problem)


def decode(chunk: files.Chunk, i: int) -> tuple[dict[str, Any] | None, bool]:
    """(record on line ``i`` of ``chunk`` or None, whether it was repaired); one warning if either."""
    where = chunk.line_no and chunk.line_no + i
    try:
        rec, repaired = loads(chunk.lines[i])
    except ValueError as exc:
        warn_line(chunk.path, where, f"skipped line: not JSON ({exc})")
        return None, False
    if type(rec) is not dict:
        warn_line(chunk.path, where, "skipped line: not a JSON object")
        return None, False
    if repaired:
        warn_line(chunk.path, where, surrogate_note(repaired))
    return rec, bool(repaired)


def date_range(since: str | date | None, until: str | date | None) -> tuple[str | None, str | None]:
    """Validate an inclusive [since, until] range of days; ValueError with a clear message if bad."""
    lo, hi = parse_day(since, "since date"), parse_day(until, "until date")
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"since date {lo} is after until date {hi}")
    return lo, hi


class Reader:
    """Read access to one or more archive roots written by ArchiveWriter (plain .jsonl and .jsonl.gz).

    Several roots are read as their union (the archives of fleet workers that each wrote their own): data
    files in day order, and within a day root by root in the order given, then by name.
    """

    def __init__(self, roots: Iterable[str | os.PathLike[str]]) -> None:
        self.roots = [Path(r) for r in roots]
        if not self.roots:
            raise ValueError("no archive root given")
        seen: dict[Path, Path] = {}
        for root in self.roots:
            if not root.is_dir():
                raise FileNotFoundError(f"no archive at '{root}'")
            real = root.resolve()
            if real in seen:
                raise ValueError(f"archive root '{root}' given twice (as '{seen[real]}' too)")
            seen[real] = root

    def _day_dirs(self, since: str | None = None, until: str | None = None) -> Iterator[tuple[str, int, Path]]:
        """(day, root number, day directory) of every root, by day then root."""
        per_root = (
            [(day, n, path) for day, path in files.day_dirs(root, since, until)] for n, root in enumerate(self.roots)
        )
        return heapq.merge(*per_root)

    def _files(self, since: str | None = None, until: str | None = None) -> Iterator[tuple[int, files.DataFile]]:
        """(root number, data file) of every root in [since, until], by day, then root, then name."""
        for day, n, path in self._day_dirs(since, until):
            for df in files.day_files(day, path):
                yield n, df

    def day_names(self, since: str | None = None, until: str | None = None) -> list[str]:
        """The days in [since, until] that have a day directory in any root, in order."""
        return list(dict.fromkeys(day for day, _, _ in self._day_dirs(since, until)))

    def days(self) -> list[DayInfo]:
        """Every day partition in order, with its files and record counts (summed over the roots)."""
        out: list[DayInfo] = []
        for day, _, path in self._day_dirs():
            names, count, size = [], 0, 0
            for df in files.day_files(day, path):
                for part in df.parts:
                    names.append(part.name)
                    size += part.stat().st_size
                    count += files.count_lines(part)
            warc = sum(e.stat().st_size for e in path.iterdir() if e.name.endswith(WARC_SUFFIX) and e.is_file())
            info = DayInfo(day, names, count, size, warc)
            if out and out[-1].day == day:
                last = out.pop()
                info = DayInfo(day, last.files + names, last.records + count, last.bytes + size, last.warc_bytes + warc)
            out.append(info)
        return out

    def records(
        self,
        since: str | date | None = None,
        until: str | date | None = None,
        site: str | None = None,
        spider: str | None = None,
        *,
        latest: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Stream records in day order (since/until inclusive, 'YYYY-MM-DD' or date), in constant memory.

        Torn or unparseable lines are skipped with one warning each naming the file and line.
        ``latest=True`` gives one record per ``url``: the latest extraction of the latest capture (see
        ``latest_key``), among the records the other filters select, in the order they are stored. It
        reads the files twice and holds one small entry per URL between the passes.
        """
        return (rec for _, rec in self.lines(since, until, site, spider, latest=latest))

    def lines(
        self,
        since: str | date | None = None,
        until: str | date | None = None,
        site: str | None = None,
        spider: str | None = None,
        *,
        latest: bool = False,
    ) -> Iterator[tuple[bytes, dict[str, Any]]]:
        """Like records(), yielding (raw line including its newline, parsed record) pairs."""
        lo, hi = date_range(since, until)
        if latest:
            return ((line, rec) for _, line, rec in self._latest(lo, hi, site, spider))
        return self._lines(lo, hi, site, spider)

    def latest_by_day(
        self, since: str | date | None = None, until: str | date | None = None, site: str | None = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Like ``records(latest=True)``, each record with the day directory it is stored in."""
        lo, hi = date_range(since, until)
        return ((day, rec) for day, _, rec in self._latest(lo, hi, site, None))

    def _lines(
        self, since: str | None, until: str | None, site: str | None, spider: str | None
    ) -> Iterator[tuple[bytes, dict[str, Any]]]:
        for _, df in self._files(since, until):
            for _, line, rec in self._file_lines(df, site, spider):
                yield line, rec

    def _file_lines(
        self, df: files.DataFile, site: str | None, spider: str | None, warn: bool = True
    ) -> Iterator[tuple[int, bytes, dict[str, Any]]]:
        """(logical offset, line, record) of one data file's records that pass the filters."""
        fast_loads, suspect = json.loads, may_need_repair
        for chunk in files.iter_chunks(df):
            offset = chunk.offset
            for i, line in enumerate(chunk.lines):
                at = offset
                offset += len(line)
                try:  # the common case inline: this loop is the archive's read speed
                    rec = fast_loads(line)
                except ValueError:
                    rec = None
                if type(rec) is not dict or suspect(line):
                    if not warn:
                        with _quiet():
                            rec, repaired = decode(chunk, i)
                    else:
                        rec, repaired = decode(chunk, i)
                    if rec is None:
                        continue
                    if repaired:
                        line = encode_line(rec)  # pass on the line as it should have been written
                if (site is None or rec.get("site") == site) and (spider is None or rec.get("spider") == spider):
                    yield at, line, rec
            if not warn:
                continue
            n = chunk.line_no and chunk.line_no + len(chunk.lines)
            if chunk.torn is not None:
                warn_line(chunk.path, n, f"skipped torn last line ({len(chunk.torn)} bytes, no newline)")
            if chunk.error is not None:
                warn_line(chunk.path, n, f"skipped the rest of the file: {chunk.error}")

    def _latest(
        self, since: str | None, until: str | None, site: str | None, spider: str | None
    ) -> Iterator[tuple[str, bytes, dict[str, Any]]]:
        data = list(self._files(since, until))
        best: dict[str, tuple[tuple[datetime, str, str, bool, int], int, int]] = {}
        no_url = 0
        for order, (_, df) in enumerate(data):
            written = _written(df)
            for offset, _, rec in self._file_lines(df, site, spider):
                url = rec.get("url")
                if not isinstance(url, str):
                    no_url += 1
                    continue
                key = (_when(rec.get("crawled_at")) or _NEVER, *written, order)
                held = best.get(url)
                if held is None or (key, offset) >= (held[0], held[2]):
                    best[url] = (key, order, offset)
        if no_url:
            log.warning(
                "latest records: %d record(s) without a url string skipped (news-archive verify lists them)", no_url
            )
        for order, (_, df) in enumerate(data):
            for offset, line, rec in self._file_lines(df, site, spider, warn=False):
                held = best.get(rec.get("url"))  # type: ignore[arg-type]
                if held is not None and held[1] == order and held[2] == offset:
                    yield df.day, line, rec

    def get(self, url: str) -> list[dict[str, Any]]:
        """Every revision stored for ``url`` (matching url or canonical_url), oldest first."""
        needles = {json.dumps(url, ensure_ascii=a)[1:-1].encode() for a in (False, True)}
        needles |= {n.replace(b"/", b"\\/") for n in needles}
        found: list[tuple[datetime | None, int, dict[str, Any]]] = []
        for _, df in self._files():
            for chunk in files.iter_chunks(df):
                for i, line in enumerate(chunk.lines):
                    if not any(n in line for n in needles):
                        continue
                    rec, _ = decode(chunk, i)
                    if rec is not None and url in (rec.get("url"), rec.get("canonical_url")):
                        found.append((_when(rec.get("crawled_at")), len(found), rec))
        found.sort(key=lambda t: (t[0] is not None, t[0] or datetime.min, t[1]))
        return [rec for _, _, rec in found]

    def search(self, query: str, limit: int = 10, *, update: bool = True) -> list[SearchHit]:
        """Ranked full-text hits for the words of ``query`` (all must match); updates the indexes first.

        Over several roots: each root's best ``limit`` hits, merged by score (ties: root order, then each
        root's own order), the best ``limit`` of them ranked again from 1.
        """
        hits: list[SearchHit] = []
        for root in self.roots:
            with Index(root) as idx:
                if update:
                    idx.update()
                hits += idx.search(query, limit)
        if len(self.roots) == 1:
            return hits
        hits.sort(key=lambda h: -h.score)
        return [dataclasses.replace(h, rank=i) for i, h in enumerate(hits[:limit], 1)]

    def last_capture(self, url: str) -> tuple[Path, Source] | None:
        """(root, source) of the latest capture of ``url`` over the roots (updates their indexes first), or None.

        Within a root the index decides (``Index.last_capture``); between roots, the later capture date, and
        on a tie the later root in the order given.
        """
        best: tuple[datetime, int, Path, Source] | None = None
        for n, root in enumerate(self.roots):
            with Index(root) as idx:
                idx.update()
                source = idx.last_capture(url)
                when = _when(idx.last_capture_date(url)) or _NEVER
            if source is not None and (best is None or (when, n) >= best[:2]):
                best = (when, n, root, source)
        return None if best is None else (best[2], best[3])


class Archive(Reader):
    """Read access to one archive root written by ArchiveWriter (plain .jsonl and .jsonl.gz)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        super().__init__([root])
        self.root = self.roots[0]

    def index(self) -> Index:
        """The full-text index of this archive (root/.index/archive.sqlite)."""
        return Index(self.root)


_NEVER = datetime.min.replace(tzinfo=UTC)
_RUN_TIME = re.compile(r"-([0-9]{8}T[0-9]{6}Z)-")


def latest_key(crawled_at: object, day: str, file_name: str) -> tuple[datetime, str, str, bool]:
    """How ``records(latest=True)`` orders the records of one URL (the greatest is kept; ties: the later stored).

    1. the capture: ``crawled_at`` as an instant (records without one come first); a re-extraction keeps
       its capture's crawled_at, so a new capture always beats an older capture's re-extraction;
    2. then when the record was written: the day directory of its file, then the start time in its run
       id (``<spider>-YYYYmmddTHHMMSSZ-<hex>.jsonl``, as crawls, reextract and import-warc name runs; ''
       for a run id without one), then a reextract run before any other started in the same second (a
       re-extraction replaces a record that existed when it ran: ``import-warc F && reextract`` may start
       both runs in one second);
    3. then the order records are stored in (file name order within a day, line order in a file).
    """
    match = _RUN_TIME.search(file_name)
    reextract = file_name.startswith(f"{REEXTRACT_SPIDER}-")
    return (_when(crawled_at) or _NEVER, day, match.group(1) if match else "", reextract)


def _written(df: files.DataFile) -> tuple[str, str, bool]:
    """(day, run start time, whether a reextract run) of a data file: see latest_key."""
    return latest_key(None, df.day, df.name)[1:]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Hold back the 'archive' logger's warnings (a second pass over lines already warned about)."""
    previous = log.disabled
    log.disabled = True
    try:
        yield
    finally:
        log.disabled = previous


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt if dt.tzinfo is not None else None
