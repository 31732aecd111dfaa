"""Benchmark `news-archive serve`: search and article page latency over HTTP, the server's memory, and the
cost of a refresh (records archived while it runs).

    python bench/serve.py [--records 100000] [--root DIR] [--keep] [--requests 300] [--new 1000]

Writes a synthetic archive through the real ArchiveWriter (bench/archive.py's corpus: about 5 kB of text
per record, real word frequencies, several days, sites and spiders), starts the real command
(`python -m archive serve --port 0`) in a subprocess, then times over HTTP, one request at a time: the
search page (first page of results, with facets and histogram) for varied 1-3 word queries, the same as
JSON, and article pages. Target: p95 <= 150 ms for the first page of results. The search page is timed
twice over the same queries: the first time the index's pages may still be on disk, the second they are
cached. Reports the server's start time and resident memory.

Then, the server running with `--refresh 1`, ``--new`` records (default 1,000) are archived by a new run through
ArchiveWriter while search requests keep coming: reported are the refresh itself (the server's own
`refreshed ...` line: Index.update plus reading the new records), how long until search finds all of them,
search latency during the refresh and after it, and a look that finds nothing changed (`signature`, the stat of
every data file). A `--root` given is left with the new records in it.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive import ArchiveWriter  # noqa: E402
from archive.web.refresh import signature  # noqa: E402
from bench.archive import SITES, Corpus, percentile, queries, vocabulary, write_phase  # noqa: E402

TARGET_P95_MS = 150.0


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """A memory figure of process ``pid`` from /proc (VmRSS now, VmHWM the peak), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(client: httpx2.Client, path: str) -> float:
    """Milliseconds for one GET of ``path`` (the whole body read); the status must be 200."""
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"GET {path}: HTTP {response.status_code}")
    return elapsed


def summary(name: str, values: list[float]) -> str:
    """One table row: count, p50, p95, max in ms, and whether p95 meets the target."""
    p95 = percentile(values, 95)
    verdict = "ok" if p95 <= TARGET_P95_MS else "OVER TARGET"
    return f"{name:<28} {len(values):>6} {statistics.median(values):>9.1f} {p95:>9.1f} {max(values):>9.1f}  {verdict}"


def main() -> int:
    """Run the benchmark and print the report."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=100_000, help="records to write (default 100,000)")
    ap.add_argument("--days", type=int, default=30, help="days to spread them over (default 30)")
    ap.add_argument("--root", type=Path, help="archive to use; written first when it holds no data")
    ap.add_argument("--keep", action="store_true", help="keep the temporary archive")
    ap.add_argument("--requests", type=int, default=300, help="requests per kind (default 300)")
    ap.add_argument("--new", type=int, default=1000, help="records archived while serving (default 1,000)")
    args = ap.parse_args()

    temp = None if args.root else Path(tempfile.mkdtemp(prefix="bench-serve-"))
    root: Path = args.root if temp is None else temp / "archive"
    root.mkdir(parents=True, exist_ok=True)
    try:
        if not any(root.glob("*/*.jsonl*")):
            print(f"writing {args.records:,} records to {root} ...", file=sys.stderr)
            wrote = write_phase(root, args.records, args.days)
            print(f"wrote {wrote['records']:,} records ({wrote['bytes'] / 1e6:,.0f} MB) in {wrote['total_s']:.0f}s")
        report(root, args.requests, args.new)
    finally:
        if temp is not None and not args.keep:
            shutil.rmtree(temp, ignore_errors=True)
        elif temp is not None:
            print(f"kept {root}")
    return 0


def report(root: Path, count: int, new: int) -> None:
    """Start the server on ``root``, time the pages, print the table; then archive ``new`` records, time the
    refresh."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "archive", "serve", "--root", str(root), "--port", "0", "--refresh", "1"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        start_s = time.perf_counter() - started
        if " at http://" not in line:
            raise SystemExit(f"the server did not start: {line!r}")
        url = line.split(" at ", 1)[1].split()[0]
        print(line.strip())
        print(f"server start (index update + reading the facet fields): {start_s:.1f}s, RSS {rss_mb(proc.pid):.0f} MB")
        words, _ = vocabulary()
        asked = queries(words, count)
        rng = random.Random(5)
        with httpx2.Client(base_url=url, timeout=60) as client:
            timed(client, "/?q=warmup")
            cold = [timed(client, "/?" + str(httpx2.QueryParams({"q": q}))) for q in asked]  # index pages read
            search = [timed(client, "/?" + str(httpx2.QueryParams({"q": q}))) for q in asked]  # in the page cache
            api = [timed(client, "/api/search?" + str(httpx2.QueryParams({"q": q}))) for q in asked]
            facet = [timed(client, "/?" + str(httpx2.QueryParams({"q": q, "site": "metro-daily"}))) for q in asked]
            browse = timed(client, "/")
            keys: list[str] = []
            for q in asked[:60]:
                keys += [r["id"] for r in client.get("/api/search", params={"q": q}).json()["results"]]
            keys = rng.sample(keys, min(count, len(keys)))
            article = [timed(client, f"/article/{k}") for k in keys]
            runs = timed(client, "/runs")
            lines: list[str] = []
            threading.Thread(target=lambda: lines.extend(proc.stdout or ()), daemon=True).start()
            refresh = refresh_phase(root, client, asked, new, lines)
        print()
        print(f"{'page':<28} {'n':>6} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}  target p95 <= {TARGET_P95_MS:.0f} ms")
        print(summary("search page, first time", cold))
        print(summary("search page, again", search))
        print(summary("search page + site facet", facet))
        print(summary("/api/search", api))
        print(summary("article page", article))
        print(f"{'browse all (no query)':<28} {1:>6} {browse:>9.1f}")
        print(f"{'runs and health page':<28} {1:>6} {runs:>9.1f}  (first load reads WARC files; none here)")
        print()
        print(f"{new:,} records archived while serving, 3 times (refresh every 1 s):")
        for line in refresh["lines"]:
            print(f"  {line}")
        seconds = ", ".join(f"{v:.2f}" for v in refresh["visible_s"])
        print(f"  the file in place -> all {new:,} found by search: {seconds} s (up to 1 s of it waits for the tick)")
        print(summary("search during the refresh", refresh["during"]))
        print(summary("search after it", refresh["after"]))
        print(f"  a look that finds nothing changed (stat of every data file): {refresh['look_ms']:.1f} ms")
        print(f"server memory: RSS {rss_mb(proc.pid):.0f} MB now, peak {rss_mb(proc.pid, 'VmHWM'):.0f} MB")
        print(
            "load average during the run: "
            + ", ".join(f"{x:.1f}" for x in os.getloadavg())
            + f" on {os.cpu_count()} CPUs"
        )
    finally:
        proc.terminate()
        proc.wait(30)


