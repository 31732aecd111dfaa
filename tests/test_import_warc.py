"""news-archive import-warc: WARC files of other crawlers (CC-NEWS-shaped, gzip per record or whole-file) become
records of spider warc-import whose `source` is a copy of the response kept in the archive; importing twice adds
nothing; every capture not archived is counted by reason. The WARC files are written here with warcio; the pages
are our fixture pages (tests/pages)."""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import json
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from csv import DictReader
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from archive import Archive
from archive.names import is_day
from archive.verify import verify
from archive.warc import decoded_body, read_capture
from devtools.sitegen import generate
from scraper.archivable import archivable
from scraper.record import extractor_stamp
from tests.support.commands import archive_cli, news_archive
from tests.support.paths import NEWS_ARCHIVE, PYTHON, ROOT
from tests.support.warcfiles import (
    Exchange,
    chunked,
    http_response,
    page,
    raw_record,
    warc_bytes,
    write_arc,
    write_raw,
    write_warc,
)

WARCIO = str(Path(PYTHON).with_name("warcio"))
GAZETTE = "https://www.harbour-gazette.test"
COAST = "https://news.coastline.test"
LANTERN = "http://lantern.test"
#: URL -> fixture page of the captures that are articles and are archived.
ARTICLES = {
    f"{GAZETTE}/2026/03/14/radweg/": "graph-jsonld.html",
    f"{GAZETTE}/2026/03/14/night-market/": "og-only.html",
    f"{COAST}/2026/02/11/lighthouse-diary/": "byline-only.html",
    f"{COAST}/2026/01/08/ferry-timetable/": "sidebar-layout.html",
    f"{LANTERN}/story/orchard": "chunked-article.html",
}
#: Why the other captures of the CC-NEWS-shaped file are not archived.
NOT_ARCHIVED = {
    "not_html": 2,  # a PDF, a PNG
    "http_301": 1,
    "revisit": 1,
    "not_article": 1,
    "too_short": 1,
    "duplicate_content": 1,  # og-only.html again, under another site's URL
    "torn": 1,  # the last record, cut in half
}


def cc_news_exchanges() -> list[Exchange]:
    """Several sites, non-HTML responses, a redirect, a revisit, pages that are no articles, a syndicated copy."""
    articles = [
        Exchange(url, page(name), date=f"2026-03-{10 + n:02d}T0{n}:15:00Z")
        for n, (url, name) in enumerate(ARTICLES.items())
    ]
    return [
        articles[0],
        Exchange(f"{GAZETTE}/files/report.pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\n", "application/pdf"),
        articles[1],
        Exchange(f"{GAZETTE}/section/local/", page("not-article.html")),
        Exchange(f"{COAST}/2026/03/01/old-url/", b"", status=301, headers=[("Location", f"{COAST}/new/")]),
        articles[2],
        Exchange(f"{COAST}/img/photo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png"),
        Exchange(f"{GAZETTE}/2026/03/14/radweg/", b"", revisit=True),
        articles[3],
        Exchange(f"{LANTERN}/story/short", page("date-words.html")),
        Exchange(f"{LANTERN}/syndicated/night-market", page("og-only.html")),
        articles[4],
        Exchange(f"{LANTERN}/story/cut-off", page("sidebar-layout.html")),  # torn
    ]


def reasons(summary: str) -> dict[str, int]:
    """The counts of the summary line's 'N not written (reason n, ...)' part."""
    found = re.search(r"not written \(([^)]*)\)", summary)
    assert found, summary
    return {k: int(v.replace(",", "")) for k, v in re.findall(r"([a-z_0-9]+) ([\d,]+)", found.group(1))}


def written(summary: str) -> int:
    """How many records the summary line says were written."""
    found = re.search(r"([\d,]+) records written", summary)
    assert found, summary
    return int(found.group(1).replace(",", ""))


def data_files(root: Path) -> list[Path]:
    """The archive's JSONL and WARC files."""
    return sorted(p for p in root.glob("*/*") if p.is_file())


def check_imported(root: Path, exchanges: list[Exchange]) -> list[dict[str, Any]]:
    """The records are those of ARTICLES, with the WARC-Date as crawled_at, today's extraction and a `source`
    that is a copy, inside the archive, of the response record imported (its record id, date and payload)."""
    records = list(Archive(root).records())
    by_url = {r["url"]: r for r in records}
    assert sorted(by_url) == sorted(ARTICLES) and len(records) == len(ARTICLES)
    originals = {ex.url: ex for ex in exchanges if ex.url in ARTICLES and not ex.revisit}
    for url, rec in by_url.items():
        ex = originals[url]
        fields, dropped = archivable(ex.body, url, ex.content_type)
        assert dropped is None and fields is not None
        assert {k: rec[k] for k in fields} == {**fields, "extractor": extractor_stamp()}
        assert rec["crawled_at"] == ex.date.replace("Z", "+00:00")
        assert (rec["spider"], rec["http_status"]) == ("warc-import", 200)
        source = rec["source"]
        assert not Path(source["warc"]).is_absolute() and source["warc"].endswith(
            f"warc-import-{rec['run_id']}.warc.gz"
        )
        assert source["record_id"] == ex.record_id
        capture = read_capture(root, source, url=url)
        assert capture.body == ex.body
        assert capture.date.strftime("%Y-%m-%dT%H:%M:%SZ") == ex.date
    return records


