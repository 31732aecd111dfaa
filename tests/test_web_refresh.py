"""news-archive serve stays current: records archived while it runs are served without a restart."""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest

from archive import ArchiveWriter, Index, WarcWriter, files
from archive.jsonline import encode_line
from archive.locking import lock_file
from archive.warc import Capture
from archive.web.queries import Filters, Store
from tests.support.records import clock, make_record, write_records
from tests.support.serve import serving

WAIT = 30.0  # seconds a test waits for a refresh to show something (it takes well under one)


def _until(check: Callable[[], Any], what: str) -> Any:
    """Poll ``check`` until it returns something true; fail saying ``what`` after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while not (got := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {WAIT:.0f} s: {what}")
        time.sleep(0.05)
    return got


def _archive(root: Path) -> Path:
    write_records(root, [make_record(i, site="harbour", title=f"Harbour note {i}") for i in range(6)], run_id="r1")
    return root


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Path, str, subprocess.Popen[str]]]:
    """A real `news-archive serve --refresh 0.2` over a small archive: (root, base URL, process)."""
    root = _archive(tmp_path / "archive")
    with serving(root, "--refresh", "0.2") as (_, base, proc):
        yield root, base, proc


def _total(base: str, **params: str) -> int:
    return int(httpx2.get(base + "api/search", params=params, timeout=30).json()["total"])


def test_records_archived_while_serving_appear_everywhere_without_a_restart(
    server: tuple[Path, str, subprocess.Popen[str]],
) -> None:
    root, base, proc = server
    assert _total(base) == 6 and _total(base, q="zeppelin") == 0
    with ArchiveWriter(root, "news", "r2", clock=clock("2026-02-03", 7)) as writer:
        writer.write(
            make_record(
                90,
                site="airfield",
                title="Zeppelin lands at the airfield",
                text="A zeppelin landed on the grass strip this morning.",
                authors=["Hugo Eckener"],
                language="de",
                section="transport",
                published_at="2026-02-03T06:00:00+00:00",
                crawled_at="2026-02-03T07:00:00+00:00",
                run_id="r2",
            )
        )
        writer.flush()  # the crawl is still running: its file is open, not finished
        found = _until(lambda: httpx2.get(base + "api/search", params={"q": "zeppelin"}).json()["results"], "search")
    assert len(found) == 1 and found[0]["title"] == "Zeppelin lands at the airfield"
    facets = httpx2.get(base + "api/facets").json()
    assert facets["total"] == 7
    assert {"value": "airfield", "count": 1} in facets["facets"]["site"]
    assert {"value": "de", "count": 1} in facets["facets"]["language"]
    assert {"value": "transport", "count": 1} in facets["facets"]["section"]
    assert {"value": "Hugo Eckener", "count": 1} in facets["facets"]["person"]
    assert {"day": "2026-02-03", "count": 1} in facets["histogram"]
    assert _total(base, site="airfield") == 1 and _total(base, person="Hugo Eckener") == 1
    page = httpx2.get(base, params={"q": "zeppelin"}).text
    assert "Zeppelin lands at the airfield" in page and "airfield" in page
    article = httpx2.get(base + found[0]["article"].lstrip("/")).text
    assert "A zeppelin landed on the grass strip this morning." in article
    assert httpx2.get(base + "article", params={"url": found[0]["url"]}, follow_redirects=True).status_code == 200
    assert "news-r2" in [run["name"] for run in httpx2.get(base + "api/runs").json()["runs"]]
    assert "Zeppelin lands at the airfield" in httpx2.get(base + "feed", params={"q": "zeppelin"}).text
    proc.terminate()
    out, _ = proc.communicate(timeout=30)
    assert re.search(r"^news-archive: refreshed \S+: 1 new record, 7 served \([0-9.]+ s\)$", out, re.M), out


def test_a_torn_last_line_is_served_only_once_it_is_whole(tmp_path: Path) -> None:
    root = _archive(tmp_path)
    path = next(root.glob("*/*.jsonl"))
    store = Store([root])
    line = encode_line(make_record(50, site="harbour", title="Half written kayak story"))
    with open(path, "ab") as f:  # a crawl in the middle of writing its line
        f.write(line[: len(line) // 2])
    assert store.refresh() == []
    assert store.search(Filters(q="kayak")).total == 0 and store.records == 6
    with open(path, "ab") as f:
        f.write(line[len(line) // 2 :])
    assert [r.added for r in store.refresh()] == [1]
    assert store.search(Filters(q="kayak")).total == 1
    with open(path, "ab") as f:  # more lines after it: the completed one is not read again
        f.write(encode_line(make_record(51, site="harbour")))
    store.refresh()
    assert store.search(Filters(q="kayak")).total == 1 and store.search(Filters()).total == 8 == store.records
    store.close()


def test_a_day_compressed_after_the_fact_is_not_counted_twice(tmp_path: Path) -> None:
    root = _archive(tmp_path)
    path = next(root.glob("*/*.jsonl"))
    store = Store([root])
    before = store.search(Filters(q="harbour"))
    key = before.hits[0].key
    files.compress(path)  # the day is over: .jsonl becomes .jsonl.gz
    store.refresh()
    after = store.search(Filters(q="harbour"))
    assert after.total == before.total == 6 and after.facets["site"] == [("harbour", 6)]
    assert [h.key for h in after.hits] == [h.key for h in before.hits]
    article = store.article(key)
    assert article is not None and article.record["title"] == before.hits[0].title  # read from the .gz now
    with ArchiveWriter(root, "news", "r1", clock=clock("2026-02-01")) as writer:  # the same run writes on
        writer.write(make_record(60, site="harbour", title="Late harbour note"))
    store.refresh()
    assert store.search(Filters()).total == 7 == store.records
    assert store.search(Filters(q="late")).total == 1
    store.close()


def test_a_failed_refresh_keeps_serving_the_last_state_and_says_so_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = _archive(tmp_path)
    store = Store([root])
    store.lock_timeout = 0.2
    write_records(root, [make_record(70, site="harbour", title="Lighthouse relit")], run_id="r9", day="2026-02-04")
    with caplog.at_level(logging.WARNING, "archive"), lock_file(Index(root).dir / "lock"):  # held by another
        assert store.refresh() == [] and store.refresh() == []
        assert store.search(Filters(q="lighthouse")).total == 0 and store.search(Filters()).total == 6
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert f"could not refresh {root}" in warnings[0] and "timed out" in warnings[0]
    assert "still serving what was read before" in warnings[0]
    assert [r.added for r in store.refresh()] == [1]  # the lock is free again: the next round catches up
    assert store.search(Filters(q="lighthouse")).total == 1
    store.close()


def test_requests_during_a_refresh_each_see_one_whole_state(tmp_path: Path) -> None:
    root = _archive(tmp_path)
    store = Store([root])
    store.refresh_batch = 3  # 150 new records: fifty states swapped in, one after another
    write_records(
        root, [make_record(200 + i, site=f"s{i % 4}", title=f"Catamaran {i}") for i in range(150)], run_id="r5"
    )
    seen: list[tuple[int, int]] = []
    broken: list[str] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            for q, base in (("", 6), ("catamaran", 0)):
                results = store.search(Filters(q=q))
                sites = sum(c for _, c in results.facets["site"])
                days = sum(c for _, c in results.histogram)
                if not results.total == sites == days or (results.total - base) % 3:
                    broken.append(f"{q!r}: total {results.total}, sites {sites}, days {days}")
                seen.append((base, results.total))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        assert [r.added for r in store.refresh()] == [150]
        time.sleep(0.1)
    finally:
        stop.set()
        reader.join()
    assert not broken, broken[:3]
    for base in (6, 0):
        totals = [t for b, t in seen if b == base]
        assert totals == sorted(totals) and totals[-1] == base + 150  # never back, never half a batch
    store.close()


def test_a_rewritten_file_is_served_as_it_now_is(tmp_path: Path) -> None:
    root = _archive(tmp_path)
    path = next(root.glob("*/*.jsonl"))
    store = Store([root])
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[2:]) + encode_line(make_record(80, site="harbour", title="Replacement")))
    [done] = store.refresh()
    assert (done.added, done.removed, done.served) == (5, 6, 5)
    results = store.search(Filters())
    assert results.total == 5 and len({h.url for h in results.hits}) == 5
    assert "Harbour note 0" not in {h.title for h in results.hits} and store.search(Filters(q="replacement")).total == 1
    assert all(store.article(h.key) is not None for h in results.hits)
    store.close()


def test_an_index_rebuilt_while_serving_is_read_again(tmp_path: Path) -> None:
    root = _archive(tmp_path)
    write_records(root, [make_record(9, site="harbour", title="Tugboat", text="A tugboat story.")], run_id="r0")
    store = Store([root])  # r1 first, then r0: a rebuilt index numbers them the other way round
    with Index(root) as idx:
        idx.reindex()
    store.refresh()
    found = store.search(Filters(q="tugboat"))
    assert found.total == 1 and found.hits[0].title == "Tugboat"
    article = store.article(found.hits[0].key)
    assert article is not None and article.record["title"] == "Tugboat"
    assert store.search(Filters()).total == 7 == store.records
    store.close()


def test_nothing_changed_costs_no_index_update(tmp_path: Path) -> None:
    root = _archive(tmp_path)
    store = Store([root])
    index = Index(root).path
    before = index.stat().st_mtime_ns, (root / ".index" / "lock").stat().st_mtime_ns
    assert store.refresh() == [] and store.refresh() == []
    assert (index.stat().st_mtime_ns, (root / ".index" / "lock").stat().st_mtime_ns) == before
    store.close()


NOBODY = 65534  # the unprivileged user the test drops to when it runs as root (as in CI)


def _unwritable_index_is_said_once_and_served(tmp: Path) -> None:
    """The test's body, run by a user the file modes bind."""
    said: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: said.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("archive").addHandler(handler)
    root = _archive(tmp)
    store = Store([root])
    index_dir = Index(root).dir
    for p in [index_dir, *index_dir.iterdir()]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    for i in range(2):
        write_records(root, [make_record(300 + i)], run_id=f"ro{i}")
        assert store.refresh() == []
    assert sum("cannot update the search index" in m for m in said) == 1, said
    assert store.search(Filters()).total == 6
    store.close()


