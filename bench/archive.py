"""Benchmark the archive: write, read, cat, index build, search latency and memory while streaming.

    python bench/archive.py [--records 100000] [--root DIR] [--keep]

Writes synthetic records (about 5 KB of text each, words drawn with their real frequencies from the
docstrings of Python's standard library) through the real ArchiveWriter, spread over several days,
sites and spiders, then measures reading them back. Targets: read >= 50,000 records/s, search
p95 <= 50 ms, memory flat while streaming.
"""

from __future__ import annotations

import argparse
import collections
import functools
import hashlib
import itertools
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive import Archive, ArchiveWriter, Index  # noqa: E402

SITES = ["harbour-times", "valley-gazette", "metro-daily", "coast-herald", "north-star"]
SPIDERS = ["news", "article"]
TEXT_CHARS = 5000


def vocabulary() -> tuple[list[str], list[int]]:
    """Words and cumulative weights from the stdlib's docstrings (real English, Zipf-like)."""
    counts: collections.Counter[str] = collections.Counter()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(stdlib.rglob("*.py"))[:1500]:
        text = path.read_text(encoding="utf-8", errors="ignore")
        for doc in re.findall(r'"""(.*?)"""', text, re.S):
            counts.update(w.lower() for w in re.findall(r"\b[A-Za-z]{2,14}\b", doc))
    words, freqs = zip(*counts.most_common(), strict=True)
    return list(words), list(itertools.accumulate(freqs))


class Corpus:
    """Makes records: text assembled from a pool of generated paragraphs, unique titles and URLs."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.words, self.cum = vocabulary()
        self.paragraphs = [self._sentences(self.rng.randint(60, 120)) for _ in range(4000)]

    def _sentences(self, n: int) -> str:
        words = self.rng.choices(self.words, cum_weights=self.cum, k=n)
        out, i = [], 0
        while i < len(words):
            k = self.rng.randint(8, 20)
            out.append(" ".join(words[i : i + k]).capitalize() + ".")
            i += k
        return " ".join(out)

    def record(self, i: int, day: str, site: str, spider: str, run_id: str) -> dict[str, Any]:
        parts: list[str] = []
        size = 0
        while size < TEXT_CHARS:
            p = self.paragraphs[self.rng.randrange(len(self.paragraphs))]
            parts.append(p)
            size += len(p) + 2
        text = "\n\n".join(parts)
        title = " ".join(self.rng.choices(self.words, cum_weights=self.cum, k=8)).capitalize()
        return {
            "schema_version": 1,
            "url": f"https://{site}.example/{day}/story-{i}",
            "canonical_url": None,
            "site": site,
            "site_name": site.replace("-", " ").title(),
            "title": title,
            "description": parts[0][:160],
            "authors": ["Ada Lovelace", "Grace Hopper"][: 1 + i % 2],
            "published_at": f"{day}T08:00:00+01:00",
            "modified_at": None,
            "language": "en",
            "section": "news",
            "tags": ["local", site],
            "image": {"url": f"https://{site}.example/{i}.jpg", "caption": None},
            "text": text,
            "word_count": len(text.split()),
            "content_hash": hashlib.sha256(" ".join(text.casefold().split()).encode()).hexdigest(),
            "crawled_at": f"{day}T12:00:00+00:00",
            "spider": spider,
            "run_id": run_id,
            "http_status": 200,
        }


def _fixed(when: datetime) -> datetime:
    return when


def rss_mb() -> float:
    """Resident set size of this process, from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def write_phase(root: Path, n: int, days: int) -> dict[str, float]:
    corpus = Corpus()
    start_day = datetime(2026, 1, 1)
    day_names = [(start_day + timedelta(days=d)).date().isoformat() for d in range(days)]
    in_write = 0.0
    started = time.perf_counter()
    i = 0
    for d, day in enumerate(day_names):
        when = datetime.fromisoformat(f"{day}T12:00:00+00:00")
        writers = [ArchiveWriter(root, s, f"run{d}", clock=functools.partial(_fixed, when)) for s in SPIDERS]
        per_day = n // days + (1 if d < n % days else 0)
        for k in range(per_day):
            spider = SPIDERS[k % len(SPIDERS)]
            rec = corpus.record(i, day, SITES[i % len(SITES)], spider, f"run{d}")
            t = time.perf_counter()
            writers[k % len(SPIDERS)].write(rec)
            in_write += time.perf_counter() - t
            i += 1
        t = time.perf_counter()
        for w in writers:
            w.close()
        in_write += time.perf_counter() - t
    total = time.perf_counter() - started
    size = sum(p.stat().st_size for p in root.rglob("*.jsonl"))
    return {"records": i, "write_s": in_write, "total_s": total, "bytes": size}