def test_a_cc_news_shaped_warc_is_imported_and_every_capture_not_archived_is_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exchanges = cc_news_exchanges()
    warc = write_warc(tmp_path / "CC-NEWS-20260314.warc.gz", exchanges, torn_last=True)
    root = tmp_path / "data"
    code, out, err = archive_cli(capsys, "import-warc", str(warc), "--root", str(root), "--workers", "0")
    assert code == 0, err
    assert written(out) == len(ARTICLES)
    assert reasons(out) == NOT_ARCHIVED
    assert "cut short" in err  # the torn record is named on stderr
    check_imported(root, exchanges)
    # the copies are a valid WARC file of the archive's own: warcio reads it, verify accepts every source
    for path in root.glob("*/*.warc.gz"):
        done = subprocess.run([WARCIO, "check", str(path)], capture_output=True, text=True, check=False, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
    assert archive_cli(capsys, "verify", "--root", str(root))[0] == 0
    # the archive is self-contained: moved elsewhere, without the imported file, every source still resolves
    warc.unlink()
    moved = tmp_path / "moved"
    shutil.move(root, moved)
    check_imported(moved, exchanges)


def test_importing_a_file_twice_adds_nothing_even_as_a_whole_file_gzip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exchanges = cc_news_exchanges()[:-1]
    per_record = write_warc(tmp_path / "a.warc.gz", exchanges)
    whole = write_warc(tmp_path / "b.warc.gz", exchanges, whole_file_gzip=True)  # the same records, gzipped whole
    root = tmp_path / "data"
    code, out, _ = archive_cli(capsys, "import-warc", str(per_record), "--root", str(root), "--workers", "0")
    assert code == 0 and written(out) == len(ARTICLES)
    files = {p: p.read_bytes() for p in data_files(root)}
    for again in (per_record, whole):
        code, out, err = archive_cli(capsys, "import-warc", str(again), "--root", str(root), "--workers", "0")
        assert code == 0, err
        assert written(out) == 0
        assert reasons(out)["already_archived"] == len(ARTICLES)
        assert {p: p.read_bytes() for p in data_files(root)} == files  # not a byte added, no new file
    check_imported(root, exchanges)


def test_two_copies_of_a_file_in_one_import_archive_each_page_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exchanges = cc_news_exchanges()[:-1]
    first, second = write_warc(tmp_path / "a.warc.gz", exchanges), write_warc(tmp_path / "b.warc", exchanges)
    root = tmp_path / "data"
    code, out, _ = archive_cli(capsys, "import-warc", str(first), str(second), "--root", str(root), "--workers", "0")
    assert code == 0 and written(out) == len(ARTICLES)
    counts = reasons(out)
    assert counts["already_archived"] == len(ARTICLES)  # the second copy's articles
    assert counts["repeated_capture"] == 3  # its pages that the first copy's were not archived for, not read again
    assert counts["not_article"] == counts["too_short"] == counts["duplicate_content"] == 1
    check_imported(root, exchanges)


def test_a_whole_file_gzip_warc_is_imported_by_worker_processes(tmp_path: Path) -> None:
    exchanges = cc_news_exchanges()
    warc = write_warc(tmp_path / "whole.warc.gz", exchanges, whole_file_gzip=True, torn_last=True)
    root = tmp_path / "data"
    done = news_archive("import-warc", str(warc), "--root", str(root), "--workers", "2")
    assert done.returncode == 0, done.stderr
    assert written(done.stdout) == len(ARTICLES)
    assert reasons(done.stdout) == NOT_ARCHIVED
    check_imported(root, exchanges)


def test_site_and_since_choose_the_captures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exchanges = cc_news_exchanges()[:-1]
    warc = write_warc(tmp_path / "a.warc.gz", exchanges)
    root = tmp_path / "data"
    args = ["import-warc", str(warc), "--root", str(root), "--workers", "0", "--site", "coastline.test"]
    code, out, _ = archive_cli(capsys, *args, "--site", "lantern.test", "--since", "2026-03-13")
    assert code == 0
    urls = {r["url"] for r in Archive(root).records()}
    # coastline.test: news.coastline.test below it; from 2026-03-13: not the lighthouse diary (03-12); the
    # night market's syndicated copy is archived, the gazette's original being of another site
    assert urls == {
        f"{COAST}/2026/01/08/ferry-timetable/",
        f"{LANTERN}/story/orchard",
        f"{LANTERN}/syndicated/night-market",
    }
    assert reasons(out)["other_site"] >= 2 and reasons(out)["before_since"] >= 1


def test_an_unreadable_file_is_named_and_the_others_are_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_warc(tmp_path / "good.warc.gz", cc_news_exchanges()[:-1])
    junk = tmp_path / "notes.warc.gz"
    junk.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)  # a zip file, named like a WARC file
    missing = tmp_path / "missing.warc.gz"
    zstd = tmp_path / "archiveteam.warc.zst"  # zstd frames (ArchiveTeam's .warc.zst): said so, not "unreadable"
    zstd.write_bytes(b"\x28\xb5\x2f\xfd" + bytes(range(256)))
    root = tmp_path / "data"
    code, out, err = archive_cli(
        capsys, "import-warc", str(missing), str(junk), str(zstd), str(good), "--root", str(root), "--workers", "0"
    )
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("news-archive: error:")]
    assert len(errors) == 3 and "missing.warc.gz" in errors[0] and "notes.warc.gz" in errors[1]
    assert "no WARC record could be read" in errors[1]
    assert "archiveteam.warc.zst" in errors[2] and "zstd -d" in errors[2]
    assert "4 files (3 unreadable)" in out and written(out) == len(ARTICLES)


