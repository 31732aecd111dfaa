"""Full-text index over title and text: SQLite FTS5, derived from the JSONL files, updated incrementally.

Stored at root/.index/archive.sqlite. The FTS5 table is contentless with full detail (terms with their
positions, no copy of the text): FTS5's bm25() needs the term frequencies that positions give, and
``rank`` is the one relevance order both ``Index.search`` and the web app use.
Per data file the index remembers the logical byte offset read so far plus a checksum of the last line
read, so ``update()`` reads only appended bytes and notices a file that was rewritten (then re-reads it).
Writes happen under an flock on root/.index/lock, so concurrent processes never corrupt it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import files
from .jsonline import loads, surrogate_note
from .locking import lock_file
from .names import INDEX_DIR

if TYPE_CHECKING:
    from .warc import Source

INDEX_VERSION = 5  # 3: CJK runs indexed as bigrams; 4: docs.source (the WARC capture); 5: detail=full (bm25)
TOKENIZE = "unicode61 remove_diacritics 2"
TITLE_WEIGHT = 5.0
COMMIT_EVERY = 20_000
WAL_KEEP = 32 << 20  # bytes of WAL kept after a checkpoint (a 20,000-record commit writes ~150 MB of it)
# A result set over half the archive and larger than this is listed newest first instead of by bm25: its
# words are in so many records that bm25 gives them no idf (FTS5 clamps it), and scoring every row of it
# costs about 1.5 µs a row (a 100,000-record archive: 150 ms for a word in every record).
RANK_LIMIT = 20_000
LEAD_CHARS = 240
MAX_TERMS = 32
log = logging.getLogger("archive")
DOC_FIELDS = ("url", "canonical_url", "title", "published_at", "site", "content_hash", "crawled_at")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS files(
    id INTEGER PRIMARY KEY, rel TEXT NOT NULL UNIQUE, day TEXT NOT NULL,
    gz_ino INTEGER, gz_size INTEGER, gz_mtime INTEGER, gz_len INTEGER NOT NULL DEFAULT 0,
    offset INTEGER NOT NULL DEFAULT 0, check_off INTEGER, check_len INTEGER, check_crc INTEGER);
CREATE TABLE IF NOT EXISTS docs(
    id INTEGER PRIMARY KEY AUTOINCREMENT, file_id INTEGER NOT NULL, offset INTEGER NOT NULL,
    url TEXT, canonical_url TEXT, title TEXT, published_at TEXT, site TEXT, content_hash TEXT, crawled_at TEXT,
    lead TEXT, source TEXT);
CREATE INDEX IF NOT EXISTS docs_file ON docs(file_id);
CREATE INDEX IF NOT EXISTS docs_url ON docs(url);
CREATE INDEX IF NOT EXISTS docs_canonical ON docs(canonical_url) WHERE canonical_url IS NOT NULL;
CREATE INDEX IF NOT EXISTS docs_hash ON docs(content_hash);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title, text, content='', tokenize='{TOKENIZE}');
"""


@dataclass(frozen=True)
class SearchHit:
    """One search result; ``score`` is bm25 relevance (higher is better; 0.0 when listed newest first)."""

    rank: int
    url: str
    title: str | None
    published_at: str | None
    site: str | None
    day: str
    snippet: str
    score: float


@dataclass
class UpdateStats:
    """What an update or reindex did."""

    files: int = 0
    records: int = 0
    bytes_read: int = 0
    skipped: int = 0
    reread_files: int = 0
    removed_files: int = 0
    seconds: float = 0.0


@dataclass
class _FileState:
    id: int
    gz: tuple[int, int, int] | None
    gz_len: int
    offset: int
    check: tuple[int, int, int] | None


