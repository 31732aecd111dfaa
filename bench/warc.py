"""Benchmark news-archive import-warc and reextract: pages/s and peak memory on a generated WARC file.

    python bench/warc.py [--pages 10000] [--workers 0 2] [--days 1] [--keep DIR] [--dragnet ../shared/corpus/dragnet]

Generates a site with devtools/sitegen.py (article pages of 5-12 paragraphs, JSON-LD, a byline, share bar and
comment form), or takes the real pages of the dragnet corpus (`--dragnet`: 1,381 news and blog pages of 2012,
read in place), writes every page as a response record of one WARC file (gzip per record, through
archive.warc.WarcWriter; captured from 2019-03-01 on, over --days UTC days, three captures a day in turn, so that
the import writes into that many day folders, reopening files when there are more days than a writer keeps open),
then runs the installed `news-archive` as a user would:

- import-warc of the file into an empty archive, once per --workers value (0: extraction in the command's own
  process, i.e. one core; 2: two worker processes);
- import-warc of the same file again (idempotent: every capture is skipped, nothing extracted);
- reextract of the imported archive (every page extracted again; nothing changed, nothing written).

Each run is a fresh child process; its peak memory is ru_maxrss of the largest process of its tree (the command,
or one of its workers), read with resource.getrusage(RUSAGE_CHILDREN) in a wrapper process. Target: well over
100 pages/s per core (pages per CPU-second), memory flat (it does not grow with the file). The machine's load
average is printed: other work on the machine lowers pages/s, not pages per CPU-second.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.warc import Capture, WarcWriter  # noqa: E402
from devtools.sitegen import generate  # noqa: E402

BASE = "https://gazette.example"
FIRST_DAY = datetime(2019, 3, 1, tzinfo=UTC)
NEWS_ARCHIVE = str(Path(sys.executable).with_name("news-archive"))
# Runs a command; prints the largest ru_maxrss (KiB) of its process tree and the CPU seconds (user + system) of the
# whole tree on the last line of stderr.
MAXRSS = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(r.ru_maxrss, r.ru_utime + r.ru_stime, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def sitegen_pages(folder: Path, pages: int) -> Iterator[tuple[str, bytes]]:
    """(URL, body) of `pages` generated article pages."""
    site = folder / "site"
    for path in generate(site, pages):
        yield BASE + path, (site / path.strip("/") / "index.html").read_bytes().replace(b"__BASE__", BASE.encode())
    shutil.rmtree(site)


def dragnet_pages(corpus: Path, pages: int) -> Iterator[tuple[str, bytes]]:
    """(URL, body) of up to `pages` real news and blog pages of the dragnet corpus (read in place, never copied)."""
    truth = json.loads((corpus / "ground-truth.json").read_text("utf-8"))
    for page_id, case in list(truth.items())[:pages]:
        yield case["url"], gzip.decompress((corpus / "html" / f"{page_id}.html.gz").read_bytes())


def make_warc(folder: Path, pages: Iterable[tuple[str, bytes]], days: int = 1) -> tuple[Path, int]:
    """A WARC file of the pages' responses and their requests (gzip per record), captured over `days` UTC days in
    turn from 2019-03-01 (three at a time); how many pages it holds."""
    count = 0
    with WarcWriter(folder / "warcroot", "bench", "20260101T000000Z-000000", fsync_every=0) as writer:
        for url, body in pages:
            headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
            request = [("User-Agent", "news-archiver bench"), ("Accept", "text/html")]
            date = FIRST_DAY + timedelta(days=count // 3 % days, seconds=count)
            writer.write_response(Capture(url, 200, "OK", headers, body, request_headers=request, date=date))
            count += 1
        assert writer.path is not None
        return writer.path, count


def run(label: str, args: list[str], pages: int) -> dict[str, float | str]:
    """Run `news-archive ARGS` in a fresh process tree: seconds, pages/s, CPU seconds of the tree and pages per
    CPU-second (what one core does, whatever else the machine runs), peak RSS (MiB), its summary line."""
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", MAXRSS, NEWS_ARCHIVE, *args], capture_output=True, text=True, check=False
    )
    seconds = time.monotonic() - start
    if done.returncode != 0:
        sys.exit(f"{label} failed ({done.returncode}): {done.stderr[-2000:]}")
    peak_kib, cpu = done.stderr.strip().splitlines()[-1].split()
    return {
        "label": label,
        "seconds": seconds,
        "rate": pages / seconds,
        "cpu": float(cpu),
        "per_cpu": pages / float(cpu),
        "peak": int(peak_kib) / 1024,
        "summary": done.stdout.strip(),
    }


def main() -> None:
    """Generate the WARC file, run the commands, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10_000, help="records in the generated WARC (default 10000)")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2], help="--workers values to run (0 2)")
    parser.add_argument("--days", type=int, default=1, help="UTC days the captures span, in turn (default 1)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument(
        "--dragnet",
        type=Path,
        metavar="DIR",
        help="real pages instead: ../shared/corpus/dragnet (up to --pages of them)",
    )
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-warc-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        started = time.monotonic()
        source = dragnet_pages(args.dragnet, args.pages) if args.dragnet else sitegen_pages(folder, args.pages)
        if args.days < 1:
            parser.error(f"--days must be at least 1, not {args.days}")
        warc, args.pages = make_warc(folder, source, args.days)
        size = warc.stat().st_size
        print(
            f"WARC: {args.pages:,} response and request records over {args.days} days, {size / 1e6:.1f} MB, "
            f"written in {time.monotonic() - started:.1f} s: {warc}"
        )
        results = []
        for workers in args.workers:
            root = folder / f"archive-w{workers}"
            shutil.rmtree(root, ignore_errors=True)
            common = ["--root", str(root), "--workers", str(workers)]
            results.append(run(f"import-warc --workers {workers}", ["import-warc", str(warc), *common], args.pages))
            results.append(
                run(f"import-warc again --workers {workers}", ["import-warc", str(warc), *common], args.pages)
            )
            results.append(run(f"reextract --workers {workers}", ["reextract", *common], args.pages))
            jsonl = sum(p.stat().st_size for p in root.glob("*/*.jsonl"))
            warcs = sum(p.stat().st_size for p in root.glob("*/*.warc.gz"))
            print(
                f"archive (workers {workers}): JSONL {jsonl / 1e6:.1f} MB, WARC copies {warcs / 1e6:.1f} MB "
                f"({warcs / args.pages / 1e3:.1f} kB per article)"
            )
        print(f"\nload average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs\n")
        heads = f"| {'run':<34} | {'seconds':>8} | {'pages/s':>8} | {'CPU s':>7} | {'pages/CPU-s':>11} |"
        print(f"{heads} {'peak RSS MiB':>12} |")
        print(f"|{'-' * 36}|{'-' * 9}:|{'-' * 9}:|{'-' * 8}:|{'-' * 12}:|{'-' * 13}:|")
        for r in results:
            print(
                f"| {r['label']:<34} | {r['seconds']:>8.1f} | {r['rate']:>8,.0f} | {r['cpu']:>7.1f} | "
                f"{r['per_cpu']:>11,.0f} | {r['peak']:>12.0f} |"
            )
        print()
        for r in results:
            print(f"{r['label']}: {r['summary']}")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
