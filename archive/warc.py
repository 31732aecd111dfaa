"""Raw captures in WARC/1.1 (ISO 28500): write what the server sent, read it back, stream any WARC file.

Files are ``ROOT/YYYY-MM-DD/<spider>-<run_id>.warc.gz`` beside the run's JSONL: a ``warcinfo`` record,
then per capture a ``response`` (or ``revisit``), its ``request`` and optionally a ``metadata`` record
(JSON), each its own gzip member written by warcio and appended with one ``os.write``. A record's
``source`` names the response's member: ``length`` bytes at ``offset`` of ``ROOT/<warc>``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import re
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO, TypedDict
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParserException
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from . import files
from .names import WARC_SUFFIX, check_name, warc_name
from .writer import MAX_OPEN_DAYS, DayFile, DayFileWriter

log = logging.getLogger(__name__)

WARC_VERSION = "1.1"
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
# Scrapy (like every HTTP client) hands over the body de-chunked: a stored "Transfer-Encoding: chunked"
# would make replay tools de-chunk it again, so the header is kept under this name (as wget and pywb do).
ORIG_PREFIX = "X-Archive-Orig-"
GZIP_MAGIC = b"\x1f\x8b"
GZIP_LEVEL = 6  # on news pages: 57 MB/s at 18.6% of the size, level 9 28 MB/s at 18.5%
MAX_BODY = 64 << 20  # iter_captures: larger response records (videos, archives) are skipped unread
# what warcio raises on damaged or cut-short input (a record cut inside its headers gives AttributeError)
READ_ERRORS = (
    ArchiveLoadFailed,
    StatusAndHeadersParserException,
    EOFError,
    OSError,
    ValueError,
    zlib.error,
    IndexError,
    KeyError,
    AttributeError,
    TypeError,
)


class Source(TypedDict):
    """Where the response a record was extracted from is stored (the record's ``source`` field)."""

    warc: str  # path relative to ARCHIVE_DIR (or absolute, for a WARC file referenced in place)
    offset: int  # byte offset of the response record (its gzip member) in the file
    length: int  # bytes of that record (gzip member) on disk
    record_id: str  # its WARC-Record-ID, '<urn:uuid:...>'
    digest: str  # its WARC-Payload-Digest, 'sha1:<base32>'


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Capture:
    """One HTTP exchange as sent over the wire (body still Content-Encoded when the server encoded it)."""

    url: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    method: str = "GET"
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    date: datetime = field(default_factory=_utcnow)
    ip: str | None = None
    metadata: dict[str, Any] | None = None  # the JSON of the metadata record written with it, if any

    def header(self, name: str) -> str | None:
        """The first response header called ``name`` (case-insensitive), or None."""
        lower = name.lower()
        return next((v for k, v in self.headers if k.lower() == lower), None)


class WarcError(ValueError):
    """A WARC record or a ``source`` that is not what it should be; the message says where and why."""


def payload_digest(body: bytes) -> str:
    """The WARC-Payload-Digest of ``body`` ('sha1:<base32>'), as written for a response with this body."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def warc_date(when: datetime) -> str:
    """``when`` as a WARC/1.1 date: UTC, microseconds, 'Z'."""
    if when.tzinfo is None:
        raise ValueError("a WARC date needs an aware datetime")
    return str(datetime_to_iso_date(when.astimezone(UTC).replace(tzinfo=None), use_micros=True))


def parse_warc_date(text: str | None) -> datetime | None:
    """A WARC-Date as an aware UTC datetime; None when missing or unparseable (never an exception).

    W3C-DTF as WARC/1.0 and 1.1 write it (``2019-03-05T10:00:00Z``, fractions of a second, or the day alone),
    an explicit offset (``+02:00``, as some tools write it), RFC 3339's variants (a space for the ``T``, lower-case
    ``t``/``z``), or the 14 digits of ARC files (``20190305100000``).
    A date without a zone is UTC, as the standard says every WARC-Date is.
    """
    text = (text or "").strip().upper()
    try:
        if _ARC_DATE.fullmatch(text):
            when = datetime.strptime(text, "%Y%m%d%H%M%S")
        elif _W3C_DATE.match(text):
            when = datetime.fromisoformat(text)
        else:
            return None
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except (ValueError, OverflowError):  # no such day; a year 1 or 9999 that an offset takes out of range
        return None


_ARC_DATE = re.compile(r"[0-9]{14}")
_W3C_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:$|[T ][0-9])")


def _software() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"news-archiver {version('news-archiver')}"
    except PackageNotFoundError:
        return "news-archiver"


class WarcWriter(DayFileWriter):
    """Append captures to ``root/YYYY-MM-DD/<spider>-<run_id>.warc.gz``: the UTC day at the time of writing, or
    the day a write is given (import-warc: the capture's day). Each day's file starts with its own warcinfo record.

    Crash safety as for the JSONL (archive.writer): the file is flock-ed while open, every record is
    one gzip member (warcio serialises it, zlib compresses it) built in memory and appended with one
    ``os.write`` on an O_APPEND descriptor, fsynced every ``fsync_every`` captures and on close. A kill
    leaves at most a torn last member; a writer reopening such a file moves the torn bytes to
    ``root/.quarantine`` first.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        spider: str,
        run_id: str,
        *,
        software: str | None = None,
        clock: Callable[[], datetime] = _utcnow,
        fsync_every: int = 100,
        max_open: int = MAX_OPEN_DAYS,
    ) -> None:
        super().__init__(root, warc_name(spider, run_id), fsync_every=fsync_every, clock=clock, max_open=max_open)
        self.spider = check_name("spider", spider)
        self.run_id = check_name("run_id", run_id)
        self.software = software or _software()
        self._warcio = WARCWriter(None, gzip=False, warc_version=WARC_VERSION)  # gzipped by _member
        self.responses = 0
        self.revisits = 0
        self.bytes_written = 0

    def write_response(
        self,
        capture: Capture,
        *,
        metadata: Mapping[str, object] | None = None,
        record_id: str | None = None,
        day: date | str | None = None,
    ) -> Source:
        """Write ``capture`` as response + request (+ metadata JSON) records; return the response's Source.

        The request record is written when the capture has request headers (a crawl's always has; a
        record imported without its request has none). ``record_id`` keeps an imported record's
        WARC-Record-ID (default: a new urn:uuid). ``day``: the day's file to write to (default: the clock's day).
        """
        http = _response_headers(capture)
        headers = self._warc_headers(capture)
        if record_id is not None:
            headers["WARC-Record-ID"] = record_id
        record = self._warcio.create_warc_record(
            capture.url,
            "response",
            payload=io.BytesIO(capture.body),
            length=len(capture.body),
            http_headers=http,
            warc_headers_dict=headers,
        )
        source = self._write_exchange(capture, record, metadata, day)
        self.responses += 1
        return source

    def write_revisit(
        self,
        capture: Capture,
        previous: Source,
        previous_url: str,
        previous_date: str | datetime,
        *,
        day: date | str | None = None,
    ) -> Source:
        """Write ``capture`` as a revisit of ``previous`` (same payload digest; headers only); return ``previous``.

        ValueError when the body's digest is not ``previous``'s: that would be a revisit of other bytes.
        """
        digest = payload_digest(capture.body)
        if digest != previous["digest"]:
            raise ValueError(
                f"revisit of {capture.url}: payload digest {digest} is not the previous {previous['digest']}"
            )
        refers_date = previous_date if isinstance(previous_date, str) else warc_date(previous_date)
        headers = self._warc_headers(capture)
        headers["WARC-Refers-To"] = previous["record_id"]
        record = self._warcio.create_revisit_record(
            capture.url,
            digest,
            previous_url,
            refers_date,
            http_headers=_response_headers(capture),
            warc_headers_dict=headers,
        )
        self._write_exchange(capture, record, None, day)
        self.revisits += 1
        return previous

    @staticmethod
    def _warc_headers(capture: Capture) -> dict[str, str]:
        _check_url(capture.url)
        headers = {"WARC-Date": warc_date(capture.date)}
        if capture.ip:
            headers["WARC-IP-Address"] = _one_line(capture.ip)
        return headers

    def _write_exchange(
        self,
        capture: Capture,
        record: ArcWarcRecord,
        metadata: Mapping[str, object] | None,
        day: date | str | None,
    ) -> Source:
        body = self._member(record)  # built before the file is touched: a bad capture writes nothing
        record_id = str(record.rec_headers.get_header("WARC-Record-ID"))
        date = str(record.rec_headers.get_header("WARC-Date"))
        linked = {"WARC-Concurrent-To": record_id, "WARC-Date": date}
        members = []
        if capture.request_headers:
            request = self._warcio.create_warc_record(
                capture.url, "request", http_headers=_request_headers(capture), warc_headers_dict=linked
            )
            members.append(self._member(request))
        if metadata is not None:
            data = json.dumps(dict(metadata), ensure_ascii=False, sort_keys=True).encode("utf-8")
            meta = self._warcio.create_warc_record(
                capture.url,
                "metadata",
                payload=io.BytesIO(data),
                length=len(data),
                warc_content_type="application/json",
                warc_headers_dict=linked,
            )
            members.append(self._member(meta))
        f = self._select(day)
        offset = f.size
        self._append(body)
        for member in members:
            self._append(member)
        self._written()
        digest = str(record.rec_headers.get_header("WARC-Payload-Digest"))
        return Source(
            warc=f.path.relative_to(self.root).as_posix(),
            offset=offset,
            length=len(body),
            record_id=record_id,
            digest=digest,
        )

    def _member(self, record: ArcWarcRecord) -> bytes:
        """The record serialised by warcio, as one gzip member (level 6: warcio's own 9 is 2x slower, same size)."""
        out = io.BytesIO()
        self._warcio.out = out
        try:
            self._warcio.write_record(record)
        finally:
            self._warcio.out = None
        z = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, files.GZ_WBITS)
        return z.compress(out.getbuffer()) + z.flush()

    def _opened(self, f: DayFile) -> None:
        if f.size:
            f.size = cut_torn_tail(self.root, f.path, f.fd)[0]
        if f.size == 0:
            self._append(self._member(self._warcinfo()))

    def _warcinfo(self) -> ArcWarcRecord:
        info = {
            "software": self.software,
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "isPartOf": f"{self.spider}-{self.run_id}",
            "spider": self.spider,
            "run_id": self.run_id,
        }
        return self._warcio.create_warcinfo_record(self.name, info)

    def _append(self, data: bytes) -> None:
        super()._append(data)
        self.bytes_written += len(data)


