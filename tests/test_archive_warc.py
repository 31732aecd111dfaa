"""archive.warc: WARC/1.1 captures written by warcio, read back byte for byte, any WARC file streamed."""

from __future__ import annotations

import gzip
import io
import json
import random
import subprocess
import sys
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.warc import (
    Capture,
    WarcError,
    WarcWriter,
    decoded_body,
    iter_captures,
    parse_warc_date,
    payload_digest,
    read_capture,
)

WARCIO = Path(sys.executable).with_name("warcio")
DAY = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
HTML = b"<html><head><title>A</title></head><body><p>" + "Stra\u00dfe caf\u00e9 ".encode() * 50 + b"</p></body></html>"


def page(url: str, body: bytes = HTML, **kw: object) -> Capture:
    headers = kw.pop("headers", [("Content-Type", "text/html; charset=utf-8")])
    kw.setdefault("date", DAY)
    kw.setdefault("request_headers", [("User-Agent", "news-archiver-test")])
    return Capture(url, 200, "OK", headers, body, **kw)  # type: ignore[arg-type]


def warcio(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(WARCIO), *args], capture_output=True, text=True, timeout=60, check=False)


def writer(root: Path, run: str = "r1") -> WarcWriter:
    return WarcWriter(root, "news", run, software="news-archiver test", clock=lambda: DAY)


def test_written_file_passes_warcio_check_and_index_and_sources_read_back(tmp_path: Path) -> None:
    with writer(tmp_path) as w:
        a = w.write_response(page("https://example.example/a", request_headers=[("Accept", "text/html")]))
        b = w.write_response(page("https://example.example/b?x=1", b"<p>b</p>"), metadata={"kind": "article"})
    path = tmp_path / "2026-02-01" / "news-r1.warc.gz"
    assert a["warc"] == b["warc"] == "2026-02-01/news-r1.warc.gz"
    check = warcio("check", "-v", str(path))
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("digest pass") == 6  # warcinfo, 2 x (response, request), metadata
    index = [
        json.loads(line)
        for line in warcio("index", "-f", "warc-type,warc-target-uri,offset", str(path)).stdout.splitlines()
    ]
    assert [r["warc-type"] for r in index] == ["warcinfo", "response", "request", "response", "request", "metadata"]
    assert [int(r["offset"]) for r in index if r["warc-type"] == "response"] == [a["offset"], b["offset"]]
    # `length` bytes at `offset` are exactly one gzip member holding that response
    with open(path, "rb") as f:
        f.seek(a["offset"])
        member = f.read(a["length"])
    z = zlib.decompressobj(31)
    text = z.decompress(member)
    assert z.eof and z.unused_data == b"" and text.startswith(b"WARC/1.1\r\n")
    assert f"WARC-Record-ID: {a['record_id']}".encode() in text
    assert f"WARC-Payload-Digest: {a['digest']}".encode() in text
    got = read_capture(tmp_path, a, url="https://example.example/a")
    assert (got.url, got.status, got.reason, got.body, got.date) == ("https://example.example/a", 200, "OK", HTML, DAY)
    assert got.headers == [("Content-Type", "text/html; charset=utf-8")]
    assert got.request_headers == [("Host", "example.example"), ("Accept", "text/html")] and got.method == "GET"
    assert got.metadata is None
    assert read_capture(tmp_path, b).metadata == {"kind": "article"}
    assert a["digest"] == payload_digest(HTML)


def test_an_imported_response_keeps_its_record_id_and_gets_no_invented_request(tmp_path: Path) -> None:
    with writer(tmp_path) as w:
        src = w.write_response(page("https://example.example/a", request_headers=[]), record_id="<urn:uuid:1234-ab>")
    assert src["record_id"] == "<urn:uuid:1234-ab>"
    path = tmp_path / src["warc"]
    types = [
        json.loads(line)["warc-type"] for line in warcio("index", "-f", "warc-type", str(path)).stdout.splitlines()
    ]
    assert types == ["warcinfo", "response"]
    assert read_capture(tmp_path, src).request_headers == []


