"""Hostile input on the archive side (issue 6): SIGKILL during hostile downloads, a read-only archive,
hostile names. Disk full and two runs at once are in test_archive_crawl.py."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from archive import Archive
from devtools.faultserver import GiB, MiB, drip, gzip_bomb, huge_page, page, serve_faults
from tests.support.articles import GOOD, article_html, english, good_routes, urls_file
from tests.support.commands import news_archive
from tests.support.crawl import check_common, descendants, run_crawl, start_crawl
from tests.support.paths import ROOT

GENERATED = 60  # articles of the site that is killed mid-run (after 30 of them)


def _generated(path: str) -> Any:
    number = path.rstrip("/").rsplit("-", 1)[-1]
    return page(article_html(f"Generated story {number}", english(f"generated story {number}")))


def _running(pid: int) -> bool:
    """Whether `pid` is alive (a zombie waiting for its parent is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def test_sigkill_during_hostile_downloads_leaves_no_process_and_a_resumable_archive(tmp_path: Path) -> None:
    hostile = {
        "/2026/10/01/slow-drip/": drip(b"<html>" + b" " * 400, 4, max_seconds=30),
        "/2026/10/02/gzip-bomb/": gzip_bomb(4 * GiB),
        "/2026/10/03/forty-megabytes/": huge_page(40 * MiB, False),
    }
    articles = [f"/2026/10/{n % 28 + 1:02d}/generated-story-{n}/" for n in range(GENERATED)]
    archive = tmp_path / "data"
    with serve_faults({"/2026/10/*": _generated, **hostile}) as site:
        urls = urls_file(tmp_path, site, [*hostile, *articles])
        child = start_crawl(
            "article",
            [
                "-a",
                f"urls_file={urls}",
                "-s",
                "LOG_LEVEL=DEBUG",
                "-s",
                "DOWNLOAD_TIMEOUT=2",
                "-s",
                "ARCHIVE_FSYNC_EVERY=5",
            ],
            archive,
        )
        assert child.stderr is not None
        archived = 0
        for line in child.stderr:
            archived += "DEBUG: Archived " in line
            if archived == 30:
                break
        family = descendants(child.pid)  # extraction workers, the forkserver, the resource tracker
        assert family, "no extraction worker running"
        os.kill(child.pid, signal.SIGKILL)  # the crawler alone: its children must notice and go by themselves
        child.communicate(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_running(pid) for pid in family):
            time.sleep(0.1)
        assert [pid for pid in family if _running(pid)] == [], "processes outlived the killed crawler"
        verify = news_archive("--root", str(archive), "verify")
        if verify.returncode != 0:  # at most a torn last line: repairable, nothing else
            assert "torn" in verify.stdout + verify.stderr, verify.stdout + verify.stderr
            assert news_archive("--root", str(archive), "verify", "--repair").returncode == 0
        first = {r["url"] for r in Archive(archive).records()}
        assert 30 <= len(first) < GENERATED
        # the same command again: the rest is archived, nothing twice, the hostile pages fail again
        again = run_crawl("article", ["-a", f"urls_file={urls}", "-s", "DOWNLOAD_TIMEOUT=2"], archive, name="resumed")
    check_common(again)
    urls_archived = [r["url"] for r in Archive(archive).records()]
    assert len(urls_archived) == len(set(urls_archived)) == GENERATED
    assert again.counters("pages/failed/") == {"timeout": 1, "too_large": 2}
    assert again.stat("discovery/already_archived") == len(first)  # not even fetched again


@pytest.fixture
def small_disk(tmp_path: Path) -> Any:
    """A 4 MiB tmpfs (root can write anywhere, so only a read-only mount really refuses writes)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True, check=False
        ).returncode
        != 0
    ):
        pytest.skip("cannot mount a tmpfs here (not root, or no mount permission)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _digest(root: Path) -> dict[str, str]:
    return {
        str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(root.rglob("*"))
        if f.is_file()
    }


def test_a_read_only_archive_stops_the_crawl_with_one_line_and_keeps_what_it_holds(
    small_disk: Path, tmp_path: Path
) -> None:
    archive = small_disk / "data"
    with serve_faults(good_routes()) as site:
        first = run_crawl(
            "article",
            ["-a", f"urls_file={urls_file(tmp_path, site, list(GOOD)[:1])}"],
            archive,
            name="read_only_before",
        )
        assert first.returncode == 0, first.stderr[-3000:]
        if (
            subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], capture_output=True, check=False).returncode
            != 0
        ):
            pytest.skip("cannot remount read-only here")
        before = _digest(small_disk)
        result = run_crawl(
            "article", ["-a", f"urls_file={urls_file(tmp_path, site, list(GOOD))}"], archive, name="read_only"
        )
    assert result.returncode == 1, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if " ERROR: " in line]
    assert any(re.search(r"Cannot write the archive, stopping the crawl: .*Read-only file system", e) for e in errors)
    assert len(errors) <= 2, errors  # that, and the index that cannot be brought up to date
    assert "Traceback" not in result.stderr
    assert _digest(small_disk) == before  # nothing changed, nothing lost
    assert news_archive("--root", str(archive), "verify").returncode == 0


def test_hostile_names_never_write_outside_the_archive(tmp_path: Path) -> None:
    token = "pwned" + secrets.token_hex(4)
    canary = tmp_path / token
    archive = tmp_path / "data"
    with serve_faults(
        {
            **good_routes(),
            "/*": lambda path: page(
                article_html(
                    "Any path at all", english("any path"), head='<link rel="canonical" href="file:///etc/passwd">'
                )
            ),
        }
    ) as site:
        base = site.url.rstrip("/")
        # hostile site ids, RUN_IDs, `-a url=file:///...` and `-a ../../url=` are refused before anything runs:
        # test_arguments.py; these URLs are fetched
        for argument, status in [
            (f"url={base}/../../../../{token}/$(touch {canary})/;touch {canary}", 0),  # fetched and archived
            (f"url={base}/2026/05/09/%2e%2e%2f%2e%2e%2f{token}`touch {canary}`/", 0),
            # host 127.0.0.1, port 80: refused, so the site answered nothing but errors (exit 3)
            (f"url={base.replace('127.0.0.1', '127.0.0.1/../..')}/2026/05/10/story-with-dots/", 3),
        ]:
            result = run_crawl("article", ["-a", argument], archive, timeout=60, name="hostile url")
            assert result.returncode == status, result.stderr[-2000:]
            assert "Traceback" not in result.stderr
        result = run_crawl(
            "news", ["-a", f"site={base}/..%2F..%2F/$(touch {canary})/"], archive, timeout=60, name="hostile site url"
        )
        assert "Traceback" not in result.stderr
    check_common(result)
    for place in (tmp_path.parent, ROOT / "data", ROOT / "tests"):  # nothing named after the token, anywhere near
        assert not list(place.rglob(f"*{token}*")), place
    assert not [p for p in (Path("/tmp"), Path("/"), ROOT, ROOT.parent) for _ in p.glob(f"*{token}*")]
    for path in archive.rglob("*"):  # the archive holds its days, its run files, its index; nothing else
        relative = path.relative_to(archive).as_posix()
        assert re.fullmatch(
            r"\d{4}-\d{2}-\d{2}(/(article|news)-[A-Za-z0-9_.-]+\.(jsonl|warc\.gz|summary\.json))?|\.index(/.*)?",
            relative,
        ), relative
    records = list(Archive(archive).records())
    assert records and all(r["url"].startswith(site.url) and r["site"] == "127.0.0.1" for r in records)