def _one_line(text: str) -> str:
    """A header name or value that cannot break the record's framing (CR, LF and NUL become spaces)."""
    return text.translate(_BREAKS) if _HAS_BREAK.search(text) else text


_BREAKS = str.maketrans({"\r": " ", "\n": " ", "\0": " "})
_HAS_BREAK = re.compile(r"[\r\n\0]")


def writable_url(url: str) -> bool:
    """Whether ``url`` can be a WARC-Target-URI as written here (not empty; no space, tab, CR, LF or NUL)."""
    return bool(url) and not _HAS_BREAK.search(url) and " " not in url and "\t" not in url


def _check_url(url: str) -> str:
    if not writable_url(url):
        raise ValueError(f"cannot write a capture of {url!r}: not a URL a WARC header can hold")
    return url


def _response_headers(capture: Capture) -> StatusAndHeaders:
    headers = [
        (_one_line(ORIG_PREFIX + k if k.lower() == "transfer-encoding" else k), _one_line(v))
        for k, v in capture.headers
    ]
    statusline = _one_line(f"{capture.status} {capture.reason}".rstrip())
    return StatusAndHeaders(statusline, headers, protocol="HTTP/1.1")


def _request_headers(capture: Capture) -> StatusAndHeaders:
    parts = urlsplit(capture.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = [(_one_line(k), _one_line(v)) for k, v in capture.request_headers]
    if not any(k.lower() == "host" for k, _ in headers):
        headers.insert(0, ("Host", parts.netloc))
    line = _one_line(f"{capture.method} {target} HTTP/1.1")
    return StatusAndHeaders(line, headers, protocol="", is_http_request=True)


# --- gzip members ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberScan:
    """Where the whole gzip members of a file end, and what follows them."""

    end: int  # bytes up to the end of the last whole member
    damage: str | None  # None when the file ends right there
    torn: bool  # the file ends inside a member (what a kill mid-write leaves); else corrupt or not gzip


def scan_members(f: BinaryIO) -> MemberScan:
    """Scan the gzip members of ``f`` from its position, decompressing in bounded memory (output dropped)."""
    start = f.tell()
    end = consumed = 0
    z: zlib._Decompress | None = None
    buf = b""
    while True:
        if not buf:
            buf = f.read(files.GZ_READ)
            if not buf:
                break
        if z is None:
            z = zlib.decompressobj(files.GZ_WBITS)
        try:
            z.decompress(buf, files.CHUNK)
        except zlib.error as exc:
            return MemberScan(end, f"corrupt gzip data after byte {start + end:,} ({exc})", False)
        rest = z.unused_data if z.eof else z.unconsumed_tail
        consumed += len(buf) - len(rest)
        buf = rest
        if z.eof:
            end, z = consumed, None
    if z is not None:
        torn = consumed - end
        return MemberScan(end, f"the file ends inside a gzip member at byte {start + end:,} ({torn:,} bytes)", True)
    return MemberScan(end, None, False)


def cut_torn_tail(root: Path, path: Path, fd: int) -> tuple[int, Path | None]:
    """Move a torn last gzip member of ``path`` (open as ``fd``, flock-ed) to root/.quarantine and cut it off.

    Returns (the file's size now, where the torn bytes went or None when there was no torn tail).
    Damage other than a torn tail is left in place (and logged): cutting there would drop whole records.
    """
    with open(path, "rb", buffering=files.CHUNK) as f:
        scan = scan_members(f)
        if scan.damage is None or not scan.torn:
            if scan.damage is not None:
                log.warning("%s: %s: left as it is (verify reports it)", path, scan.damage)
            return os.fstat(fd).st_size, None
        f.seek(scan.end)
        torn = f.read()
    dest = files.write_quarantine(root, path, torn)
    os.ftruncate(fd, scan.end)
    os.fsync(fd)
    log.warning("%s: %s; the torn bytes moved to %s", path, scan.damage, dest)
    return scan.end, dest


# --- reading -----------------------------------------------------------------------------------------


def warc_path(root: str | os.PathLike[str], source: Mapping[str, Any]) -> Path:
    """The file a ``source`` names: relative to the archive root, or absolute."""
    return Path(root) / str(source["warc"])


def read_capture(root: str | os.PathLike[str], source: Mapping[str, Any], *, url: str | None = None) -> Capture:
    """The response stored at ``source`` (body as stored), with its request and metadata when written beside it.

    WarcError when the bytes there are not a whole response record with the source's record id and
    digest (and, given ``url``, for that URL); OSError when the file cannot be read.
    """
    path = warc_path(root, source)
    offset, length = int(source["offset"]), int(source["length"])
    where = f"{source['warc']} at offset {offset}"
    if offset < 0 or length <= 0:
        raise WarcError(f"{where}: impossible offset or length ({offset}, {length})")
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size < offset + length:
            raise WarcError(f"{where}: the file ends {offset + length - size:,} bytes before the record's end")
        f.seek(offset)
        start = f.read(5)
        if not (start.startswith(GZIP_MAGIC) or start == b"WARC/"):
            # A record starts with a gzip member or a WARC/ line; anything else is a wrong offset, and
            # letting the parser loose on it gives a different error for each byte pattern.
            raise WarcError(f"{where}: not a readable WARC record (no gzip member or WARC/ line starts there)")
        f.seek(offset)
        window = _Window(f, length)  # never reads past the source's bytes, never all of them at once
        records = ArchiveIterator(window)
        try:
            record = next(records, None)
        except READ_ERRORS as exc:
            raise WarcError(f"{where}: not a readable WARC record ({type(exc).__name__}: {exc})") from None
        if record is None or record.rec_type != "response":
            found = "nothing" if record is None else f"a {record.rec_type!r} record"
            raise WarcError(f"{where}: expected a response record, found {found}")
        capture = _capture(record, where)
        _check(record, capture, source, url, where)
        if window.gzipped and records.get_record_length() != length:
            raise WarcError(
                f"{where}: the record's gzip member is {records.get_record_length():,} bytes, not {length:,}"
            )
        f.seek(offset + length)
        _attach_following(f, capture, str(source["record_id"]))
    return capture


class _Window:
    """``length`` bytes of ``f`` from its position, read as a file (what ArchiveIterator needs: read, tell)."""

    def __init__(self, f: BinaryIO, length: int) -> None:
        self._f = f
        self._left = length
        self._pos = 0
        self.gzipped = f.peek(2)[:2] == GZIP_MAGIC if isinstance(f, io.BufferedReader) else False

    def read(self, size: int = -1) -> bytes:
        size = self._left if size is None or size < 0 else min(size, self._left)
        data = self._f.read(size)
        self._left -= len(data)
        self._pos += len(data)
        return data

    def tell(self) -> int:
        return self._pos


def _check(record: ArcWarcRecord, capture: Capture, source: Mapping[str, Any], url: str | None, where: str) -> None:
    record_id = record.rec_headers.get_header("WARC-Record-ID")
    if source.get("record_id") and record_id != source["record_id"]:
        raise WarcError(f"{where}: record {record_id} is not the source's {source['record_id']}")
    if url is not None and not same_page(capture.url, url):
        raise WarcError(f"{where}: the response is for {capture.url}, not {url}")
    digest = source.get("digest")
    if isinstance(digest, str) and not _digest_matches(capture, digest):
        raise WarcError(f"{where}: the stored body does not match the source's digest {digest}")


def _digest_matches(capture: Capture, digest: str) -> bool:
    """Whether ``digest`` (sha1 in base32 as we write it, or hex as some tools do) is the body's.

    Tools differ on a body stored still chunked (digest of the raw or of the de-chunked bytes): either
    matches. A digest in another algorithm or form is not checked.
    """
    algorithm, _, value = digest.partition(":")
    if algorithm.lower() != "sha1" or len(value) not in (32, 40):
        return True
    bodies = [capture.body]
    if (capture.header("Transfer-Encoding") or "").strip().lower() == "chunked":
        bodies.append(_dechunk(capture.body))
    for body in bodies:
        sha1 = hashlib.sha1(body).digest()
        if value.upper() == base64.b32encode(sha1).decode("ascii") or value.lower() == sha1.hex():
            return True
    return False


def _attach_following(f: BinaryIO, capture: Capture, record_id: str, lookahead: int = 3) -> None:
    """Read the request / metadata records written right after the response into ``capture``."""
    try:
        for n, record in enumerate(ArchiveIterator(f)):
            if n >= lookahead or record.rec_type in ("response", "revisit"):
                break
            if record.rec_headers.get_header("WARC-Concurrent-To") == record_id:
                _attach(capture, record)
    except READ_ERRORS:
        return  # a torn tail after the response: what was read stays


def _attach(capture: Capture, record: ArcWarcRecord) -> None:
    if record.rec_type == "request" and record.http_headers is not None:
        capture.method = str(record.http_headers.protocol or capture.method)
        capture.request_headers = list(record.http_headers.headers)
    elif record.rec_type == "metadata":
        try:
            value = json.loads(record.raw_stream.read())
        except ValueError:
            return
        if isinstance(value, dict):
            capture.metadata = value


def _capture(record: ArcWarcRecord, where: str) -> Capture:
    """A Capture from a response record (its body read whole); WarcError when the record is cut short."""
    http = record.http_headers
    if http is None:
        raise WarcError(f"{where}: the response has no HTTP headers")
    try:
        body = record.raw_stream.read()
    except READ_ERRORS as exc:
        raise WarcError(f"{where}: the record's body is unreadable ({type(exc).__name__}: {exc})") from None
    missing = getattr(record.raw_stream, "limit", 0)
    if missing:
        raise WarcError(f"{where}: the record is cut short ({missing:,} bytes of its body missing)")
    status_line = str(http.statusline or "")
    code, _, reason = status_line.partition(" ")
    headers = [(str(k), str(v)) for k, v in http.headers]
    date = parse_warc_date(record.rec_headers.get_header("WARC-Date")) or _utcnow()
    return Capture(
        url=str(record.rec_headers.get_header("WARC-Target-URI") or "").strip("<>"),
        status=int(code) if code.isdigit() else 0,
        reason=reason,
        headers=headers,
        body=body,
        date=date,
        ip=record.rec_headers.get_header("WARC-IP-Address"),
    )


def same_page(target_uri: str, url: str) -> bool:
    """Whether a response for ``target_uri`` is the page a record of ``url`` was made from.

    Equal, or equal once the fragment and user info are dropped, scheme and host compared without
    case, and the query pieces ``url`` lacks dropped (the crawl strips tracking parameters such as
    utm_* from a record's url; the WARC keeps the URL fetched). Pieces keep their order.
    """
    if target_uri == url:
        return True
    try:
        a, b = urlsplit(target_uri), urlsplit(url)
        hosts = (a.hostname or "", a.port), (b.hostname or "", b.port)
    except ValueError:
        return False
    if (a.scheme.lower(), hosts[0], a.path or "/") != (b.scheme.lower(), hosts[1], b.path or "/"):
        return False
    wanted = [p for p in b.query.split("&") if p]
    kept = iter(p for p in a.query.split("&") if p)
    return all(any(p == q for q in kept) for p in wanted)


def decoded_body(capture: Capture) -> bytes:
    """The body with its Content-Encoding undone (gzip, deflate, br when brotli is installed; identity).

    A body stored still chunked (Transfer-Encoding: chunked, as other crawlers may store it) is
    de-chunked first; our own captures keep that header as X-Archive-Orig-Transfer-Encoding. A body stored
    already decoded under its Content-Encoding header (it starts with '<') is returned as it is.
    WarcError for an encoding it cannot undo or damaged compressed data.
    """
    body = capture.body
    if (capture.header("Transfer-Encoding") or "").strip().lower() == "chunked":
        body = _dechunk(body)
    encodings = [e.strip().lower() for e in (capture.header("Content-Encoding") or "").split(",") if e.strip()]
    for encoding in reversed(encodings):
        try:
            body = _decode(body, encoding, capture.url)
        except WarcError:
            if _looks_decoded(body):  # stored decoded under the header the server sent (some tools do)
                return body
            raise
    return body


def _looks_decoded(body: bytes) -> bool:
    """Whether a body said to be Content-Encoded is markup as it stands: compressed data never starts with '<'."""
    return body.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"<"


def dechunked(capture: Capture) -> Capture:
    """``capture`` with a body stored still chunked (Transfer-Encoding: chunked, as wget stores it) de-chunked.

    What WarcWriter.write_response expects (the body as an HTTP client hands it over): it keeps the header as
    X-Archive-Orig-Transfer-Encoding, so a copy written with the framing left in would read back framed.
    """
    if (capture.header("Transfer-Encoding") or "").strip().lower() != "chunked":
        return capture
    return replace(capture, body=_dechunk(capture.body))


def _decode(body: bytes, encoding: str, url: str) -> bytes:
    try:
        if encoding in ("gzip", "x-gzip"):
            return _gunzip(body)
        if encoding == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, -zlib.MAX_WBITS)  # raw deflate, as some servers send it
        if encoding == "br":
            return _unbrotli(body, url)
        if encoding == "identity":
            return body
    except (zlib.error, OSError, EOFError) as exc:
        raise WarcError(f"{url}: damaged {encoding} body ({exc})") from None
    raise WarcError(f"{url}: unknown Content-Encoding {encoding!r}")


