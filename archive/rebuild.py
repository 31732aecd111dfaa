"""news-archive reextract and import-warc: today's extraction over stored responses, and WARC files imported.

Both stream: one page's bytes at a time per worker, a bounded number of pages in flight. Extraction is not
this package's: the extractor is loaded through the entry point group ``news_archive.extractors`` (news-archiver
installs ``article = scraper.archivable:archivable``, the crawl's extract -> boilerplate -> validate steps), so
``archive`` keeps importing no ``scraper`` code. An extractor is called as
``extractor(body, url, content_type, hints, site_patterns=...)`` and returns ``(fields, dropped)``: the record's
extracted fields (and its ``extractor`` stamp), or None and why the page is not archived.

- ``reextract``: for each URL's latest record that has a ``source``, the stored response is extracted again; a
  new record (spider ``reextract``, a new run) is written only when an extracted field changed, into the day
  folder of the record it replaces. It keeps the capture's ``crawled_at``, ``site``, ``http_status`` and
  ``source``. Old records stay.
- ``import_warc``: the HTML responses of any WARC file (CC-NEWS included) are extracted and archived as records
  of spider ``warc-import`` with ``crawled_at`` = WARC-Date, in the day folder of that date (UTC). Each archived
  response is copied, payload, WARC-Date and WARC-Record-ID kept, into the run's own WARC file of that day in the
  archive (``source`` points at the copy), so the archive stays self-contained and can be moved; captures the
  archive holds already (same record id, or same URL and payload digest) or whose text it holds already (content
  hash) are skipped: importing twice adds nothing. A capture without a plausible WARC-Date is skipped (bad_date).
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import entry_points
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import urlsplit

from .jsonline import encode_line, loads
from .names import IMPORT_SPIDER, REEXTRACT_SPIDER, new_run_id
from .progress import Progress
from .reader import Archive
from .warc import (
    Capture,
    CaptureIterator,
    Location,
    WarcError,
    WarcWriter,
    dechunked,
    decoded_body,
    iter_captures,
    parse_warc_date,
    read_capture,
    writable_url,
)
from .writer import ArchiveWriter

log = logging.getLogger(__name__)

EXTRACTORS = "news_archive.extractors"
DEFAULT_EXTRACTOR = "article"
#: Seconds a worker may spend on one page before it is killed (the extractor's own limit is far shorter).
PAGE_DEADLINE = 60.0
BATCH = 8  # pages sent to a worker at once
AHEAD = 3  # batches per worker in flight: enough to keep workers busy, few enough to bound memory
#: Record fields that are not extraction's: a change in them alone is no reason for a new record.
NOT_EXTRACTED = frozenset({"site", "extractor", "crawled_at", "spider", "run_id", "http_status", "source"})
HTML_TYPES = ("text/html", "application/xhtml+xml")
#: A WARC-Date before this is a broken clock (there was no web to capture), one more than a day ahead of the
#: import too: such captures are skipped as ``bad_date`` rather than filed under a day they were not made on.
EARLIEST_CAPTURE = datetime(1990, 1, 1, tzinfo=UTC)
LATEST_CAPTURE_AHEAD = timedelta(days=1)
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"  # a zstd frame: .warc.zst files (ArchiveTeam) are not read

Outcome = tuple[dict[str, Any] | None, str | None]
C = TypeVar("C")


class ExtractorMissing(Exception):
    """No extractor is installed in the ``news_archive.extractors`` entry point group, or it cannot be loaded."""


class Extractor(Protocol):
    """What an entry point of ``news_archive.extractors`` is."""

    def __call__(
        self,
        body: bytes,
        url: str,
        content_type: str | None = None,
        hints: Mapping[str, object] | None = None,
        *,
        site_patterns: Iterable[str] = (),
    ) -> tuple[dict[str, Any] | None, str | None]: ...


def load_extractor() -> Extractor:
    """The installed extractor (the entry point named ``article``, else the first by name); ExtractorMissing."""
    found = sorted(entry_points(group=EXTRACTORS), key=lambda ep: (ep.name != DEFAULT_EXTRACTOR, ep.name))
    if not found:
        raise ExtractorMissing(
            f"no extractor installed (entry point group {EXTRACTORS!r} is empty): install news-archiver, "
            "whose scraper package provides it (pip install news-archiver)"
        )
    try:
        extractor: Extractor = found[0].load()
    except Exception as exc:
        raise ExtractorMissing(f"cannot load the extractor {found[0].value!r}: {type(exc).__name__}: {exc}") from None
    return extractor


# --- extraction in worker processes -------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One page to extract: the body (Content-Encoding undone), the URL, its Content-Type, what else it needs."""

    body: bytes
    url: str
    content_type: str | None
    hints: Mapping[str, object] = field(default_factory=dict)
    site_patterns: tuple[str, ...] = ()