class Index:
    """The search index of one archive root. Use as a context manager or call close()."""

    def __init__(self, root: str | os.PathLike[str], *, lock_timeout: float | None = 600.0) -> None:
        self.root = Path(root)
        self.dir = self.root / INDEX_DIR
        self.path = self.dir / "archive.sqlite"
        self.lock_timeout = lock_timeout
        self._con: sqlite3.Connection | None = None

    def __enter__(self) -> Index:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the database connection."""
        if self._con is not None:
            self._con.close()
            self._con = None

    def update(self) -> UpdateStats:
        """Index whatever was appended since the last update (and drop files that disappeared)."""
        return self._write(self._update)

    def reindex(self) -> UpdateStats:
        """Rebuild the index from scratch."""

        def rebuild(con: sqlite3.Connection) -> UpdateStats:
            self._drop(con)
            con.executescript(_SCHEMA)
            return self._update(con)

        return self._write(rebuild)

    def _write(self, work: Callable[[sqlite3.Connection], UpdateStats]) -> UpdateStats:
        """Run ``work`` under the index lock; a damaged index file is thrown away and rebuilt, once."""
        with self._locked():
            try:
                return work(self._prepare())
            except sqlite3.DatabaseError as exc:
                if not is_damage(exc):
                    raise
                self._discard(str(exc))
            return work(self._prepare())

    def _discard(self, why: str) -> None:
        """Delete a damaged index file (derived data) so that it is rebuilt from the JSONL files."""
        log.warning("The search index %s is damaged (%s): rebuilding it from the archive files", self.path, why)
        self.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)

    def search(self, query: str, limit: int = 10) -> list[SearchHit]:
        """The best ``limit`` records containing every word of ``query`` (bm25, title weighted).

        ``title:word`` or ``text:word`` looks in that column only; QueryError for another field name.
        """
        parsed = parse_query(query)
        if not parsed or limit <= 0:
            return []
        if not self.path.exists():
            raise FileNotFoundError(f"no search index at '{self.path}': run update() or reindex first")
        con = self._connect()
        terms = list(dict.fromkeys(t.text for t in parsed))
        fetch = limit + 8
        while True:
            ranking = rank(con, parsed, limit=fetch)
            hits = self._hits(con, ranking.rows, terms, limit)
            if len(hits) >= limit or len(ranking.rows) < fetch:
                return hits
            fetch *= 4  # rows of since-deleted files crowded the top: look further

    def count(self) -> int:
        """How many records the index holds."""
        if not self.path.exists():
            return 0
        return int(self._connect().execute("SELECT count(*) FROM docs").fetchone()[0])

    def has_url(self, url: str) -> bool:
        """Whether a record with this url, or a record of the same host naming it as canonical_url, is indexed
        (call update() first)."""
        return bool(self._crawled(url))

    def last_crawled(self, url: str) -> str | None:
        """The latest `crawled_at` of the records `has_url` finds for this url (call update() first)."""
        return max((t for t in self._crawled(url) if t), default=None)

    def _crawled(self, url: str) -> list[str | None]:
        """`crawled_at` of the records with this url, or of the same host with this canonical_url. A canonical
        naming a page of another host is not trusted: records written before the crawl stopped keeping such
        canonicals would otherwise keep that page from ever being fetched."""
        if self._con is None and not self.path.exists():
            return []
        host = _host(url)
        return [
            crawled
            for row_url, crawled in self._connect().execute(
                "SELECT url, crawled_at FROM docs WHERE url = ?1 OR canonical_url = ?1 LIMIT 1000", (url,)
            )
            if row_url == url or _host(row_url) == host
        ]

    def last_capture(self, url: str) -> Source | None:
        """The ``source`` of the latest capture of ``url`` (records with this exact url; latest crawled_at,
        then the later record), or None when no record of it has one (call update() first)."""
        found = self._last_capture(url)
        return None if found is None else found[0]

    def last_capture_date(self, url: str) -> str | None:
        """When the latest capture of ``url`` was made: the earliest crawled_at of the records pointing at it
        (a revisit's WARC-Refers-To-Date), or None."""
        found = self._last_capture(url)
        return None if found is None else found[1]

    def _last_capture(self, url: str) -> tuple[Source, str | None] | None:
        if self._con is None and not self.path.exists():
            return None
        con = self._connect()
        row = con.execute(
            "SELECT source FROM docs WHERE url = ? AND source IS NOT NULL ORDER BY crawled_at DESC, id DESC LIMIT 1",
            (url,),
        ).fetchone()
        if row is None:
            return None
        source: Source = json.loads(row[0])
        (first,) = con.execute(
            "SELECT min(crawled_at) FROM docs WHERE url = ? AND json_extract(source, '$.record_id') = ?",
            (url, source["record_id"]),
        ).fetchone()
        return source, first

    def has_content_hash(self, content_hash: str) -> bool:
        """Whether a record with this content_hash is indexed (call update() first)."""
        return self._exists("SELECT 1 FROM docs WHERE content_hash = ? LIMIT 1", content_hash)

    def _exists(self, sql: str, value: str) -> bool:
        if self._con is None and not self.path.exists():
            return False
        return self._connect().execute(sql, (value,)).fetchone() is not None

    def urls(self) -> list[str]:
        """The url of every indexed record, in indexing order."""
        if not self.path.exists():
            return []
        return [u for (u,) in self._connect().execute("SELECT url FROM docs ORDER BY id")]

    def _hits(
        self, con: sqlite3.Connection, rows: list[tuple[int, float]], terms: list[str], limit: int
    ) -> list[SearchHit]:
        ids = [r[0] for r in rows]
        marks = ",".join("?" * len(ids))
        meta = {
            r[0]: r[1:]
            for r in con.execute(
                "SELECT d.id, d.url, d.title, d.published_at, d.site, d.offset, d.lead, f.day, f.rel, "
                f"f.gz_len FROM docs d JOIN files f ON f.id = d.file_id WHERE d.id IN ({marks})",
                ids,
            )
        }
        hits: list[SearchHit] = []
        for rowid, score in rows:
            if rowid not in meta:
                continue
            url, title, published, site, offset, lead, day, rel, gz_len = meta[rowid]
            snippet = self._snippet(rel, gz_len, offset, url, terms) or lead or ""
            hits.append(SearchHit(len(hits) + 1, url, title, published, site, day, snippet, score))
            if len(hits) == limit:
                break
        return hits

    def _snippet(self, rel: str, gz_len: int, offset: int, url: str, terms: list[str]) -> str | None:
        if offset < gz_len:
            return None  # inside a compressed part: use the stored lead rather than decompress
        try:
            line = read_line(self.root / rel, offset - gz_len)
            rec, _ = loads(line)
        except (OSError, ValueError):
            return None
        if type(rec) is not dict or rec.get("url") != url or not isinstance(rec.get("text"), str):
            return None
        return make_snippet(rec["text"], terms)

    # -- writing -------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._con is None:
            self._con = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        return self._con

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold root/.index/lock; FileNotFoundError when there is no archive at root."""
        if not self.root.is_dir():
            raise FileNotFoundError(f"no archive at '{self.root}'")
        self.dir.mkdir(exist_ok=True)
        with lock_file(self.dir / "lock", self.lock_timeout):
            yield

    def _prepare(self) -> sqlite3.Connection:
        con = self._connect()
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute(f"PRAGMA journal_size_limit={WAL_KEEP}")  # a build's big WAL shrinks after its checkpoints
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if version == INDEX_VERSION and _schema_of(con) != _expected_schema():
            raise sqlite3.DatabaseError("its tables are not the ones this version writes")
        if version != INDEX_VERSION:
            if version:
                log.info("Rebuilding the search index %s (format %d, now %d)", self.path, version, INDEX_VERSION)
            self._drop(con)
            con.executescript(_SCHEMA)
            con.execute(f"PRAGMA user_version={INDEX_VERSION}")
        return con

    @staticmethod
    def _drop(con: sqlite3.Connection) -> None:
        con.executescript(
            "BEGIN; DROP TABLE IF EXISTS fts; DROP TABLE IF EXISTS docs; DROP TABLE IF EXISTS files; "
            "DROP TABLE IF EXISTS meta; COMMIT;"
        )

    def _update(self, con: sqlite3.Connection) -> UpdateStats:
        started = time.perf_counter()
        stats = UpdateStats()
        known = {
            rel: _FileState(
                fid,
                None if ino is None else (ino, size, mtime),
                gz_len,
                offset,
                None if coff is None else (coff, clen, crc),
            )
            for fid, rel, ino, size, mtime, gz_len, offset, coff, clen, crc in con.execute(
                "SELECT id, rel, gz_ino, gz_size, gz_mtime, gz_len, offset, check_off, check_len, check_crc FROM files"
            )
        }
        for df in files.all_files(self.root):
            self._update_file(con, df, known.pop(df.rel, None), stats)
        for state in known.values():
            con.execute("BEGIN IMMEDIATE")
            con.execute("DELETE FROM docs WHERE file_id = ?", (state.id,))
            con.execute("DELETE FROM files WHERE id = ?", (state.id,))
            con.execute("COMMIT")
            stats.removed_files += 1
        stats.seconds = time.perf_counter() - started
        return stats

    def _update_file(
        self, con: sqlite3.Connection, df: files.DataFile, state: _FileState | None, stats: UpdateStats
    ) -> None:
        gz_id = _gz_identity(df.gz)
        plain_size = _size(df.plain)
        if state is None:
            fid = con.execute("INSERT INTO files(rel, day) VALUES (?, ?)", (df.rel, df.day)).lastrowid
            assert fid is not None
            state = _FileState(fid, None, 0, 0, None)
        gz_len = state.gz_len if gz_id == state.gz else (files.gz_length(df.gz) if df.gz else 0)
        if gz_id == state.gz and state.offset == gz_len + plain_size:
            return  # nothing new
        reset = not _still_valid(df, state, gz_len, gz_id == state.gz, plain_size)
        if reset:
            state.offset, state.check = 0, None
            stats.reread_files += 1
        state.gz, state.gz_len = gz_id, gz_len
        self._read_new(con, df, state, stats, reset)

    def _read_new(
        self, con: sqlite3.Connection, df: files.DataFile, state: _FileState, stats: UpdateStats, reset: bool
    ) -> None:
        docs: list[tuple[int | str | None, ...]] = []
        texts: list[tuple[int, str, str]] = []
        start_offset = state.offset
        con.execute("BEGIN IMMEDIATE")
        try:
            if reset:  # the file was rewritten: forget its records (their FTS rows stay until reindex)
                con.execute("DELETE FROM docs WHERE file_id = ?", (state.id,))
            next_id = _next_doc_id(con)
            for chunk in files.iter_chunks(df, state.offset, state.gz_len):
                offset = chunk.offset
                for line in chunk.lines:
                    size = len(line)
                    rec = _record(line, chunk.path, offset)
                    if rec is not None:
                        text, title = _str(rec.get("text")) or "", _str(rec.get("title"))
                        docs.append(
                            (next_id, state.id, offset, *_doc_fields(rec), text[:LEAD_CHARS], _source_text(rec))
                        )
                        texts.append((next_id, segment(title or ""), segment(text)))
                        next_id += 1
                    else:
                        stats.skipped += 1
                    state.check = (offset, size, zlib.crc32(line))
                    offset += size
                    state.offset = offset
                if chunk.torn is not None and chunk.path != df.plain:
                    stats.skipped += 1  # a torn end inside a gz part is final: step over it
                    state.offset = offset + len(chunk.torn)
                if chunk.error is not None and chunk.path == df.gz:
                    stats.skipped += 1  # damaged gz data: what follows can't be read, don't retry it
                    state.offset = max(state.offset, state.gz_len)
                if len(docs) >= COMMIT_EVERY:
                    self._flush(con, state, docs, texts, stats)
                    con.execute("COMMIT")
                    con.execute("BEGIN IMMEDIATE")
            self._flush(con, state, docs, texts, stats)
            con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):  # a damaged file may refuse even this: keep the cause
                con.execute("ROLLBACK")
            raise
        if state.offset != start_offset:
            stats.files += 1
        stats.bytes_read += state.offset - start_offset

    @staticmethod
    def _flush(
        con: sqlite3.Connection,
        state: _FileState,
        docs: list[tuple[int | str | None, ...]],
        texts: list[tuple[int, str, str]],
        stats: UpdateStats,
    ) -> None:
        con.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", docs)
        con.executemany("INSERT INTO fts(rowid, title, text) VALUES (?, ?, ?)", texts)
        con.execute(
            "INSERT INTO meta VALUES ('fts_rows', ?) ON CONFLICT(key) DO UPDATE SET value = value + excluded.value",
            (len(texts),),
        )
        gz = state.gz or (None, None, None)
        check = state.check or (None, None, None)
        con.execute(
            "UPDATE files SET gz_ino=?, gz_size=?, gz_mtime=?, gz_len=?, offset=?, check_off=?, check_len=?, "
            "check_crc=? WHERE id=?",
            (*gz, state.gz_len, state.offset, *check, state.id),
        )
        stats.records += len(docs)
        docs.clear()
        texts.clear()


_OWN = ("meta", "files", "docs", "docs_file", "docs_url", "docs_canonical", "docs_hash", "fts")
_DAMAGE_WORDS = (
    "malformed",
    "not a database",
    "no such table",
    "no such column",
    "has no column",
    "values were supplied",
    "its tables are not",
)


def is_damage(exc: sqlite3.DatabaseError) -> bool:
    """Whether ``exc`` says the index file is damaged or not ours (rather than busy, read-only or full)."""
    return type(exc) is sqlite3.DatabaseError or any(w in str(exc) for w in _DAMAGE_WORDS)


def _schema_of(con: sqlite3.Connection) -> list[tuple[str, str, str | None]]:
    marks = ",".join("?" * len(_OWN))
    return sorted(con.execute(f"SELECT type, name, sql FROM sqlite_master WHERE name IN ({marks})", _OWN))


@functools.cache
def _expected_schema() -> list[tuple[str, str, str | None]]:
    con = sqlite3.connect(":memory:")
    con.executescript(_SCHEMA)
    try:
        return _schema_of(con)
    finally:
        con.close()


def _meta(con: sqlite3.Connection, key: str, schema: str = "main") -> int:
    row = con.execute(f"SELECT value FROM {schema}.meta WHERE key = ?", (key,)).fetchone()
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class Ranking:
    """The index rows holding every term of a query, best first, as ``rank`` orders them."""

    rows: list[tuple[int, float]]  # (rowid, relevance: higher is better; 0.0 when not ranked)
    ranked: bool  # False: too many to score (see RANK_LIMIT), listed newest first
    found: int  # how many rows hold every term (``rows`` may be fewer: the limit)


def rank(con: sqlite3.Connection, terms: list[Term], *, schema: str = "main", limit: int | None = None) -> Ranking:
    """Relevance: the rows of the index in ``schema`` holding every term, scored by bm25 with the title
    weighted TITLE_WEIGHT; unscored (0.0) for a result set over half the archive and over RANK_LIMIT rows.
    With ``limit``: the best ``limit`` rows, best first, ties newest first (newest first when unscored).
    Without: every row, in no particular order (the caller orders them; sorting them all here costs ~15%).
    QueryError when FTS5 refuses the query."""
    match = " ".join(t.expression() for t in terms)
    table = f"{schema}.fts"
    try:
        found = con.execute(f"SELECT count(*) FROM {table} WHERE fts MATCH ?", (match,)).fetchone()[0]
    except sqlite3.OperationalError as exc:  # our quoting leaves FTS5 no syntax to refuse, but say so if it does
        if "fts5" not in str(exc):
            raise
        raise QueryError(f"cannot search for {' '.join(t.text for t in terms)!r}: {exc}") from None
    if not found:
        return Ranking([], True, 0)
    ranked = found <= RANK_LIMIT or 2 * found <= _meta(con, "fts_rows", schema)
    score, order = (f"-bm25(fts, {TITLE_WEIGHT}, 1.0)", "2 DESC, 1 DESC") if ranked else ("0.0", "1 DESC")
    sql = f"SELECT rowid, {score} FROM {table} WHERE fts MATCH ?"
    if limit is None:
        rows = con.execute(sql, (match,)).fetchall()
    else:
        rows = con.execute(f"{sql} ORDER BY {order} LIMIT ?", (match, limit)).fetchall()
    return Ranking(rows, ranked, found)


def _next_doc_id(con: sqlite3.Connection) -> int:
    row = con.execute("SELECT seq FROM sqlite_sequence WHERE name = 'docs'").fetchone()
    return (int(row[0]) if row else 0) + 1


def _record(line: bytes, path: Path, offset: int) -> dict[str, Any] | None:
    """The record on an archive line; None when the line is not a JSON object. A repaired line is logged."""
    try:
        rec, repaired = loads(line)
    except ValueError:
        return None
    if repaired:
        log.warning("%s: line at byte %d: %s", path, offset, surrogate_note(repaired))
    return rec if type(rec) is dict else None


def _doc_fields(rec: dict[str, Any]) -> tuple[str | None, ...]:
    """url, canonical_url, title, published_at, site, content_hash, crawled_at: strings or None."""
    return tuple(_str(rec.get(k)) for k in DOC_FIELDS)


def _source_text(rec: dict[str, Any]) -> str | None:
    """The record's ``source`` as compact JSON when it is a well-formed one, else None (no capture)."""
    source = rec.get("source")
    if not isinstance(source, dict) or not all(isinstance(source.get(k), t) for k, t in _SOURCE_KEYS):
        return None
    kept = {k: source[k] for k, _ in _SOURCE_KEYS}
    if isinstance(source.get("digest"), str):
        kept["digest"] = source["digest"]
    return json.dumps(kept, separators=(",", ":"))


_SOURCE_KEYS = (("warc", str), ("offset", int), ("length", int), ("record_id", str))  # digest: when present


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _gz_identity(path: Path | None) -> tuple[int, int, int] | None:
    if path is None:
        return None
    st = path.stat()
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _size(path: Path | None) -> int:
    if path is None:
        return 0
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _still_valid(df: files.DataFile, state: _FileState, gz_len: int, gz_same: bool, plain_size: int) -> bool:
    """Does the file still begin with the bytes indexed so far? Checked on the last line read."""
    if state.offset == 0 or state.check is None:
        return state.offset == 0
    if gz_len + plain_size < state.offset:
        return False
    off, size, crc = state.check
    if off >= gz_len:
        if df.plain is None:
            return False
        try:
            with open(df.plain, "rb") as f:
                data = os.pread(f.fileno(), size, off - gz_len)
        except OSError:
            return False
    elif gz_same:
        return True
    else:
        assert df.gz is not None
        data = files.read_at(df.gz, off, size)
    return zlib.crc32(data) == crc


def read_line(path: Path, offset: int) -> bytes:
    """The line of ``path`` that starts at byte ``offset``."""
    with open(path, "rb") as f:
        f.seek(offset)
        return f.readline()


# Scripts written without spaces between words: each run of them is indexed as overlapping bigrams plus
# its last character, so any word of two or more characters is found by its bigrams, and a single
# character by prefix. Han (with 々〆〇), kana, Hangul, Thai, Lao, Khmer, Myanmar.
_UNSPACED = (
    "\u0e00-\u0eff\u1000-\u109f\u1100-\u11ff\u1780-\u17ff\u3005-\u3007\u3040-\u30ff"
    "\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af"
    "\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
_UNSPACED_RUN = re.compile(f"[{_UNSPACED}]+")
_UNSPACED_SPLIT = re.compile(f"([{_UNSPACED}]+)")
_FIELD = re.compile(r"([A-Za-z_]+):(?!//)(.+)")
FTS_COLUMNS = ("title", "text")


class QueryError(ValueError):
    """A search query that cannot be run as written (an unknown column filter, FTS5 refusing it)."""


@dataclass(frozen=True)
class Term:
    """One term every hit must contain: its index text, the column it must be in, whether it is a prefix."""

    text: str
    column: str | None = None
    prefix: bool = False

    def expression(self) -> str:
        """This term as FTS5 query syntax, quoted so that nothing in it is an operator."""
        quoted = '"' + self.text.replace('"', '""') + '"' + (" *" if self.prefix else "")
        return f"{self.column} : {quoted}" if self.column else quoted


def segment(text: str) -> str:
    """``text`` with each run of an unspaced script (CJK, Thai, ...) spelled out as overlapping bigrams."""
    if text.isascii():
        return text
    return _UNSPACED_RUN.sub(_bigrams, text)


def _bigrams(m: re.Match[str]) -> str:
    run = m.group()
    return " " + " ".join([run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]) + " "


def parse_query(query: str) -> list[Term]:
    """The terms of a user query, tokenized exactly as text is indexed (so FTS5 syntax is just text).

    Words are ANDed; ``column:word`` (title, text) limits that word to one column. QueryError for a
    filter on a column the index does not have.
    """
    plan: list[tuple[str | None, str, bool]] = []  # column, text, is an unspaced-script run
    for word in query[:2000].split():
        column = None
        if m := _FIELD.fullmatch(word):
            column, word = m.group(1).lower(), m.group(2)
            if column not in FTS_COLUMNS:
                raise QueryError(
                    f"cannot search by '{m.group(1)}' in {m.group()!r}: the fields are "
                    + ", ".join(f"{c}:" for c in FTS_COLUMNS)
                )
        for k, part in enumerate(_UNSPACED_SPLIT.split(word)):
            if part:
                plan.append((column, part, k % 2 == 1))
    words = iter(_tokenize([text for _, text, unspaced in plan if not unspaced]))
    terms: list[Term] = []
    for column, text, unspaced in plan:
        if not unspaced:
            terms += [Term(t, column) for t in next(words)]
        elif len(text) == 1:
            terms.append(Term(text, column, prefix=True))
        else:
            terms += [Term(text[i : i + 2], column) for i in range(len(text) - 1)]
    return list(dict.fromkeys(terms))[:MAX_TERMS]


@functools.cache
def _tokenizer() -> tuple[sqlite3.Connection, threading.Lock]:
    con = sqlite3.connect(":memory:", check_same_thread=False)
    con.execute(f"CREATE VIRTUAL TABLE q USING fts5(x, tokenize='{TOKENIZE}')")
    con.execute("CREATE VIRTUAL TABLE qv USING fts5vocab(q, 'instance')")
    return con, threading.Lock()


def _tokenize(texts: list[str]) -> list[list[str]]:
    """Each text's terms in order, as FTS5 indexes them."""
    out: list[list[str]] = [[] for _ in texts]
    if not texts:
        return out
    con, lock = _tokenizer()
    with lock:
        con.execute("DELETE FROM q")
        con.executemany("INSERT INTO q(rowid, x) VALUES (?, ?)", enumerate(texts))
        for doc, term in con.execute("SELECT doc, term FROM qv ORDER BY doc, offset"):
            out[doc].append(term)
    return out


def make_snippet(text: str, terms: list[str], width: int = 200) -> str:
    """About ``width`` characters of ``text`` around the first query term found, on one line."""
    flat = " ".join(text.split())
    alternatives = (re.escape(t) if _UNSPACED_RUN.match(t) else rf"\b{re.escape(t)}\b" for t in terms)
    pattern = re.compile("|".join(alternatives), re.IGNORECASE)
    m = pattern.search(flat)
    start = 0
    if m is not None and m.start() > width // 3:
        start = m.start() - width // 3
        space = flat.find(" ", start, m.start())
        start = space + 1 if space >= 0 else start
    end = min(len(flat), start + width)
    if end < len(flat):
        space = flat.rfind(" ", start, end)
        end = space if space > start else end
    return ("…" if start else "") + flat[start:end] + ("…" if end < len(flat) else "")


def _host(url: str | None) -> str:
    """The host of `url`, lowercased, without a leading `www.`; "" when it has none."""
    try:
        host = urlsplit(url or "").hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")
