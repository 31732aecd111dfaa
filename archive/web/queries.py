"""Every query the web app runs, in one place: a read-only view of one or more archive roots.

At start each root's search index is brought up to date (``Index.update``), then opened read-only
(``mode=ro``) and attached to one in-memory SQLite database. The index keeps only what search needs (a
contentless FTS5 table and a few fields per record), so the fields the facets group by (language, section,
authors, organizations, day, run) are read once from the JSONL files into that in-memory database, keyed by
the index's record id. Nothing here writes under an archive root after ``Index.update``.

Records are named by ``<root number>-<index record id>`` (``0-1234``): whole numbers, never paths.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import functools
import heapq
import itertools
import json
import logging
import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from .. import files
from ..index import INDEX_VERSION, Index, QueryError, Term, make_snippet, parse_query, rank
from ..jsonline import loads
from ..progress import Progress
from ..runs import Summary, read_summary, summary_paths
from ..warc import Capture, WarcError, read_capture
from .refresh import Refreshed, signature
from .view import COLUMNS, Doc, Revisit, View

log = logging.getLogger("archive")
PER_PAGE = 20
MAX_PAGE = 500  # deep pages are never useful and cost an OFFSET scan
FACET_LIMIT = 12
MAX_ROOTS = 8  # SQLite attaches at most 10 databases
MAX_DIFF_WORDS = 50_000
# Records read and added to the view at a time, at start and on refresh: their rows are freed before the view's
# lasting objects are made, and smaller batches leave memory less scattered (search walks it: 5,000 at a time
# made search ~20% slower than 1,000); also how long one swap holds the lock.
BATCH = 1_000
REFRESH_LOCK_TIMEOUT = 10.0  # seconds a refresh waits for the index lock (a crawl updating it) before it fails
_KEY = re.compile(r"([0-9]{1,2})-([0-9]{1,15})")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FACETS = ("site", "day", "language", "section", "person")

_SCHEMA = """
CREATE TABLE doc(
    k INTEGER PRIMARY KEY, root INTEGER NOT NULL, id INTEGER NOT NULL, file TEXT NOT NULL, offset INTEGER NOT NULL,
    in_gz INTEGER NOT NULL, url TEXT, canonical_url TEXT, title TEXT, site TEXT, published_at TEXT,
    crawled_at TEXT, day TEXT NOT NULL, fday TEXT NOT NULL, language TEXT, section TEXT, authors TEXT NOT NULL,
    organizations TEXT NOT NULL, lead TEXT NOT NULL, source TEXT, spider TEXT, run_id TEXT, content_hash TEXT,
    UNIQUE(root, id));
CREATE TABLE person(k INTEGER NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL);
CREATE INDEX person_name ON person(name);
CREATE INDEX person_k ON person(k);
CREATE INDEX doc_url ON doc(url);
CREATE INDEX doc_canonical ON doc(canonical_url);
"""
_DOC_COLUMNS = (
    "k, root, id, url, canonical_url, title, site, published_at, crawled_at, day, fday, language, section, "
    "authors, organizations, lead, source, spider, run_id, content_hash, in_gz, file, offset"
)


class BadRequest(ValueError):
    """A parameter the app refuses (the message is safe to show)."""


@dataclass(frozen=True)
class Filters:
    """What a search page shows: the query words, the facet values chosen, the page and the order."""

    q: str = ""
    site: str | None = None
    day: str | None = None
    language: str | None = None
    section: str | None = None
    person: str | None = None
    page: int = 1
    sort: str = "relevance"

    def chosen(self) -> dict[str, str]:
        """The facet values in force, by facet name."""
        return {name: value for name in FACETS if (value := getattr(self, name)) is not None}


def parse_filters(params: Any) -> Filters:
    """Filters from query parameters (any mapping with ``.get``); BadRequest naming a bad one."""

    def text(name: str, limit: int = 300) -> str | None:
        value = params.get(name)
        if value is None or value == "":
            return None
        if len(value) > limit:
            raise BadRequest(f"the {name} parameter is longer than {limit} characters")
        return str(value)

    q = text("q", 2000) or ""
    day = text("day")
    if day is not None and not _DAY.fullmatch(day):
        raise BadRequest("day must be a date like 2026-11-29")
    page_text = params.get("page") or "1"
    if not page_text.isdigit() or not 1 <= int(page_text) <= MAX_PAGE:
        raise BadRequest(f"page must be a whole number from 1 to {MAX_PAGE}")
    sort = params.get("sort") or "relevance"
    if sort not in ("relevance", "newest"):
        raise BadRequest("sort must be relevance or newest")
    try:
        terms = parse_query(q)
    except QueryError as exc:
        raise BadRequest(str(exc)) from None
    if q.strip() and not terms:
        raise BadRequest(f"nothing to search for in {q.strip()!r}: give one or more words")
    return Filters(
        q.strip(), text("site"), day, text("language"), text("section"), text("person"), int(page_text), sort
    )


@dataclass(frozen=True)
class Hit:
    """One result row: the record's key and what the result list shows."""

    key: str
    url: str
    title: str | None
    site: str | None
    day: str
    published_at: str | None
    authors: list[str]
    organizations: list[str]
    snippet: str
    terms: list[str]
    score: float