def refresh_phase(
    root: Path, client: httpx2.Client, asked: list[str], new: int, lines: list[str], rounds: int = 3
) -> dict[str, Any]:
    """``rounds`` times: write ``new`` records (bench/archive.py's corpus, a marker word in each title) as a new
    run outside the day folders, move the file in, and search without pause from then until search finds them
    all (the refresh, with the tick's wait before it). Then the same queries as before, and a look that finds
    nothing changed."""
    during: list[float] = []
    visible: list[float] = []
    searching = threading.Event()
    done = threading.Event()

    def search_meanwhile() -> None:
        with httpx2.Client(base_url=str(client.base_url), timeout=60) as other:
            i = 0
            while not done.is_set():
                if searching.is_set():
                    during.append(timed(other, "/?" + str(httpx2.QueryParams({"q": asked[i % len(asked)]}))))
                    i += 1
                else:
                    time.sleep(0.005)

    searcher = threading.Thread(target=search_meanwhile)
    searcher.start()
    corpus = Corpus()
    day = datetime.now(UTC).date().isoformat()
    staging = root / ".bench-staging"  # not a day folder: the server does not look there
    try:
        for r in range(rounds):
            run_id = f"live{os.getpid()}r{r}"
            marker = f"zqxmarker{os.getpid()}t{int(time.time())}r{r}"  # a word no other records hold
            with ArchiveWriter(staging, "news", run_id) as writer:
                for i in range(new):
                    rec = corpus.record(10_000_000 + r * new + i, day, SITES[i % len(SITES)], "news", run_id)
                    writer.write({**rec, "title": f"{rec['title']} {marker}"})
            (root / day).mkdir(exist_ok=True)
            name = f"news-{run_id}.jsonl"
            searching.set()
            (staging / day / name).rename(root / day / name)  # all of them at once: one refresh takes them all
            moved = time.perf_counter()
            while client.get("/api/search", params={"q": marker}).json()["total"] < new:
                if time.perf_counter() > moved + 300:
                    raise SystemExit("the new records did not appear within 300 s")
                time.sleep(0.02)
            visible.append(time.perf_counter() - moved)
            searching.clear()
            time.sleep(0.5)
    finally:
        done.set()
        searcher.join()
        shutil.rmtree(staging, ignore_errors=True)
    after = [timed(client, "/?" + str(httpx2.QueryParams({"q": q}))) for q in asked]
    looks = []
    for _ in range(20):
        started = time.perf_counter()
        signature(root)
        looks.append((time.perf_counter() - started) * 1000)
    refreshed = [x.strip() for x in lines if "refreshed" in x]
    return {
        "lines": refreshed,
        "visible_s": visible,
        "during": during,
        "after": after,
        "look_ms": statistics.median(looks),
    }


if __name__ == "__main__":
    raise SystemExit(main())