def read_phase(root: Path) -> dict[str, Any]:
    """Stream every record, sampling RSS at 10%, 50% and 100% (run in a fresh process)."""
    total = sum(d.records for d in Archive(root).days())
    marks = {max(1, total // 10): "10%", max(1, total // 2): "50%", total: "100%"}
    rss: dict[str, float] = {"start": rss_mb()}
    started = time.perf_counter()
    n = 0
    chars = 0
    for rec in Archive(root).records():
        n += 1
        chars += len(rec["text"])
        if n in marks:
            rss[marks[n]] = rss_mb()
    seconds = time.perf_counter() - started
    return {"records": n, "seconds": seconds, "rss_mb": rss, "text_chars": chars}


def queries(words: list[str], count: int, seed: int = 11) -> list[str]:
    """Varied queries: 1-3 words, each word's frequency rank drawn log-uniformly (common to rare)."""
    rng = random.Random(seed)
    top = len(words)
    out = []
    for _ in range(count):
        k = rng.choices([1, 2, 3], weights=[4, 4, 2])[0]
        picks = [words[min(top - 1, int(top ** rng.random()) - 1)] for _ in range(k)]
        out.append(" ".join(picks))
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=5)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--root", type=Path, help="archive directory to create (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the archive afterwards")
    ap.add_argument("--read-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.read_only:  # the streaming measurement, in a fresh process for a clean memory baseline
        print(json.dumps(read_phase(args.root)))
        return 0

    temporary = args.root is None
    root: Path = Path(tempfile.mkdtemp(prefix="archive-bench-")) if temporary else args.root
    if not temporary and root.exists() and any(root.iterdir()):
        ap.error(f"{root} is not empty")
    try:
        report(root, args)
    finally:
        if temporary and not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        elif args.keep or not temporary:
            print(f"archive kept at {root}")
    return 0


def report(root: Path, args: argparse.Namespace) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, archive at {root}")

    w = write_phase(root, args.records, args.days)
    avg = w["bytes"] / w["records"]
    print(
        f"write : {w['records']:,} records ({w['bytes'] / 1e6:,.0f} MB, {avg / 1000:.1f} kB/record, "
        f"{args.days} days, {len(SITES)} sites, {len(SPIDERS)} spiders)"
    )
    print(
        f"        {w['records'] / w['write_s']:,.0f} records/s in ArchiveWriter.write/close "
        f"({w['write_s']:.1f} s; {w['records'] / w['total_s']:,.0f}/s including generating the records)"
    )

    done = subprocess.run(
        [sys.executable, __file__, "--read-only", "--root", str(root)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    r = json.loads(done.stdout)
    rss = r["rss_mb"]
    print(
        f"read  : Archive.records() {r['records'] / r['seconds']:,.0f} records/s "
        f"({r['records']:,} in {r['seconds']:.1f} s, {w['bytes'] / 1e6 / r['seconds']:,.0f} MB/s)"
    )
    print(
        f"        RSS MB: start {rss['start']:.1f}, 10% {rss['10%']:.1f}, 50% {rss['50%']:.1f}, 100% {rss['100%']:.1f}"
    )

    t = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        subprocess.run(
            [sys.executable, "-m", "archive", "--root", str(root), "cat"], stdout=sink, env=env, check=True, cwd=REPO
        )
    cat_s = time.perf_counter() - t
    print(
        f"cat   : news-archive cat > /dev/null {w['records'] / cat_s:,.0f} records/s ({cat_s:.1f} s, "
        f"process start included)"
    )

    with Index(root) as idx:
        st = idx.update()
        db = sum(p.stat().st_size for p in idx.dir.glob("archive.sqlite*"))
        wal = idx.path.with_name(idx.path.name + "-wal")
        wal_size = wal.stat().st_size if wal.exists() else 0
        rate = st.records / st.seconds
        print(
            f"index : built in {st.seconds:.1f} s ({st.records:,} records, {rate:,.0f}/s), "
            f"{db / 1e6:,.0f} MB on disk ({db / w['bytes']:.0%} of the JSONL; "
            f"the database {(db - wal_size) / 1e6:,.0f} MB, its WAL {wal_size / 1e6:,.0f} MB)"
        )
        noop = idx.update()
        print(f"        incremental update with nothing new: {noop.seconds * 1000:.1f} ms")

        words, _ = vocabulary()
        qs = queries(words, args.queries)
        lat, hits = [], []
        for q in qs:
            t = time.perf_counter()
            found = idx.search(q, 10)
            lat.append((time.perf_counter() - t) * 1000)
            hits.append(len(found))
    a = Archive(root)
    lat_upd = []
    for q in qs[:50]:
        t = time.perf_counter()
        a.search(q, 10)
        lat_upd.append((time.perf_counter() - t) * 1000)
    print(
        f"search: {len(qs)} queries of 1-3 words, {sum(1 for h in hits if h)} with hits: "
        f"p50 {percentile(lat, 50):.1f} ms, p95 {percentile(lat, 95):.1f} ms, max {max(lat):.1f} ms"
    )
    print(
        f"        Archive.search() incl. the no-op index update (50 queries): p50 "
        f"{percentile(lat_upd, 50):.1f} ms, p95 {percentile(lat_upd, 95):.1f} ms"
    )
    print(f"        slowest: {', '.join(repr(q) for _, q in sorted(zip(lat, qs, strict=True))[-3:])}")
    print(f"        mean hits {statistics.mean(hits):.1f}")


if __name__ == "__main__":
    raise SystemExit(main())