@pytest.mark.parametrize(
    "args",
    [
        ["import-warc"],
        ["import-warc", "x.warc.gz", "--since", "2026-02-30"],
        ["import-warc", "x.warc.gz", "--workers", "-1"],
        ["import-warc", "x.warc.gz", "--site", "http://a.test/b"],
        ["reextract", "--until", "yesterday"],
    ],
)
def test_a_bad_argument_is_one_line_and_exit_2(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = archive_cli(capsys, *args, "--root", str(tmp_path))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("news-archive: error:")


def test_without_an_installed_extractor_both_commands_say_so_in_one_line(tmp_path: Path) -> None:
    """An environment holding the archive's dependencies but no news-archiver distribution (so no entry point)."""
    site = Path(next(p for p in sys.path if p.endswith("site-packages")))
    bare = tmp_path / "site-packages"
    bare.mkdir()
    for entry in site.iterdir():
        if not entry.name.lower().startswith(("news_archiver", "__editable__", "_news_archiver")):
            (bare / entry.name).symlink_to(entry)
    package = tmp_path / "code"
    package.mkdir()
    (package / "archive").symlink_to(ROOT / "archive")  # the archive package alone: no scraper next to it
    warc = write_warc(tmp_path / "a.warc.gz", cc_news_exchanges()[:2])
    env = {"PYTHONPATH": f"{package}:{bare}", "PATH": "/usr/bin:/bin"}
    for args in (["import-warc", str(warc)], ["reextract"]):
        done = subprocess.run(
            [PYTHON, "-S", "-m", "archive", *args, "--root", str(tmp_path)],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            check=False,
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("news-archive: error: no extractor installed"), done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_progress_is_drawn_on_a_terminal_only(tmp_path: Path) -> None:
    warc = write_warc(tmp_path / "a.warc.gz", cc_news_exchanges()[:-1])
    command = [NEWS_ARCHIVE, "import-warc", str(warc), "--workers", "0"]
    main, child = pty.openpty()
    try:
        done = subprocess.run(
            [*command, "--root", str(tmp_path / "tty")], stdout=subprocess.PIPE, stderr=child, timeout=120, check=False
        )
        os.close(child)
        drawn = b""
        with contextlib.suppress(OSError):  # EIO once everything written is read
            while chunk := os.read(main, 65536):
                drawn += chunk
    finally:
        os.close(main)
    assert done.returncode == 0
    assert re.search(rb"\rimport-warc: [\d,]+, [\d,]+/s", drawn), drawn  # redrawn in place on the terminal
    piped = subprocess.run([*command, "--root", str(tmp_path / "pipe")], capture_output=True, timeout=120, check=False)
    assert piped.returncode == 0 and b"\r" not in piped.stderr  # a log or a pipe gets the summary line alone
    assert written(done.stdout.decode()) == written(piped.stdout.decode()) == len(ARTICLES)


def generated(folder: Path, dates: list[str]) -> list[Exchange]:
    """One generated article (devtools.sitegen) per date, each captured at that WARC-Date."""
    paths = generate(folder / "site", len(dates))
    return [
        Exchange(
            f"https://gazette.example{path}", (folder / "site" / path.strip("/") / "index.html").read_bytes(), date=d
        )
        for path, d in zip(paths, dates, strict=True)
    ]


def test_an_extraction_worker_killed_mid_import_loses_no_page(tmp_path: Path) -> None:
    """As the OOM killer would: SIGKILL one of the two worker processes while they extract."""
    exchanges = generated(tmp_path, ["2026-03-14T09:30:00Z"] * 800)
    paths = [ex.url for ex in exchanges]
    warc = write_warc(tmp_path / "big.warc.gz", exchanges)
    command = [NEWS_ARCHIVE, "import-warc", str(warc), "--root", str(tmp_path / "data"), "--workers", "2"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        workers: list[int] = []
        while len(workers) < 2 and time.monotonic() < deadline and child.poll() is None:
            with contextlib.suppress(OSError):
                workers = [int(pid) for pid in Path(f"/proc/{child.pid}/task/{child.pid}/children").read_text().split()]
            time.sleep(0.05)
        assert len(workers) == 2, "the workers did not start"
        time.sleep(0.5)  # extracting
        os.kill(workers[0], signal.SIGKILL)
        out, err = child.communicate(timeout=300)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err
    assert "An extraction worker died" in err
    assert written(out) == len(paths), out  # the pages it held were extracted again
    assert len({r["url"] for r in Archive(tmp_path / "data").records()}) == len(paths)


# --- each record in the day folder of its capture -----------------------------------------------------------------

#: CC-NEWS-shaped WARC-Dates over three UTC days: mostly in time order, crossing midnight back and forth, two with
#: an offset that moves them to another UTC day. UTC day -> how many.
THREE_DAYS = [
    "2019-03-04T12:00:00Z",
    "2019-03-04T23:58:00Z",
    "2019-03-05T00:01:00Z",
    "2019-03-04T23:59:30Z",
    "2019-03-05T00:00:00Z",
    "2019-03-05T01:30:00+02:00",  # 2019-03-04T23:30Z
    "2019-03-04T23:59:59.999Z",
    "2019-03-05T12:00:00Z",
    "2019-03-05T23:59:59Z",
    "2019-03-06T00:00:01Z",
    "2019-03-05T22:00:00-03:00",  # 2019-03-06T01:00Z
    "2019-03-06T09:00:00Z",
]
PER_DAY = {"2019-03-04": 5, "2019-03-05": 4, "2019-03-06": 3}


def folders(root: Path) -> list[str]:
    """The archive root's folders (not the hidden .index and .quarantine)."""
    return sorted(p.name for p in root.iterdir() if not p.name.startswith("."))


def three_days(tmp_path: Path) -> tuple[Path, Path]:
    """A CC-NEWS-shaped file of one generated article captured at each of THREE_DAYS; the archive root to fill."""
    return write_warc(tmp_path / "CC-NEWS-20190305.warc.gz", generated(tmp_path, THREE_DAYS)), tmp_path / "data"


def test_captures_over_three_utc_days_land_in_the_folders_of_their_days(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warc, root = three_days(tmp_path)
    code, out, err = archive_cli(capsys, "import-warc", str(warc), "--root", str(root), "--workers", "0")
    assert code == 0, err
    assert written(out) == len(THREE_DAYS) and "into 3 days 2019-03-04 to 2019-03-06" in out
    assert folders(root) == sorted(PER_DAY)  # nothing under today
    run = Archive(root).records().__next__()["run_id"]
    for day, count in PER_DAY.items():
        code, out, _ = archive_cli(capsys, "cat", "--since", day, "--until", day, "--root", str(root))
        records = [json.loads(line) for line in out.splitlines()]
        assert len(records) == count
        for rec in records:  # crawled_at in UTC on that day, the WARC copy beside the record
            assert rec["crawled_at"].startswith(day) and rec["crawled_at"].endswith("+00:00")
            assert rec["source"]["warc"] == f"{day}/warc-import-{run}.warc.gz"
            assert read_capture(root, rec["source"], url=rec["url"]).date.date().isoformat() == day
        warcs = list((root / day).glob("*.warc.gz"))
        assert len(warcs) == 1 and subprocess.run([WARCIO, "check", str(warcs[0])], check=False).returncode == 0
    # days, stats and export count by the same folders
    code, out, _ = archive_cli(capsys, "days", "--root", str(root))
    assert {line.split()[0]: int(line.split()[2]) for line in out.splitlines()[1:-1]} == PER_DAY
    code, out, _ = archive_cli(capsys, "stats", "--since", "2019-03-05", "--until", "2019-03-05", "--root", str(root))
    assert out.startswith("4 records in 1 days")
    csv = tmp_path / "march-4.csv"
    code, _, _ = archive_cli(
        capsys, "export", str(csv), "--since", "2019-03-04", "--until", "2019-03-04", "--root", str(root)
    )
    with csv.open(newline="") as f:
        rows = list(DictReader(f))
    assert code == 0 and len(rows) == PER_DAY["2019-03-04"] and {r["crawled_at"][:10] for r in rows} == {"2019-03-04"}
    assert archive_cli(capsys, "verify", "--root", str(root))[0] == 0
    # importing the file again adds nothing, whatever the day
    before = {p: p.read_bytes() for p in data_files(root)}
    code, out, _ = archive_cli(capsys, "import-warc", str(warc), "--root", str(root), "--workers", "0")
    assert written(out) == 0 and reasons(out) == {"already_archived": len(THREE_DAYS)}
    assert {p: p.read_bytes() for p in data_files(root)} == before


def test_search_finds_records_imported_into_days_older_than_the_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The index is brought up to date from every day folder, not only from the newest ones."""
    warc, root = three_days(tmp_path)
    archive_cli(capsys, "import-warc", str(warc), "--since", "2019-03-06", "--root", str(root), "--workers", "0")
    assert folders(root) == ["2019-03-06"]
    code, out, _ = archive_cli(capsys, "search", "--json", "harbour", "--root", str(root))
    assert code == 0 and (root / ".index").is_dir()  # the index now knows the archive as it was
    code, out, _ = archive_cli(capsys, "import-warc", str(warc), "--root", str(root), "--workers", "0")
    assert written(out) == PER_DAY["2019-03-04"] + PER_DAY["2019-03-05"]
    oldest = next(iter(Archive(root).records("2019-03-04", "2019-03-04")))
    words = oldest["title"].split()[-1]  # sitegen titles end with the article's number
    code, out, _ = archive_cli(capsys, "search", "--json", oldest["title"].split()[0], words, "--root", str(root))
    assert oldest["url"] in {json.loads(line)["url"] for line in out.splitlines()}


def test_a_kill_mid_import_over_several_days_then_verify_repair_and_import_again_completes_it(tmp_path: Path) -> None:
    """SIGKILL while records go into 20 day folders, three at a time round and round (more days than the writers keep
    open: files are closed and reopened all along): each file keeps whole records, at most a torn last one, verify
    --repair sets that aside, and importing the file again archives exactly what was missing."""
    days = [f"2019-03-{1 + n // 3 % 20:02d}T{n % 24:02d}:{n % 60:02d}:00Z" for n in range(1200)]
    exchanges = generated(tmp_path, days)
    warc = write_warc(tmp_path / "big.warc.gz", exchanges)
    root = tmp_path / "data"
    command = [NEWS_ARCHIVE, "import-warc", str(warc), "--root", str(root), "--workers", "0"]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            lines = sum(p.read_bytes().count(b"\n") for p in root.glob("*/*.jsonl")) if root.is_dir() else 0
            if lines >= 200:
                break
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL, "the import ended before it could be killed"
    assert len(folders(root)) == 20
    problems = verify(root).problems  # a torn last line or WARC member at most, in the one file being written
    assert {p.kind for p in problems} <= {"torn"} and len(problems) <= 1, problems
    repaired = news_archive("verify", "--repair", "--root", str(root))
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    again = news_archive("import-warc", str(warc), "--root", str(root), "--workers", "0")
    assert again.returncode == 0, again.stderr
    records = list(Archive(root).records())
    assert sorted(r["url"] for r in records) == sorted(ex.url for ex in exchanges)  # each page once
    for day in folders(root):
        assert all(r["crawled_at"].startswith(day) for r in Archive(root).records(day, day))
        assert len(list(Archive(root).records(day, day))) == 60
    assert news_archive("verify", "--root", str(root)).returncode == 0


def test_a_missing_unparseable_or_absurd_warc_date_is_skipped_and_counted_never_a_strange_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    soon, later = now + timedelta(hours=2), now + timedelta(days=3)
    stated = {
        "good": "2019-03-05T10:00:00Z",
        "missing": "1111-11-11T11:11:11Z",  # its header line is taken out below
        "garbage": "sometime in March",
        "before-the-web": "1985-06-01T00:00:00Z",
        "far-future": "2099-01-01T00:00:00Z",
        "in-three-days": later.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "in-two-hours": soon.strftime("%Y-%m-%dT%H:%M:%SZ"),  # a clock a little ahead: kept, on its own day
    }
    exchanges = generated(tmp_path, list(stated.values()))
    data = b"".join(warc_bytes(exchanges, gzip_records=False)).replace(b"WARC-Date: 1111-11-11T11:11:11Z\r\n", b"")
    warc = tmp_path / "dates.warc"
    warc.write_bytes(data)
    root = tmp_path / "data"
    code, out, err = archive_cli(capsys, "import-warc", str(warc), "--root", str(root), "--workers", "0")
    assert code == 0, err
    assert written(out) == 2 and reasons(out) == {"bad_date": 5}
    bad = [ex.url for ex, name in zip(exchanges, stated, strict=True) if name not in ("good", "in-two-hours")]
    warned = [line for line in err.splitlines() if "bad_date" in line]
    assert len(warned) == 5 and all(any(url in line for line in warned) for url in bad)
    assert "no WARC-Date" in err and "'sometime in March'" in err
    assert folders(root) == sorted({"2019-03-05", soon.date().isoformat()})
    assert all(is_day(name) for name in folders(root))


# --- WARC files as other tools write them (raw bytes: warcio would write their quirks away) ---------------------

WGET_INFO = (
    b"software: Wget/1.21.3 (linux-gnu)\r\nformat: WARC File Format 1.0\r\n"
    b"conformsTo: http://bibnum.bnf.fr/WARC/WARC_ISO_28500_version1_latestdraft.pdf\r\nrobots: classic\r\n"
    b'wget-arguments: "--warc-file=news" "http://wget.test/"\r\n'
)


def import_raw(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, records: list[bytes], *, gzip_records: bool = True
) -> tuple[Path, str, str]:
    """Import a WARC file of raw `records` into tmp_path/data: (root, summary line, stderr); exit status 0."""
    warc = write_raw(tmp_path / ("in.warc.gz" if gzip_records else "in.warc"), records, gzip_records=gzip_records)
    root = tmp_path / "data"
    code, out, err = archive_cli(capsys, "import-warc", str(warc), "--root", str(root), "--workers", "0")
    assert code == 0, err
    return root, out, err


def the_copy_is_the_page(
    root: Path, url: str, html: bytes, content_type: str | None = None, *, warcio_check: bool = True
) -> dict[str, Any]:
    """The one record of `url` holds the page's extraction; its `source` reads back to `html`; warcio accepts it."""
    (rec,) = [r for r in Archive(root).records() if r["url"] == url]
    fields, dropped = archivable(html, url, content_type)
    assert dropped is None and fields is not None
    assert {k: rec[k] for k in ("title", "text", "content_hash")} == {
        k: fields[k] for k in ("title", "text", "content_hash")
    }
    assert decoded_body(read_capture(root, rec["source"], url=url)) == html
    for path in root.glob("*/*.warc.gz") if warcio_check else ():
        done = subprocess.run([WARCIO, "check", str(path)], capture_output=True, text=True, check=False, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
    return rec


@pytest.mark.parametrize("encoding", [None, "gzip", "deflate"])
def test_a_wget_warc_with_bodies_stored_chunked_is_archived_and_its_copies_read_back_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str | None
) -> None:
    # wget --warc-file: WARC/1.0, a warcinfo of its own fields, the request, `<...>` around the target URI, and
    # the body kept as sent, chunked (here also gzip or deflate inside the chunks). The copy in the archive must
    # hold the body de-chunked, as a crawl's capture does: the chunk sizes in the page would break raw and
    # reextract (they did: `raw` printed "2bc\r\n<!DOCTYPE...", a compressed one read back as damaged).
    url = "http://wget.test/2024/03/04/radweg"
    html = page("graph-jsonld.html")
    encoders: dict[str | None, Callable[[bytes], bytes]] = {
        "gzip": gzip.compress,
        "deflate": zlib.compress,
        None: bytes,
    }
    sent = encoders[encoding](html)
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Transfer-Encoding", "chunked")]
    headers += [("Content-Encoding", encoding)] if encoding else []
    request = b"GET /2024/03/04/radweg HTTP/1.1\r\nHost: wget.test\r\nUser-Agent: Wget/1.21.3\r\n\r\n"
    records = [
        raw_record("warcinfo", "", WGET_INFO, WARC_Filename="news.warc.gz").replace(b"WARC-Target-URI: \r\n", b""),
        raw_record("request", f"<{url}>", request),
        raw_record("response", f"<{url}>", http_response(chunked(sent), *headers)),
    ]
    root, out, err = import_raw(capsys, tmp_path, records)
    assert written(out) == 1, out + err
    rec = the_copy_is_the_page(root, url, html)
    assert rec["crawled_at"] == "2024-03-04T10:00:00+00:00"
    raw = news_archive("--root", str(root), "raw", url, "--decoded")
    assert raw.returncode == 0 and raw.stdout.encode() == html, raw.stderr
    assert "unchanged 1" in news_archive("--root", str(root), "reextract", "--workers", "0").stdout
    _, again, _ = import_raw(capsys, tmp_path, records)
    assert written(again) == 0 and reasons(again) == {"already_archived": 1}


@pytest.mark.parametrize("encoding", ["gzip", "br", "gzip, br"])
def test_a_body_stored_decoded_under_the_content_encoding_the_server_sent_is_archived(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str
) -> None:
    # Some tools store the payload decoded and keep the server's Content-Encoding header (CC renames it to
    # X-Crawler-Content-Encoding; others do not). Such a page was lost as `undecodable`.
    url = "https://plain.test/2024/03/04/lighthouse"
    html = page("byline-only.html")
    response = http_response(html, ("Content-Type", "text/html"), ("Content-Encoding", encoding))
    root, out, err = import_raw(capsys, tmp_path, [raw_record("response", url, response)])
    assert written(out) == 1, out + err
    # warcio check crashes on any br response with the brotli module installed (Decompressor.unused_data), ours or not
    the_copy_is_the_page(root, url, html, "text/html", warcio_check="br" not in encoding)


def test_truncated_responses_resource_records_and_unwritable_urls_are_counted_and_not_archived(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # WARC-Truncated (CC cuts bodies over its limit): half a page would be archived as if it were the page, or
    # dropped for some extraction reason that hides why. A resource record (browsertrix, pywb: a page kept
    # without HTTP status or headers) was folded into the "other WARC records" count, unseen as a page.
    html = page("graph-jsonld.html")
    cut = raw_record(
        "response",
        "https://cut.test/a",
        http_response(html[: len(html) * 2 // 3], ("Content-Type", "text/html")),
        WARC_Truncated="length",
    )
    first_segment = raw_record(
        "response",
        "https://seg.test/a",
        http_response(html[:900], ("Content-Type", "text/html")),
        WARC_Segment_Number="1",
    )
    framed = chunked(html)  # wget's record of a connection closed mid-body: chunks, no closing one
    closed_early = raw_record(
        "response",
        "https://closed.test/a",
        http_response(framed[: len(framed) * 2 // 3], ("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")),
    )
    resource = raw_record("resource", "https://res.test/a", html, version="1.1", Content_Type="text/html")
    # A tab in a target URI (no WARC header can hold it) stopped the whole import with an error: every page after
    # it was lost. Now that page alone is counted.
    tab = raw_record("response", "https://tab.test/a\tb", http_response(html, ("Content-Type", "text/html")))
    whole = raw_record("response", "https://whole.test/a", http_response(html, ("Content-Type", "text/html")))
    root, out, err = import_raw(capsys, tmp_path, [cut, first_segment, closed_early, resource, tab, whole])
    assert written(out) == 1 and reasons(out) == {"truncated": 3, "resource": 1, "bad_url": 1}, out
    assert "https://closed.test/a (its chunked body ends early" in err
    assert "https://seg.test/a (WARC-Segment-Number: 1" in err
    assert "bad_url: https://tab.test/a" in err
    assert "https://cut.test/a" in err and "WARC-Truncated: length" in err
    assert [r["url"] for r in Archive(root).records()] == ["https://whole.test/a"]


SJIS_PAGE = (
    page("byline-only.html")
    .decode("utf-8")
    .replace('<meta charset="utf-8">', "")
    .replace("<p>", "<p>灯台守の日記が博物館で公開される。", 1)
    .encode("shift_jis")
)


@pytest.mark.parametrize(
    ("case", "response", "date", "html"),
    [
        (  # browsertrix / pywb: WARC/1.1, HTTP/2 status line with no reason, lower-case header names, microseconds
            "h2",
            http_response(page("graph-jsonld.html"), ("content-type", "text/html"), status="HTTP/2 200"),
            "2024-03-04T10:00:00.123456Z",
            page("graph-jsonld.html"),
        ),
        (  # CC-NEWS: the payload stored decoded, the server's encoding and length renamed X-Crawler-*
            "cc",
            http_response(
                page("byline-only.html"),
                ("Content-Type", "text/html; charset=UTF-8"),
                ("X-Crawler-Content-Encoding", "gzip"),
                ("X-Crawler-Content-Length", "812"),
                ("Content-Length", str(len(page("byline-only.html")))),
            ),
            "2024-03-04T10:00:00Z",
            page("byline-only.html"),
        ),
        (  # a folded header line and odd whitespace
            "folded",
            http_response(
                page("byline-only.html"), ("Content-Type", " text/html;\r\n\tcharset=utf-8"), ("X-Odd", "a\t b ")
            ),
            "2024-03-04T10:00:00Z",
            page("byline-only.html"),
        ),
        (
            "no_type",
            http_response(page("byline-only.html"), ("Date", "x")),
            "2024-03-04T10:00Z",
            page("byline-only.html"),
        ),
        (  # the charset only in <meta> (windows-1252), and only in the HTTP header (Shift_JIS)
            "cp1252",
            http_response(page("cp1252-meta.html"), ("Content-Type", "text/html")),
            "2024-03-04T10:00:00Z",
            page("cp1252-meta.html"),
        ),
        (
            "sjis",
            http_response(SJIS_PAGE, ("Content-Type", "text/html; charset=Shift_JIS")),
            "2024-03-04T10:00:00Z",
            SJIS_PAGE,
        ),
    ],
)
@pytest.mark.parametrize("gzip_records", [True, False])
def test_responses_as_browser_based_tools_write_them_are_archived_with_their_url_text_and_date(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    response: bytes,
    date: str,
    html: bytes,
    gzip_records: bool,
) -> None:
    url = f"https://{case}.test/2024/03/04/story"
    declared = re.search(rb"(?im)^content-type:[ \t]*([^\r\n]*)", response.split(b"\r\n\r\n")[0])
    content_type = declared.group(1).decode() if declared else None
    records = [raw_record("response", url, response, date=date, version="1.1")]
    root, out, err = import_raw(capsys, tmp_path, records, gzip_records=gzip_records)
    assert written(out) == 1, out + err
    rec = the_copy_is_the_page(root, url, html, content_type)
    assert rec["crawled_at"] == "2024-03-04T10:00:00+00:00" and rec["http_status"] == 200
    if case == "sjis":
        assert "灯台守の日記" in rec["text"]
    if case == "cp1252":
        assert "café" in rec["title"]


def test_a_revisit_of_a_response_earlier_in_the_file_or_in_another_file_is_counted_not_archived(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html = page("sidebar-layout.html")
    url = "https://rv.test/2024/03/04/ferry"
    digest = "sha1:" + base64.b32encode(hashlib.sha1(html).digest()).decode()
    original = raw_record(
        "response", url, http_response(html, ("Content-Type", "text/html")), WARC_Payload_Digest=digest
    )
    revisit = raw_record(
        "revisit",
        url,
        http_response(b"", ("Content-Type", "text/html")),
        date="2024-03-05T10:00:00Z",
        version="1.1",
        WARC_Profile="http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
        WARC_Refers_To_Target_URI=url,
        WARC_Payload_Digest=digest,
    )
    root, out, _ = import_raw(capsys, tmp_path, [original, revisit])
    assert written(out) == 1 and reasons(out) == {"revisit": 1}
    _, out, _ = import_raw(capsys, tmp_path, [revisit])  # its original in a file imported before
    assert written(out) == 0 and reasons(out) == {"revisit": 1}
    assert [r["crawled_at"] for r in Archive(root).records()] == ["2024-03-04T10:00:00+00:00"]


def test_an_arc_file_is_imported_as_a_warc_file_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # ARC, the format before WARC (older Internet Archive and Heritrix collections): its records have no
    # WARC-Target-URI, so every page was counted not_http. Read as WARC (warcio's arc2warc), they are archived, the
    # 14-digit date as crawled_at; their record ids are made up on each read, so a second import finds them by
    # URL and payload digest.
    pages = {
        "https://arc.test/2004/05/lighthouse": "byline-only.html",
        "https://arc.test/2004/05/ferry": "sidebar-layout.html",
    }
    arc = write_arc(
        tmp_path / "IA-2004.arc.gz",
        [
            (url, "20040506070809", http_response(page(name), ("Content-Type", "text/html")))
            for url, name in pages.items()
        ],
    )
    root = tmp_path / "data"
    for again in (False, True):
        code, out, err = archive_cli(capsys, "import-warc", str(arc), "--root", str(root), "--workers", "0")
        assert code == 0, err
        assert written(out) == (0 if again else 2), out
        assert reasons(out) == {"already_archived": 2} if again else "; 0 not written;" in out
    for url, name in pages.items():
        rec = the_copy_is_the_page(root, url, page(name), "text/html")
        assert rec["crawled_at"] == "2004-05-06T07:08:09+00:00"


def test_blank_lines_before_the_first_record_or_a_record_without_warc_type_lose_no_page_unseen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A plain .warc starting with a blank line was read as one empty record that swallowed the file: 0 responses
    # read, exit 0, every page lost without a word. A record without WARC-Type is skipped with a warning, and the
    # records after it are read.
    pages = {f"https://plain.test/{n}": name for n, name in enumerate(["byline-only.html", "sidebar-layout.html"])}
    records = [
        raw_record("response", url, http_response(page(name), ("Content-Type", "text/html")))
        for url, name in pages.items()
    ]
    root, out, err = import_raw(capsys, tmp_path, [b"\r\n" + records[0], records[1]], gzip_records=False)
    assert written(out) == 2, out + err
    for url, name in pages.items():
        the_copy_is_the_page(root, url, page(name), "text/html")
    typeless = raw_record("response", "https://plain.test/typeless", b"x").replace(b"WARC-Type: response\r\n", b"")
    _, out, err = import_raw(capsys, tmp_path, [typeless, *records], gzip_records=False)
    assert "has no WARC-Type: skipped" in err and reasons(out) == {"already_archived": 2}
