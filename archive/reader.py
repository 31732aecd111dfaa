"""Archive: stream, look up and search the records under an archive root."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from . import files
from .index import Index, SearchHit
from .jsonline import encode_line, loads, may_need_repair, surrogate_note
from .names import parse_day

log = logging.getLogger("archive")


@dataclass(frozen=True)
class DayInfo:
    """One day partition: its date, its data files, how many records (lines) and bytes on disk."""

    day: str
    files: list[str]
    records: int
    bytes: int


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


class Archive:
    """Read access to an archive root written by ArchiveWriter (plain .jsonl and .jsonl.gz)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"no archive at '{root}'")

    def days(self) -> list[DayInfo]:
        """Every day partition in order, with its files and record counts."""
        out = []
        for day, path in files.day_dirs(self.root):
            names, count, size = [], 0, 0
            for df in files.day_files(day, path):
                for part in df.parts:
                    names.append(part.name)
                    size += part.stat().st_size
                    count += files.count_lines(part)
            out.append(DayInfo(day, names, count, size))
        return out

    def records(
        self,
        since: str | date | None = None,
        until: str | date | None = None,
        site: str | None = None,
        spider: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Stream records in day order (since/until inclusive, 'YYYY-MM-DD' or date), in constant memory.

        Torn or unparseable lines are skipped with one warning each naming the file and line.
        """
        return (rec for _, rec in self.lines(since, until, site, spider))

    def lines(
        self,
        since: str | date | None = None,
        until: str | date | None = None,
        site: str | None = None,
        spider: str | None = None,
    ) -> Iterator[tuple[bytes, dict[str, Any]]]:
        """Like records(), yielding (raw line including its newline, parsed record) pairs."""
        lo, hi = date_range(since, until)
        return self._lines(lo, hi, site, spider)

    def _lines(
        self, since: str | None, until: str | None, site: str | None, spider: str | None
    ) -> Iterator[tuple[bytes, dict[str, Any]]]:
        fast_loads, suspect = json.loads, may_need_repair
        for df in files.all_files(self.root, since, until):
            for chunk in files.iter_chunks(df):
                for i, line in enumerate(chunk.lines):
                    try:  # the common case inline: this loop is the archive's read speed
                        rec = fast_loads(line)
                    except ValueError:
                        rec = None
                    if type(rec) is not dict or suspect(line):
                        rec, repaired = decode(chunk, i)
                        if rec is None:
                            continue
                        if repaired:
                            line = encode_line(rec)  # pass on the line as it should have been written
                    if (site is None or rec.get("site") == site) and (spider is None or rec.get("spider") == spider):
                        yield line, rec
                n = chunk.line_no and chunk.line_no + len(chunk.lines)
                if chunk.torn is not None:
                    warn_line(chunk.path, n, f"skipped torn last line ({len(chunk.torn)} bytes, no newline)")
                if chunk.error is not None:
                    warn_line(chunk.path, n, f"skipped the rest of the file: {chunk.error}")

    def get(self, url: str) -> list[dict[str, Any]]:
        """Every revision stored for ``url`` (matching url or canonical_url), oldest first."""
        needles = {json.dumps(url, ensure_ascii=a)[1:-1].encode() for a in (False, True)}
        needles |= {n.replace(b"/", b"\\/") for n in needles}
        found: list[tuple[datetime | None, int, dict[str, Any]]] = []
        for df in files.all_files(self.root):
            for chunk in files.iter_chunks(df):
                for i, line in enumerate(chunk.lines):
                    if not any(n in line for n in needles):
                        continue
                    rec, _ = decode(chunk, i)
                    if rec is not None and url in (rec.get("url"), rec.get("canonical_url")):
                        found.append((_when(rec.get("crawled_at")), len(found), rec))
        found.sort(key=lambda t: (t[0] is not None, t[0] or datetime.min, t[1]))
        return [rec for _, _, rec in found]

    def index(self) -> Index:
        """The full-text index of this archive (root/.index/archive.sqlite)."""
        return Index(self.root)

    def search(self, query: str, limit: int = 10, *, update: bool = True) -> list[SearchHit]:
        """Ranked full-text hits for the words of ``query`` (all must match); updates the index first."""
        with Index(self.root) as idx:
            if update:
                idx.update()
            return idx.search(query, limit)


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt if dt.tzinfo is not None else None
