"""Benchmark the WARC side of the archive: write, stream and random-access read of captures.

    python bench/warc_io.py [--pages 10000] [--corpus DIR] [--root DIR] [--keep]

Generates the article pages of devtools.sitegen's synthetic site (or, with --corpus, takes the real news
pages of a corpus folder, *.html and *.html.gz, repeated up to --pages), writes each as a capture through the
real WarcWriter (response + request + a JSON metadata record, as the crawl does), then reads them back
with iter_captures (streaming) and read_capture (random access by source, digest checked), and checks
the file with `warcio check`. Prints records/s, MB/s, bytes on disk per page and peak memory.
"""

from __future__ import annotations

import argparse
import gzip
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.warc import Capture, Source, WarcWriter, iter_captures, read_capture  # noqa: E402
from devtools.sitegen import generate  # noqa: E402

HEADERS = [
    ("Server", "nginx"),
    ("Date", "Sun, 29 Nov 2026 12:00:00 GMT"),
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "max-age=60"),
    ("Vary", "Accept-Encoding"),
]
REQUEST_HEADERS = [
    ("User-Agent", "news-archiver/0.1 (+https://example.org/bot)"),
    ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    ("Accept-Language", "en"),
    ("Accept-Encoding", "gzip, deflate, br"),
]


def pages(n: int, scratch: Path, corpus: Path | None) -> list[tuple[str, bytes]]:
    """(url, html) of n generated article pages, or of n pages of ``corpus`` (repeated when it has fewer)."""
    if corpus is not None:
        files = sorted(p for p in corpus.rglob("*") if p.name.endswith((".html", ".html.gz")))
        if not files:
            raise SystemExit(f"no .html or .html.gz files under {corpus}")
        bodies = [gzip.decompress(p.read_bytes()) if p.name.endswith(".gz") else p.read_bytes() for p in files]
        return [(f"https://corpus.example/{i}/{files[i % len(files)].name}", bodies[i % len(files)]) for i in range(n)]
    site = scratch / "site"
    paths = generate(site, n)
    return [(f"https://gazette.example{p}", (site / p.strip("/") / "index.html").read_bytes()) for p in paths]


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument(
        "--corpus", type=Path, help="real pages (e.g. ../shared/corpus/fundus) instead of generated ones"
    )
    parser.add_argument("--root", type=Path, help="archive root to write (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the files written")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-warc-"))
    root = args.root or scratch / "archive"
    try:
        site = pages(args.pages, scratch, args.corpus)
        html_bytes = sum(len(body) for _, body in site)
        when = datetime.now(UTC)
        started = time.perf_counter()
        sources: list[Source] = []
        with WarcWriter(root, "news", "bench") as w:
            for url, body in site:
                capture = Capture(url, 200, "OK", HEADERS, body, request_headers=REQUEST_HEADERS, date=when)
                sources.append(w.write_response(capture, metadata={"site": "gazette", "kind": "article", "hints": {}}))
        write_s = time.perf_counter() - started
        paths = sorted({root / s["warc"] for s in sources})  # two files when the UTC day changed meanwhile
        size = sum(p.stat().st_size for p in paths)
        n = len(site)
        print(f"pages: {n:,}, HTML {html_bytes / 1e6:.1f} MB ({html_bytes / n:,.0f} bytes per page)")
        print(
            f"write: {n / write_s:,.0f} captures/s ({html_bytes / 1e6 / write_s:.1f} MB/s of HTML); "
            f"file {size / 1e6:.1f} MB = {size / n:,.0f} bytes per page on disk "
            f"({size / html_bytes:.0%} of the HTML; response + request + metadata, gzip per record)"
        )

        started = time.perf_counter()
        read = count = 0
        for path in paths:
            it = iter_captures(path)
            read += sum(len(c.body) for c, _, _ in it)
            count += it.counts["responses"]
            assert not it.torn, it.damage
        stream_s = time.perf_counter() - started
        assert count == n and read == html_bytes, (count, read)
        print(f"stream (iter_captures): {n / stream_s:,.0f} captures/s ({html_bytes / 1e6 / stream_s:.1f} MB/s)")

        sample = random.Random(1).sample(range(n), min(n, 1000))
        started = time.perf_counter()
        for i in sample:
            assert read_capture(root, sources[i], url=site[i][0]).body == site[i][1]
        random_s = time.perf_counter() - started
        print(
            f"random access (read_capture, digest checked): {len(sample) / random_s:,.0f} captures/s "
            f"({1000 * random_s / len(sample):.2f} ms each)"
        )
        check = subprocess.run([str(Path(sys.executable).with_name("warcio")), "check", *map(str, paths)], check=False)
        print(f"warcio check: {'pass' if check.returncode == 0 else 'FAIL'}")
        print(f"peak memory: {peak_mb():.0f} MB")
        return 0 if check.returncode == 0 else 1
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
