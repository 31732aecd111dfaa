"""Fleet throughput and Redis memory: 1 vs 2 `scrapy crawl news` workers sharing a crawl through Redis.

    .venv/bin/python bench/fleet.py [--pages 2000] [--extract-workers 1] [--memory-only]

Generates a news site of PAGES article pages (devtools/sitegen.py), serves it on 127.0.0.1, starts its own
redis-server (tests/support/redisserver.py), and crawls it with politeness off: alone (no REDIS_URL), as a fleet
of 1 worker, and as a fleet of 2 workers started together (Redis flushed before each run, so every run
archives the site). Prints pages/s from the first worker's start to the last one's end, and the ratio to the
fleet of one. Then Redis memory: 100,000 requests of the spider's own shape in the scrapy-redis queue (with their
fingerprints), 100,000 archived keys (`url:` + URL and `hash:` + content hash, as the fleet stores them), and
100,000 URLs with their crawl time (`news:crawled`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from scrapy_redis.queue import PriorityQueue  # noqa: E402

from bench.crawl import FAST, run  # noqa: E402
from devtools.sitegen import generate  # noqa: E402
from devtools.siteserver import serve  # noqa: E402
from spiders.news import NewsSpider  # noqa: E402
from tests.support.redisserver import redis_server  # noqa: E402

COUNT = 100_000


def crawl(scrapy: str, site: str, folder: Path, workers: int, redis_url: str, extract: int) -> dict[str, Any]:
    """`workers` crawls at once (one without REDIS_URL when redis_url is empty); wall seconds, pages archived."""
    started = time.perf_counter()
    settings = ["-s", f"EXTRACT_WORKERS={extract}", "-s", f"REDIS_URL={redis_url}", *FAST]
    commands = [
        [scrapy, "crawl", "news", "-a", f"site={site}", "-s", f"ARCHIVE_DIR={folder / f'w{i}'}", *settings]
        for i in range(workers)
    ]
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(run, commands))
    wall = time.perf_counter() - started
    shares = [sum(1 for f in folder.glob(f"w{i}/*/*.jsonl") for _ in f.open("rb")) for i in range(workers)]
    return {"wall": wall, "archived": sum(shares), "cpu": sum(r["cpu"] for r in results), "shares": shares}


def memory_figures(client: redis.Redis, site: str) -> dict[str, float]:
    """Bytes of Redis memory per 100,000 queued requests (queue + fingerprints) and per 100,000 archived keys."""
    spider = NewsSpider(site=site)
    config = next(iter(spider.sites.values()))
    figures: dict[str, float] = {}
    client.flushall()
    base = int(client.info("memory")["used_memory"])
    queue = PriorityQueue(client, spider, "news:requests")
    pipe = client.pipeline(transaction=False)
    for n in range(COUNT):
        url = f"{site}2026/10/{1 + n % 28:02d}/story-{n}-harbour-council-update/"
        request = spider._request(config, url, "article", hints={"published_at": "2026-10-01T09:00:00+01:00"})
        pipe.zadd(queue.key, {queue._encode_request(request): -request.priority})  # as PriorityQueue.push
        pipe.sadd("news:dupefilter", hashlib.sha1(url.encode()).hexdigest())
        if n % 5000 == 4999:
            pipe.execute()
    pipe.execute()
    figures["queue_bytes_per_100k"] = int(client.info("memory")["used_memory"]) - base
    client.flushall()
    base = int(client.info("memory")["used_memory"])
    for start in range(0, COUNT, 5000):
        keys = [
            f"url:{site}2026/10/{1 + n % 28:02d}/story-{n}-harbour-council-update/" for n in range(start, start + 5000)
        ]
        client.sadd(
            "news:archived", *keys[:2500], *(f"hash:{hashlib.sha256(k.encode()).hexdigest()}" for k in keys[2500:])
        )
    figures["archived_bytes_per_100k_keys"] = int(client.info("memory")["used_memory"]) - base
    client.flushall()
    base = int(client.info("memory")["used_memory"])
    for start in range(0, COUNT, 5000):
        urls = [f"{site}2026/10/{1 + n % 28:02d}/story-{n}-harbour-council-update/" for n in range(start, start + 5000)]
        client.hset("news:crawled", mapping=dict.fromkeys(urls, "2026-11-30T00:45:11+00:00"))
    figures["crawled_bytes_per_100k_urls"] = int(client.info("memory")["used_memory"]) - base
    client.flushall()
    return figures


def main() -> int:
    """Generate, serve, crawl alone / 1 worker / 2 workers, measure Redis memory, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--extract-workers", type=int, default=1, help="EXTRACT_WORKERS of each worker")
    parser.add_argument("--memory-only", action="store_true", help="only the Redis memory figures")
    args = parser.parse_args()
    scrapy = str(Path(sys.executable).with_name("scrapy"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        generate(folder / "site", args.pages)
        (folder / "redis").mkdir()
        with serve(folder / "site") as site, redis_server(folder / "redis") as server:
            runs = {}
            plan = (("alone", 1, ""), ("fleet-1", 1, server.url), ("fleet-2", 2, server.url))
            for name, workers, url in () if args.memory_only else plan:
                server.client.flushall()
                runs[name] = crawl(scrapy, site.url, folder / name, workers, url, args.extract_workers)
            memory = memory_figures(server.client, site.url)
    if runs:
        print(f"{args.pages} article pages, EXTRACT_WORKERS={args.extract_workers} per worker, {os.cpu_count()} CPUs")
    for name, r in runs.items():
        rate = r["archived"] / r["wall"]
        ratio = rate / (runs["fleet-1"]["archived"] / runs["fleet-1"]["wall"])
        print(
            f"{name:>8}: {rate:6.1f} pages/s ({r['archived']} archived in {r['wall']:.1f} s, "
            f"{1000 * r['cpu'] / max(1, r['archived']):.1f} CPU ms/page, per worker {r['shares']}) "
            f"= {ratio:.2f}x the fleet of one"
        )
    print(
        f"Redis memory: {memory['queue_bytes_per_100k'] / 2**20:.1f} MiB per 100,000 queued requests (with their "
        f"fingerprints); {memory['archived_bytes_per_100k_keys'] / 2**20:.1f} MiB per 100,000 archived keys; "
        f"{memory['crawled_bytes_per_100k_urls'] / 2**20:.1f} MiB per 100,000 URLs in news:crawled"
    )
    print(json.dumps({"runs": runs, "memory": memory}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
