"""Extraction quality and speed on a saved corpus, with the shared scorer's own metrics.

    python bench/extraction.py --corpus ../shared/corpus/fundus
    python bench/extraction.py --corpus ../shared/corpus/readability --eval ../shared/eval
    python bench/extraction.py --corpus ../shared/corpus/fundus --memory 10000

The corpus is either fundus-style (a `manifest.json` with `<id>.html` and `<id>.expected.json`) or
readability-style (case folders with `source.html` and `expected-metadata.json`). Pages are loaded and
scored by `score_metadata.py` from the eval folder (`load_fundus`/`load_readability`, `score_page`,
`aggregate`), so the figures are the scorer's; `extract_article` runs in this process, one page at a time,
each call timed with `time.perf_counter`. `--memory N` runs N extractions over the pages in a loop and
prints the resident set size at the start, the middle and the end.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.eval_adapter import extract  # noqa: E402

#: Rows of the table: (label, aggregate key), in the scorer's order.
FIELDS = [
    ("title exact", "title_exact"),
    ("title fuzzy", "title_fuzzy"),
    ("authors P", "authors_p"),
    ("authors R", "authors_r"),
    ("authors F1", "authors_f1"),
    ("byline tokF1", "authors_tokf1"),
    ("date day", "date_day"),
    ("date minute", "date_minute"),
    ("has offset", "date_pred_tz"),
    ("description fuzzy", "description_fuzzy"),
    ("site name", "site_name"),
    ("language", "language"),
    ("top image", "image"),
    ("body tokF1", "body_f1"),
]


def load_scorer(eval_dir: Path) -> ModuleType:
    """Import `score_metadata.py` from the eval folder."""
    path = eval_dir / "score_metadata.py"
    if not path.exists():
        raise SystemExit(f"bench/extraction.py: error: no score_metadata.py in {eval_dir}")
    spec = importlib.util.spec_from_file_location("score_metadata", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_pages(scorer: ModuleType, corpus: Path) -> tuple[str, list[dict[str, Any]]]:
    """The corpus's kind ("fundus" or "readability") and its pages, loaded by the scorer."""
    if (corpus / "manifest.json").exists():
        return "fundus", list(scorer.load_fundus(corpus))
    if any((case / "expected-metadata.json").exists() for case in corpus.iterdir() if case.is_dir()):
        return "readability", list(scorer.load_readability(corpus))
    raise SystemExit(f"bench/extraction.py: error: {corpus} has neither manifest.json nor case folders")


def rss_mb() -> float:
    """Resident set size of this process now, in MiB (from /proc; peak RSS where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(
    pages: list[dict[str, Any]], scorer: ModuleType, fn: Callable[[str, str], dict[str, Any]] = extract
) -> list[dict[str, Any]]:
    """Extract and score every page; each result has `id`, `ms`, `error`, `scores`, `pred`."""
    results = []
    for page in pages:
        error, pred = None, {}
        start = time.perf_counter()
        try:
            pred = fn(page["html"], page["url"]) or {}
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        ms = (time.perf_counter() - start) * 1000
        results.append(
            {"id": page["id"], "ms": ms, "error": error, "pred": pred, "scores": scorer.score_page(pred, page["gold"])}
        )
    return results


def table(kind: str, results: list[dict[str, Any]], scorer: ModuleType) -> str:
    """The per-field table and the timing lines."""
    summary = scorer.aggregate(results)
    lines = [f"{kind}: {len(results)} pages", "", f"| {'field':<18} | {'score':>6} | {'n':>4} |", "|---|---:|---:|"]
    for label, key in FIELDS:
        if key in summary and isinstance(summary[key], dict):
            lines.append(f"| {label:<18} | {100 * summary[key]['mean']:6.1f} | {summary[key]['n']:>4} |")
    times = sorted(r["ms"] for r in results)
    slowest = max(results, key=lambda r: r["ms"])
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    lines += [
        "",
        f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {slowest['ms']:.1f} ms "
        f"({slowest['id']}), errors {summary['errors']}",
    ]
    return "\n".join(lines)


def memory(pages: list[dict[str, Any]], count: int) -> str:
    """Run `count` extractions over `pages` in a loop; RSS at the start, the middle and the end."""
    gc.collect()
    marks = [f"start {rss_mb():.1f} MiB"]
    start = time.perf_counter()
    for i in range(count):
        page = pages[i % len(pages)]
        extract(page["html"], page["url"])
        if i + 1 == count // 2:
            marks.append(f"middle ({i + 1}) {rss_mb():.1f} MiB")
    gc.collect()
    marks.append(f"end ({count}) {rss_mb():.1f} MiB")
    return f"memory over {count} extractions ({time.perf_counter() - start:.0f} s): " + ", ".join(marks)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="bench/extraction.py", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="a fundus- or readability-style folder")
    parser.add_argument(
        "--eval",
        type=Path,
        default=ROOT.parent / "shared" / "eval",
        help="folder with score_metadata.py (default: ../shared/eval beside the repo)",
    )
    parser.add_argument("--memory", type=int, metavar="N", help="also run N extractions and print RSS")
    args = parser.parse_args(argv)
    scorer = load_scorer(args.eval.resolve())
    kind, pages = load_pages(scorer, args.corpus.resolve())
    if not pages:
        raise SystemExit(f"bench/extraction.py: error: no pages in {args.corpus}")
    extract(pages[0]["html"], pages[0]["url"])  # warm-up: imports and compiled patterns are not page time
    results = run(pages, scorer)
    print(table(kind, results, scorer))
    if kind == "readability" and hasattr(scorer, "_real_readability_ids"):
        real = scorer._real_readability_ids(args.corpus.resolve())  # the scorer's "real pages" subset
        print(
            "\n"
            + table(
                "readability, real pages only (source.html >= 8 KB)", [r for r in results if r["id"] in real], scorer
            )
        )
    if args.memory:
        print(memory(pages, args.memory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
