"""Archive reader: days, filtered streaming, torn lines, gz parts, revisions, memory."""

from __future__ import annotations

import gzip
import io
import json
import logging
import tracemalloc
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

import archive.files as files_mod
from archive import Archive, ArchiveWriter
from tests.support.records import clock, make_record

DAYS = ["2026-02-01", "2026-02-02", "2026-02-03"]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """3 days x (2 sites, 2 spiders): day d, site s, spider p has 2 + d records."""
    n = 0
    for d, day in enumerate(DAYS):
        for spider in ("news", "article"):
            with ArchiveWriter(tmp_path, spider, f"run{d}", clock=clock(day)) as w:
                for site in ("alpha", "beta"):
                    for _ in range(2 + d):
                        w.write(make_record(n, site=site, spider=spider, run_id=f"run{d}"))
                        n += 1
    (tmp_path / "notes").mkdir()  # not a day: ignored
    (tmp_path / "2026-02-30").mkdir()  # not a real day: ignored
    return tmp_path


def test_days_lists_partitions_with_counts(root: Path) -> None:
    days = Archive(root).days()
    assert [d.day for d in days] == DAYS
    assert [d.records for d in days] == [8, 12, 16]
    assert days[0].files == ["article-run0.jsonl", "news-run0.jsonl"]
    assert all(d.bytes > 0 for d in days)


def test_records_stream_in_day_order_with_filters(root: Path) -> None:
    a = Archive(root)
    every = list(a.records())
    assert len(every) == 36
    runs = [r["run_id"] for r in every]  # run{d} was written on day d
    assert runs == sorted(runs)
    assert len(list(a.records(since="2026-02-02"))) == 28
    assert len(list(a.records(until="2026-02-02"))) == 20
    assert len(list(a.records(since="2026-02-02", until="2026-02-02"))) == 12
    assert len(list(a.records(since=date(2026, 2, 3)))) == 16
    assert len(list(a.records(until=datetime(2026, 2, 1, 23, 59)))) == 8
    assert {r["site"] for r in a.records(site="beta")} == {"beta"}
    assert len(list(a.records(site="beta", spider="news", since="2026-02-03"))) == 4
    assert list(a.records(site="nobody")) == []


@pytest.mark.parametrize(
    "bad", ["2026-02-30", "yesterday", "2026-2-1", "20260201", "2026-02-01T00:00", "２０２６-02-01", 20260201]
)
def test_bad_dates_raise_at_call_time(root: Path, bad: Any) -> None:
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        Archive(root).records(since=bad)  # no iteration needed: the error comes at once


def test_since_after_until_is_an_error(root: Path) -> None:
    with pytest.raises(ValueError, match="after until"):
        Archive(root).records(since="2026-02-03", until="2026-02-01")


def test_day_directories_outside_the_range_are_never_opened(root: Path, monkeypatch: Any) -> None:
    opened: list[str] = []
    real = files_mod.day_files

    def spy(day: str, *args: Any, **kwargs: Any) -> Any:
        opened.append(day)
        return real(day, *args, **kwargs)

    monkeypatch.setattr(files_mod, "day_files", spy)
    assert len(list(Archive(root).records(since="2026-02-02", until="2026-02-02"))) == 12
    assert opened == ["2026-02-02"]


def test_missing_root_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no archive at"):
        Archive(tmp_path / "nope")


def test_torn_last_line_is_skipped_with_one_warning(root: Path, caplog: Any) -> None:
    path = root / "2026-02-02" / "news-run1.jsonl"
    with path.open("ab") as f:
        f.write(b'{"schema_version":1,"url":"https://cut')
    with caplog.at_level(logging.WARNING, logger="archive"):
        assert len(list(Archive(root).records())) == 36
    assert len(caplog.records) == 1
    msg = caplog.records[0].getMessage()
    assert f"{path}:7:" in msg and "torn" in msg and "\n" not in msg