def test_warcinfo_record_names_the_software_and_run(tmp_path: Path) -> None:
    with writer(tmp_path) as w:
        w.write_response(page("https://example.example/a"))
    with gzip.open(tmp_path / "2026-02-01" / "news-r1.warc.gz", "rb") as f:
        head = f.read(2000)
    first = head.split(b"\r\n\r\n\r\n")[0]
    assert b"WARC-Type: warcinfo" in first and b"WARC-Filename: news-r1.warc.gz" in first
    assert b"software: news-archiver test" in first and b"run_id: r1" in first and b"spider: news" in first


def test_gzip_encoded_response_keeps_its_gzip_body_and_headers_and_replays(tmp_path: Path) -> None:
    sent = gzip.compress(HTML)
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("Content-Length", str(len(sent)))]
    with writer(tmp_path) as w:
        src = w.write_response(page("https://example.example/gz", sent, headers=headers))
    got = read_capture(tmp_path, src)
    assert got.body == sent and got.headers == headers  # as sent
    assert decoded_body(got) == HTML
    assert src["digest"] == payload_digest(sent)  # the payload digest is of the entity as sent
    assert warcio("check", str(tmp_path / src["warc"])).returncode == 0
    # a replay tool's view: warcio's content_stream undoes the Content-Encoding
    from warcio.archiveiterator import ArchiveIterator

    with open(tmp_path / src["warc"], "rb") as f:
        f.seek(src["offset"])
        record = next(ArchiveIterator(f))
        assert record.content_stream().read() == HTML