def _as_nobody(tmp: Path) -> None:
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
    _unwritable_index_is_said_once_and_served(tmp)


def test_an_index_that_cannot_be_written_is_said_once_and_served(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        _unwritable_index_is_said_once_and_served(tmp_path / "archive")
        return
    # root writes through file modes: the body runs in a child that drops to nobody, in a folder nobody owns
    tmp = Path(tempfile.mkdtemp(prefix="news-archive-ro-"))
    try:
        os.chown(tmp, NOBODY, NOBODY)
        child = multiprocessing.get_context("fork").Process(target=_as_nobody, args=(tmp / "archive",))
        child.start()
        child.join(60)
        assert child.exitcode == 0, f"the check failed as user nobody (exit {child.exitcode}; traceback above)"
    finally:
        for p in tmp.rglob("*"):
            if p.is_dir():
                p.chmod(0o755)
        shutil.rmtree(tmp)


def test_a_bad_refresh_interval_is_one_line_and_status_2(tmp_path: Path) -> None:
    for bad in ("-1", "soon", "nan"):
        done = subprocess.run(
            [sys.executable, "-m", "archive", "serve", "--root", str(tmp_path), "--refresh", bad],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert f"expected a number of seconds from 0 to 86400, not '{bad}'" in done.stderr


def test_the_runs_page_follows_a_warc_still_being_written(tmp_path: Path) -> None:
    root = _archive(tmp_path)
    store = Store([root])

    def capture(url: str, status: int) -> Capture:
        return Capture(
            url=url,
            status=status,
            reason="OK",
            headers=[("Content-Type", "text/html")],
            body=b"<p>page</p>",
            request_headers=[],
            date=datetime(2026, 2, 1, 14, tzinfo=UTC),
        )

    with WarcWriter(root, "news", "r1", clock=clock("2026-02-01", 14)) as warc:  # the run's captures, as it goes
        warc.write_response(capture("https://harbour.example/news/0", 200))
        assert store.runs().runs[0].captured == 1
        warc.write_response(capture("https://harbour.example/gone", 404))
        run = store.runs().runs[0]
    assert (run.name, run.captured, run.failed) == ("news-r1", 2, {"HTTP 404": 1})
    assert len(store._status_cache) == 1  # one entry per WARC file, replaced as it grows: a long run holds no more
    store.close()


def test_new_records_take_their_places_among_the_old(tmp_path: Path) -> None:
    """A new revision of a stored URL, a record of an older day and a record of a second root."""
    root = _archive(tmp_path / "a")
    other = tmp_path / "b"
    write_records(other, [make_record(1, site="island", title="Island note")], run_id="x")
    store = Store([root, other])
    url = "https://harbour.example/news/3"
    write_records(
        root,
        [
            make_record(3, site="harbour", title="Harbour note 3, corrected", crawled_at="2026-02-05T10:00:00+00:00"),
            make_record(40, site="harbour", title="Old quay story", published_at="2026-01-15T09:00:00+00:00"),
        ],
        run_id="r7",
        day="2026-02-05",
    )
    write_records(other, [make_record(2, site="island", title="Island ferry timetable")], run_id="y")
    assert sorted((r.root.name, r.added) for r in store.refresh()) == [("a", 2), ("b", 1)]
    notes = store.search(Filters(q="title:harbour title:note"))
    assert [h.url for h in notes.hits].count(url) == 1 and notes.total == 6  # one result per URL
    latest = store.find_url(url)
    assert latest is not None
    article = store.article(latest)
    assert article is not None and article.record["title"] == "Harbour note 3, corrected"
    assert len(article.revisions) == 2
    everything = store.search(Filters())
    assert everything.total == 9 == store.records - 1  # the two records of URL 3 listed once
    assert everything.hits[-1].title == "Old quay story"  # newest first: an older day goes last
    days = [d for d, _ in everything.facets["day"]]
    assert days == sorted(days, reverse=True) and "2026-01-15" in days
    island = store.search(Filters(q="timetable"))
    assert island.total == 1 and island.hits[0].key.startswith("1-")
    store.close()