def _unbrotli(body: bytes, url: str) -> bytes:
    try:
        import brotli
    except ImportError:
        raise WarcError(f"{url}: the body is brotli-encoded and brotli is not installed") from None
    try:
        return brotli.decompress(body)
    except brotli.error as exc:
        raise WarcError(f"{url}: damaged br body ({exc})") from None


def _gunzip(body: bytes) -> bytes:
    out: list[bytes] = []
    while body:
        z = zlib.decompressobj(files.GZ_WBITS)
        out.append(z.decompress(body))
        if not z.eof:
            raise zlib.error("truncated gzip body")
        body = z.unused_data.lstrip(b"\0")
    return b"".join(out)


def _dechunk(body: bytes) -> bytes:
    """``body`` de-chunked; as it is when it is not chunked framing (stored de-chunked under the header)."""
    return _chunks(body)[0]


def _chunks(body: bytes) -> tuple[bytes, bool]:
    """``body`` de-chunked, and whether its framing is whole: False when it ends early (a later chunk cut short, or
    no closing 0-size chunk, as a connection closed mid-body leaves it). A body that is no chunked framing (or
    ends inside its first chunk: a de-chunked body may start "cafe\r\n") is returned as it is, whole."""
    out: list[bytes] = []
    pos = 0
    try:
        while True:
            if out and pos >= len(body):
                return b"".join(out), False  # no closing chunk
            eol = body.index(b"\r\n", pos)
            size = int(body[pos:eol].split(b";")[0], 16)
            if size == 0:
                return b"".join(out), True
            out.append(body[eol + 2 : eol + 2 + size])
            if eol + 2 + size >= len(body):  # the body ends inside this chunk
                return (b"".join(out), False) if len(out) > 1 else (body, True)
            pos = eol + 2 + size + 2
    except ValueError:
        return body, True  # not chunked after all: stored de-chunked


