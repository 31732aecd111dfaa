"""verify: every line parses and validates; torn, corrupt and duplicate records reported; --repair.

Repair never deletes bytes: rejected lines go to root/.quarantine/<relative path>.<timestamp>.rejected,
then the data file is rewritten atomically (temporary file, fsync, rename). A complete record that
only lacks its final newline gets the newline instead. Files held by a running writer are left alone.

WARC files: each ``YYYY-MM-DD/*.warc.gz`` must be whole gzip members; a torn last member (a kill
mid-write) is a ``torn`` problem that repair moves to .quarantine and cuts off, other damage is
``damaged``. Each record's ``source`` must resolve to a whole response record with its record id and
digest, for the record's url (``source`` problems; a missing WARC file is one problem per file).
"""

from __future__ import annotations

import fcntl
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import files
from .jsonline import encode_line, loads
from .names import WARC_SUFFIX
from .schema import validate, validator
from .warc import WarcError, cut_torn_tail, read_capture, same_page, scan_members

if TYPE_CHECKING:
    from .progress import Progress

REPAIRABLE = {"torn", "corrupt", "leftover", "temporary"}


@dataclass
class Problem:
    """One problem: kind is torn, corrupt, invalid, duplicate, damaged (gz), leftover, temporary or source."""

    kind: str
    path: str
    line: int
    detail: str
    repaired: bool = False
    count: int = 1  # records it concerns (a missing WARC file: every record pointing into it)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        more = f" ({self.count:,} records)" if self.count > 1 else ""
        return f"{where}: {self.kind}: {self.detail}{more}" + (" [repaired]" if self.repaired else "")


@dataclass
class Report:
    """The outcome of verify(): counts, problems, and what repair moved where."""

    files: int = 0
    lines: int = 0
    records: int = 0
    revisions: int = 0
    warc_files: int = 0
    sources: int = 0  # records whose source resolved
    problems: list[Problem] = field(default_factory=list)
    quarantined: list[Path] = field(default_factory=list)
    in_use: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """True when no unrepaired problem remains."""
        return all(p.repaired for p in self.problems)

    def summary(self) -> str:
        """One line: what was checked and what is left."""
        left: Counter[str] = Counter()
        for p in self.problems:
            if not p.repaired:
                left[p.kind] += p.count
        fixed = sum(p.repaired for p in self.problems)
        head = f"verified {self.files:,} files, {self.records:,} valid records ({self.revisions:,} revisions)"
        if self.warc_files or self.sources:
            head += f", {self.warc_files:,} WARC files, {self.sources:,} sources resolved"
        state = (
            "clean"
            if not left
            else f"{sum(left.values()):,} problems (" + ", ".join(f"{n:,} {k}" for k, n in sorted(left.items())) + ")"
        )
        extra = f"; repaired {fixed:,}" if fixed else ""
        extra += f"; {len(self.in_use)} file(s) in use by a writer" if self.in_use else ""
        return f"{head}: {state}{extra}"


class _Seen:
    """First occurrence of each content hash, and each url's hashes, for duplicate/revision detection."""

    def __init__(self) -> None:
        self.by_hash: dict[str, tuple[str, int, str]] = {}
        self.urls: dict[str, str] = {}

    def check(self, rec: dict[str, Any], where: str, line: int, report: Report) -> None:
        url, digest = rec["url"], rec["content_hash"]
        first = self.by_hash.get(digest)
        if first is not None:
            fpath, fline, furl = first
            same = "same url and content" if furl == url else f"same content as {furl}"
            detail = f"{url}: {same}, first at {fpath}:{fline}"
            report.problems.append(Problem("duplicate", where, line, detail))
            return
        self.by_hash[digest] = (where, line, url)
        if url in self.urls:
            report.revisions += 1
        self.urls[url] = digest