@dataclass
class Results:
    """One page of results with the facets and the per-day histogram of the whole result set."""

    filters: Filters
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]
    histogram: list[tuple[str, int]]

    @property
    def pages(self) -> int:
        """How many pages the results fill (at most MAX_PAGE)."""
        return min(MAX_PAGE, max(1, -(-self.total // PER_PAGE)))


@dataclass
class Article:
    """One record as stored, with where it came from and the other revisions of its URL."""

    key: str
    root: Path
    record: dict[str, Any]
    file: str
    offset: int
    revisions: list[Revision]
    has_capture: bool


@dataclass(frozen=True)
class Revision:
    """Another record of the same URL (or canonical URL)."""

    key: str
    crawled_at: str | None
    title: str | None
    content_hash: str | None


@dataclass
class Run:
    """One crawl run as the archive holds it: its records, its WARC responses when there are any, and the summary
    the crawl wrote at its end (archive.runs) when there is one: then ``dropped`` and ``failed`` are the crawl's
    own counts by reason, else they are inferred from the WARC captures."""

    name: str
    spider: str | None
    run_id: str | None
    archived: int
    sites: int
    first: str | None
    last: str | None
    days: list[str]
    captured: int | None = None
    dropped: int | None = None
    failed: dict[str, int] = field(default_factory=dict)
    dropped_by: dict[str, int] = field(default_factory=dict)  # from the summary only
    summary: dict[str, Any] | None = None  # the run's summary as stored (Summary.to_json)


@dataclass
class Health:
    """The runs page: latest runs, articles per site per day, and sites that went silent."""

    runs: list[Run]
    per_day: dict[str, Counter[str]]
    silent: list[tuple[str, str, int]]  # site, last day seen, days since
    latest_day: str | None


def parse_key(key: str) -> tuple[int, int]:
    """(root number, record id) from ``0-1234``; BadRequest for anything else."""
    m = _KEY.fullmatch(key)
    if m is None:
        raise BadRequest("an article id looks like 0-1234")
    return int(m.group(1)), int(m.group(2))


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """A word-level diff: ("same" | "del" | "ins", text) pieces whose texts, joined, read as both versions."""
    a, b = re.findall(r"\S+\s*", old)[:MAX_DIFF_WORDS], re.findall(r"\S+\s*", new)[:MAX_DIFF_WORDS]
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(("ins", "".join(b[j1:j2])))
    return out


def highlight(snippet: str, terms: Sequence[str]) -> list[tuple[bool, str]]:
    """``snippet`` cut into (is a query term, text) pieces, for a template to escape and mark."""
    words = [re.escape(t) for t in sorted(set(terms), key=len, reverse=True) if t]
    if not words:
        return [(False, snippet)]
    pattern = re.compile("(" + "|".join(words) + ")", re.IGNORECASE)
    return [(i % 2 == 1, part) for i, part in enumerate(pattern.split(snippet)) if part]


class Store:
    """The read-only archive(s) behind the web app. Thread-safe: queries run one at a time.

    ``update=False`` serves each index as it is instead of bringing it up to date first (and on refresh).
    ``refresh()`` serves what was archived since (archive.web.refresh.Refresher calls it in a thread).
    """

    def __init__(self, roots: Sequence[str | Path], *, update: bool = True) -> None:
        if not roots:
            raise ValueError("no archive root given")
        if len(roots) > MAX_ROOTS:
            raise ValueError(f"at most {MAX_ROOTS} archive roots can be served at once")
        self.roots = [Path(r) for r in roots]
        self.update = update
        self.refresh_batch = BATCH
        self.lock_timeout = REFRESH_LOCK_TIMEOUT
        self._state = [_Root(root) for root in self.roots]
        for state in self._state:
            if not state.path.is_dir():
                raise FileNotFoundError(f"no archive at '{state.path}'")
            state.seen = signature(state.path)
            if update:
                self._update_index(state, starting=True)
        self._lock = threading.Lock()  # the in-memory database: one user at a time
        self._refreshing = threading.Lock()  # one refresh at a time: the only writer of that database
        self._con = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._con.executescript(_SCHEMA)
        for n, root in enumerate(self.roots):
            index = Index(root).path
            if not index.exists():
                raise FileNotFoundError(f"no search index at '{index}'")
            self._attach(n)
            version = self._con.execute(f"PRAGMA r{n}.user_version").fetchone()[0]
            if version != INDEX_VERSION:
                log.warning(
                    "the search index of %s is format %d, not %d: results may be in no useful order until it is "
                    "rebuilt (news-archive reindex)",
                    root,
                    version,
                    INDEX_VERSION,
                )
        #: What search counts and orders on: replaced whole, never changed, by a refresh.
        self.view = View.empty(len(self.roots))
        self.records = 0
        with Progress("serve: reading records") as bar:
            for n, state in enumerate(self._state):
                self._sync(n, bar, BATCH)
                state.seen += _index_signature(state.path)
        self._con.execute("ANALYZE main")
        # per file: (its size and time when read, what was read); a file that changed is read again, in its place
        self._status_cache: dict[str, tuple[tuple[int, int], tuple[int, Counter[int], set[str]]]] = {}
        self._summary_cache: dict[str, tuple[tuple[int, int], Summary | None]] = {}

    def close(self) -> None:
        """Close the database connection."""
        with self._refreshing:
            self._con.close()

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._con

    def _attach(self, n: int) -> None:
        """Attach root ``n``'s search index, read-only, as schema ``r<n>`` (again: the file was replaced)."""
        with contextlib.suppress(sqlite3.OperationalError):  # not attached yet
            self._con.execute(f"DETACH DATABASE r{n}")
        index = Index(self.roots[n]).path
        self._con.execute(f"ATTACH DATABASE ? AS r{n}", (f"{index.resolve().as_uri()}?mode=ro",))

    # -- keeping current -------------------------------------------------------------------------------------

    def refresh(self) -> list[Refreshed]:
        """Serve what was archived since the last look. For each root whose data files changed (size, time or
        inode of a day's file) or whose index did: ``Index.update``, then the records it added, in batches
        each swapped in whole. A root that fails logs one WARNING line (not again while it fails the same
        way) and keeps serving what it served. Returns what changed, one entry per root that did."""
        done = []
        with self._refreshing:
            for n, state in enumerate(self._state):
                started, records = time.perf_counter(), self.records
                try:
                    seen = signature(state.path)
                    if seen + _index_signature(state.path) == state.seen:
                        continue
                    if self.update:
                        self._update_index(state)
                    added, removed = self._sync(n, None, self.refresh_batch)
                    state.seen = seen + _index_signature(state.path)
                except Exception as exc:  # whatever it was, the last good state stays served
                    self._failed(state, exc, self.records - records)
                    continue
                if state.failure is not None:
                    log.info("%s: refreshed again (the last failure was: %s)", state.path, state.failure)
                    state.failure = None
                if added or removed:
                    done.append(Refreshed(state.path, added, removed, self.records, time.perf_counter() - started))
        return done

    def _update_index(self, state: _Root, *, starting: bool = False) -> None:
        """``Index.update`` of one root (on refresh, waiting at most ``lock_timeout`` for the index lock). An
        index that cannot be written (a read-only mount or copy) is served as it is, said once; at start any
        OSError is, as it always was."""
        try:
            with Index(state.path, **({} if starting else {"lock_timeout": self.lock_timeout})) as idx:
                idx.update()
        except (OSError, sqlite3.OperationalError) as exc:
            if not (starting and isinstance(exc, OSError)) and not _unwritable(exc):
                raise
            if not state.unwritable:
                log.warning(
                    "cannot update the search index of %s (%s): serving it as it is; records archived since it "
                    "was last updated do not appear",
                    state.path,
                    exc,
                )
            state.unwritable = True
            return
        state.unwritable = False

    def _failed(self, state: _Root, exc: Exception, kept: int) -> None:
        """One WARNING line for a failed refresh of a root (DEBUG when it failed the same way last time)."""
        what = str(exc) if isinstance(exc, OSError | sqlite3.Error) and str(exc) else f"{type(exc).__name__}: {exc}"
        log.log(
            logging.DEBUG if what == state.failure else logging.WARNING,
            "could not refresh %s (%s): still serving what was read before%s; trying again at the next refresh",
            state.path,
            what,
            f" plus {kept:,} records read this time" if kept else "",
        )
        state.failure = what

    def _sync(self, n: int, bar: Progress | None, batch: int) -> tuple[int, int]:
        """Serve what root ``n``'s index holds and this store does not; stop serving what it dropped (records
        of a rewritten or removed file; everything when the index was rebuilt). Returns (added, removed)."""
        state, view = self._state[n], self.view
        gone: set[int] = set()
        path = Index(state.path).path
        with _reading(path) as idx:
            generation = (path.stat().st_ino, idx.execute("PRAGMA schema_version").fetchone()[0])
            rebuilt = state.generation is not None and generation != state.generation
            reattach = state.generation is not None and generation[0] != state.generation[0]
            if rebuilt:  # reindexed or rebuilt: its record ids name other records now; read it all again
                gone = {k for k in view.k_of[n] if k}
                state.max_id, state.below, state.gz_lens, batch = 0, 0, {}, 1 << 62
            below = idx.execute("SELECT count(*) FROM docs WHERE id <= ?", (state.max_id,)).fetchone()[0]
            if below < state.below:
                kept = {i for (i,) in idx.execute("SELECT id FROM docs WHERE id <= ?", (state.max_id,))}
                gone |= {k for i, k in enumerate(view.k_of[n]) if k and i not in kept}
            new = idx.execute(
                "SELECT d.id, f.rel, d.offset FROM docs d JOIN files f ON f.id = d.file_id WHERE d.id > ? "
                "ORDER BY d.id",
                (state.max_id,),
            ).fetchall()
            gz_lens: dict[str, int] = dict(idx.execute("SELECT rel, gz_len FROM files"))
        state.generation, state.below, removed = generation, below, len(gone)
        self._recompressed(n, {rel: g for rel, g in gz_lens.items() if state.gz_lens.get(rel, 0) != g})
        state.gz_lens = gz_lens
        added = lost = 0
        for start in range(0, max(1, len(new)), batch):
            part = new[start : start + batch]
            count = self._swap(n, self._read_records(n, part, gz_lens, bar, added), gone, reattach)
            gone, reattach = set(), False
            added += count
            lost += len(part) - count
            if part:
                state.max_id, state.below = part[-1][0], state.below + len(part)
        if lost:
            log.warning(
                "%s: %d indexed record(s) could not be read back (their file changed or went away): not served",
                state.path,
                lost,
            )
        return added, removed

    def _read_records(
        self, n: int, wanted: list[tuple[int, str, int]], gz_lens: dict[str, int], bar: Progress | None, done: int
    ) -> list[_New]:
        """The records at the (index id, file, offset) ``wanted`` of root ``n``, read from their files (each
        from its first wanted line on), in index id order; those that cannot be read back are left out."""
        by_file: dict[str, dict[int, int]] = {}
        for doc_id, rel, offset in wanted:
            by_file.setdefault(rel, {})[offset] = doc_id
        found: list[_New] = []
        for rel, ids in sorted(by_file.items()):
            df = self._data_file(n, rel)
            if df is None:
                continue
            gz_len, left = gz_lens.get(rel, 0), len(ids)
            for chunk in files.iter_chunks(df, min(ids), gz_len):
                offset = chunk.offset
                for line in chunk.lines:
                    if (wanted_id := ids.get(offset)) is not None:
                        left -= 1
                        if (rec := _record(line)) is not None:
                            found.append(_new(n, wanted_id, rel, offset, offset < gz_len, rec))
                    offset += len(line)
                if bar is not None:
                    bar.update(done + len(found), str(self.roots[n]))
                if not left:
                    break
        found.sort(key=lambda new: new.id)
        return found

    def _swap(self, n: int, found: list[_New], gone: set[int], reattach: bool) -> int:
        """Serve ``found`` (root ``n``'s, numbered after every record served; the list is emptied) and stop serving
        ``gone``: the table rows and the new view change under one hold of the lock, so a request sees all of it
        or none. Returns how many were added."""
        if not found and not gone and not reattach:
            return 0
        docs = [Doc(n, new.id, new.values, new.names, new.url, new.crawled) for new in found]
        urls = list({d.url for d in docs if d.url is not None})
        with self._cursor() as con:
            revisits = [
                Revisit(*r)
                for start in range(0, len(urls), 500)
                for r in con.execute(
                    "SELECT k, url, coalesce(crawled_at, '') FROM doc WHERE url IN "
                    f"({','.join('?' * len(urls[start : start + 500]))})",
                    urls[start : start + 500],
                )
                if r[0] not in gone
            ]
            if reattach:  # the index file was replaced (a damaged one rebuilt): read the new one
                self._attach(n)
            view = self.view.without(gone)
            con.execute("BEGIN")
            try:
                self._write(con, n, found, view.next_k, gone)
                # the rows are in the table: free them before the view's lasting objects are made, which then
                # lie together in memory instead of between the freed ones (search walks them: a third faster)
                found.clear()
                grown = view.added(docs, revisits)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
            self.view = grown
            self.records += len(docs) - len(gone)
        return len(docs)

    @staticmethod
    def _write(con: sqlite3.Connection, n: int, found: list[_New], first: int, gone: set[int]) -> None:
        """The table rows of ``found`` (root ``n``, numbered from ``first``) in, those of ``gone`` out."""
        con.executemany("DELETE FROM doc WHERE k = ?", [(k,) for k in gone])
        con.executemany("DELETE FROM person WHERE k = ?", [(k,) for k in gone])
        con.executemany(
            f"INSERT INTO doc({_INSERT_COLUMNS}) VALUES ({','.join('?' * 23)})",
            [(k, *new.row) for k, new in enumerate(found, first)],
        )
        con.executemany(
            "INSERT INTO person VALUES (?, ?, ?)",
            [(k, name, kind) for k, new in enumerate(found, first) for name, kind in new.people],
        )

    def _recompressed(self, n: int, gz_lens: dict[str, int]) -> None:
        """Files of root ``n`` whose compressed part changed length (compressed at day end): which of their
        records are inside it (their snippet is then the stored lead, not the line read again)."""
        if not gz_lens:
            return
        with self._cursor() as con:
            con.execute("BEGIN")
            con.executemany(
                "UPDATE doc SET in_gz = (offset < ?) WHERE root = ? AND file = ?",
                [(g, n, rel) for rel, g in gz_lens.items()],
            )
            con.execute("COMMIT")

    # -- search --------------------------------------------------------------------------------------------

    def search(self, filters: Filters, *, facets: bool = True, per_page: int = PER_PAGE) -> Results:
        """One page of ranked results for ``filters``, with facet counts and the per-day histogram."""
        terms = parse_query(filters.q)
        with self._cursor() as con:
            view = self.view  # one state for the whole request, whatever a refresh swaps in meanwhile
            scores: dict[int, float] = {}
            ks = self._match(con, view, terms, scores) if terms else view.all
            ks = _collapse(view, _filter(view, ks, filters), scores)
            shown = _order(view, ks, scores, filters, per_page)
            rows = con.execute(
                f"SELECT {_DOC_COLUMNS} FROM doc WHERE k IN ({','.join('?' * len(shown))})", shown
            ).fetchall()
        by_k = {r[0]: r for r in rows}
        counts = _facets(view, ks) if facets else {}
        histogram = sorted(counts.pop("histogram", []))
        words = [t.text for t in terms if not t.column or t.column == "text"]
        hits = [self._hit(by_k[k], words, scores.get(k, 0.0)) for k in shown if k in by_k]
        return Results(filters, len(ks), hits, counts, histogram)

    @staticmethod
    def _match(con: sqlite3.Connection, view: View, terms: list[Term], scores: dict[int, float]) -> list[int]:
        """The records holding every term; ``scores`` gets their relevance as ``Index.search`` ranks them
        (``archive.index.rank``: bm25, title weighted), unless the result set is too large to rank. Index rows
        the view does not serve (added since it was made, or dropped) are left out."""
        ks: list[int] = []
        for n, k_of in enumerate(view.k_of):
            ranking = rank(con, terms, schema=f"r{n}")
            top = len(k_of)
            found = [(k, score) for i, score in ranking.rows if i < top and (k := k_of[i])]
            ks += [k for k, _ in found]
            if ranking.ranked:
                scores.update(found)
        return ks

    def _hit(self, row: tuple[Any, ...], words: list[str], score: float) -> Hit:
        doc = _row(row)
        snippet = doc["lead"]
        if words and not doc["in_gz"]:
            rec = self._read(doc["root"], doc["file"], doc["offset"], doc["url"])
            if rec is not None and isinstance(rec.get("text"), str):
                snippet = make_snippet(rec["text"], words)
        return Hit(
            f"{doc['root']}-{doc['id']}",
            doc["url"] or "",
            doc["title"],
            doc["site"],
            doc["day"],
            doc["published_at"],
            json.loads(doc["authors"]),
            json.loads(doc["organizations"]),
            snippet,
            words,
            score,
        )

    # -- one article ---------------------------------------------------------------------------------------

    def article(self, key: str) -> Article | None:
        """The record named by ``key`` with its revisions; None when there is none (or it changed on disk)."""
        root_no, doc_id = parse_key(key)
        with self._cursor() as con:
            row = con.execute(f"SELECT {_DOC_COLUMNS} FROM doc WHERE root = ? AND id = ?", (root_no, doc_id)).fetchone()
            if row is None:
                return None
            doc = _row(row)
            revisions = [
                Revision(f"{r}-{i}", c, t, h)
                for r, i, c, t, h in con.execute(
                    "SELECT root, id, crawled_at, title, content_hash FROM doc WHERE url IN (?1, ?2) "
                    "OR canonical_url IN (?1, ?2) ORDER BY crawled_at, k",
                    (doc["url"], doc["canonical_url"] or doc["url"]),
                )
            ]
        rec = self._read(root_no, doc["file"], doc["offset"], doc["url"])
        if rec is None:
            return None
        return Article(key, self.roots[root_no], rec, doc["file"], doc["offset"], revisions, doc["source"] is not None)

    def find_url(self, url: str) -> str | None:
        """The key of the latest record of ``url`` (or naming it as canonical URL), or None."""
        with self._cursor() as con:
            row = con.execute(
                "SELECT root, id FROM doc WHERE url = ?1 OR canonical_url = ?1 "
                "ORDER BY crawled_at DESC, k DESC LIMIT 1",
                (url,),
            ).fetchone()
        return None if row is None else f"{row[0]}-{row[1]}"

    def capture(self, key: str) -> Capture | None:
        """The stored response the record named by ``key`` was extracted from; None when there is none.

        A ``source`` pointing outside its archive root is refused (None), whatever the record says.
        """
        root_no, doc_id = parse_key(key)
        with self._cursor() as con:
            row = con.execute("SELECT source, url FROM doc WHERE root = ? AND id = ?", (root_no, doc_id)).fetchone()
        if row is None or row[0] is None:
            return None
        source, root = json.loads(row[0]), self.roots[root_no].resolve()
        try:
            path = (root / str(source.get("warc"))).resolve()
            if not path.is_relative_to(root) or not path.is_file():
                return None
            return read_capture(root, source, url=row[1])
        except (OSError, ValueError, KeyError, TypeError, WarcError):
            return None

    def _read(self, root_no: int, rel: str, offset: int, url: str | None) -> dict[str, Any] | None:
        """The record on the line at logical ``offset`` of data file ``rel``, if it is still the one indexed."""
        df = self._data_file(root_no, rel)
        if df is None:
            return None
        try:
            for chunk in files.iter_chunks(df, offset):
                if chunk.offset != offset or not chunk.lines:
                    return None
                rec = _record(chunk.lines[0])
                return rec if rec is not None and rec.get("url") == url else None
        except OSError:
            return None
        return None

    def _data_file(self, root_no: int, rel: str) -> files.DataFile | None:
        """The parts of data file ``rel`` (a name the index holds, checked: ``YYYY-MM-DD/x.jsonl``) of a root."""
        if not _is_rel(rel):
            return None
        day, name = rel.split("/")
        plain = self.roots[root_no] / day / name
        gz = plain.with_name(name + ".gz")
        return files.DataFile(day, name, gz if gz.exists() else None, plain if plain.exists() else None)

    # -- facets, runs --------------------------------------------------------------------------------------

    def runs(self, limit: int = 20, silent_days: int = 2) -> Health:
        """The latest runs, articles per site per (archiving) day over the last 30 days, and silent sites."""
        with self._cursor() as con:
            rows = con.execute(
                "SELECT root, file, spider, run_id, count(*), count(DISTINCT site), min(crawled_at), max(crawled_at), "
                "group_concat(DISTINCT fday) FROM doc GROUP BY root, file ORDER BY max(crawled_at) DESC"
            ).fetchall()
            latest = con.execute("SELECT max(fday) FROM doc").fetchone()[0]
            since = (date.fromisoformat(latest) - timedelta(days=29)).isoformat() if latest else ""
            per_day: dict[str, Counter[str]] = {}
            for day, site, count in con.execute(
                "SELECT fday, coalesce(site, '(none)'), count(*) FROM doc WHERE fday >= ? GROUP BY 1, 2 ORDER BY 1",
                (since,),
            ):
                per_day.setdefault(day, Counter())[site] = count
            last_seen = con.execute("SELECT coalesce(site, '(none)'), max(fday) FROM doc GROUP BY 1").fetchall()
            sources = con.execute("SELECT root, file, source FROM doc WHERE source IS NOT NULL").fetchall()
        runs = self._add_summaries(self._merge_runs(rows), limit)
        self._add_captures(runs, rows, sources)
        for run in runs:
            if run.summary is not None:  # the crawl's own counts win over what the captures suggest
                totals = run.summary["totals"]
                run.dropped_by, run.failed = totals["dropped"], totals["failed"]
                run.dropped = sum(run.dropped_by.values())
        silent = []
        if latest:
            end = date.fromisoformat(latest)
            for site, seen in last_seen:
                gap = (end - date.fromisoformat(seen)).days
                if gap >= silent_days:
                    silent.append((site, seen, gap))
        silent.sort(key=lambda s: (-s[2], s[0]))
        return Health(runs, per_day, silent, latest)

    @staticmethod
    def _merge_runs(rows: list[tuple[Any, ...]]) -> list[Run]:
        runs: dict[tuple[int, str], Run] = {}
        for root, rel, spider, run_id, count, sites, first, last, days in rows:
            name = rel.split("/", 1)[1].removesuffix(".jsonl")
            run = runs.get((root, name))
            if run is None:
                if f"{spider}-{run_id}" != name:  # the file name says which run wrote it; its records may not
                    spider, _, run_id = name.partition("-")
                run = runs[(root, name)] = Run(name, spider, run_id, 0, 0, first, last, [])
            run.archived += count
            run.sites = max(run.sites, sites)
            run.first = min(filter(None, (run.first, first)), default=None)
            run.last = max(filter(None, (run.last, last)), default=None)
            run.days = sorted(set(run.days) | set(days.split(",")))
        return list(runs.values())

    def _add_summaries(self, runs: list[Run], limit: int) -> list[Run]:
        """The latest ``limit`` runs, each given its summary when one is stored; runs known only by their summary
        (nothing archived) too. Latest first: by last record, else by the run's end."""
        by_name: dict[str, Run] = {}
        for run in runs:
            by_name.setdefault(run.name, run)
        summaries: dict[str, Summary] = {}
        for _, day, path in summary_paths(self.roots):
            if (summary := self._summary(path)) is None:
                continue
            if summary.name not in by_name:
                by_name[summary.name] = Run(summary.name, summary.spider, summary.run_id, 0, 0, None, None, [day])
                runs.append(by_name[summary.name])
            summaries[summary.name] = summary

        def latest(run: Run) -> str:
            summary = summaries.get(run.name)
            return run.last or (summary.finished if summary else "")

        runs.sort(key=latest, reverse=True)
        for run in runs[:limit]:
            if run.name in summaries:
                run.summary = summaries[run.name].to_json()
        return runs[:limit]

    def _summary(self, path: Path) -> Summary | None:
        """A run summary file, read once (they are written once and never changed)."""
        try:
            st = path.stat()
        except OSError:
            return None
        stamp = (st.st_size, st.st_mtime_ns)
        held = self._summary_cache.get(str(path))
        if held is None or held[0] != stamp:
            held = self._summary_cache[str(path)] = (stamp, read_summary(path))
        return held[1]

    def _add_captures(self, runs: list[Run], rows: list[tuple[Any, ...]], sources: list[tuple[Any, ...]]) -> None:
        """Captured / dropped / failed counts of each run from its WARC files (responses read once, cached)."""
        archived_ids: dict[str, set[str]] = {}
        for _, rel, source in sources:
            with contextlib.suppress(ValueError, AttributeError):
                archived_ids.setdefault(rel.split("/", 1)[1].removesuffix(".jsonl"), set()).add(
                    json.loads(source)["record_id"]
                )
        for run in runs:
            warcs = [r / day / f"{run.name}.warc.gz" for day in run.days for r in self.roots]
            found = [self._warc_statuses(p) for p in warcs if p.is_file()]
            if not found:
                continue
            statuses: Counter[int] = Counter()
            ids: set[str] = set()
            for _, status, record_ids in found:
                statuses.update(status)
                ids |= record_ids
            run.captured = sum(statuses.values())
            ok = sum(n for s, n in statuses.items() if 200 <= s < 300)
            run.dropped = max(0, ok - len(ids & archived_ids.get(run.name, set())))
            run.failed = {f"HTTP {s}": n for s, n in sorted(statuses.items()) if not 200 <= s < 300}

    def _warc_statuses(self, path: Path) -> tuple[int, Counter[int], set[str]]:
        from ..warc import iter_captures

        st = path.stat()
        stamp = (st.st_size, st.st_mtime_ns)
        held = self._status_cache.get(str(path))
        if held is None or held[0] != stamp:  # a WARC still being written is read again when it grew
            statuses: Counter[int] = Counter()
            ids: set[str] = set()
            with contextlib.suppress(OSError, WarcError):
                for capture, where, _ in iter_captures(path):
                    statuses[capture.status] += 1
                    ids.add(where.source["record_id"])
            held = self._status_cache[str(path)] = (stamp, (sum(statuses.values()), statuses, ids))
        return held[1]


def _filter(view: View, ks: list[int], filters: Filters) -> list[int]:
    for name in COLUMNS:
        value = getattr(filters, name)
        if value is not None:
            code = view.code_of[name].get(value, 0)
            column = view.codes[name]
            ks = [k for k in ks if column[k] == code] if code else []
    if filters.person is not None:
        person = view.person_code.get(filters.person)
        people = view.people
        ks = [k for k in ks if person in people[k]] if person is not None else []
    return ks


def _collapse(view: View, ks: list[int], scores: dict[int, float]) -> list[int]:
    """One record per URL: the best scoring revision, then the latest crawled."""
    group, crawled = view.group, view.crawled
    if not group:
        return ks
    best: dict[int, int] = {}
    for k in ks:
        g = group.get(k)
        if g is not None:
            held = best.get(g)
            if held is None or (scores.get(k, 0.0), crawled[k], k) > (scores.get(held, 0.0), crawled[held], held):
                best[g] = k
    if not best:
        return ks
    keep = set(best.values())
    return [k for k in ks if k not in group or k in keep]


def _order(view: View, ks: list[int], scores: dict[int, float], filters: Filters, per_page: int) -> list[int]:
    """The keys of the page asked for: relevance, then newest; or newest only."""
    wanted = filters.page * per_page
    rank = view.rank.__getitem__
    if filters.sort == "newest" or not scores:
        ordered = _newest_of(view, ks, wanted)
    else:
        scored = [k for k in ks if k in scores]
        ordered = heapq.nlargest(wanted, scored, key=lambda k: (scores[k], rank(k)))
        if len(ordered) < wanted:
            ordered += _newest_of(view, [k for k in ks if k not in scores], wanted - len(ordered))
    return ordered[wanted - per_page : wanted]


def _newest_of(view: View, ks: list[int], count: int) -> list[int]:
    """The ``count`` newest of ``ks``: a walk down the newest-first order when they are many, else a heap."""
    if 8 * len(ks) < len(view.newest):
        return heapq.nlargest(count, ks, key=view.rank.__getitem__)
    chosen, out = set(ks), []
    for k in view.newest:
        if k in chosen:
            out.append(k)
            if len(out) == count:
                break
    return out


def _facets(view: View, ks: list[int]) -> dict[str, list[tuple[str, int]]]:
    """Counts per facet value over ``ks`` (the top FACET_LIMIT), and "histogram": every day's count."""
    out: dict[str, list[tuple[str, int]]] = {}
    for name in COLUMNS:
        values = view.values[name]
        counts = Counter(map(view.codes[name].__getitem__, ks))
        counts.pop(0, None)
        if name == "day":
            out["histogram"] = [(str(values[c]), n) for c, n in counts.items()]
            top = sorted(counts.items(), key=lambda cn: str(values[cn[0]]), reverse=True)[:FACET_LIMIT]
        else:
            top = sorted(counts.items(), key=lambda cn: (-cn[1], values[cn[0]] or ""))[:FACET_LIMIT]
        out[name] = [(str(values[c]), n) for c, n in top]
    people = Counter(itertools.chain.from_iterable(map(view.people.__getitem__, ks)))
    names = view.person_names
    out["person"] = [
        (names[c], n) for c, n in sorted(people.items(), key=lambda cn: (-cn[1], names[cn[0]]))[:FACET_LIMIT]
    ]
    return out


class _Root:
    """What the store knows of one archive root: what it read of its index, and how its last refresh went."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: tuple[object, ...] = ()  # signature() of its files and index when last brought up to date
        self.generation: tuple[int, int] | None = None  # the index file's inode and schema version
        self.max_id = 0  # the highest index record id read
        self.below = 0  # index records with an id <= max_id then (fewer now: some were dropped)
        self.gz_lens: dict[str, int] = {}  # data file -> length of its compressed part, as the index says
        self.unwritable = False  # its index cannot be updated: said once
        self.failure: str | None = None  # how the last refresh failed, if it did


class _New(NamedTuple):
    """A record to serve, as read from its file: its index id, what the view keeps, its table rows (less ``k``)."""

    id: int
    values: tuple[str | None, ...]  # site, day, language, section
    names: tuple[str, ...]  # authors then organizations, each once
    url: str | None
    crawled: str
    row: tuple[object, ...]  # the ``doc`` row without ``k``
    people: list[tuple[str, str]]  # the ``person`` rows without ``k``: (name, kind)


_INSERT_COLUMNS = (
    "k, root, id, file, offset, in_gz, url, canonical_url, title, site, published_at, crawled_at, day, fday, "
    "language, section, authors, organizations, lead, source, spider, run_id, content_hash"
)


def _new(n: int, doc_id: int, rel: str, offset: int, in_gz: bool, rec: dict[str, Any]) -> _New:
    """What is kept of record ``rec`` (index id ``doc_id`` of root ``n``, at ``offset`` of ``rel``): no text."""
    authors, orgs = string_list(rec.get("authors")), string_list(rec.get("organizations"))
    text = _str(rec.get("text")) or ""
    published, crawled = _str(rec.get("published_at")), _str(rec.get("crawled_at"))
    fday = rel.partition("/")[0]
    day = next((d[:10] for d in (published, crawled) if d and _DAY.match(d[:10])), fday)
    url, site, language, section = (_str(rec.get(name)) for name in ("url", "site", "language", "section"))
    source = rec.get("source")
    row = (
        n,
        doc_id,
        rel,
        offset,
        int(in_gz),
        url,
        _str(rec.get("canonical_url")),
        _str(rec.get("title")),
        site,
        published,
        crawled,
        day,
        fday,
        language,
        section,
        _json_names(tuple(authors)),
        _json_names(tuple(orgs)),
        " ".join(text[:400].split())[:240],
        json.dumps(source) if isinstance(source, dict) else None,
        _str(rec.get("spider")),
        _str(rec.get("run_id")),
        _str(rec.get("content_hash")),
    )
    people = [(a, "author") for a in dict.fromkeys(authors)] + [(o, "organization") for o in dict.fromkeys(orgs)]
    names = tuple(dict.fromkeys(name for name, _ in people))
    return _New(doc_id, (site, day, language, section), names, url, crawled or "", row, people)


@functools.lru_cache(maxsize=4096)
def _json_names(names: tuple[str, ...]) -> str:
    """A list of names as JSON (the same few authors come back in record after record)."""
    return json.dumps(list(names))


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a search index, in one read transaction (a consistent snapshot)."""
    if not path.exists():
        raise FileNotFoundError(f"no search index at '{path}'")
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        con.execute("BEGIN")
        yield con
        con.execute("COMMIT")
    finally:
        con.close()


def _index_signature(root: Path) -> tuple[object, ...]:
    """The search index file's (and its write-ahead log's) identity, size and time: changed by any update."""
    path = Index(root).path
    return tuple(_stat(p) for p in (path, path.with_name(path.name + "-wal")))


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _unwritable(exc: OSError | sqlite3.Error) -> bool:
    """Whether ``exc`` says the index cannot be written here at all (a read-only mount or copy)."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM)
    return "readonly" in str(exc) or "read-only" in str(exc)


def _row(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip([c.strip() for c in _DOC_COLUMNS.split(",")], row, strict=False))


def _is_rel(rel: str) -> bool:
    day, _, name = rel.partition("/")
    return bool(_DAY.fullmatch(day)) and name.endswith(".jsonl") and "/" not in name and not name.startswith(".")


def _record(line: bytes) -> dict[str, Any] | None:
    try:
        rec, _ = loads(line)
    except ValueError:
        return None
    return rec if type(rec) is dict else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def string_list(value: object) -> list[str]:
    """The strings of a list field (authors, tags...); [] for anything that is not a list."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