# --- streaming any WARC file -------------------------------------------------------------------------


@dataclass
class Location:
    """Where iter_captures found a response: a Source plus whether ``offset``/``length`` can be seeked to."""

    source: Source
    random_access: bool  # False in a whole-file gzip: offsets are into the decompressed stream
    date: str  # the WARC-Date as written
    truncated: str | None = None  # why only part of the body is stored ('WARC-Truncated: length'), else None


Found = tuple[Capture, Location, dict[str, Any] | None]


class CaptureIterator:
    """Iterate ``(capture, location, metadata)`` over the HTTP responses of one WARC file; see iter_captures.

    After (or during) iteration: ``counts`` of records by outcome ('responses', 'revisits', 'resources'
    (resource records of http(s) URLs: a page stored without HTTP status and headers), 'not_response',
    'not_http', 'too_large', 'unreadable'), ``torn`` (the file ended inside a record, or its last
    bytes were damaged: iteration stopped there) and ``damage`` (what and where).
    """

    def __init__(self, path: str | os.PathLike[str], *, warc: str | None = None, max_body: int = MAX_BODY) -> None:
        self.path = Path(path)
        self.warc = warc if warc is not None else str(path)
        self.max_body = max_body
        self.counts: dict[str, int] = dict.fromkeys(
            ("responses", "revisits", "resources", "not_response", "not_http", "too_large", "unreadable"), 0
        )
        self.torn = False
        self.damage: str | None = None
        self.whole_file_gzip = False
        self._it = self._iterate()

    def __iter__(self) -> CaptureIterator:
        return self

    def __next__(self) -> Found:
        return next(self._it)

    def _iterate(self) -> Iterator[Found]:
        with open(self.path, "rb", buffering=files.CHUNK) as f:
            gzipped = f.read(2) == GZIP_MAGIC
            f.seek(0)
            self.whole_file_gzip = gzipped and _first_member_holds_more(f)
            f.seek(0)
            if not gzipped:  # blank lines before the first record (some tools write them): warcio would stop there
                head = f.read(256)
                f.seek(len(head) - len(head.lstrip(b"\r\n")))  # warcio's offsets count from the file's start
            if not self.whole_file_gzip:
                yield from self._records(f, gzipped)
                return
        with io.BufferedReader(files.GzStream(self.path), files.CHUNK) as stream:
            yield from self._records(stream, False)

    def _records(self, f: BinaryIO, members: bool) -> Iterator[Found]:
        """Yield the responses read from ``f``; ``members``: gzip per record (the last member is checked whole)."""
        records = ArchiveIterator(f, ensure_http_headers=False, arc2warc=True)  # ARC records read as WARC
        pending: tuple[Capture, Location] | None = None
        last_offset = n = 0  # offset of the last record read; records read
        pending_is_last = False
        try:
            for record in records:
                n += 1
                pending_is_last = False
                if record.rec_type is None and record.length is None:  # warcio would read the rest as its body
                    raise _Torn(f"record {n}: not a WARC record (no WARC-Type, no Content-Length)")
                if record.rec_type is None:
                    log.warning("%s: record %d has no WARC-Type: skipped", self.path, n)
                if record.rec_type in ("request", "metadata"):
                    self.counts["not_response"] += 1
                    if (
                        pending is not None
                        and record.rec_headers.get_header("WARC-Concurrent-To") == (pending[1].source["record_id"])
                    ):
                        _attach(pending[0], record)
                    last_offset = records.get_record_offset()
                    continue
                if pending is not None:
                    yield pending[0], pending[1], pending[0].metadata
                    pending = None
                pending = self._response(records, record)
                pending_is_last = pending is not None
                last_offset = records.get_record_offset()
        except READ_ERRORS as exc:
            self._torn(f"record {n + 1}: {type(exc).__name__}: {exc}")
        except _Torn as exc:
            self._torn(str(exc))
        else:
            damage = files.part_damage(f)
            if members and n:
                f.seek(last_offset)
                damage = scan_members(f).damage
            if damage:
                self._torn(damage)
                if pending is not None and pending_is_last:  # its bytes may be whole, its record is not
                    self.counts["responses"] -= 1
                    pending = None
        if pending is not None:
            yield pending[0], pending[1], pending[0].metadata

    def _response(self, records: ArchiveIterator, record: ArcWarcRecord) -> tuple[Capture, Location] | None:
        if record.rec_type == "revisit":
            self.counts["revisits"] += 1
            return None
        uri = str(record.rec_headers.get_header("WARC-Target-URI") or "").strip("<>")
        if record.rec_type == "resource" and uri.lower().startswith(("http:", "https:")):
            self.counts["resources"] += 1
            log.info("%s: %s skipped: a resource record (no HTTP status or headers)", self.path, uri)
            return None
        if record.rec_type != "response":
            self.counts["not_response"] += 1
            return None
        if record.http_headers is None or not uri.lower().startswith(("http:", "https:")):
            self.counts["not_http"] += 1
            return None
        size = record.rec_headers.get_header("Content-Length") or ""
        if size.strip().isdigit() and int(size) > self.max_body:
            self.counts["too_large"] += 1  # streamed past, never held in memory
            log.info("%s: %s skipped: a %s-byte record (max_body %d)", self.path, uri, size.strip(), self.max_body)
            return None
        try:
            capture = _capture(record, f"{self.warc} record {record.rec_headers.get_header('WARC-Record-ID')}")
        except WarcError as exc:
            raise _Torn(str(exc)) from None
        offset, length = records.get_record_offset(), records.get_record_length()
        source = Source(
            warc=self.warc,
            offset=int(offset),
            length=int(length),
            record_id=str(record.rec_headers.get_header("WARC-Record-ID")),
            digest=str(record.rec_headers.get_header("WARC-Payload-Digest") or payload_digest(capture.body)),
        )
        self.counts["responses"] += 1
        date = str(record.rec_headers.get_header("WARC-Date") or "")
        return capture, Location(source, not self.whole_file_gzip, date, _part_only(record, capture))

    def _torn(self, damage: str) -> None:
        self.torn = True
        self.damage = damage
        self.counts["unreadable"] += 1
        log.warning("%s: %s; the rest of the file is skipped", self.path, damage)