def test_chunked_transfer_encoding_is_kept_under_another_name(tmp_path: Path) -> None:
    headers = [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")]
    with writer(tmp_path) as w:
        src = w.write_response(page("https://example.example/c", b"3\r\nabc\r\n", headers=headers))
    got = read_capture(tmp_path, src)
    # the body handed over is already de-chunked: replay must not de-chunk it again
    assert ("X-Archive-Orig-Transfer-Encoding", "chunked") in got.headers
    assert decoded_body(got) == b"3\r\nabc\r\n"


@pytest.mark.parametrize("encoding", ["deflate", "br", "gzip, br"])
def test_decoded_body_undoes_other_encodings(encoding: str) -> None:
    import brotli

    encoders: dict[str, Callable[[bytes], bytes]] = {
        "deflate": zlib.compress,
        "br": brotli.compress,
        "gzip": gzip.compress,
    }
    body = HTML
    for e in encoding.split(", "):
        body = encoders[e](body)
    assert decoded_body(page("https://example.example/", body, headers=[("Content-Encoding", encoding)])) == HTML


def test_decoded_body_says_what_it_cannot_undo() -> None:
    with pytest.raises(WarcError, match="unknown Content-Encoding 'zstd-x'"):
        decoded_body(page("https://example.example/", b"x", headers=[("Content-Encoding", "zstd-x")]))
    with pytest.raises(WarcError, match="damaged gzip body"):
        decoded_body(
            page("https://example.example/", gzip.compress(HTML)[:-20], headers=[("Content-Encoding", "gzip")])
        )


def test_revisit_points_at_the_previous_response_and_warcio_accepts_it(tmp_path: Path) -> None:
    url = "https://example.example/a"
    with writer(tmp_path) as w:
        first = w.write_response(page(url))
        again = w.write_revisit(page(url, date=DAY + timedelta(hours=1)), first, url, DAY)
        assert again == first and (w.responses, w.revisits) == (1, 1)
        with pytest.raises(ValueError, match="payload digest"):
            w.write_revisit(page(url, b"changed"), first, url, DAY)
    path = tmp_path / first["warc"]
    assert warcio("check", str(path)).returncode == 0
    with gzip.open(path, "rb") as f:
        text = f.read()
    revisit = text[text.index(b"WARC-Type: revisit") - 200 :]
    revisit = revisit[revisit.index(b"WARC/1.1") :].split(b"WARC/1.1\r\n")[1]
    assert b"WARC-Profile: http://netpreserve.org/warc/1.1/revisit/identical-payload-digest" in revisit
    assert f"WARC-Refers-To: {first['record_id']}".encode() in revisit
    assert f"WARC-Refers-To-Target-URI: {url}".encode() in revisit
    assert b"WARC-Refers-To-Date: 2026-02-01T12:00:00Z" in revisit
    assert f"WARC-Payload-Digest: {first['digest']}".encode() in revisit
    assert HTML not in revisit  # headers only
    it = iter_captures(path)
    assert [c.url for c, _, _ in it] == [url] and it.counts["revisits"] == 1


def test_read_capture_refuses_bytes_that_are_not_the_response_for_that_url(tmp_path: Path) -> None:
    with writer(tmp_path) as w:
        a = w.write_response(page("https://example.example/a"))
        b = w.write_response(page("https://example.example/b"))
    with pytest.raises(WarcError, match=r"is for https://example\.example/a, not https://example\.example/b"):
        read_capture(tmp_path, a, url="https://example.example/b")
    request_at = {**a, "offset": a["offset"] + a["length"]}  # the request record right after it
    with pytest.raises(WarcError, match="expected a response record, found a 'request' record"):
        read_capture(tmp_path, request_at)
    with pytest.raises(WarcError, match="not the source's"):
        read_capture(tmp_path, {**b, "record_id": a["record_id"]})
    with pytest.raises(WarcError, match=r"not a readable WARC record \(no gzip member or WARC/ line"):
        read_capture(tmp_path, {**a, "offset": a["offset"] + 7})
    with pytest.raises(WarcError, match="digest"):
        read_capture(tmp_path, {**a, "digest": payload_digest(b"other")})
    size = (tmp_path / a["warc"]).stat().st_size
    with pytest.raises(WarcError, match="the file ends"):
        read_capture(tmp_path, {**b, "length": size})
    with pytest.raises(FileNotFoundError):
        read_capture(tmp_path, {**a, "warc": "2026-02-01/gone.warc.gz"})
    with pytest.raises(WarcError, match=f"gzip member is {a['length']:,} bytes, not"):
        read_capture(tmp_path, {**a, "length": a["length"] + 50})  # one member and part of the next
    with pytest.raises(WarcError, match="the file ends"):
        read_capture(tmp_path, {**a, "length": 10**12})  # damaged: never read into memory
    with pytest.raises(WarcError, match="impossible offset"):
        read_capture(tmp_path, {**a, "offset": -1})


def test_every_wrong_offset_is_a_warc_error_never_a_crash_or_a_wrong_capture(tmp_path: Path) -> None:
    with writer(tmp_path) as w:
        a = w.write_response(page("https://example.example/a"))
        b = w.write_response(page("https://example.example/b"))
    for offset in range(a["offset"] + 1, b["offset"] + b["length"]):
        with pytest.raises(WarcError, match=f"at offset {offset}: "):
            read_capture(tmp_path, {**a, "offset": offset})


def test_a_new_utc_day_starts_a_new_file_with_its_own_warcinfo(tmp_path: Path) -> None:
    now = [DAY]
    with WarcWriter(tmp_path, "news", "r1", clock=lambda: now[0]) as w:
        a = w.write_response(page("https://example.example/a"))
        now[0] = DAY + timedelta(days=1)
        b = w.write_response(page("https://example.example/b"))
    assert (a["warc"], b["warc"]) == ("2026-02-01/news-r1.warc.gz", "2026-02-02/news-r1.warc.gz")
    assert read_capture(tmp_path, b).url == "https://example.example/b"
    assert warcio("check", str(tmp_path / b["warc"])).returncode == 0


def test_a_second_writer_on_the_same_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from archive import ArchiveWriteError

    monkeypatch.setattr("archive.writer.LOCK_TIMEOUT", 0.1)
    with writer(tmp_path) as w:
        w.write_response(page("https://example.example/a"))
        with pytest.raises(ArchiveWriteError, match="locked by another writer"):
            writer(tmp_path).write_response(page("https://example.example/b"))


def test_reopening_a_file_with_a_torn_tail_moves_the_tail_to_quarantine(tmp_path: Path) -> None:
    with writer(tmp_path) as w:
        a = w.write_response(page("https://example.example/a"))
    path = tmp_path / a["warc"]
    whole = path.read_bytes()
    torn = gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + b"x" * 500)[:-30]
    path.write_bytes(whole + torn)
    with writer(tmp_path) as w:
        b = w.write_response(page("https://example.example/b"))
    [q] = sorted((tmp_path / ".quarantine").rglob("*.rejected"))
    assert q.read_bytes() == torn and q.name.startswith("news-r1.warc.gz.")
    assert path.read_bytes().startswith(whole) and b["offset"] == len(whole)
    assert warcio("check", str(path)).returncode == 0
    assert [c.url for c, _, _ in iter_captures(path)] == ["https://example.example/a", "https://example.example/b"]