def test_corrupt_line_in_the_middle_is_skipped_with_a_warning(root: Path, caplog: Any) -> None:
    path = root / "2026-02-01" / "news-run0.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join([*lines[:2], b"{broken\n", b"[1, 2]\n", *lines[2:]]))
    with caplog.at_level(logging.WARNING, logger="archive"):
        assert len(list(Archive(root).records())) == 36
    assert [r.getMessage().split(": ")[0] for r in caplog.records] == [f"{path}:3", f"{path}:4"]


def test_gz_parts_are_read(root: Path) -> None:
    path = root / "2026-02-01" / "news-run0.jsonl"
    expected = [json.loads(x) for x in path.read_bytes().splitlines()]
    with gzip.open(path.with_name(path.name + ".gz"), "wb") as z:
        z.write(path.read_bytes())
    path.unlink()
    got = list(Archive(root).records(until="2026-02-01", spider="news"))
    assert got == expected
    assert Archive(root).days()[0].files == ["article-run0.jsonl", "news-run0.jsonl.gz"]


def test_get_returns_every_revision_oldest_first(tmp_path: Path) -> None:
    url = "https://alpha.example/news/é/1?a=b"
    with ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-02")) as w:
        w.write(make_record(2, url=url, text="second version", crawled_at="2026-02-02T08:00:00+00:00"))
        w.write(make_record(3, text="unrelated"))
    with ArchiveWriter(tmp_path, "news", "r0", clock=clock("2026-02-01")) as w:
        w.write(make_record(1, url=url, text="first version", crawled_at="2026-02-01T23:00:00-02:00"))
        w.write(
            make_record(
                4, url="https://alpha.example/amp/1", canonical_url=url, text="amp", crawled_at="2026-02-02T09:00:00Z"
            )
        )
    got = Archive(tmp_path).get(url)
    assert [r["text"] for r in got] == ["first version", "second version", "amp"]
    assert Archive(tmp_path).get("https://alpha.example/none") == []


def test_streaming_memory_stays_flat(tmp_path: Path) -> None:
    text = "word " * 1000
    with ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01")) as w:
        for i in range(4000):  # about 20 MB
            w.write(make_record(i, text=text + str(i)))
    tracemalloc.start()
    n = sum(1 for _ in Archive(tmp_path).records())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert n == 4000
    assert peak < 6_000_000, peak  # a few 1 MB read chunks, not the 20 MB archive


def test_duckdb_reads_the_files_directly(root: Path) -> None:
    with ArchiveWriter(root, "news", "odd", clock=clock("2026-02-03")) as w:
        w.write(make_record(999, text="line\u2028separator\u2029and\x85next", authors=[]))
    con = duckdb.connect()
    source = f"read_json_auto('{root}/*/*.jsonl', format='newline_delimited')"
    assert con.execute(f"SELECT count(*), count(DISTINCT url) FROM {source}").fetchone() == (37, 37)
    text = con.execute(f"SELECT text FROM {source} WHERE url LIKE '%/999'").fetchone()
    assert text == ("line\u2028separator\u2029and\x85next",)


class _GrowingFile(io.RawIOBase):
    """A file that reaches EOF in the middle of a line, then grows (a writer appending meanwhile)."""

    def __init__(self, stages: list[bytes]) -> None:
        self.stages = stages

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.stages.pop(0) if self.stages else b""
        buffer[: len(data)] = data
        return len(data)


def test_a_line_being_appended_is_never_read_in_two_pieces() -> None:
    # readlines() goes on reading after an EOF inside a line; the reader must cut there
    f = io.BufferedReader(_GrowingFile([b'{"a":1}\n{"b":', b"", b'2}\n{"c":3}\n']))
    chunks = list(files_mod._read_open(f, Path("x.jsonl"), 0, 0))
    assert [(c.lines, c.torn) for c in chunks] == [([b'{"a":1}\n'], b'{"b":')]


# --- records(latest=True): one record per URL, the latest extraction of the latest capture --------------


def _source(n: int) -> dict[str, Any]:
    return {
        "warc": "2026-02-01/news-r.warc.gz",
        "offset": n,
        "length": 10,
        "record_id": f"<urn:uuid:{n}>",
        "digest": "sha1:X",
    }


def test_latest_gives_the_latest_extraction_of_the_latest_capture(tmp_path: Path) -> None:
    def run(spider: str, run_id: str, day: str, records: list[dict[str, Any]]) -> None:
        with ArchiveWriter(tmp_path, spider, run_id, clock=clock(day)) as w:
            for r in records:
                w.write({**r, "spider": spider, "run_id": run_id})

    url_a, url_b = "https://example.example/a", "https://example.example/b"
    t1, t2 = "2026-02-01T10:00:00+00:00", "2026-02-02T08:00:00+02:00"  # t2 is 06:00 UTC, a day later
    # day 1: a and b captured; a re-extracted the same day by a run that started later (file name sorts first)
    run(
        "news",
        "20260201T100000Z-aaaaaa",
        "2026-02-01",
        [
            make_record(1, url=url_a, crawled_at=t1, title="a v1", source=_source(1)),
            make_record(2, url=url_b, crawled_at=t1, title="b v1", source=_source(2)),
        ],
    )
    run(
        "areextract",
        "20260201T150000Z-bbbbbb",
        "2026-02-01",
        [
            make_record(1, url=url_a, crawled_at=t1, title="a v1 re-extracted", source=_source(1)),
        ],
    )
    # day 2: a captured again; b only re-extracted (its capture stays day 1's)
    run(
        "news",
        "20260202T060000Z-cccccc",
        "2026-02-02",
        [make_record(3, url=url_a, crawled_at=t2, title="a v2", source=_source(3))],
    )
    run(
        "reextract",
        "20260202T070000Z-dddddd",
        "2026-02-02",
        [
            make_record(2, url=url_b, crawled_at=t1, title="b v1 re-extracted", source=_source(2)),
        ],
    )
    # day 3: an old capture of a re-extracted: it must not beat the newer capture
    run(
        "reextract",
        "20260203T070000Z-eeeeee",
        "2026-02-03",
        [
            make_record(1, url=url_a, crawled_at=t1, title="a v1 re-extracted again", source=_source(1)),
        ],
    )
    archive = Archive(tmp_path)
    latest = {r["url"]: r["title"] for r in archive.records(latest=True)}
    assert latest == {url_a: "a v2", url_b: "b v1 re-extracted"}
    assert len(list(archive.records(latest=True))) == 2
    assert len(list(archive.records())) == 6
    # within a range, the latest of what the range holds
    assert {r["url"]: r["title"] for r in archive.records(until="2026-02-01", latest=True)} == {
        url_a: "a v1 re-extracted",
        url_b: "b v1",
    }
    assert [r["title"] for r in archive.records(spider="news", latest=True)] == ["b v1", "a v2"]


def test_a_reextract_started_in_the_same_second_as_the_run_it_replaces_is_the_latest(tmp_path: Path) -> None:
    """`news-archive import-warc F && news-archive reextract` can name both runs with one second; the
    re-extraction wins whatever the run ids' random parts (here the import's sorts after)."""
    url, crawled = "https://example.example/a", "2019-03-04T10:00:00+00:00"
    for spider, run_id, title in [
        ("warc-import", "20261130T020000Z-ffffff", "imported"),
        ("reextract", "20261130T020000Z-000000", "re-extracted"),
    ]:
        with ArchiveWriter(tmp_path, spider, run_id, clock=clock("2019-03-04")) as w:
            w.write({**make_record(1, url=url, crawled_at=crawled, title=title), "spider": spider, "run_id": run_id})
    assert [r["title"] for r in Archive(tmp_path).records(latest=True)] == ["re-extracted"]
    assert [r["title"] for r in Archive(tmp_path).records(since="2019-03-04", latest=True)] == ["re-extracted"]


def test_latest_records_of_one_run_keep_the_last_line_and_old_records_without_crawled_at_lose(tmp_path: Path) -> None:
    url = "https://example.example/a"
    with ArchiveWriter(tmp_path, "news", "plain", clock=clock("2026-02-01")) as w:
        w.write(make_record(1, url=url, title="first"))
        w.write(make_record(1, url=url, title="second"))
        w.write({**make_record(1, url=url, title="no date"), "crawled_at": None})
    assert [r["title"] for r in Archive(tmp_path).records(latest=True)] == ["second"]


def test_latest_warns_once_about_a_torn_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01")) as w:
        path = w.write(make_record(1))
    with open(path, "ab") as f:
        f.write(b'{"url": "torn')
    with caplog.at_level(logging.WARNING, logger="archive"):
        assert len(list(Archive(tmp_path).records(latest=True))) == 1
    assert [r.getMessage() for r in caplog.records if "torn" in r.getMessage()] != []
    assert len([r for r in caplog.records if "torn" in r.getMessage()]) == 1


def test_latest_skips_a_record_without_url_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01")) as w:
        w.write(make_record(1))
        w.write({**make_record(2), "url": None})
    with caplog.at_level(logging.WARNING, logger="archive"):
        assert len(list(Archive(tmp_path).records(latest=True))) == 1
    assert any("1 record(s) without a url string skipped" in r.getMessage() for r in caplog.records)