def _part_only(record: ArcWarcRecord, capture: Capture) -> str | None:
    """Why a response record holds only part of its body: cut (WARC-Truncated), a first segment, or a body stored
    chunked whose framing ends early (the connection closed mid-body)."""
    for name in ("WARC-Truncated", "WARC-Segment-Number"):
        if (value := record.rec_headers.get_header(name)) is not None:
            return f"{name}: {value}"
    if (capture.header("Transfer-Encoding") or "").strip().lower() == "chunked" and not _chunks(capture.body)[1]:
        return "its chunked body ends early"
    return None


class _Torn(Exception):
    pass


_CONTENT_LENGTH = re.compile(rb"(?im)^content-length:[ \t]*([0-9]+)[ \t]*\r?$")


def _first_member_holds_more(f: BinaryIO) -> bool:
    """True when the first gzip member of ``f`` decompresses to more than its first WARC record (whole-file gzip).

    Decompresses at most one record's worth (plus a chunk) of the first member, a chunk at a time.
    """
    z = zlib.decompressobj(files.GZ_WBITS)
    head = b""
    total = 0
    size: int | None = None
    data = b""
    while not z.eof:
        if not data:
            data = f.read(files.GZ_READ)
            if not data:
                return False
        try:
            out = z.decompress(data, files.CHUNK)
        except zlib.error:
            return False
        data = z.unconsumed_tail
        total += len(out)
        if size is None:
            head += out
            end = head.find(b"\r\n\r\n")
            if end < 0:
                if len(head) > files.CHUNK:
                    return False
                continue
            match = _CONTENT_LENGTH.search(head[: end + 2])
            if match is None:
                return False
            size = end + 4 + int(match.group(1)) + 4
            head = b""
        if total > size + 4:  # more than the record and a blank line or two
            return True
    return False


def iter_captures(
    path: str | os.PathLike[str], *, warc: str | None = None, max_body: int = MAX_BODY
) -> CaptureIterator:
    """Stream the HTTP responses of any WARC file: ``(capture, location, metadata)`` per response record.

    Gzip per record, whole-file gzip or uncompressed; records that are not responses (warcinfo,
    request, metadata, revisit, resource) or not HTTP (dns:, whois:) are skipped and counted; a file
    cut short (a torn last record) or damaged ends the iteration with ``torn`` set instead of an
    exception. One record's body in memory at a time: a response record larger than ``max_body``
    bytes is skipped unread (counted as 'too_large'). ``warc`` is the name to put in each Source
    (default: ``path`` as given).
    """
    return CaptureIterator(path, warc=warc, max_body=max_body)


def is_warc_file(name: str) -> bool:
    """True for the archive's own WARC file names (``<spider>-<run_id>.warc.gz``)."""
    return name.endswith(WARC_SUFFIX) and not name.startswith(".")