# --- iter_captures over WARC files written by other tools ---------------------------------------------


def foreign_warc(out: io.BytesIO, *, gzip_records: bool = True) -> None:
    """A CC-NEWS-shaped file: warcinfo, several sites, request/metadata/resource/dns records, a revisit."""
    w = WARCWriter(out, gzip=gzip_records, warc_version="1.0")
    w.write_record(w.create_warcinfo_record("cc.warc.gz", {"software": "StormCrawler"}))
    for i, site in enumerate(["a.example", "b.example", "c.example"]):
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        body = f"<html><body><p>site {site} page {i}</p></body></html>".encode()
        url = f"https://{site}/news/{i}"
        w.write_record(
            w.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http)
        )
        req = StatusAndHeaders(f"GET /news/{i} HTTP/1.1", [("Host", site)], is_http_request=True)
        w.write_record(w.create_warc_record(url, "request", http_headers=req))
    data = b"a.example. 300 IN A 192.0.2.1"
    w.write_record(
        w.create_warc_record(
            "dns:a.example",
            "response",
            payload=io.BytesIO(data),
            length=len(data),
            http_headers=None,
            warc_content_type="text/dns",
        )
    )
    w.write_record(
        w.create_warc_record("https://a.example/logo.png", "resource", payload=io.BytesIO(b"\x89PNG"), length=4)
    )


def test_iter_captures_streams_per_record_gzip_and_counts_what_it_skips(tmp_path: Path) -> None:
    out = io.BytesIO()
    foreign_warc(out)
    path = tmp_path / "cc.warc.gz"
    path.write_bytes(out.getvalue())
    it = iter_captures(path)
    got = [(c.url, c.body, loc.random_access) for c, loc, _ in it]
    assert [u for u, _, _ in got] == [
        "https://a.example/news/0",
        "https://b.example/news/1",
        "https://c.example/news/2",
    ]
    assert all(ra for _, _, ra in got) and not it.torn
    assert it.counts == {
        "responses": 3,
        "revisits": 0,
        "resources": 1,  # a resource record of an http URL: a page without HTTP headers, counted apart
        "not_response": 4,
        "not_http": 1,
        "too_large": 0,
        "unreadable": 0,
    }
    # every location is a real offset: read_capture on it gives the same response
    for capture, loc, _ in iter_captures(path, warc="cc.warc.gz"):
        assert read_capture(tmp_path, loc.source, url=capture.url).body == capture.body


def test_iter_captures_reads_whole_file_gzip_and_uncompressed_files(tmp_path: Path) -> None:
    plain = io.BytesIO()
    foreign_warc(plain, gzip_records=False)
    (tmp_path / "plain.warc").write_bytes(plain.getvalue())
    (tmp_path / "whole.warc.gz").write_bytes(gzip.compress(plain.getvalue()))
    expected = ["https://a.example/news/0", "https://b.example/news/1", "https://c.example/news/2"]
    for name, random_access in (("plain.warc", True), ("whole.warc.gz", False)):
        it = iter_captures(tmp_path / name)
        got = list(it)
        assert [c.url for c, _, _ in got] == expected, name
        assert [loc.random_access for _, loc, _ in got] == [random_access] * 3, name
        assert it.counts["responses"] == 3 and it.counts["not_http"] == 1 and not it.torn, name
        assert it.whole_file_gzip == (not random_access)
    for capture, loc, _ in iter_captures(tmp_path / "plain.warc"):  # uncompressed offsets are seekable too
        assert read_capture(tmp_path, {**loc.source, "warc": "plain.warc"}).body == capture.body