def _call(extractor: Extractor, job: Job) -> Outcome:
    try:
        fields, dropped = extractor(job.body, job.url, job.content_type, job.hints, site_patterns=job.site_patterns)
    except Exception as exc:  # an extractor should never raise: say so, once per page, and carry on
        log.error("The extractor failed on %s: %s: %s", job.url, type(exc).__name__, exc)
        return None, f"extract_error ({type(exc).__name__})"
    return fields, dropped


def _worker_main(conn: Connection, parent: int) -> None:
    """A worker process: extract the batches of pages it is sent, answer with their outcomes, until the pipe ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    extractor = load_extractor()
    while True:
        try:
            jobs: list[Job] = conn.recv()
        except (EOFError, OSError):
            return
        conn.send([_call(extractor, job) for job in jobs])


def _exit_with_parent(parent: int) -> None:
    """End this worker once its parent is gone, even killed with SIGKILL (nothing else would tell it)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


@dataclass(eq=False)
class _Batch(Generic[C]):
    """Pages sent to a worker together; `single`: one page sent again alone after its batch's worker was lost."""

    contexts: list[C]
    jobs: list[Job]
    single: bool = False
    outcomes: list[Outcome] | None = None
    sent: float = 0.0


class _Worker:
    """One extraction process and its own pipe: a worker that dies mid-answer spoils no other worker's answers."""

    def __init__(self) -> None:
        self.conn, child = multiprocessing.Pipe()
        self.process = multiprocessing.Process(target=_worker_main, args=(child, os.getpid()), daemon=True)
        self.process.start()
        child.close()
        self.batch: _Batch[Any] | None = None

    def send(self, batch: _Batch[Any]) -> None:
        self.batch, batch.sent = batch, time.monotonic()
        self.conn.send(batch.jobs)

    def stop(self) -> None:
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)


