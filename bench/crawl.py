"""Crawl throughput: our `news` spider against a fetch-only spider, alternately, on a generated local site.

    .venv/bin/python bench/crawl.py [--pages 2000] [--rounds 2] [--workers N]

Generates a news site of PAGES article pages (plus home, paginated section pages and a sitemap), serves
it on 127.0.0.1, and runs, ROUNDS times each and alternately, `scrapy runspider bench/fetch_spider.py`
(fetches every article the sitemap lists, does nothing else) and `scrapy crawl news -a site=...`, both
with politeness off through standard Scrapy settings. Prints pages/s, CPU ms per page (the whole process
tree, extraction workers included), peak RSS of the process tree, and the share of articles archived.
"""

from __future__ import annotations

import argparse
import json
import os
import random
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

from scraper.siteserver import serve  # noqa: E402

FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS=32",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32", "-s", "ROBOTSTXT_OBEY=False", "-s", "LOG_LEVEL=INFO"]
WORDS = """harbour council ferry school river village storm market museum station road bridge festival budget
report residents volunteers engineers teachers farmers weekend winter summer evening morning plan project trust
campaign meeting decision service timetable repair library coast valley town county island fishing boats crews
visitors shops families children workers costs funding grant survey results figures record season weather rain
wind flood path trail garden hall church""".split()  # noqa: SIM905


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 24))]
    return " ".join(words).capitalize() + "."


def _article(n: int, rng: random.Random) -> str:
    title = " ".join(rng.choice(WORDS) for _ in range(7)).capitalize() + f" {n}"
    paragraphs = "\n".join(f"<p>{' '.join(_sentence(rng) for _ in range(rng.randint(2, 4)))}</p>"
                           for _ in range(rng.randint(5, 12)))
    day = 1 + n % 28
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | Bench Gazette</title>
<meta property="og:type" content="article"><meta property="og:site_name" content="Bench Gazette">
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"NewsArticle","headline":"{title}",
"datePublished":"2026-10-{day:02d}T10:00:00+00:00","author":{{"@type":"Person","name":"Reporter {n % 17}"}}}}</script>
</head><body><header class="site-header"><a href="/">Bench Gazette</a><nav class="menu">
{''.join(f'<a href="/section/{s}/">{s.title()}</a> ' for s in ("local", "sport", "business"))}</nav></header>
<main><article><h1>{title}</h1><p class="byline">By Reporter {n % 17}</p>{paragraphs}</article>
<div class="share">Share on Facebook</div><div id="comments"><h3>Leave a Comment</h3></div></main>
<footer>© 2026 Bench Gazette</footer></body></html>"""


def generate(root: Path, pages: int, seed: int = 7) -> list[str]:
    """Write the site; return the article paths."""
    rng = random.Random(seed)
    paths = [f"/2026/10/{1 + n % 28:02d}/story-{n}-{rng.choice(WORDS)}-{rng.choice(WORDS)}-update/"
             for n in range(pages)]
    for n, path in enumerate(paths):
        target = root / path.strip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_article(n, rng), encoding="utf-8")
    per_page = 50
    chunks = [paths[i:i + per_page] for i in range(0, len(paths), per_page)]
    for i, chunk in enumerate(chunks):
        links = "".join(f'<h2><a href="{p}">Story</a></h2>' for p in chunk)
        more = f'<a href="/section/local/page/{i + 2}/">Older</a>' if i + 1 < len(chunks) else ""
        folder = root / "section/local" if i == 0 else root / f"section/local/page/{i + 1}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.html").write_text(f"<html><body>{links}{more}</body></html>", encoding="utf-8")
    (root / "index.html").write_text('<html><body><a href="/section/local/">Local</a></body></html>')
    urls = "".join(f"<url><loc>__BASE__{p}</loc></url>" for p in paths)
    (root / "sitemap.xml").write_text(f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                                      f'sitemap/0.9">{urls}</urlset>', encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nSitemap: __BASE__/sitemap.xml\n")
    return paths


def _tree_rss_kb(pid: int) -> int:
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, StopIteration, ValueError):
            continue
    return total


def run(command: list[str]) -> dict[str, float]:
    """Run a crawl; wall seconds, CPU seconds of the whole tree, peak RSS of the tree (MiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(child.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = child.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
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
            results: dict[str, list[dict[str, float]]] = {"fetch-only": [], "news": []}
            for round_no in range(args.rounds):
                fetched = run([scrapy, "runspider", str(ROOT / "bench" / "fetch_spider.py"), "-a",
                               f"sitemap={site.url}sitemap.xml", *FAST])
                results["fetch-only"].append(fetched)
                archive = Path(tmp) / f"archive-{round_no}"
                news = run([scrapy, "crawl", "news", "-a", f"site={site.url}", "-s", f"ARCHIVE_DIR={archive}",
                            "-s", f"EXTRACT_WORKERS={args.workers}", *FAST])
                news["archived"] = sum(1 for f in archive.glob("*/*.jsonl") for _ in f.open("rb"))
                results["news"].append(news)
    print(f"{args.pages} article pages, {args.rounds} rounds, EXTRACT_WORKERS={args.workers}, {os.cpu_count()} CPUs")
    rates = {}
    for name, runs in results.items():
        rate = statistics.median(args.pages / r["wall"] for r in runs)
        rates[name] = rate
        cpu_ms = statistics.median(1000 * r["cpu"] / args.pages for r in runs)
        peak = max(r["peak_mib"] for r in runs)
        print(f"{name:>10}: {rate:7.1f} pages/s  {cpu_ms:6.2f} CPU ms/page  peak RSS {peak:7.1f} MiB")
    archived = min(r["archived"] for r in results["news"])
    print(f"news/fetch-only: {rates['news'] / rates['fetch-only']:.2f}x; archived {archived}/{args.pages} "
          f"({100 * archived / args.pages:.1f}%) in the worst round")
    print(json.dumps({"ratio": rates["news"] / rates["fetch-only"], "archived_share": archived / args.pages}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