@pytest.mark.parametrize("layout", ["per-record", "whole-file", "plain"])
@pytest.mark.parametrize("cut", [10, 200, 1000])
def test_a_truncated_last_record_ends_iteration_with_torn_set(tmp_path: Path, layout: str, cut: int) -> None:
    out = io.BytesIO()
    w = WARCWriter(out, gzip=layout == "per-record")
    for i in range(3):
        body = f"<p>page {i} {random.Random(i).randbytes(1500).hex()}</p>".encode()  # ~1.6 kB compressed
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        w.write_record(
            w.create_warc_record(
                f"https://a.example/{i}", "response", payload=io.BytesIO(body), length=len(body), http_headers=http
            )
        )
    data = out.getvalue()
    if layout == "whole-file":
        data = gzip.compress(data)
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(data[: len(data) - cut])
    it = iter_captures(path)
    urls = [c.url for c, _, _ in it]  # never raises
    assert urls == ["https://a.example/0", "https://a.example/1"]
    assert it.torn and it.damage and it.counts["unreadable"] == 1


def test_a_response_larger_than_max_body_is_skipped_unread_in_bounded_memory(tmp_path: Path) -> None:
    import tracemalloc

    big = random.Random(1).randbytes(8 << 20)
    with writer(tmp_path) as w:
        w.write_response(page("https://example.example/video", big, headers=[("Content-Type", "video/mp4")]))
        w.write_response(page("https://example.example/after"))
    path = tmp_path / "2026-02-01" / "news-r1.warc.gz"
    tracemalloc.start()
    try:
        it = iter_captures(path, max_body=1 << 20)
        urls = [c.url for c, _, _ in it]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert urls == ["https://example.example/after"] and it.counts["too_large"] == 1 and not it.torn
    assert peak < 2 << 20, peak  # the 8 MB body was never held
    assert [c.url for c, _, _ in iter_captures(path)] == [
        "https://example.example/video",
        "https://example.example/after",
    ]


def test_iter_captures_pairs_our_metadata_with_its_response(tmp_path: Path) -> None:
    with writer(tmp_path) as w:
        for i in range(3):
            w.write_response(page(f"https://example.example/{i}"), metadata={"n": i} if i != 1 else None)
    got = [(c.url, meta) for c, _, meta in iter_captures(tmp_path / "2026-02-01" / "news-r1.warc.gz")]
    assert got == [
        ("https://example.example/0", {"n": 0}),
        ("https://example.example/1", None),
        ("https://example.example/2", {"n": 2}),
    ]


def test_a_kill_mid_write_leaves_whole_records_then_at_most_a_torn_one(tmp_path: Path) -> None:
    from archive.verify import verify

    script = (
        "import random, sys\n"
        "from archive.warc import Capture, WarcWriter\n"
        "w = WarcWriter(sys.argv[1], 'news', 'k1', fsync_every=0)\n"
        "body = random.Random(3).randbytes(300000)  # incompressible: every member is a big write\n"
        "i = 0\n"
        "while True:\n"
        "    url = f'https://example.example/{i}'\n"
        "    w.write_response(Capture(url, 200, 'OK', [], body, request_headers=[('A', 'b')]))\n"
        "    i += 1\n"
        "    if i == 20: print('ready', flush=True)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, cwd=Path(__file__).parents[1]
    )
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    proc.kill()
    proc.wait()
    [path] = list(tmp_path.rglob("*.warc.gz"))
    it = iter_captures(path)
    n = sum(1 for _ in it)
    assert n >= 20 and it.counts["unreadable"] <= 1
    report = verify(tmp_path)  # no JSONL here: the WARC file alone
    assert [(p.kind, p.path) for p in report.problems] in ([], [("torn", path.relative_to(tmp_path).as_posix())])
    assert verify(tmp_path, repair=True).clean and verify(tmp_path).problems == []
    assert warcio("check", str(path)).returncode == 0
    assert sum(1 for _ in iter_captures(path)) == n  # repair moved only bytes no reader could use
    with WarcWriter(
        tmp_path, "news", "k1", clock=lambda: datetime.fromisoformat(path.parent.name + "T12:00:00+00:00")
    ) as w:
        w.write_response(page("https://example.example/after"))
    assert warcio("check", str(path)).returncode == 0
    assert sum(1 for _ in iter_captures(path)) == n + 1


