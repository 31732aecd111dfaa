"""Crawls that always end: recycled extraction workers, a hard deadline per page, SIGTERM, the watchdog."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.sitegen import generate
from devtools.siteserver import Site, serve
from scraper import settings as defaults
from scraper.workerpool import WorkerCrashed, WorkerOverdue, WorkerPool
from tests.support.commands import news_archive
from tests.support.crawl import archived_urls, run_crawl, start_crawl, wait_for_records
from tests.support.paths import PYTHON, ROOT, subprocess_env
from tests.support.pooltasks import die, fail, pid_of_worker, square, stuck

ARTICLES = 150
STALLED_AFTER = 30  # articles the stalling pipeline lets through before it holds one
SMALL = 60  # articles of the site crawled to its end with workers replaced every 3 pages, or a page held


def _run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_the_pool_recycles_workers_and_never_loses_a_task() -> None:
    async def main() -> tuple[list[int], set[int], int]:
        pool = WorkerPool(2, 3, deadline=30)
        try:
            results = await asyncio.gather(*(pool.run(f"task {n}", square, n) for n in range(40)))
            pids = set(await asyncio.gather(*(pool.run(f"pid {n}", pid_of_worker, n) for n in range(12))))
            return list(results), pids, pool.started
        finally:
            pool.close()

    results, pids, started = _run(main())
    assert results == [n * n for n in range(40)]
    assert len(pids) >= 4  # 12 tasks, 3 per worker: at least four different processes ran them
    assert started >= 52 // 3  # every worker retired after 3 tasks and was replaced


def test_a_task_past_its_deadline_kills_its_worker_and_the_pool_goes_on() -> None:
    async def main() -> tuple[object, list[int], float]:
        pool = WorkerPool(1, 100, deadline=1.0)
        try:
            started = time.monotonic()
            # the square is sent to the same worker behind the stuck task: it is run again elsewhere, not failed
            outcome, behind = list(
                await asyncio.gather(
                    pool.run("stuck page", stuck, 0), pool.run("behind", square, 7), return_exceptions=True
                )
            )
            waited = time.monotonic() - started
            assert behind == 49
            return outcome, list(await asyncio.gather(*(pool.run("after", square, n) for n in range(5)))), waited
        finally:
            pool.close()

    outcome, after, waited = _run(main())
    assert isinstance(outcome, WorkerOverdue) and "killed" in str(outcome)
    assert waited < 30  # the deadline, not the hour-long sleep
    assert after == [0, 1, 4, 9, 16]


def test_a_worker_that_dies_fails_its_task_only() -> None:
    async def main() -> tuple[list[Any], int]:
        pool = WorkerPool(2, 100, deadline=30)
        try:
            outcomes = list(
                await asyncio.gather(
                    pool.run("a", square, 3),
                    pool.run("b", die, 0),
                    pool.run("c", fail, 0),
                    pool.run("d", square, 4),
                    return_exceptions=True,
                )
            )
            outcomes += await asyncio.gather(pool.run("e", square, 5), pool.run("f", square, 6))
            return outcomes, pool.started
        finally:
            pool.close()

    outcomes, started = _run(main())
    assert outcomes[0] == 9 and outcomes[3] == 16 and outcomes[4:] == [25, 36]
    assert isinstance(outcomes[1], WorkerCrashed) and "exit code 9" in str(outcomes[1])
    assert isinstance(outcomes[2], ValueError) and str(outcomes[2]) == "bad page"
    assert started == 3  # the dead worker was replaced once, when two tasks needed two workers again


def test_closing_the_pool_with_a_stuck_task_returns_at_once_and_leaves_no_process() -> None:
    async def main() -> tuple[float, list[int], BaseException | None]:
        pool = WorkerPool(2, 100, deadline=3600)
        pending = asyncio.ensure_future(pool.run("stuck", stuck, 0))
        await asyncio.sleep(0.5)
        pids = [w.process.pid for w in pool._workers if w.process.pid]
        started = time.monotonic()
        pool.close()
        took = time.monotonic() - started
        try:
            await pending
        except WorkerCrashed as exc:
            return took, pids, exc
        return took, pids, None

    took, pids, outcome = _run(main())
    assert took < 5 and isinstance(outcome, WorkerCrashed)
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split(")")[1][:3]


MAIN_SCRIPT = """import asyncio
import scrapy  # what Scrapy's console script, the main script of `scrapy crawl`, imports
from scraper.workerpool import WorkerPool
from tests.support.pooltasks import loaded