class ExtractorPool(Generic[C]):
    """Extracts pages in order, in ``workers`` processes (in this process when ``workers`` is 0 or 1), with at
    most ``workers * AHEAD`` batches of BATCH pages read ahead. A worker that dies or overruns PAGE_DEADLINE a
    page is killed and replaced; the pages of its batch are sent again one by one, and a page that fails alone
    is dropped as ``extract_crashed`` or ``extract_timeout``."""

    def __init__(self, extractor: Extractor, workers: int) -> None:
        self.extractor = extractor
        self.workers = workers

    def map(self, items: Iterable[tuple[C, Job]]) -> Iterator[tuple[C, Outcome]]:
        """(context, outcome) for each (context, job), in the order given."""
        if self.workers <= 1:
            for ctx, job in items:
                yield ctx, _call(self.extractor, job)
            return
        source = iter(items)
        pending: deque[_Batch[C]] = deque()
        workers = [_Worker() for _ in range(self.workers)]
        exhausted = False
        try:
            while True:
                while not exhausted and len(pending) < self.workers * AHEAD:
                    chunk = list(itertools.islice(source, BATCH))
                    exhausted = len(chunk) < BATCH
                    if chunk:
                        pending.append(_Batch([ctx for ctx, _ in chunk], [job for _, job in chunk]))
                self._dispatch(workers, pending)
                if pending and pending[0].outcomes is not None:
                    done = pending.popleft()
                    yield from zip(done.contexts, done.outcomes or [], strict=True)
                    self._wait(workers, pending, 0)  # answers that came meanwhile: their workers get a batch at once
                elif pending:
                    self._wait(workers, pending, 0.5)
                elif exhausted:
                    return
        finally:
            for worker in workers:
                worker.stop()

    @staticmethod
    def _dispatch(workers: list[_Worker], pending: deque[_Batch[C]]) -> None:
        """Send the first batches not sent yet to the idle workers."""
        unsent = (b for b in pending if b.outcomes is None and not b.sent)
        for worker in workers:
            if worker.batch is None and (batch := next(unsent, None)) is not None:
                worker.send(batch)

    def _wait(self, workers: list[_Worker], pending: deque[_Batch[C]], timeout: float) -> None:
        """Wait up to ``timeout`` seconds for answers; take them in; replace a worker that died or is overdue."""
        busy = [w for w in workers if w.batch is not None]
        ready = wait([w.conn for w in busy], timeout=timeout)
        for worker in (w for w in busy if w.conn in ready):
            assert worker.batch is not None
            try:
                worker.batch.outcomes = worker.conn.recv()
                worker.batch = None
            except (EOFError, OSError):
                self._lost(worker, workers, pending, "died")
        now = time.monotonic()
        for worker in workers:
            if worker.batch is not None and now - worker.batch.sent > PAGE_DEADLINE * len(worker.batch.jobs):
                self._lost(worker, workers, pending, f"took over {PAGE_DEADLINE:g} s a page")

    @staticmethod
    def _lost(worker: _Worker, workers: list[_Worker], pending: deque[_Batch[C]], why: str) -> None:
        """A worker died or overran: replace it; send its batch's pages again alone, or drop the page that was."""
        batch = worker.batch
        assert batch is not None
        worker.stop()
        workers[workers.index(worker)] = _Worker()
        if batch.single:
            url = batch.jobs[0].url
            log.error("An extraction worker %s on %s; a new one takes its place", why, url)
            timeout = f"extract_timeout (over {PAGE_DEADLINE:g} s)"
            batch.outcomes = [(None, "extract_crashed" if why == "died" else timeout)]
            return
        log.warning(
            "An extraction worker %s; the %d pages of its batch are extracted again, one by one", why, len(batch.jobs)
        )
        at = pending.index(batch)
        del pending[at]
        for n, (ctx, job) in enumerate(zip(batch.contexts, batch.jobs, strict=True)):
            pending.insert(at + n, _Batch([ctx], [job], single=True))


def default_workers() -> int:
    """Extraction processes by default: one per CPU this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# --- what a run did -------------------------------------------------------------------------------------------


@dataclass
class Summary:
    """What reextract or import-warc did: records or responses read, pages extracted, records written, and every
    page not written, by reason."""

    command: str
    run_id: str
    reading: str  # what is read: "records" (reextract), "responses" (import-warc)
    read: int = 0
    extracted: int = 0
    written: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    other_records: int = 0  # WARC records that are no HTTP response (warcinfo, request, metadata)
    files: int = 0
    unreadable: list[str] = field(default_factory=list)
    days: set[str] = field(default_factory=set)  # the day folders written to
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0
    progress: Progress | None = None

    def skip(self, reason: str, url: str, detail: str = "", level: int = logging.INFO) -> None:
        """Count a page not written under ``reason`` (the first word of ``detail``'s reason), with a log line."""
        key = reason.split(" ", 1)[0]
        self.reasons[key] += 1
        log.log(level, "%s: %s%s", key if reason == key else reason, url, f" ({detail})" if detail else "")

    def tick(self, note: str = "") -> None:
        """Redraw the progress line, if there is one."""
        if self.progress is not None:
            self.progress.update(self.read, note or f"{self.written:,} written")

    def line(self) -> str:
        """The one summary line printed at the end."""
        seconds = self.seconds or time.monotonic() - self.started
        why = ", ".join(f"{k} {n:,}" for k, n in sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0])) if n)
        files = f"{self.files:,} files" + (f" ({len(self.unreadable):,} unreadable), " if self.unreadable else ", ")
        parts = [
            f"{self.command}: {files if self.files else ''}{self.read:,} {self.reading} read",
            f"{self.extracted:,} extracted",
            f"{self.written:,} records written" + (f" (run {self.run_id}{self._days()})" if self.written else ""),
            f"{sum(self.reasons.values()):,} not written" + (f" ({why})" if why else ""),
        ]
        if self.other_records:
            parts.append(f"{self.other_records:,} other WARC records (warcinfo, request, metadata) skipped")
        rate = self.extracted / seconds if seconds > 0 else 0.0
        parts.append(f"{seconds:.1f} s, {rate:,.0f} pages/s")
        return "; ".join(parts)

    def _days(self) -> str:
        """Where the records went: ', into day 2019-03-05' or ', into 3 days 2019-03-04 to 2019-03-06'."""
        if not self.days:
            return ""
        if len(self.days) == 1:
            return f", into day {min(self.days)}"
        return f", into {len(self.days):,} days {min(self.days)} to {max(self.days)}"