def test_index_knows_the_last_capture_of_a_url(tmp_path: Path) -> None:
    from archive import ArchiveWriter, Index
    from tests.support.records import clock, make_record

    url = "https://example.example/a"
    with writer(tmp_path) as w:
        first = w.write_response(page(url))
        second = w.write_response(page(url, b"<p>changed</p>"))
    with ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01")) as aw:
        aw.write(make_record(1, url=url, crawled_at="2026-02-01T10:00:00+00:00", source=first))
        aw.write(make_record(1, url=url, crawled_at="2026-02-01T11:00:00+00:00", source=second))
        aw.write(make_record(1, url=url, crawled_at="2026-02-01T12:00:00+00:00", source=second))  # re-extracted
        aw.write(make_record(2, crawled_at="2026-02-01T13:00:00+00:00", source=None))
        aw.write(make_record(3, crawled_at="2026-02-01T13:00:00+00:00"))  # written before the field existed
    with Index(tmp_path) as index:
        index.update()
        assert index.last_capture(url) == second
        assert index.last_capture_date(url) == "2026-02-01T11:00:00+00:00"
        assert index.last_capture("https://example.example/news/2") is None
        assert index.last_capture("https://example.example/news/3") is None
        assert index.last_capture("https://example.example/never") is None
    assert Index(tmp_path / "nothing").last_capture(url) is None


def test_source_and_extractor_are_valid_schema_fields_and_export_as_struct_or_flat_columns(tmp_path: Path) -> None:
    import csv

    import pyarrow.parquet as pq

    from archive import validate
    from archive.export import export
    from tests.support.records import make_record

    with writer(tmp_path) as w:
        src = w.write_response(page("https://example.example/a"))
    stamp = {"version": "0.1.0", "revision": "0123456789ab"}
    with_source = make_record(1, source=src, extractor=stamp)
    old = make_record(2)  # archived before the fields existed
    assert validate(with_source) == [] and validate(old) == []
    assert validate(make_record(3, source=None, extractor=None)) == []
    assert validate(make_record(4, source={**src, "offset": "12"})) != []
    assert validate(make_record(5, extractor={"version": "0.1.0", "revision": "XYZ"})) != []
    export([with_source, old], tmp_path / "out.csv", "csv")
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["source_warc"] == src["warc"] and int(rows[0]["source_offset"]) == src["offset"]
    assert rows[0]["source_record_id"] == src["record_id"] and rows[0]["source_digest"] == src["digest"]
    assert (rows[0]["extractor_version"], rows[0]["extractor_revision"]) == ("0.1.0", "0123456789ab")
    assert rows[1]["source_warc"] == "" and rows[1]["extractor_revision"] == ""
    export([with_source, old], tmp_path / "out.parquet", "parquet")
    table = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert table[0]["source"] == src and table[0]["extractor"] == stamp
    assert table[1]["source"] is None and table[1]["extractor"] is None


@pytest.mark.parametrize(
    ("target", "url", "same"),
    [
        ("https://e.example/a?id=1", "https://e.example/a?id=1", True),
        ("https://E.example/a?utm_source=x&id=1#top", "https://e.example/a?id=1", True),
        ("https://user@e.example/a?fbclid=1", "https://e.example/a", True),
        ("https://e.example/a?id=1", "https://e.example/a?id=2", False),
        ("https://e.example/a", "https://e.example/a?id=1", False),
        ("https://e.example/a?b=2&a=1", "https://e.example/a?a=1&b=2", False),
        ("https://e.example/a", "https://e.example/b", False),
        ("http://e.example/a", "https://e.example/a", False),
        ("https://e.example:8443/a", "https://e.example/a", False),
        ("https://other.example/a", "https://e.example/a", False),
    ],
)
def test_same_page_allows_only_dropped_query_pieces(target: str, url: str, same: bool) -> None:
    from archive.warc import same_page

    assert same_page(target, url) is same


# --- news-archive raw / cat --latest ---------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    from tests.support.paths import PYTHON, subprocess_env

    return subprocess.run(
        [PYTHON, "-m", "archive", *args], capture_output=True, env=subprocess_env(), timeout=120, check=False
    )