async def main() -> None:
    pool = WorkerPool(1, 10, deadline=30)
    try:
        print(await pool.run("loaded", loaded, "scrapy"))
    finally:
        pool.close()


if __name__ == "__main__":
    asyncio.run(main())
"""


def test_a_worker_does_not_run_the_main_script_of_its_parent_again(tmp_path: Path) -> None:
    # multiprocessing makes each new process run the parent's main script again, as __mp_main__: for a crawl,
    # Scrapy's console script, so every worker started imported scrapy and twisted (0.25 s, ~30 MB each)
    script = tmp_path / "main.py"
    script.write_text(MAIN_SCRIPT, encoding="utf-8")
    run = subprocess.run(
        [PYTHON, str(script)], cwd=ROOT, env=subprocess_env(), capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False", run.stdout


# --- real crawls ------------------------------------------------------------------------------------------
def _served(factory: pytest.TempPathFactory, articles: int) -> Iterator[tuple[Site, list[str]]]:
    folder = factory.mktemp(f"generated-{articles}")
    paths = generate(folder, articles)
    with serve(folder) as site:
        yield site, paths


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, list[str]]]:
    """A generated site of ARTICLES articles, served on 127.0.0.1."""
    yield from _served(tmp_path_factory, ARTICLES)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, list[str]]]:
    """A generated site of SMALL articles, served on 127.0.0.1: for the tests that crawl a site to its end."""
    yield from _served(tmp_path_factory, SMALL)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_crawl_with_many_worker_recycles_always_finishes_with_every_article(
    small: tuple[Site, list[str]], tmp_path: Path, workers: int
) -> None:
    site, paths = small
    per_worker = 3  # SMALL is at least 10 x workers x per_worker: every worker is replaced 10 times or more
    assert 10 * workers * per_worker <= SMALL
    result = run_crawl(
        "news",
        ["-a", f"site={site.url}", "-s", f"EXTRACT_WORKERS={workers}", "-s", f"EXTRACT_WORKER_MAX_PAGES={per_worker}"],
        tmp_path / "data",
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(archived_urls(result.archive)) == sorted(site.url.rstrip("/") + p for p in paths)
    assert result.stat("extract/workers_started") >= SMALL // per_worker


def _popen_crawl(site: Site, archive: Path, *extra: str) -> subprocess.Popen[str]:
    return start_crawl("news", ["-a", f"site={site.url}", "-s", "EXTRACT_WORKERS=2", *extra], archive)


def _ended_within(process: subprocess.Popen[str], seconds: float, after: str) -> str:
    """The crawl's log once it has ended; its whole process group killed and the test failed if it did not
    end within `seconds`."""
    try:
        return process.communicate(timeout=seconds)[1]
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError(f"the crawl did not stop within {seconds} s of {after}") from None


def _process_group_gone(pgid: int, within: float = 5) -> bool:
    """Whether every process of the crawl's group (crawler, forkserver, workers) has ended."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _check_archive_whole(archive: Path, stderr: str) -> list[str]:
    urls = archived_urls(archive)  # json.loads on every line: no torn line
    assert len(urls) == len(set(urls))
    logged = set(re.findall(r"Archived (\S+)", stderr))
    assert logged <= set(urls), "a record logged as archived is missing"
    verify = news_archive("--root", str(archive), "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    return urls


def test_one_sigterm_stops_a_crawl_within_seconds_with_what_it_archived_flushed(
    generated: tuple[Site, list[str]], tmp_path: Path
) -> None:
    site, _ = generated  # still crawling when the signal comes, after 30 of its articles
    archive = tmp_path / "data"
    process = _popen_crawl(site, archive)
    wait_for_records(archive, 30, process)
    process.send_signal(signal.SIGTERM)
    stderr = _ended_within(process, 20, "SIGTERM")
    assert "shutting down gracefully" in stderr
    assert re.search(r"Run \S+ finished \(shutdown\)", stderr)  # the summary was written
    assert _process_group_gone(process.pid)
    urls = _check_archive_whole(archive, stderr)
    assert 30 <= len(urls) < ARTICLES


def _stalled_crawl(site: Site, archive: Path, notice: Path, *extra: str) -> subprocess.Popen[str]:
    """A crawl whose pipelines hold, forever, the first article that comes after STALLED_AFTER others went
    through (which page is up to the crawl's order: `notice` names it once it is held)."""
    pipelines = {**defaults.ITEM_PIPELINES, "tests.support.pipelines.StallPipeline": 450}
    stall = ["-s", "STALL_URLS_CONTAINING=/story-", "-s", f"STALL_AFTER_ITEMS={STALLED_AFTER}"]
    return _popen_crawl(
        site,
        archive,
        "-s",
        f"ITEM_PIPELINES={json.dumps(pipelines)}",
        *stall,
        "-s",
        f"STALL_NOTICE_FILE={notice}",
        *extra,
    )


def test_a_second_sigterm_stops_a_crawl_at_once(generated: tuple[Site, list[str]], tmp_path: Path) -> None:
    # one page's item never leaves the pipelines, so the graceful stop the first SIGTERM starts cannot end
    site, _ = generated
    archive = tmp_path / "data"
    notice = tmp_path / "stalled"
    process = _stalled_crawl(site, archive, notice)
    wait_for_records(archive, STALLED_AFTER, process)
    deadline = time.monotonic() + 60
    while not notice.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # the stuck item must be in the pipelines before the first SIGTERM, or the stop can end
    assert notice.exists(), "the stalled page never reached the pipelines"
    process.send_signal(signal.SIGTERM)
    time.sleep(1.0)
    assert process.poll() is None  # still waiting for the stuck item
    process.send_signal(signal.SIGTERM)
    stderr = _ended_within(process, 8, "a second SIGTERM")
    assert "shutting down gracefully" in stderr and "forcing unclean shutdown" in stderr
    assert _process_group_gone(process.pid)
    urls = _check_archive_whole(archive, stderr)
    assert notice.read_text("utf-8") not in urls


@pytest.mark.parametrize("mode", ["await", "block"])
def test_the_watchdog_stops_a_crawl_whose_pipeline_is_stuck(
    small: tuple[Site, list[str]], tmp_path: Path, mode: str
) -> None:
    site, _ = small
    archive = tmp_path / "data"
    notice = tmp_path / "stalled"
    process = _stalled_crawl(site, archive, notice, "-s", f"STALL_MODE={mode}", "-s", "CRAWL_WATCHDOG_TIMEOUT=3")
    stderr = _ended_within(process, 120, "the watchdog's timeout")
    assert process.returncode == 4, stderr[-3000:]
    stalled = notice.read_text("utf-8")
    [line] = [line for line in stderr.splitlines() if "Watchdog:" in line]
    assert "ERROR" in line and "no progress for" in line
    if mode == "await":  # everything else is done: the stuck page is the one named first
        assert re.search(r"page\(s\) not done, oldest first: " + re.escape(stalled), line), line
    else:  # the reactor thread itself is stuck: the report says where
        assert "the reactor thread is in process_item (support/pipelines.py:" in line, line
    assert _process_group_gone(process.pid)
    urls = _check_archive_whole(archive, stderr)
    assert stalled not in urls
    if mode == "await":  # the reactor ran on: every other article was archived before the watchdog fired
        assert len(urls) == SMALL - 1
    else:  # the reactor thread itself was stuck: what was archived before it is whole
        assert 0 < len(urls) <= STALLED_AFTER


def test_the_watchdog_leaves_a_healthy_crawl_alone(generated: tuple[Site, list[str]], tmp_path: Path) -> None:
    site, paths = generated
    result = run_crawl(
        "news",
        ["-a", f"site={site.url}", "-s", "CRAWL_WATCHDOG_TIMEOUT=2", "-s", "EXTRACT_WORKERS=2"],
        tmp_path / "data",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Watchdog:" not in result.stderr
    assert len(archived_urls(tmp_path / "data")) == len(paths)