def _as_stored(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` as they read back from the archive (a JSON round trip, lone surrogates repaired)."""
    value, _ = loads(encode_line(fields))
    return dict(value)


def changed_fields(old: Mapping[str, Any], fields: Mapping[str, Any]) -> list[str]:
    """The extracted fields whose values in ``fields`` differ from the stored record ``old``."""
    new = _as_stored(fields)
    missing = object()
    return [k for k, v in new.items() if k not in NOT_EXTRACTED and old.get(k, missing) != v]


def _record(fields: Mapping[str, Any], crawl: Mapping[str, Any]) -> dict[str, Any]:
    """The record to write: the extracted fields, then the crawl fields, then the extractor stamp."""
    out = {k: v for k, v in fields.items() if k != "extractor"}
    out.update(crawl)
    out["extractor"] = fields.get("extractor")
    return out


# --- reextract ------------------------------------------------------------------------------------------------


def _reextract_jobs(
    root: Path, records: Iterable[tuple[str, dict[str, Any]]], summary: Summary
) -> Iterator[tuple[tuple[str, dict[str, Any]], Job]]:
    for day, rec in records:
        summary.read += 1
        url = str(rec.get("url") or "")
        source = rec.get("source")
        if not source:
            summary.skip("no_source", url, "archived without a capture")
            continue
        try:
            capture = read_capture(root, source)
            body = decoded_body(capture)
        except (WarcError, OSError) as exc:
            summary.skip("source_unreadable", url, str(exc), logging.WARNING)
            continue
        meta = capture.metadata or {}
        hints = meta.get("hints")
        patterns = meta.get("site_patterns")
        job = Job(
            body,
            url,
            capture.header("Content-Type"),
            dict(hints) if isinstance(hints, dict) else {},
            tuple(str(p) for p in patterns) if isinstance(patterns, list) else (),
        )
        yield (day, rec), job


def reextract(
    root: str | os.PathLike[str],
    *,
    since: str | date | None = None,
    until: str | date | None = None,
    site: str | None = None,
    workers: int | None = None,
    extractor: Extractor | None = None,
    progress: Progress | None = None,
) -> Summary:
    """Extract every URL's latest stored response again; write a record (spider ``reextract``) where it changed,
    into the day folder of the record it replaces (the day it was archived on: its capture's day)."""
    extractor = extractor or load_extractor()
    archive = Archive(root)
    summary = Summary("reextract", new_run_id(), "records", progress=progress)
    records = archive.latest_by_day(since, until, site=site)
    pool: ExtractorPool[tuple[str, dict[str, Any]]] = ExtractorPool(
        extractor, default_workers() if workers is None else workers
    )
    with ArchiveWriter(archive.root, REEXTRACT_SPIDER, summary.run_id) as writer:
        for (day, old), (fields, dropped) in pool.map(_reextract_jobs(archive.root, records, summary)):
            summary.extracted += 1
            summary.tick()
            if fields is None:
                summary.skip("no_longer_article", old["url"], f"{dropped}; its record stays", logging.WARNING)
                continue
            if not changed_fields(old, fields):
                summary.reasons["unchanged"] += 1
                continue
            crawl = {
                "site": old.get("site") or fields.get("site"),
                "crawled_at": old.get("crawled_at"),
                "spider": REEXTRACT_SPIDER,
                "run_id": summary.run_id,
                "http_status": old.get("http_status"),
                "source": old["source"],
            }
            # The old record's day, not its crawled_at's: records(latest=True) then orders the two by run (same
            # capture, same day), so the new one wins, and a selection by day that found the old one finds it.
            writer.write(_record(fields, crawl), day=day)
            summary.written += 1
            summary.days.add(day)
    summary.seconds = time.monotonic() - summary.started
    return summary


# --- import-warc ----------------------------------------------------------------------------------------------


@dataclass
class Held:
    """What the archive holds already: response record ids, (URL, payload digest) pairs, content hashes."""

    record_ids: set[str] = field(default_factory=set)
    captures: set[tuple[str, str]] = field(default_factory=set)
    hashes: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, archive: Archive) -> Held:
        """Read once from every record of the archive."""
        held = cls()
        for rec in archive.records():
            held.add(rec)
        return held

    def has(self, url: str, source: Mapping[str, Any]) -> bool:
        """Whether a capture (its URL and Source-like location) is held: its record id, or its URL and digest."""
        return source["record_id"] in self.record_ids or (url, source["digest"]) in self.captures

    def add(self, rec: Mapping[str, Any]) -> None:
        """Remember an archived record."""
        if isinstance(h := rec.get("content_hash"), str):
            self.hashes.add(h)
        source = rec.get("source")
        if isinstance(source, dict):
            if isinstance(rid := source.get("record_id"), str):
                self.record_ids.add(rid)
            if isinstance(digest := source.get("digest"), str):
                self.captures.add((str(rec.get("url")), digest))


@dataclass
class _Found:
    capture: Capture
    location: Location
    when: datetime  # the WARC-Date: crawled_at, and the day folder of the record and of its copy


def capture_time(stated: str, now: datetime) -> datetime | None:
    """A capture's WARC-Date (as written) in UTC; None when missing, unparseable, before 1990 or over a day ahead
    of ``now``."""
    when = parse_warc_date(stated)
    if when is None or not EARLIEST_CAPTURE <= when <= now + LATEST_CAPTURE_AHEAD:
        return None
    return when


def site_matches(url: str, sites: Sequence[str]) -> bool:
    """Whether ``url``'s host (without ``www.``) is one of ``sites`` or below one (news.bbc.co.uk is in bbc.co.uk)."""
    if not sites:
        return True
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return any(host == s or host.endswith("." + s) for s in sites)


def is_html(capture: Capture) -> bool:
    """Whether a response says it is HTML (or says nothing: extraction sniffs the bytes then)."""
    declared = (capture.header("Content-Type") or "").split(";")[0].strip().lower()
    return not declared or declared in HTML_TYPES


def _import_jobs(
    captures: CaptureIterator, held: Held, this_run: Held, sites: Sequence[str], since: str | None, summary: Summary
) -> Iterator[tuple[_Found, Job]]:
    now = datetime.now(UTC)
    for capture, location, _metadata in captures:
        summary.read += 1
        summary.tick()
        url, src = capture.url, location.source
        when = capture_time(location.date, now)
        if not 200 <= capture.status < 300:
            summary.skip(f"http_{capture.status}", url)
        elif not writable_url(url):  # a tab or control character in it: no WARC header can hold it
            summary.skip("bad_url", url, "a URL with a space, tab or control character", logging.WARNING)
        elif not is_html(capture):
            summary.skip("not_html", url, capture.header("Content-Type") or "")
        elif not site_matches(url, sites):
            summary.reasons["other_site"] += 1
        elif when is None:
            stated = f"WARC-Date {location.date!r}" if location.date else "no WARC-Date"
            summary.skip("bad_date", url, f"{stated}: not a capture time between 1990 and tomorrow", logging.WARNING)
        elif since is not None and when.date().isoformat() < since:
            summary.reasons["before_since"] += 1
        elif location.truncated is not None:
            summary.skip("truncated", url, f"{location.truncated}: only part of the body is stored", logging.WARNING)
        elif held.has(url, src):
            summary.reasons["already_archived"] += 1
        elif this_run.has(url, src):
            summary.skip("repeated_capture", url, f"{src['record_id']} again in {src['warc']}")
        else:
            this_run.record_ids.add(src["record_id"])
            this_run.captures.add((url, src["digest"]))
            try:
                body = decoded_body(capture)
            except WarcError as exc:
                summary.skip("undecodable", url, str(exc), logging.WARNING)
                continue
            yield _Found(capture, location, when), Job(body, url, capture.header("Content-Type"))


def import_warc(
    root: str | os.PathLike[str],
    paths: Sequence[str | os.PathLike[str]],
    *,
    sites: Sequence[str] = (),
    since: str | None = None,
    workers: int | None = None,
    extractor: Extractor | None = None,
    progress: Progress | None = None,
    on_unreadable: Callable[[str], None] | None = None,
) -> Summary:
    """Import the HTML responses of WARC files as records of spider ``warc-import``; see the module's docstring."""
    extractor = extractor or load_extractor()
    Path(root).mkdir(parents=True, exist_ok=True)
    archive = Archive(root)
    summary = Summary("import-warc", new_run_id(), "responses", progress=progress)
    held, this_run = Held.of(archive), Held()  # what the archive holds; the captures this run has seen
    pool: ExtractorPool[_Found] = ExtractorPool(extractor, default_workers() if workers is None else workers)
    with (
        ArchiveWriter(archive.root, IMPORT_SPIDER, summary.run_id) as writer,
        WarcWriter(archive.root, IMPORT_SPIDER, summary.run_id) as warc,
    ):
        for path in paths:
            summary.files += 1
            problem = _unreadable(Path(path))
            captures = None if problem else iter_captures(path)
            if captures is not None:
                for found, (fields, dropped) in pool.map(_import_jobs(captures, held, this_run, sites, since, summary)):
                    summary.extracted += 1
                    summary.tick(f"{summary.written:,} archived, file {summary.files}/{len(paths)}")
                    _archive_one(found, fields, dropped, held, writer, warc, summary)
                problem = _count_records(captures, summary)
            if problem:
                summary.unreadable.append(str(path))
                if on_unreadable is not None:
                    on_unreadable(f"cannot read '{path}': {problem}")
    summary.seconds = time.monotonic() - summary.started
    return summary


def _unreadable(path: Path) -> str | None:
    """Why ``path`` cannot be read at all, else None."""
    try:
        with open(path, "rb") as f:
            start = f.read(4)
    except OSError as exc:
        return exc.strerror or str(exc)
    if start == ZSTD_MAGIC:
        return "a zstd-compressed WARC file (.warc.zst) is not read: decompress it first (zstd -d)"
    return None


def _count_records(captures: CaptureIterator, summary: Summary) -> str | None:
    """Add a file's skipped records to ``summary``; why the file is unreadable when it held no WARC record."""
    counts = captures.counts
    summary.reasons["revisit"] += counts["revisits"]
    summary.reasons["not_http"] += counts["not_http"]
    summary.reasons["resource"] += counts["resources"]
    summary.other_records += counts["not_response"]
    if captures.torn:
        if not (counts["responses"] or counts["revisits"] or counts["not_response"] or counts["not_http"]):
            return f"no WARC record could be read ({captures.damage})"
        summary.reasons["torn"] += 1
    return None


def _archive_one(
    found: _Found,
    fields: dict[str, Any] | None,
    dropped: str | None,
    held: Held,
    writer: ArchiveWriter,
    warc: WarcWriter,
    summary: Summary,
) -> None:
    capture = found.capture
    if fields is None:
        summary.skip(dropped or "dropped", capture.url)
        return
    if fields.get("content_hash") in held.hashes:
        summary.skip("duplicate_content", capture.url, "the same text is archived already")
        return
    day = found.when.date()
    source = warc.write_response(dechunked(capture), record_id=found.location.source["record_id"], day=day)
    crawl = {
        "crawled_at": found.when.isoformat(timespec="seconds"),
        "spider": IMPORT_SPIDER,
        "run_id": summary.run_id,
        "http_status": capture.status,
        "source": dict(source),
    }
    record = _record(fields, crawl)
    writer.write(record, day=day)
    held.add(record)
    summary.written += 1
    summary.days.add(day.isoformat())