def test_raw_writes_the_latest_captured_response_as_sent(tmp_path: Path) -> None:
    from archive import ArchiveWriter
    from tests.support.records import clock, make_record

    url = "https://example.example/a"
    old_body, new_body = gzip.compress(b"<p>old</p>"), gzip.compress(HTML)
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
    with writer(tmp_path) as w:
        old = w.write_response(page(url, old_body, headers=headers))
        new = w.write_response(page(url, new_body, headers=headers))
    with ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01")) as aw:
        aw.write(make_record(1, url=url, crawled_at="2026-02-01T10:00:00+00:00", source=old))
        aw.write(make_record(1, url=url, crawled_at="2026-02-01T11:00:00+00:00", source=new))
        aw.write(make_record(2, crawled_at="2026-02-01T11:00:00+00:00", source=None))
    root = ("--root", str(tmp_path))
    done = _cli(*root, "raw", url)
    assert done.returncode == 0 and done.stdout == new_body  # still gzip-encoded, as the server sent it
    done = _cli(*root, "raw", url, "--headers")
    assert done.stdout == b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n" + new_body
    assert _cli(*root, "raw", url, "--decoded").stdout == HTML
    missing = _cli(*root, "raw", "https://example.example/news/2")
    assert missing.returncode == 1 and missing.stdout == b""
    assert missing.stderr.decode().splitlines() == [
        f"news-archive: error: no capture of https://example.example/news/2 in '{tmp_path}' "
        "(records without a source have none)"
    ]
    # the WARC bytes gone: one readable line, exit 1
    (tmp_path / new["warc"]).unlink()
    gone = _cli(*root, "raw", url)
    assert gone.returncode == 1 and len(gone.stderr.decode().splitlines()) == 1 and b"No such file" in gone.stderr


def test_cat_latest_gives_one_record_per_url(tmp_path: Path) -> None:
    from archive import ArchiveWriter
    from tests.support.records import clock, make_record

    with ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01")) as aw:
        aw.write(make_record(1, title="one, first"))
        aw.write(make_record(2, title="two"))
        aw.write(make_record(1, title="one, second", crawled_at="2026-02-01T11:00:00+00:00"))
    done = _cli("--root", str(tmp_path), "cat", "--latest", "--fields", "url,title")
    assert done.returncode == 0
    assert [json.loads(line)["title"] for line in done.stdout.splitlines()] == ["two", "one, second"]
    assert len(_cli("--root", str(tmp_path), "cat").stdout.splitlines()) == 3


