"""verify / repair: torn and corrupt lines moved aside byte for byte, duplicates vs revisions."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path
from typing import Any

import pytest

from archive import Archive, ArchiveWriter
from archive.verify import verify
from tests.support.records import clock, make_record
from tests.support.records import write_records as write


def quarantined(root: Path) -> list[Path]:
    return sorted((root / ".quarantine").rglob("*.rejected"))


def test_clean_archive(tmp_path: Path) -> None:
    write(tmp_path, [make_record(i) for i in range(5)])
    report = verify(tmp_path)
    assert report.clean and report.problems == []
    assert (report.files, report.records) == (1, 5)
    assert report.summary().endswith(": clean")


def test_torn_fragment_is_moved_aside_and_the_file_is_clean_again(tmp_path: Path, caplog: Any) -> None:
    path = write(tmp_path, [make_record(i) for i in range(3)])
    good = path.read_bytes()
    fragment = b'{"schema_version":1,"url":"https://example.example/news/3","ti'
    path.write_bytes(good + fragment)
    report = verify(tmp_path)
    assert not report.clean
    assert [(p.kind, p.path, p.line) for p in report.problems] == [("torn", "2026-02-01/news-r1.jsonl", 4)]
    repaired = verify(tmp_path, repair=True)
    assert repaired.clean and repaired.problems[0].repaired
    assert path.read_bytes() == good
    [q] = quarantined(tmp_path)
    assert q.read_bytes() == fragment  # every byte kept
    assert q.name.startswith("news-r1.jsonl.") and q.parent.name == "2026-02-01"
    assert verify(tmp_path).clean
    with caplog.at_level(logging.WARNING, logger="archive"):
        assert len(list(Archive(tmp_path).records())) == 3
    assert caplog.records == []


def test_complete_record_missing_its_newline_gets_the_newline(tmp_path: Path) -> None:
    path = write(tmp_path, [make_record(i) for i in range(2)])
    path.write_bytes(path.read_bytes()[:-1])
    report = verify(tmp_path, repair=True)
    assert [p.kind for p in report.problems] == ["torn"] and report.clean
    assert "a complete record" in report.problems[0].detail
    assert quarantined(tmp_path) == []
    assert path.read_bytes().endswith(b"}\n") and len(list(Archive(tmp_path).records())) == 2


def test_corrupt_line_in_the_middle(tmp_path: Path) -> None:
    path = write(tmp_path, [make_record(i) for i in range(3)])
    lines = path.read_bytes().splitlines(keepends=True)
    bad = b'{"url": "half a record\n'
    path.write_bytes(b"".join([lines[0], bad, *lines[1:]]))
    report = verify(tmp_path)
    assert [(p.kind, p.line) for p in report.problems] == [("corrupt", 2)]
    assert verify(tmp_path, repair=True).clean
    assert path.read_bytes() == b"".join(lines)
    assert [q.read_bytes() for q in quarantined(tmp_path)] == [bad]


def test_schema_violations_are_reported_not_removed(tmp_path: Path) -> None:
    path = write(tmp_path, [make_record(1), make_record(2, word_count=-1, content_hash="nope")])
    before = path.read_bytes()
    report = verify(tmp_path, repair=True)
    assert [(p.kind, p.line) for p in report.problems] == [("invalid", 2)]
    assert "content_hash" in report.problems[0].detail and "+1 more" in report.problems[0].detail
    assert not report.clean and path.read_bytes() == before


def test_duplicates_and_revisions(tmp_path: Path) -> None:
    url = "https://example.example/news/1"
    write(
        tmp_path,
        [
            make_record(1, text="first text"),
            make_record(1, text="revised text"),  # same url, new content: a revision
            make_record(2, text="other story"),
        ],
    )
    report = verify(tmp_path)
    assert report.clean and report.revisions == 1
    write(
        tmp_path,
        [
            make_record(1, text="revised text"),  # same url and content again: a duplicate
            make_record(7, text="other story"),  # same content under another url: a duplicate
        ],
        run_id="r2",
    )
    report = verify(tmp_path)
    dups = [p for p in report.problems if p.kind == "duplicate"]
    assert [(p.path, p.line) for p in dups] == [("2026-02-01/news-r2.jsonl", n) for n in (1, 2)]
    assert "same url and content" in dups[0].detail and url in dups[0].detail
    assert "same content as https://example.example/news/2" in dups[1].detail
    assert not report.clean and not verify(tmp_path, repair=True).clean  # repair never drops records


def test_a_file_held_by_a_running_writer_is_left_alone(tmp_path: Path) -> None:
    w = ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01"))
    path = w.write(make_record(1))
    with path.open("ab") as f:
        f.write(b'{"partial": ')  # as if a write were in flight
    report = verify(tmp_path, repair=True)
    assert report.clean and report.in_use == ["2026-02-01/news-r1.jsonl"]
    assert path.read_bytes().endswith(b'{"partial": ')
    w.close()
    assert not verify(tmp_path).clean  # once the writer is gone it is a torn line


def test_gz_files_are_verified(tmp_path: Path) -> None:
    path = write(tmp_path, [make_record(i) for i in range(2)])
    with gzip.open(path.with_name(path.name + ".gz"), "wb") as z:
        z.write(path.read_bytes() + b"{oops\n")
    path.unlink()
    report = verify(tmp_path, repair=True)
    assert [(p.kind, p.path, p.line, p.repaired) for p in report.problems] == [
        ("corrupt", "2026-02-01/news-r1.jsonl.gz", 3, False)
    ]
    assert report.records == 2 and not report.clean


def test_missing_root(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no archive"):
        verify(tmp_path / "missing")


def test_truncated_gz_is_reported_not_fatal(tmp_path: Path, caplog: Any) -> None:
    from archive import Index

    path = write(tmp_path, [make_record(i) for i in range(3)])
    data = gzip.compress(path.read_bytes())
    path.unlink()
    (path.parent / "news-r1.jsonl.gz").write_bytes(data[:-12])  # e.g. an interrupted copy
    with caplog.at_level(logging.WARNING, logger="archive"):
        readable = list(Archive(tmp_path).records())
    assert len(caplog.records) == 1 and "damaged compressed data" in caplog.records[0].getMessage()
    assert [r["url"] for r in readable] == [make_record(i)["url"] for i in range(2)]  # the third line is cut
    report = verify(tmp_path, repair=True)
    assert [p.kind for p in report.problems] == ["damaged"] and not report.clean
    with Index(tmp_path) as idx:
        assert idx.update().skipped == 1
        assert idx.update().bytes_read == 0  # not retried on every update
    assert Archive(tmp_path).days()[0].records == 2  # counts the whole lines it can read, as the readers do


# --- WARC captures: sources resolve, torn WARC tails ----------------------------------------------------


def _captured(root: Path, n: int = 3, query: str = "") -> list[dict[str, Any]]:
    """n pages captured in a WARC (as the crawl does: WARC first) and their records pointing at them."""
    from datetime import UTC, datetime

    from archive.warc import Capture, WarcWriter

    when = datetime(2026, 2, 1, 12, tzinfo=UTC)
    records = []
    with WarcWriter(root, "news", "r1", clock=clock("2026-02-01")) as w:
        for i in range(n):
            url = f"https://example.example/news/{i}"
            body = f"<html><p>story {i}</p></html>".encode()
            source = w.write_response(Capture(url + query, 200, "OK", [("Content-Type", "text/html")], body, date=when))
            records.append(make_record(i, url=url, source=source))
    return records


def test_every_source_resolves_to_its_response(tmp_path: Path) -> None:
    write(tmp_path, [*_captured(tmp_path), make_record(7), make_record(8, source=None)])
    report = verify(tmp_path)
    assert report.clean, report.problems
    assert (report.records, report.sources, report.warc_files) == (5, 3, 1)
    assert "1 WARC files, 3 sources resolved" in report.summary()


def test_a_source_fetched_with_tracking_parameters_resolves_for_the_stripped_url(tmp_path: Path) -> None:
    write(tmp_path, _captured(tmp_path, 2, query="?utm_source=feed&utm_medium=rss"))
    report = verify(tmp_path)
    assert report.clean and report.sources == 2


def test_sources_that_do_not_resolve_are_counted_problems(tmp_path: Path) -> None:
    a, b, c = _captured(tmp_path)
    wrong_url = {**a, "source": b["source"]}  # b's response, a's url
    wrong_offset = {**b, "source": {**b["source"], "offset": b["source"]["offset"] + 1}}
    gone = {**c, "source": {**c["source"], "warc": "2026-01-01/news-old.warc.gz"}}
    gone_too = make_record(9, source={**c["source"], "warc": "2026-01-01/news-old.warc.gz"})
    write(tmp_path, [wrong_url, wrong_offset, gone, gone_too])
    report = verify(tmp_path)
    assert not report.clean and report.sources == 0
    problems = {(p.kind, p.line): p for p in report.problems}
    assert "is for https://example.example/news/1" in problems["source", 1].detail
    assert (
        "not a readable WARC record" in problems["source", 2].detail
        or "expected a response" in problems["source", 2].detail
    )
    missing = problems["source", 0]
    assert (
        missing.path == "2026-01-01/news-old.warc.gz" and missing.count == 2 and "missing WARC file" in missing.detail
    )
    assert report.summary().endswith("4 problems (4 source)")
    assert not verify(tmp_path, repair=True).clean  # nothing to repair: the records stay as they are


def test_a_torn_warc_tail_is_reported_and_repair_moves_it_to_quarantine(tmp_path: Path) -> None:
    import subprocess
    import sys

    records = _captured(tmp_path)
    write(tmp_path, records)
    warc = tmp_path / records[0]["source"]["warc"]
    whole = warc.read_bytes()
    torn = gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + bytes(range(256)) * 20)[:-100]
    warc.write_bytes(whole + torn)
    report = verify(tmp_path)
    assert [(p.kind, p.path) for p in report.problems] == [("torn", "2026-02-01/news-r1.warc.gz")]
    assert "ends inside a gzip member" in report.problems[0].detail and report.sources == 3
    repaired = verify(tmp_path, repair=True)
    assert repaired.clean and repaired.problems[0].repaired
    assert warc.read_bytes() == whole
    [q] = quarantined(tmp_path)
    assert q.read_bytes() == torn and q.name.startswith("news-r1.warc.gz.")
    assert verify(tmp_path).clean
    check = subprocess.run(
        [str(Path(sys.executable).with_name("warcio")), "check", str(warc)], capture_output=True, check=False
    )
    assert check.returncode == 0


def test_corrupt_warc_data_is_damage_that_repair_leaves_alone(tmp_path: Path) -> None:
    records = _captured(tmp_path)
    write(tmp_path, records)
    warc = tmp_path / records[0]["source"]["warc"]
    data = bytearray(warc.read_bytes())
    at = records[1]["source"]["offset"] + 30
    data[at : at + 8] = b"\xff" * 8
    warc.write_bytes(bytes(data))
    report = verify(tmp_path, repair=True)
    kinds = sorted(p.kind for p in report.problems)
    assert "damaged" in kinds and "source" in kinds and not report.clean
    assert bytes(data) == warc.read_bytes() and quarantined(tmp_path) == []


def test_a_warc_file_held_by_its_writer_is_not_torn(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from archive.warc import Capture, WarcWriter

    with WarcWriter(tmp_path, "news", "live", clock=clock("2026-02-01")) as w:
        w.write_response(Capture("https://example.example/a", 200, "OK", [], b"<p>a</p>", date=datetime.now(UTC)))
        report = verify(tmp_path, repair=True)
        assert report.in_use == ["2026-02-01/news-live.warc.gz"] and report.problems == []


def test_verify_shows_progress_on_a_terminal(tmp_path: Path) -> None:
    import io

    from archive.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    write(tmp_path, _captured(tmp_path))
    screen = Terminal()
    with Progress("verify", stream=screen, interval=0) as progress:
        assert verify(tmp_path, progress=progress).clean
    assert "verify: 3, " in screen.getvalue() and "3 sources resolved, 0 problems" in screen.getvalue()
