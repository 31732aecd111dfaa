"""A fleet: several `scrapy crawl news` workers sharing one crawl through a real redis-server (REDIS_URL), over
two fixture sites on loopback. Without redis-server these tests skip with one line (CI fails instead)."""

from __future__ import annotations

import contextlib
import gzip
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from scrapy.settings import Settings

from devtools.siteserver import Site, serve
from scraper import settings as defaults
from scraper.fleet import FleetAddon, worker_name
from tests.support.crawl import Crawl, archived_urls, run_crawl, start_crawl
from tests.support.paths import PYTHON, ROOT, SITES, subprocess_env
from tests.support.redisserver import RedisServer, redis_server, require_redis_server

A_ARTICLES = {
    "/2026/11/20/second-lifeboat-station-approved/",
    "/2026/11/21/sunday-evening-ferry-added/",
    "/2026/11/22/pupils-plant-river-trees/",
    "/2026/11/23/customs-house-museum/",
    "/2026/11/24/night-buses-trial/",
}
B_ARTICLES = {
    "/news/dairy-cooperative-opens-station-cheese-shop",
    "/news/landslip-closes-upper-valley-road",
}
LIFEBOAT = "/2026/11/20/second-lifeboat-station-approved/"  # site b syndicates its text:
SYNDICATED = "/news/county-approves-second-lifeboat-station-estuary"  # one of the two is archived, once
ARTICLE_PATHS = A_ARTICLES | B_ARTICLES | {SYNDICATED}
KEPT = [b"news:archived", b"news:crawled"]  # what a finished crawl leaves in Redis: the archived keys, on purpose


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own, on a free port of 127.0.0.1."""
    folder = tmp_path / "redis"
    folder.mkdir()
    with redis_server(folder) as server:
        yield server


@pytest.fixture
def sites() -> Iterator[tuple[Site, Site]]:
    """Site a on 127.0.0.2 and site b on 127.0.0.3, fresh access logs for each test."""
    with serve(SITES / "multi" / "a", host="127.0.0.2") as a, serve(SITES / "multi" / "b", host="127.0.0.3") as b:
        yield a, b


@contextlib.contextmanager
def _killed_when(victim: subprocess.Popen[str], ready: Callable[[], bool], what: str) -> Iterator[None]:
    """Wait (60 s at most) until `ready()`, let the block check the moment, then SIGKILL the worker's whole
    process group (its extraction processes too); the worker is killed whatever happens."""
    try:
        deadline = time.monotonic() + 60
        while not ready() and victim.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ready(), what
        yield
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(10)
    finally:
        if victim.poll() is None:
            os.killpg(victim.pid, signal.SIGKILL)


def _name(worker: subprocess.Popen[str]) -> str:
    """The fleet name of a worker started on this machine."""
    return f"{worker_name().rsplit('-p', 1)[0]}-p{worker.pid}"


def _past_its_ttl(server: RedisServer, victim: subprocess.Popen[str]) -> None:
    """Make a killed worker's heartbeat deadline pass now rather than FLEET_WORKER_TTL seconds later: the other
    workers then recover its requests when they start, instead of when they idle after the TTL (that wait, and
    recovering at idle, are pinned by the mid-run kill test)."""
    assert victim.poll() is not None
    for key in ("news:workers", "news:busy"):
        server.client.zadd(key, {_name(victim): 0}, xx=True)


def _config(tmp_path: Path, a: Site, b: Site) -> Path:
    path = tmp_path / "sites.toml"
    path.write_text(
        f'[[site]]\nid = "riverside"\nstart_urls = ["{a.url}"]\nmax_age_days = 3650\n\n'
        f'[[site]]\nid = "valley"\nstart_urls = ["{b.url}"]\n',
        encoding="utf-8",
    )
    return path


def _fleet_args(config: Path, server: RedisServer, *extra: str) -> list[str]:
    return ["-a", f"sites={config}", "-s", f"REDIS_URL={server.url}", "-s", "FLEET_WORKER_TTL=5", *extra]


def _run_fleet(tmp_path: Path, run: str, args: list[str], server: RedisServer, workers: int = 2) -> list[Crawl]:
    """`workers` crawls, each with its own archive (as on separate machines): the first alone until it has joined
    with requests queued in Redis or in its hands (or ended), then the others join the running crawl."""
    before = _workers(server)
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(run_crawl, "news", args, tmp_path / run / "w0", name=f"{run}-w0")]
        deadline = time.monotonic() + 60
        while not _under_way(server, before) and not futures[0].done() and time.monotonic() < deadline:
            time.sleep(0.05)
        futures += [
            pool.submit(run_crawl, "news", args, tmp_path / run / f"w{i}", name=f"{run}-w{i}")
            for i in range(1, workers)
        ]
        return [f.result() for f in futures]


def _workers(server: RedisServer) -> set[str]:
    """The names listed in the fleet (live, or dead and not yet noticed)."""
    return {m.decode() if isinstance(m, bytes) else str(m) for m in server.client.zrange("news:workers", 0, -1)}


def _under_way(server: RedisServer, before: set[str]) -> bool:
    """Whether a worker not listed in `before` has joined the fleet with work to share: requests in the queue, or
    in its hands (it may have taken all the queue held between two looks)."""
    joined = _workers(server) - before
    queued = bool(joined) and bool(server.client.zcard("news:requests"))
    return queued or any(server.client.hlen(f"news:taken:{name}") for name in joined)


def _article_requests(*sites: Site) -> Counter[str]:
    return Counter(p.split("?")[0] for s in sites for _, p, _ in s.access_log if p.split("?")[0] in ARTICLE_PATHS)


def _archived(crawls: list[Crawl], a: Site, b: Site) -> list[str]:
    return sorted(p for c in crawls for p in c.paths(a) + c.paths(b))


def test_workers_archive_each_article_once_fetch_each_page_once_and_a_second_run_adds_nothing(
    tmp_path: Path, redis: RedisServer, sites: tuple[Site, Site]
) -> None:
    a, b = sites
    # A worker takes up to CONCURRENT_REQUESTS requests from the queue at once: with 2 and a delay, the first
    # worker is still busy when the others start, and they take their share.
    args = _fleet_args(_config(tmp_path, a, b), redis, "-s", "DOWNLOAD_DELAY=0.5", "-s", "CONCURRENT_REQUESTS=2")
    first = _run_fleet(tmp_path, "first", args, redis, workers=3)
    for crawl in first:
        assert crawl.returncode == 0, crawl.stderr[-3000:]
        assert "Traceback" not in crawl.stderr, crawl.stderr[-3000:]
    archived = _archived(first, a, b)
    assert len(archived) == len(set(archived)), archived  # no article twice across workers
    assert set(archived) - {LIFEBOAT, SYNDICATED} == (A_ARTICLES | B_ARTICLES) - {LIFEBOAT}
    assert len(set(archived) & {LIFEBOAT, SYNDICATED}) == 1  # one text, archived once, whoever fetched it
    hashes = [r["content_hash"] for c in first for r in c.records()]
    assert len(hashes) == len(set(hashes))
    assert max(_article_requests(a, b).values()) == 1, _article_requests(a, b)  # no article page fetched twice
    assert sum(c.stat("fleet/discovery_elsewhere") for c in first) == 2 * (len(first) - 1)  # 2 sites, 1 worker each
    assert sum(c.stat("scheduler/dequeued/redis") > 0 for c in first) >= 2, [c.stats for c in first]  # shared work
    assert not sum(c.stat("fleet/given_back") for c in first)  # a finished worker puts nothing back for the others
    run_ids = {r["run_id"] for c in first for r in c.records()}
    assert all("-p" in run_id for run_id in run_ids)  # the run id names host and process
    # A finished crawl leaves Redis clean, but for the archived keys, kept on purpose.
    assert sorted(redis.client.keys("*")) == KEPT

    a.access_log.clear()
    b.access_log.clear()
    second = _run_fleet(tmp_path, "second", args, redis, workers=2)
    assert all(c.returncode == 0 for c in second), [c.stderr[-2000:] for c in second]
    assert _archived(second, a, b) == []  # fresh archive folders: the Redis set alone knows what was archived
    assert not set(_article_requests(a, b)) & set(archived)  # and no worker fetched an archived article again
    assert sum(c.stat("discovery/already_archived") for c in second) > 0


def test_the_per_site_limits_hold_across_workers(tmp_path: Path, redis: RedisServer) -> None:
    # Slow answers (0.2 s) so that requests of different workers would overlap if nothing held them apart.
    with (
        serve(SITES / "multi" / "a", host="127.0.0.2", latency=0.2) as a,
        serve(SITES / "multi" / "b", host="127.0.0.3", latency=0.2) as b,
    ):
        limits = ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "DOWNLOAD_DELAY=0.25", "-s", "CONCURRENT_REQUESTS=2"]
        crawls = _run_fleet(tmp_path, "polite", _fleet_args(_config(tmp_path, a, b), redis, *limits), redis, workers=3)
    assert all(c.returncode == 0 for c in crawls), [c.stderr[-2000:] for c in crawls]
    assert sum(c.stat("scheduler/dequeued/redis") > 0 for c in crawls) >= 2  # the workers did share the sites
    for site in (a, b):
        assert site.peak_in_flight == 1, site.url  # one request at a time to each site, fleet-wide
        starts = sorted(t for _, t in site.times)
        gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
        assert min(gaps) > 0.2, (site.url, min(gaps))  # DOWNLOAD_DELAY between starts, fleet-wide (some jitter)
    assert len(_archived(crawls, a, b)) == len(A_ARTICLES | B_ARTICLES)


def test_a_worker_killed_mid_run_loses_nothing_and_nothing_is_archived_twice(
    tmp_path: Path, redis: RedisServer
) -> None:
    with (
        serve(SITES / "multi" / "a", host="127.0.0.2", latency=0.2) as a,
        serve(SITES / "multi" / "b", host="127.0.0.3", latency=0.2) as b,
    ):
        args = _fleet_args(_config(tmp_path, a, b), redis, "-s", "CONCURRENT_REQUESTS=2")
        victim = start_crawl("news", args, tmp_path / "killed")
        taken = f"news:taken:{_name(victim)}"
        with _killed_when(victim, lambda: bool(redis.client.hlen(taken)), "the worker took no request"):
            pass  # mid-request
        # the survivors start at once: they find the killed worker alive until FLEET_WORKER_TTL has passed
        survivors = _run_fleet(tmp_path, "survivors", args, redis, workers=2)
    assert all(c.returncode == 0 for c in survivors), [c.stderr[-2000:] for c in survivors]
    assert sum(c.stat("fleet/recovered") for c in survivors) >= 1  # its requests came back to the queue
    records = archived_urls(tmp_path / "killed") + [r["url"] for c in survivors for r in c.records()]
    paths = sorted(u.removeprefix(a.url.rstrip("/")).removeprefix(b.url.rstrip("/")) for u in records)
    assert len(paths) == len(set(paths)), paths  # nothing twice
    assert len(paths) == len(A_ARTICLES | B_ARTICLES), paths  # nothing lost
    assert sorted(redis.client.keys("*")) == KEPT


def test_a_worker_killed_after_claiming_a_site_before_queueing_its_start_requests_loses_no_article(
    tmp_path: Path, redis: RedisServer, sites: tuple[Site, Site]
) -> None:
    a, b = sites
    args = _fleet_args(_config(tmp_path, a, b), redis)
    notice = tmp_path / "stalled"
    stall = ["-s", 'SPIDER_MIDDLEWARES={"tests.support.pipelines.StallStartMiddleware": 10}']
    victim = start_crawl("news", [*args, *stall, "-s", f"STALL_NOTICE_FILE={notice}"], tmp_path / "killed")
    with _killed_when(victim, notice.exists, "the worker never reached its first start request"):
        assert redis.client.exists("news:discovery:riverside")  # it holds the first site's discovery lock
        assert not redis.client.zcard("news:requests")  # and not one of its start requests is in the queue
    _past_its_ttl(redis, victim)
    survivors = _run_fleet(tmp_path, "survivors", args, redis, workers=2)
    assert all(c.returncode == 0 for c in survivors), [c.stderr[-2000:] for c in survivors]
    assert sum(c.stat("fleet/discovery_elsewhere") for c in survivors) >= 1  # the lock held: not rediscovered
    archived = _archived(survivors, a, b)
    assert len(archived) == len(set(archived)), archived
    assert set(archived) - {LIFEBOAT, SYNDICATED} == (A_ARTICLES | B_ARTICLES) - {LIFEBOAT}  # nothing lost
    assert sum(c.stat("fleet/recovered") for c in survivors) >= 1  # the claimed site's start requests came back
    assert sorted(redis.client.keys("*")) == KEPT


def test_a_worker_killed_between_claiming_an_article_and_writing_it_leaves_it_to_the_others(
    tmp_path: Path, redis: RedisServer, sites: tuple[Site, Site]
) -> None:
    a, b = sites
    args = _fleet_args(_config(tmp_path, a, b), redis)
    ferry, notice = "/2026/11/21/sunday-evening-ferry-added/", tmp_path / "stalled"
    pipelines = {**defaults.ITEM_PIPELINES, "tests.support.pipelines.StallPipeline": 450}  # dedupe 400, archive 900
    stall = ["-s", f"ITEM_PIPELINES={json.dumps(pipelines)}", "-s", "STALL_MODE=block"]
    stall += ["-s", f"STALL_URLS_CONTAINING={ferry}", "-s", f"STALL_NOTICE_FILE={notice}"]
    victim = start_crawl("news", [*args, *stall], tmp_path / "killed")
    with _killed_when(victim, notice.exists, "the worker never reached the article"):
        assert redis.client.sismember("news:archived", f"url:{a.url.rstrip('/')}{ferry}")  # claimed, not written
    _past_its_ttl(redis, victim)
    survivors = _run_fleet(tmp_path, "survivors", args, redis, workers=2)
    assert all(c.returncode == 0 for c in survivors), [c.stderr[-2000:] for c in survivors]
    records = archived_urls(tmp_path / "killed") + [r["url"] for c in survivors for r in c.records()]
    paths = sorted(u.removeprefix(a.url.rstrip("/")).removeprefix(b.url.rstrip("/")) for u in records)
    assert ferry not in [p.removeprefix(a.url.rstrip("/")) for p in archived_urls(tmp_path / "killed")]
    assert len(paths) == len(set(paths)), paths  # nothing twice
    assert set(paths) - {LIFEBOAT, SYNDICATED} == (A_ARTICLES | B_ARTICLES) - {LIFEBOAT}, paths  # nothing lost
    assert sorted(redis.client.keys("*")) == KEPT


def test_a_site_where_the_whole_fleet_found_no_article_is_unhealthy_and_no_other_is(
    tmp_path: Path, redis: RedisServer, sites: tuple[Site, Site]
) -> None:
    a, b = sites
    empty = tmp_path / "empty-site"
    empty.mkdir()
    (empty / "index.html").write_text("<html><body><p>Nothing here yet.</p></body></html>", encoding="utf-8")
    with serve(empty, host="127.0.0.4") as c:
        config = _config(tmp_path, a, b)
        config.write_text(config.read_text() + f'\n[[site]]\nid = "empty"\nstart_urls = ["{c.url}"]\n')
        args = _fleet_args(config, redis, "-s", "DOWNLOAD_DELAY=0.3", "-s", "CONCURRENT_REQUESTS=2")
        crawls = _run_fleet(tmp_path, "health", args, redis, workers=2)
    verdicts = [c.stats.get("summary/unhealthy_sites") for c in crawls]
    assert ["empty"] in verdicts, verdicts  # the worker that saw the empty site reports it (exit 3)
    assert all(v in ([], ["empty"]) for v in verdicts), verdicts  # a site others archived is no worker's problem
    assert all(c.returncode == (3 if v else 0) for c, v in zip(crawls, verdicts, strict=True))


def test_a_fleet_stopped_with_sigint_resumes_from_the_queue_where_it_stopped(
    tmp_path: Path, redis: RedisServer, sites: tuple[Site, Site]
) -> None:
    a, b = sites
    args = _fleet_args(_config(tmp_path, a, b), redis)
    # Politeness on, so that the crawl is still running when it is stopped; two requests in hand at a time, so
    # that the graceful stop finishes those (at DOWNLOAD_DELAY each), not a dozen. The resumed worker runs at
    # full speed: the stop is what the delay is for.
    polite = ["-s", "DOWNLOAD_DELAY=0.5", "-s", "CONCURRENT_REQUESTS=2"]
    worker = start_crawl("news", [*args, *polite], tmp_path / "paused")
    deadline = time.monotonic() + 60
    while not redis.client.scard("news:archived") and worker.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    worker.send_signal(signal.SIGINT)  # systemctl stop: finish what is in flight, leave the queue
    _, log = worker.communicate(timeout=60)
    assert "(shutdown)" in log and "Traceback" not in log, log[-3000:]
    assert redis.client.zcard("news:requests") > 0  # the frontier waits in Redis
    before = archived_urls(tmp_path / "paused")
    a.access_log.clear()
    b.access_log.clear()
    resumed = run_crawl("news", args, tmp_path / "resumed")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Joining the fleet's crawl:" in resumed.stderr
    assert resumed.stat("fleet/discovery_elsewhere") == 2  # the sites were discovered once, before the pause
    # robots.txt still holds for a worker that starts with a burst of queued requests for a site (Scrapy's
    # middleware let every request that waited for robots.txt but the first one through)
    assert not [p for _, p, _ in a.access_log if p.startswith("/private/")]
    urls = before + [r["url"] for r in resumed.records()]
    assert len(urls) == len(set(urls)) == len(A_ARTICLES | B_ARTICLES)  # each article once over the two runs
    assert sorted(redis.client.keys("*")) == KEPT


def test_an_article_changed_since_another_worker_archived_it_is_revisited_and_archived_as_a_revision(
    tmp_path: Path, redis: RedisServer
) -> None:
    folder = tmp_path / "site"
    shutil.copytree(SITES / "multi" / "a", folder)
    trees, lights = "/2026/11/22/pupils-plant-river-trees/", "/2001/05/04/harbour-electric-lights/"
    with serve(folder, host="127.0.0.5") as site:
        args = ["-a", f"site={site.url}", "-s", f"REDIS_URL={redis.url}", "-s", "ARTICLE_REVISIT_MIN_HOURS=0"]
        first = run_crawl("news", args, tmp_path / "machine-a")
        assert first.returncode == 0 and len(first.records()) == 6, first.stderr[-3000:]
        # The site corrects one story and touches another; its sitemap says so with a later <lastmod>.
        page = folder / trees.strip("/") / "index.html"
        page.write_text(page.read_text().replace("four hundred native trees", "five hundred native trees"))
        sitemap = folder / "sitemap-posts.xml.gz"
        xml = gzip.decompress(sitemap.read_bytes()).decode()
        for old in ("2026-11-22T10:15:00+00:00", "2001-05-04T12:00:00+00:00"):
            xml = xml.replace(old, "2099-01-01T00:00:00+00:00")
        sitemap.write_bytes(gzip.compress(xml.encode(), mtime=0))
        site.access_log.clear()
        second = run_crawl("news", args, tmp_path / "machine-b")  # another machine: an empty archive
    assert second.returncode == 0, second.stderr[-3000:]
    assert site.requests_for(trees) == 1 and site.requests_for(lights) == 1  # both fetched again
    assert not [p for _, p, _ in site.access_log if p in A_ARTICLES - {trees}]  # nothing else
    assert second.stat("articles/revised") == 1 and second.stat("articles/dropped/unchanged") == 1
    assert [r["url"].removeprefix(site.url.rstrip("/")) for r in second.records()] == [trees]


def test_redis_going_away_mid_run_stops_each_worker_with_one_error_and_a_failed_exit(
    tmp_path: Path, redis: RedisServer, sites: tuple[Site, Site]
) -> None:
    a, b = sites
    # Politeness on (a request a second per site) so that the crawl is still running when Redis dies; two
    # requests in hand per worker, so that both have some and their stop finishes two, not a dozen, a second each.
    args = _fleet_args(_config(tmp_path, a, b), redis, "-s", "DOWNLOAD_DELAY=1", "-s", "CONCURRENT_REQUESTS=2")
    workers = [start_crawl("news", args, tmp_path / f"w{i}") for i in range(2)]
    try:
        deadline = time.monotonic() + 60  # until some worker archived an article, the crawl still running
        while not redis.client.scard("news:archived") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert all(w.poll() is None for w in workers), "the crawl ended before Redis could be killed"
        redis.kill()
        logs = [w.communicate(timeout=60)[1] for w in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    for worker, log in zip(workers, logs, strict=True):
        assert worker.returncode == 1, log[-3000:]
        assert "Traceback" not in log, log[-3000:]
        errors = [line for line in log.splitlines() if " ERROR: " in line]
        assert len(errors) == 1, errors
        assert "Redis at redis://127.0.0.1:" in errors[0] and "unreachable" in errors[0]
        assert "(redis_error)" in log  # Scrapy's "Spider closed (redis_error)"


def test_a_worker_whose_redis_does_not_answer_says_so_in_one_line_and_fetches_nothing(
    tmp_path: Path, sites: tuple[Site, Site]
) -> None:
    a, b = sites
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"redis://user:secret@127.0.0.1:{probe.getsockname()[1]}/0"
    result = run_crawl("news", ["-a", f"sites={_config(tmp_path, a, b)}", "-s", f"REDIS_URL={url}"], tmp_path / "w")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"scrapy crawl news: error: Redis at redis://***@{url.split('@')[1]} is unreachable (")
    assert "secret" not in result.stderr  # the password stays out of logs
    assert not a.access_log and not b.access_log


def test_without_redis_server_the_fleet_tests_skip_in_one_line_but_fail_under_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no redis-server on it
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        require_redis_server()
    assert len(str(skipped.value).splitlines()) == 1 and "redis-server is not installed" in str(skipped.value)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the fleet tests"):
        require_redis_server()


def test_without_redis_url_the_settings_stay_and_redis_is_never_imported() -> None:
    empty, fleet = Settings({"REDIS_URL": ""}), Settings({"REDIS_URL": "redis://127.0.0.1:1/0"})
    FleetAddon().update_settings(empty)
    FleetAddon().update_settings(fleet)
    assert empty.get("SCHEDULER") == Settings().get("SCHEDULER") == "scrapy.core.scheduler.Scheduler"
    assert fleet.get("SCHEDULER") == "scraper.fleet.scheduler.FleetScheduler"
    imports = "import sys, spiders.news, scraper.seen, scraper.run, scraper.extensions.summary, scraper.settings"
    out = subprocess.run(
        [
            PYTHON,
            "-c",
            f"{imports}; print(sorted(m for m in sys.modules if m.split('.')[0] in ('redis', 'scrapy_redis')))",
        ],
        cwd=ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"