class _Sources:
    """Resolves each record's ``source``: a response record for the record's url, with its id and digest."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.missing: dict[str, Problem] = {}

    def check(self, rec: dict[str, Any], where: str, line: int, report: Report) -> None:
        source = rec.get("source")
        if not isinstance(source, dict):
            return  # null or absent: no capture
        warc = str(source["warc"])
        if warc in self.missing:
            self.missing[warc].count += 1
            return
        try:
            capture = read_capture(self.root, source)
        except FileNotFoundError:
            problem = Problem("source", warc, 0, f"missing WARC file, first named at {where}:{line}")
            self.missing[warc] = problem
            report.problems.append(problem)
            return
        except (OSError, WarcError) as exc:
            report.problems.append(Problem("source", where, line, f"{rec['url']}: {exc}"))
            return
        if not same_page(capture.url, rec["url"]):
            detail = f"{rec['url']}: the response at {warc} offset {source['offset']} is for {capture.url}"
            report.problems.append(Problem("source", where, line, detail))
            return
        report.sources += 1


def _locked_by_writer(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _classify(line: bytes) -> tuple[str | None, str, dict[str, Any] | None]:
    """(problem kind or None, detail, record) for one complete line."""
    try:
        rec, repaired = loads(line)
    except ValueError as exc:
        return "corrupt", f"not JSON ({exc})", None
    if type(rec) is not dict:
        return "corrupt", "not a JSON object", None
    if repaired:  # readers repair it on the fly; --repair keeps the original bytes and stores the repair
        return "corrupt", f"{repaired} lone surrogate escape(s), read as U+FFFD", rec
    if not validator().is_valid(rec):
        errors = validate(rec)
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        return "invalid", f"{errors[0]}{more}", rec
    return None, "", rec


def _scan(
    root: Path, part: Path, seen: _Seen, sources: _Sources, report: Report, live: bool, progress: Progress | None
) -> bool:
    """Check one physical part; return True when it has problems repair can fix in place."""
    where = str(part.relative_to(root))
    fixable = False
    for chunk in files.iter_part(part):
        for i, line in enumerate(chunk.lines):
            report.lines += 1
            kind, detail, rec = _classify(line)
            if kind is not None:
                report.problems.append(Problem(kind, where, chunk.line_no + i, detail))
                fixable |= kind == "corrupt"
            elif rec is not None:
                report.records += 1
                seen.check(rec, where, chunk.line_no + i, report)
                sources.check(rec, where, chunk.line_no + i, report)
        if progress is not None:
            progress.update(report.lines, f"{report.sources:,} sources resolved, {len(report.problems):,} problems")
        if chunk.error is not None:
            report.problems.append(Problem("damaged", where, chunk.line_no + len(chunk.lines), chunk.error))
        if chunk.torn is not None and not live:
            n = chunk.line_no + len(chunk.lines)
            kind, _, rec = _classify(chunk.torn)
            complete = "a complete record" if kind is None else "a partial line"
            detail = f"{len(chunk.torn):,} bytes without a final newline ({complete})"
            report.problems.append(Problem("torn", where, n, detail))
            fixable = True
    return fixable


def verify(root: str | os.PathLike[str], repair: bool = False, progress: Progress | None = None) -> Report:
    """Check every data file under ``root``; with ``repair``, fix torn/corrupt lines and leftovers.

    ``progress`` (archive.progress.Progress) is told the lines checked so far.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"no archive at '{root}'")
    report = Report()
    seen = _Seen()
    sources = _Sources(root)
    for day, ddir in files.day_dirs(root):
        for warc in sorted(p for p in ddir.iterdir() if p.name.endswith(WARC_SUFFIX) and not p.name.startswith(".")):
            _check_warc(root, warc, report, repair)
        for tmp in sorted(p for p in ddir.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")):
            prob = Problem("temporary", str(tmp.relative_to(root)), 0, "left by an interrupted rewrite")
            report.problems.append(prob)
            if repair:
                report.quarantined.append(files.move_to_quarantine(root, tmp))
                prob.repaired = True
        for df in files.day_files(day, ddir, hide_leftovers=False):
            report.files += 1
            if df.gz is not None and df.plain is not None and files.is_leftover(df.plain, df.gz):
                prob = Problem(
                    "leftover",
                    str(df.plain.relative_to(root)),
                    0,
                    f"an interrupted compress: its bytes are already in {df.gz.name}",
                )
                report.problems.append(prob)
                if repair and not _locked_by_writer(df.plain):
                    report.quarantined.append(files.move_to_quarantine(root, df.plain))
                    prob.repaired = True
                df = files.DataFile(df.day, df.name, df.gz, None)
            for part in df.parts:
                live = part == df.plain and _locked_by_writer(part)
                if live:
                    report.in_use.append(str(part.relative_to(root)))
                before = len(report.problems)
                fixable = _scan(root, part, seen, sources, report, live, progress)
                if repair and fixable and part == df.plain and not live:
                    _repair(root, part, report, report.problems[before:])
    return report


def _check_warc(root: Path, path: Path, report: Report, repair: bool) -> None:
    """A WARC file must be whole gzip members; with ``repair``, a torn last member goes to .quarantine."""
    report.warc_files += 1
    where = str(path.relative_to(root))
    if _locked_by_writer(path):
        report.in_use.append(where)  # a running writer may be mid-append: its tail is not torn
        return
    with open(path, "rb", buffering=files.CHUNK) as f:
        scan = scan_members(f)
    if scan.damage is None:
        return
    problem = Problem("torn" if scan.torn else "damaged", where, 0, scan.damage)
    report.problems.append(problem)
    if not (repair and scan.torn):
        return
    fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            report.in_use.append(where)
            return
        _, moved = cut_torn_tail(root, path, fd)
    finally:
        os.close(fd)
    if moved is not None:
        report.quarantined.append(moved)
    problem.repaired = True


def _repair(root: Path, path: Path, report: Report, problems: list[Problem]) -> None:
    """Rewrite ``path`` without its corrupt and torn lines (quarantined first), under the writer's lock."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            report.in_use.append(str(path.relative_to(root)))
            return
        tmp = path.with_name(f".{path.name}.repair.{os.getpid()}.tmp")
        rejected = bytearray()
        try:
            with open(tmp, "wb") as out:
                for chunk in files.iter_part(path):
                    for line in chunk.lines:
                        kind, _, rec = _classify(line)
                        if kind == "corrupt":
                            rejected += line
                            if rec is not None:  # its repaired record stays in the archive
                                out.write(encode_line(rec))
                        else:
                            out.write(line)
                    if chunk.torn is not None:
                        kind, _, _ = _classify(chunk.torn)
                        if kind is None:
                            out.write(chunk.torn + b"\n")
                        else:
                            rejected += chunk.torn
                out.flush()
                os.fchmod(out.fileno(), os.fstat(fd).st_mode & 0o7777)
                os.fsync(out.fileno())
            if rejected:
                report.quarantined.append(files.write_quarantine(root, path, bytes(rejected)))
            os.replace(tmp, path)
            files.fsync_dir(path.parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        for p in problems:
            if p.kind in REPAIRABLE:
                p.repaired = True
    finally:
        os.close(fd)
