"""Crawl throughput: our `news` spider against a fetch-only spider, with and without WARC capture, alternately,
on a generated local site.

    .venv/bin/python bench/crawl.py [--pages 2000] [--rounds 2] [--workers N]

Generates a news site of PAGES article pages (plus home, paginated section pages and a sitemap), serves
it on 127.0.0.1, and runs, ROUNDS times each and alternately, `scrapy runspider bench/fetch_spider.py`
(fetches every article the sitemap lists, does nothing else), `scrapy crawl news -a site=...` (WARC capture
on, the default) and the same with `-s ARCHIVE_WARC=False`, all with politeness off through standard Scrapy
settings. Prints pages/s, CPU ms per page (the whole process tree, extraction workers included), peak RSS
of the process tree, the share of articles archived, what capture costs in pages/s, and the bytes per
archived article in the WARC and in the JSONL.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools.sitegen import generate  # noqa: E402
from devtools.siteserver import serve  # noqa: E402

FAST = [
    "-s",
    "AUTOTHROTTLE_ENABLED=False",
    "-s",
    "DOWNLOAD_DELAY=0",
    "-s",
    "CONCURRENT_REQUESTS=32",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=32",
    "-s",
    "ROBOTSTXT_OBEY=False",
    "-s",
    "LOG_LEVEL=INFO",
]
TICK = os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> dict[int, tuple[int, float]]:
    """{pid: (RSS KiB, CPU seconds)} for `pid` and all its descendants (extraction workers included)."""
    found, stack = {}, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            rss = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            found[current] = (rss, (int(fields[11]) + int(fields[12])) / TICK)
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, StopIteration, ValueError, IndexError):
            continue
    return found


def run(command: list[str]) -> dict[str, float]:
    """Run a crawl; wall seconds, CPU seconds of the whole tree, peak RSS of the tree (MiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    cpu_seen: dict[int, float] = {}  # last CPU time seen per process: workers outlive no sample by much
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            tree = _tree(child.pid)
            peak = max(peak, sum(rss for rss, _ in tree.values()))
            cpu_seen.update({p: cpu for p, (_, cpu) in tree.items()})
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = child.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Workers are the forkserver's children, not ours: rusage misses them, /proc samples do not.
    reaped = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    cpu = max(reaped, sum(cpu_seen.values()))
    if child.returncode not in (0, 3):
        sys.exit(f"crawl failed ({child.returncode}):\n{stderr[-3000:]}")
    return {"wall": wall, "cpu": cpu, "peak_mib": peak / 1024, "stderr": stderr}  # type: ignore[dict-item]


def main() -> int:
    """Generate, serve, crawl alternately, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="EXTRACT_WORKERS")
    args = parser.parse_args()
    scrapy = str(Path(sys.executable).with_name("scrapy"))
    with tempfile.TemporaryDirectory() as tmp:
        site_dir = Path(tmp) / "site"
        generate(site_dir, args.pages)
        with serve(site_dir) as site:
            results: dict[str, list[dict[str, float]]] = {"fetch-only": [], "news": [], "news-nowarc": []}
            for round_no in range(args.rounds):
                fetched = run(
                    [
                        scrapy,
                        "runspider",
                        str(ROOT / "bench" / "fetch_spider.py"),
                        "-a",
                        f"sitemap={site.url}sitemap.xml",
                        *FAST,
                    ]
                )
                results["fetch-only"].append(fetched)
                # capture on and off in turn, the other way round every other round (warm caches favour neither)
                order = [("news", True), ("news-nowarc", False)]
                for name, capture in order if round_no % 2 == 0 else order[::-1]:
                    archive = Path(tmp) / f"{name}-{round_no}"
                    crawl = run(
                        [
                            scrapy,
                            "crawl",
                            "news",
                            "-a",
                            f"site={site.url}",
                            "-s",
                            f"ARCHIVE_DIR={archive}",
                            "-s",
                            f"EXTRACT_WORKERS={args.workers}",
                            "-s",
                            f"ARCHIVE_WARC={capture}",
                            *FAST,
                        ]
                    )
                    crawl["archived"] = sum(1 for f in archive.glob("*/*.jsonl") for _ in f.open("rb"))
                    crawl["jsonl_bytes"] = sum(f.stat().st_size for f in archive.glob("*/*.jsonl"))
                    crawl["warc_bytes"] = sum(f.stat().st_size for f in archive.glob("*/*.warc.gz"))
                    results[name].append(crawl)
    print(f"{args.pages} article pages, {args.rounds} rounds, EXTRACT_WORKERS={args.workers}, {os.cpu_count()} CPUs")
    rates = {}
    for name, runs in results.items():
        rate = statistics.median(args.pages / r["wall"] for r in runs)
        rates[name] = rate
        cpu_ms = statistics.median(1000 * r["cpu"] / args.pages for r in runs)
        peak = max(r["peak_mib"] for r in runs)
        print(f"{name:>11}: {rate:7.1f} pages/s  {cpu_ms:6.2f} CPU ms/page  peak RSS {peak:7.1f} MiB")
    archived = min(r["archived"] for r in results["news"])
    print(
        f"news/fetch-only: {rates['news'] / rates['fetch-only']:.2f}x; archived {archived}/{args.pages} "
        f"({100 * archived / args.pages:.1f}%) in the worst round"
    )
    cost = 1 - rates["news"] / rates["news-nowarc"]
    per_article = {
        kind: statistics.median(r[f"{kind}_bytes"] / max(1, r["archived"]) for r in results["news"])
        for kind in ("warc", "jsonl")
    }
    print(
        f"WARC capture: {rates['news']:.1f} vs {rates['news-nowarc']:.1f} pages/s without, costs {100 * cost:.1f}% "
        f"of pages/s; per archived article {per_article['warc']:,.0f} B of WARC, {per_article['jsonl']:,.0f} B of "
        f"JSONL ({per_article['warc'] / per_article['jsonl']:.2f}x)"
    )
    print(
        json.dumps(
            {
                "ratio": rates["news"] / rates["fetch-only"],
                "archived_share": archived / args.pages,
                "capture_cost": cost,
                "warc_bytes_per_article": per_article["warc"],
                "jsonl_bytes_per_article": per_article["jsonl"],
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