@pytest.mark.parametrize(
    "content",
    [b"", b"<html>not a warc</html>\n" * 50, gzip.compress(b"just some text\n" * 100), b"\x1f\x8b\x08garbage"],
)
def test_iter_captures_of_a_file_that_is_not_a_warc_yields_nothing_and_never_raises(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "x.warc.gz"
    path.write_bytes(content)
    it = iter_captures(path)
    assert list(it) == []
    assert it.counts["responses"] == 0
    assert it.torn == bool(content) and (it.damage is not None) == bool(content)


def test_days_shows_the_bytes_of_the_warc_files(tmp_path: Path) -> None:
    from archive import Archive, ArchiveWriter
    from tests.support.records import clock, make_record

    with writer(tmp_path) as w:
        src = w.write_response(page("https://example.example/a"))
    with ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01")) as aw:
        aw.write(make_record(1, url="https://example.example/a", source=src))
    size = (tmp_path / src["warc"]).stat().st_size
    [day] = Archive(tmp_path).days()
    assert (day.records, day.warc_bytes, day.files) == (1, size, ["news-r1.jsonl"])
    done = _cli("--root", str(tmp_path), "days")
    assert done.stdout.decode().splitlines()[0].split() == ["day", "files", "records", "size", "warc"]
    assert done.stdout.decode().splitlines()[1].split()[-2:] == [f"{size / 1000:.1f}", "kB"]


def test_header_values_and_urls_cannot_break_the_record_framing(tmp_path: Path) -> None:
    evil = [("Content-Type", "text/html"), ("X-Evil", "a\r\n\r\nWARC/1.1\r\nWARC-Type: response"), ("Bad\nName", "x")]
    with writer(tmp_path) as w:
        src = w.write_response(page("https://example.example/a", headers=evil, request_headers=[("UA", "x\ry")]))
        with pytest.raises(ValueError, match="not a URL a WARC header can hold"):
            w.write_response(page("https://example.example/b\r\nWARC-Type: revisit"))
        with pytest.raises(ValueError, match="not a URL"):
            w.write_response(page(""))
    got = read_capture(tmp_path, src)
    assert got.body == HTML
    assert got.headers[1] == ("X-Evil", "a    WARC/1.1  WARC-Type: response") and got.headers[2] == ("Bad Name", "x")
    assert got.request_headers[1] == ("UA", "x y")
    assert warcio("check", str(tmp_path / src["warc"])).returncode == 0
    assert [c.url for c, _, _ in iter_captures(tmp_path / src["warc"])] == ["https://example.example/a"]


def test_interleaved_days_each_start_with_one_warcinfo_and_every_source_reads_back_after_a_reopen(
    tmp_path: Path,
) -> None:
    """import-warc names the capture's day: with one file open at a time, every return to a day reopens its file; the
    offsets given out after a reopen must still point at the right bytes, and no second warcinfo is written."""
    days = ["2019-03-04", "2019-03-05", "2019-03-04", "2019-03-06", "2019-03-05", "2019-03-04"] * 2
    written = []
    with WarcWriter(tmp_path, "warc-import", "r1", max_open=1) as w:
        for n, day in enumerate(days):
            body = HTML + f"<!-- {n} -->".encode()
            written.append((day, body, w.write_response(page(f"https://example.example/{n}", body), day=day)))
        assert w.reopened == 8  # 12 writes: 3 first opens, one write in a row to the day already open
    for day, body, source in written:
        assert source["warc"] == f"{day}/warc-import-r1.warc.gz"
        assert read_capture(tmp_path, source, url=None).body == body
    for day in sorted(set(days)):
        path = tmp_path / day / "warc-import-r1.warc.gz"
        assert warcio("check", str(path)).returncode == 0
        types = [r.rec_type for r in ArchiveIterator(io.BytesIO(path.read_bytes()))]
        assert types.count("warcinfo") == 1 and types[0] == "warcinfo"
        assert types.count("response") == days.count(day)


@pytest.mark.parametrize(
    ("stated", "expected"),
    [
        ("2019-03-05T10:00:00Z", datetime(2019, 3, 5, 10, tzinfo=UTC)),
        ("2019-03-05T10:00:00.123456Z", datetime(2019, 3, 5, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2019-03-05T01:00:00+02:00", datetime(2019, 3, 4, 23, tzinfo=UTC)),  # an offset: its UTC day is the 4th
        ("2019-03-05", datetime(2019, 3, 5, tzinfo=UTC)),
        ("20190305100000", datetime(2019, 3, 5, 10, tzinfo=UTC)),  # ARC-style
        ("2019-03-05 10:00:00z", datetime(2019, 3, 5, 10, tzinfo=UTC)),  # RFC 3339 allows both
        ("2019-03-05t10:00:00.5Z", datetime(2019, 3, 5, 10, 0, 0, 500000, tzinfo=UTC)),
        ("", None),
        (None, None),
        ("yesterday", None),
        ("2019-02-30T00:00:00Z", None),
        ("0001-01-01T00:00:00+01:00", None),  # out of range once in UTC: no exception
        ("2019", None),
    ],
)
def test_parse_warc_date_never_raises(stated: str | None, expected: datetime | None) -> None:
    assert parse_warc_date(stated) == expected


def test_a_day_changed_while_set_aside_is_checked_again_when_it_is_reopened(tmp_path: Path) -> None:
    """A day file the writer reopens as it left it is appended to at once; one that changed meanwhile (here: a torn
    member appended) gets the checks of any reopen, so the next offset is right and the torn bytes set aside."""
    with WarcWriter(tmp_path, "warc-import", "r1", max_open=1) as w:
        a = w.write_response(page("https://example.example/a"), day="2019-03-04")
        w.write_response(page("https://example.example/b"), day="2019-03-05")
        path = tmp_path / a["warc"]
        whole = path.read_bytes()
        torn = gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + b"x" * 500)[:-30]
        with path.open("ab") as f:
            f.write(torn)
        c = w.write_response(page("https://example.example/c"), day="2019-03-04")
        w.write_response(page("https://example.example/d"), day="2019-03-05")
        e = w.write_response(page("https://example.example/e"), day="2019-03-04")
    assert c["offset"] == len(whole) and e["offset"] > c["offset"]
    [q] = sorted((tmp_path / ".quarantine").rglob("*.rejected"))
    assert q.read_bytes() == torn
    assert [read_capture(tmp_path, s).url for s in (a, c, e)] == [f"https://example.example/{x}" for x in "ace"]
    assert warcio("check", str(path)).returncode == 0
