"""WARC files as other crawlers write them, written with warcio for the import-warc and reextract tests.

`write_warc` writes a file shaped like Common Crawl's CC-NEWS: a warcinfo record, then per exchange a request, a
response (or a revisit) and a metadata record; gzip per record by default, or the whole file gzipped; optionally
the last record cut in half, as a download or a crawler killed mid-write leaves it.
"""

from __future__ import annotations

import gzip
import io
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.support.paths import PAGES


def new_record_id() -> str:
    """A WARC-Record-ID as crawlers write them."""
    return f"<urn:uuid:{uuid.uuid4()}>"


@dataclass
class Exchange:
    """One fetched URL: what the server sent, when, and the WARC record id of its response (or revisit)."""

    url: str
    body: bytes
    content_type: str | None = "text/html; charset=utf-8"
    status: int = 200
    date: str = "2026-03-14T09:30:00Z"
    revisit: bool = False  # written as a revisit record (headers only), as CC-NEWS has them
    headers: list[tuple[str, str]] = field(default_factory=list)
    record_id: str = field(default_factory=new_record_id)


def page(name: str) -> bytes:
    """A fixture page of tests/pages."""
    return (PAGES / name).read_bytes()


def _http(ex: Exchange) -> StatusAndHeaders:
    reasons = {200: "OK", 301: "Moved Permanently", 404: "Not Found"}
    headers = [("Content-Type", ex.content_type)] if ex.content_type else []
    headers += [*ex.headers, ("Content-Length", str(len(ex.body)))]
    return StatusAndHeaders(f"{ex.status} {reasons.get(ex.status, 'Other')}", headers, protocol="HTTP/1.1")


def _records(writer: WARCWriter, ex: Exchange) -> list[ArcWarcRecord]:
    linked = {"WARC-Date": ex.date, "WARC-Concurrent-To": ex.record_id}
    request = writer.create_warc_record(
        ex.url,
        "request",
        http_headers=StatusAndHeaders(
            f"GET {ex.url.split('/', 3)[-1] if ex.url.count('/') >= 3 else ''} HTTP/1.1",
            [("Host", ex.url.split("/")[2]), ("User-Agent", "CCBot/2.0")],
            protocol="",
            is_http_request=True,
        ),
        warc_headers_dict=linked,
    )
    own = {"WARC-Date": ex.date, "WARC-Record-ID": ex.record_id}
    if ex.revisit:
        response = writer.create_revisit_record(
            ex.url,
            "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            ex.url,
            ex.date,
            http_headers=_http(ex),
            warc_headers_dict=own,
        )
    else:
        response = writer.create_warc_record(
            ex.url,
            "response",
            payload=io.BytesIO(ex.body),
            length=len(ex.body),
            http_headers=_http(ex),
            warc_headers_dict=own,
        )
    meta = b"fetchTimeMs: 120\r\ncharset-detected: UTF-8\r\n"
    metadata = writer.create_warc_record(
        ex.url,
        "metadata",
        payload=io.BytesIO(meta),
        length=len(meta),
        warc_content_type="application/warc-fields",
        warc_headers_dict=linked,
    )
    return [request, response, metadata]


def warc_bytes(exchanges: list[Exchange], *, gzip_records: bool = True) -> list[bytes]:
    """The file's records, each as written (its own gzip member when `gzip_records`): warcinfo first."""
    out: list[bytes] = []
    writer = WARCWriter(None, gzip=gzip_records, warc_version="1.0")

    def member(record: ArcWarcRecord) -> bytes:
        buf = io.BytesIO()
        writer.out = buf
        writer.write_record(record)
        return buf.getvalue()

    out.append(member(writer.create_warcinfo_record("CC-NEWS-test.warc.gz", {"software": "StormCrawler 1.x"})))
    for ex in exchanges:
        out.append(b"".join(member(r) for r in _records(writer, ex)))
    return out


def write_warc(
    path: Path, exchanges: list[Exchange], *, whole_file_gzip: bool = False, torn_last: bool = False
) -> Path:
    """Write `exchanges` as a WARC file at `path`: gzip per record, or the whole file gzipped; `torn_last` cuts
    the last exchange's records in half (the file ends inside a record)."""
    parts = warc_bytes(exchanges, gzip_records=not whole_file_gzip)
    if torn_last:
        parts[-1] = parts[-1][: len(parts[-1]) // 2]
    if whole_file_gzip:  # one gzip stream; flushed after each record, so that a cut falls in the last one
        z = zlib.compressobj(9, zlib.DEFLATED, 31)
        parts = [z.compress(part) + z.flush(zlib.Z_SYNC_FLUSH) for part in parts]
        if not torn_last:
            parts.append(z.flush())
    path.write_bytes(b"".join(parts))
    return path


# --- raw records: the quirks of other tools, which warcio would write away -------------------------------------

CRLF = b"\r\n"


def raw_record(
    kind: str, uri: str, block: bytes, *, date: str = "2024-03-04T10:00:00Z", version: str = "1.0", **extra: str
) -> bytes:
    """One WARC record written byte by byte (uncompressed): `extra` headers as given, `WARC_Truncated` for
    WARC-Truncated; `uri` as given, so a `<...>`-wrapped WARC-Target-URI stays wrapped."""
    lines = [f"WARC/{version}", f"WARC-Type: {kind}", f"WARC-Target-URI: {uri}", f"WARC-Date: {date}"]
    lines.append(f"WARC-Record-ID: {new_record_id()}")
    if kind in ("response", "request", "revisit"):
        lines.append(f"Content-Type: application/http; msgtype={'request' if kind == 'request' else 'response'}")
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in extra.items()]
    lines.append(f"Content-Length: {len(block)}")
    return "\r\n".join(lines).encode("utf-8") + CRLF + CRLF + block + CRLF + CRLF


def http_response(body: bytes, *headers: tuple[str, str], status: str = "HTTP/1.1 200 OK") -> bytes:
    """An HTTP response block: `status` line, `headers` as given (names and case kept), then `body`."""
    head = [status, *(f"{k}: {v}" for k, v in headers)]
    return "\r\n".join(head).encode("latin-1") + CRLF + CRLF + body


def chunked(body: bytes, size: int = 500) -> bytes:
    """`body` in HTTP/1.1 chunked framing, as wget stores it in its WARC files."""
    parts = [
        f"{len(body[i : i + size]):x}".encode() + CRLF + body[i : i + size] + CRLF for i in range(0, len(body), size)
    ]
    return b"".join(parts) + b"0" + CRLF + CRLF


def write_raw(path: Path, records: list[bytes], *, gzip_records: bool = True) -> Path:
    """`records` as a WARC file: each its own gzip member, or the file uncompressed."""
    path.write_bytes(b"".join(gzip.compress(r) for r in records) if gzip_records else b"".join(records))
    return path


def write_arc(path: Path, captures: list[tuple[str, str, bytes]]) -> Path:
    """An ARC (version 1) file as the Internet Archive's crawlers wrote them before WARC, each record its own gzip
    member: `captures` are (URL, 14-digit date, HTTP response block)."""
    version = b"1 0 InternetArchive\nURL IP-address Archive-date Content-type Archive-length\n"
    first = f"filedesc://{path.name} 0.0.0.0 {captures[0][1]} text/plain {len(version)}\n".encode() + version + b"\n"
    records = [
        f"{url} 192.0.2.1 {date} text/html {len(block)}\n".encode() + block + b"\n" for url, date, block in captures
    ]
    path.write_bytes(b"".join(gzip.compress(r) for r in [first, *records]))
    return path
