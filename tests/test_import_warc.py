"""news-archive import-warc: WARC files of other crawlers (CC-NEWS-shaped, gzip per record or whole-file) become
records of spider warc-import whose `source` is a copy of the response kept in the archive; importing twice adds
nothing; every capture not archived is counted by reason. The WARC files are written here with warcio; the pages
are our fixture pages (tests/pages)."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from archive import Archive
from archive.warc import read_capture
from devtools.sitegen import generate
from scraper.archivable import archivable
from scraper.record import extractor_stamp
from tests.support.commands import archive_cli, news_archive
from tests.support.paths import NEWS_ARCHIVE, PYTHON, ROOT
from tests.support.warcfiles import Exchange, page, write_warc

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
    root = tmp_path / "data"
    code, out, err = archive_cli(
        capsys, "import-warc", str(missing), str(junk), str(good), "--root", str(root), "--workers", "0"
    )
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("news-archive: error:")]
    assert len(errors) == 2 and "missing.warc.gz" in errors[0] and "notes.warc.gz" in errors[1]
    assert "3 files (2 unreadable)" in out and written(out) == len(ARTICLES)


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


def test_an_extraction_worker_killed_mid_import_loses_no_page(tmp_path: Path) -> None:
    """As the OOM killer would: SIGKILL one of the two worker processes while they extract."""
    paths = generate(tmp_path / "site", 800)
    exchanges = [
        Exchange(f"https://gazette.example{path}", (tmp_path / "site" / path.strip("/") / "index.html").read_bytes())
        for path in paths
    ]
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
