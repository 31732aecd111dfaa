"""The archive keeps each crawl's end-of-run summary (archive.runs): real crawls write it, verify accepts it,
the web app's runs page shows it, and readers skip a damaged one."""

from __future__ import annotations

import json
import logging
import signal
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from archive.runs import SUMMARY_SUFFIX, Counts, Summary, read_summaries, write_summary
from archive.verify import verify
from archive.web import create_app
from devtools.siteserver import Site, serve
from tests.support.commands import archive_cli
from tests.support.crawl import Crawl, run_crawl, start_crawl, wait_for_records
from tests.support.paths import SITES

GOOD, NOT_ARTICLE, MISSING = "2026/03/14/bridge-reopens/", "about/", "no/such/page/"


@dataclass
class Runs:
    """Two crawls into one archive: one that archived an article, one that only met a 404."""

    archive: Path
    mixed: Crawl
    failing: Crawl


def _crawl(site: Site, paths: list[str], archive: Path, tmp: Path, name: str) -> Crawl:
    urls = tmp / f"{name}.txt"
    urls.write_text("".join(f"{site.url}{p}\n" for p in paths))
    return run_crawl("article", ["-a", f"urls_file={urls}"], archive, name=name)


@pytest.fixture(scope="module")
def runs(news_site: Site, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    tmp = tmp_path_factory.mktemp("summaries")
    archive = tmp / "data"
    mixed = _crawl(news_site, [GOOD, NOT_ARTICLE, MISSING], archive, tmp, "mixed")
    failing = _crawl(news_site, [MISSING], archive, tmp, "failing")
    return Runs(archive, mixed, failing)


@pytest.fixture(scope="module")
def client(runs: Runs) -> Iterator[TestClient]:
    with TestClient(create_app([runs.archive]), raise_server_exceptions=False) as c:
        yield c


def _stored(crawl: Crawl) -> tuple[Path, dict[str, Any]]:
    name = f"article-{crawl.stats['archive/run_id']}{SUMMARY_SUFFIX}"
    found = list(crawl.archive.glob(f"*/{name}"))
    assert len(found) == 1, list(crawl.archive.rglob("*"))
    return found[0], json.loads(found[0].read_text("utf-8"))


def _site_counters(crawl: Crawl, site: str) -> dict[str, int]:
    return crawl.counters(f"site/{site}/")


def test_a_crawl_keeps_its_summary_with_the_counts_of_its_stats(runs: Runs) -> None:
    crawl = runs.mixed
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    path, stored = _stored(crawl)
    assert crawl.stats["archive/summary"] == str(path)
    assert f"Run summary: {path}" in crawl.stderr
    started = datetime.fromisoformat(crawl.stats["start_time"])
    assert path.parent.name == started.strftime("%Y-%m-%d")  # the UTC day the run started
    assert datetime.fromisoformat(stored["started"]) == started
    assert stored["schema_version"] == 1
    assert (stored["spider"], stored["run_id"]) == ("article", crawl.stats["archive/run_id"])
    assert stored["finish_reason"] == crawl.stats["finish_reason"] == "finished"
    assert stored["exit_status"] == crawl.returncode
    assert stored["host"] == socket.gethostname() and isinstance(stored["pid"], int)
    assert stored["totals"] == {
        "responses": crawl.stat("response_received_count"),
        "archived": crawl.stat("articles/archived"),
        "already_archived": 0,
        "dropped": crawl.counters("articles/dropped/"),
        "failed": crawl.counters("pages/failed/"),
    }
    assert stored["totals"]["archived"] == 1
    assert stored["totals"]["dropped"] == {"not_article": 1}
    assert stored["totals"]["failed"] == {"http_404": 1}
    (site, counts), *others = stored["sites"].items()
    assert not others and site == "127.0.0.1"
    counters = _site_counters(crawl, site)
    assert counts == {
        "responses": counters["responses"],
        "archived": counters["archived"],
        "already_archived": 0,
        "dropped": {"not_article": counters["dropped/not_article"]},
        "failed": {"http_404": counters["failed/http_404"]},
        "problem": None,
    }


def test_a_run_that_archived_nothing_keeps_its_summary_and_its_verdict(runs: Runs) -> None:
    crawl = runs.failing
    assert crawl.returncode == 3, crawl.stderr[-3000:]  # the site found no article: unhealthy
    _, stored = _stored(crawl)
    assert stored["exit_status"] == 3
    assert stored["totals"]["archived"] == 0 and stored["totals"]["failed"] == {"http_404": 1}
    assert stored["sites"]["127.0.0.1"]["problem"] == "no article found (nothing archived now or before)"
    assert not list(runs.archive.glob(f"*/article-{crawl.stats['archive/run_id']}.jsonl"))


def test_verify_and_the_readers_accept_the_summaries(runs: Runs) -> None:
    report = verify(runs.archive)
    assert report.clean, [str(p) for p in report.problems]
    assert report.files == 1  # the summaries are not data files
    names = [s.summary.name for s in read_summaries([runs.archive])]
    assert sorted(names) == sorted(f"article-{c.stats['archive/run_id']}" for c in (runs.mixed, runs.failing))


def test_the_runs_page_shows_each_runs_summary(runs: Runs, client: TestClient) -> None:
    api = {r["run_id"]: r for r in client.get("/api/runs").json()["runs"]}
    mixed, failing = api[runs.mixed.stats["archive/run_id"]], api[runs.failing.stats["archive/run_id"]]
    assert mixed["archived"] == 1
    assert mixed["failed"] == {"http_404": 1}
    assert mixed["dropped"] == 1 and mixed["dropped_by"] == {"not_article": 1}
    assert mixed["summary"]["sites"]["127.0.0.1"]["failed"] == {"http_404": 1}
    assert failing["archived"] == 0 and failing["failed"] == {"http_404": 1}  # nothing archived, still listed
    assert failing["summary"]["exit_status"] == 3
    page = client.get("/runs").text
    assert "http_404: 1" in page and "not_article: 1" in page
    assert "no article found (nothing archived now or before)" in page
    assert "finished, exit 3" in page and "finished, exit 0" in page


def test_news_archive_runs_lists_the_summaries(runs: Runs, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = archive_cli(capsys, "--root", str(runs.archive), "runs", "--sites")
    assert code == 0 and err.strip() == "2 run summaries"
    mixed, failing = (c.stats["archive/run_id"] for c in (runs.mixed, runs.failing))
    responses = runs.mixed.stat("response_received_count")
    counts = f"{responses} responses, 1 archived, 1 dropped (not_article 1), 1 failed (http_404 1)"
    assert f"article-{mixed}: finished, exit 0, {counts}" in out
    assert f"article-{failing}: finished, exit 3, " in out
    assert "  site 127.0.0.1: 1 responses, 0 archived, 1 failed (http_404 1) -- no article found" in out
    code, out, _ = archive_cli(capsys, "--root", str(runs.archive), "runs", "--json", "--until", "2000-01-01")
    assert code == 0 and out == ""
    code, out, _ = archive_cli(capsys, "--root", str(runs.archive), "runs", "--json")
    assert [json.loads(line) for line in out.splitlines()] == sorted(
        (_stored(c)[1] for c in (runs.mixed, runs.failing)), key=lambda s: s["run_id"]
    )


def _slow_crawl(tmp_path: Path, site: Site) -> tuple[Path, list[str]]:
    config = tmp_path / "sites.toml"
    config.write_text(f'[[site]]\nid = "riverside"\nstart_urls = ["{site.url}"]\nmax_age_days = 3650\n')
    return tmp_path / "data", ["-a", f"sites={config}", "-s", "CONCURRENT_REQUESTS=1", "-s", "DOWNLOAD_DELAY=0.3"]


@pytest.fixture(scope="module")
def riverside() -> Iterator[Site]:
    with serve(SITES / "multi" / "a", host="127.0.0.2") as site:
        yield site


def test_a_killed_run_leaves_no_summary_and_the_runs_page_says_so(riverside: Site, tmp_path: Path) -> None:
    archive, args = _slow_crawl(tmp_path, riverside)
    child = start_crawl("news", args, archive)
    wait_for_records(archive, 1, child)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    assert list(archive.glob("*/news-*.jsonl")) and not list(archive.rglob(f"*{SUMMARY_SUFFIX}"))
    with TestClient(create_app([archive]), raise_server_exceptions=False) as c:
        [run] = c.get("/api/runs").json()["runs"]
        page = c.get("/runs").text
    assert run["summary"] is None and run["archived"] >= 1
    assert "<i>no summary</i>" in page


def test_a_run_stopped_by_sigterm_keeps_its_summary(riverside: Site, tmp_path: Path) -> None:
    archive, args = _slow_crawl(tmp_path, riverside)
    child = start_crawl("news", args, archive)
    wait_for_records(archive, 1, child)
    child.send_signal(signal.SIGTERM)  # Scrapy stops gracefully: the spider closes with reason `shutdown`
    _, log = child.communicate(timeout=60)
    [path] = archive.rglob(f"*{SUMMARY_SUFFIX}")
    stored = json.loads(path.read_text("utf-8"))
    assert stored["finish_reason"] == "shutdown" and stored["exit_status"] == child.returncode
    assert stored["totals"]["archived"] == sum(len(f.read_text().splitlines()) for f in archive.glob("*/*.jsonl"))
    assert f"Run summary: {path}" in log


def test_a_crawl_without_the_archive_pipeline_writes_no_summary(news_site: Site, tmp_path: Path) -> None:
    crawl = run_crawl("article", ["-a", f"url={news_site.url}{GOOD}", "-s", "ITEM_PIPELINES={}"], tmp_path / "bare")
    assert crawl.returncode == 3  # nothing archived, so nothing found: but no summary file and no error about one
    assert not (tmp_path / "bare").exists() or not list((tmp_path / "bare").rglob(f"*{SUMMARY_SUFFIX}"))
    assert "archive/summary" not in crawl.stats and "Cannot keep the run summary" not in crawl.stderr


def _summary(run_id: str, started: str = "2026-02-01T23:59:59+00:00") -> Summary:
    return Summary("news", run_id, started, "2026-02-02T00:10:00+00:00", "finished", 0, "h", 1, Counts(3, 2), {})


def test_write_summary_files_it_under_the_utc_day_the_run_started(tmp_path: Path) -> None:
    path = write_summary(tmp_path, _summary("r1", "2026-02-02T01:30:00+02:00"))  # 23:30 UTC the day before
    assert path == tmp_path / "2026-02-01" / "news-r1.summary.json"
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temporary file left
    [stored] = read_summaries([tmp_path])
    assert stored.summary == _summary("r1", "2026-02-02T01:30:00+02:00")
    with pytest.raises(ValueError, match="invalid run_id"):
        write_summary(tmp_path, _summary("../escape"))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("news-bad.summary.json", b'{"schema_version": 1, "spider": "news"'),  # torn
        ("news-list.summary.json", b"[1, 2]"),
        ("news-nover.summary.json", b'{"spider": "news", "run_id": "nover"}'),
        ("news-other.summary.json", json.dumps(_summary("r9").to_json()).encode()),  # names another run
        ("news-deep.summary.json", b"[" * 100_000),
    ],
)
def test_a_damaged_summary_is_skipped_with_a_warning(
    tmp_path: Path, name: str, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    write_summary(tmp_path, _summary("good"))
    (tmp_path / "2026-02-01" / name).write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="archive.runs"):
        found = read_summaries([tmp_path])
    assert [s.summary.run_id for s in found] == ["good"]
    assert name in caplog.text and "not a readable run summary" in caplog.text


def test_hostile_counts_are_left_out_not_trusted(tmp_path: Path) -> None:
    stored = _summary("odd").to_json()
    stored["totals"] = {"responses": -4, "archived": True, "dropped": {"x": "7", "y": 2}, "failed": [1]}
    stored["sites"] = {"s": {"responses": 1.5, "problem": 3}, "t": "nope"}
    (tmp_path / "2026-02-01").mkdir()
    (tmp_path / "2026-02-01" / "news-odd.summary.json").write_text(json.dumps(stored))
    [found] = read_summaries([tmp_path])
    assert found.summary.totals == Counts(0, 0, 0, {"y": 2}, {})
    assert found.summary.sites["s"].responses == 0 and found.summary.sites["s"].problem is None
    assert found.summary.sites["t"].responses == 0
