"""Extraction quality and speed on every dev corpus, by publisher half, beside the anchors.

    python bench/extraction.py                                  # every corpus under ../shared/corpus
    python bench/extraction.py --corpus-root ../shared/corpus --corpora fundus,readability
    python bench/extraction.py --rev 236c19a                    # the project as it was at a git revision
    python bench/extraction.py --corpus ../shared/corpus/fundus --memory 10000
    python bench/extraction.py --no-anchors --bootstrap 0       # ours only, fastest

For each corpus under `--corpus-root` (fundus, readability, dragnet; see `../shared/corpus/README.md`) it
prints one markdown table: rows are metrics, columns are `tune`, `check` and `all`, each followed by the same
figure for the anchors on the same pages (`<half> trafilatura`, `<half> structured`). Tune an extraction
change on the tune half only; the check half says whether it carries over to publishers it was not tuned on.

* fundus and readability: the shared `score_metadata.py`'s per-field figures (`load_fundus`/`load_readability`,
  `score_page`, `aggregate`): title exact/fuzzy, authors P/R/F1, byline token F1, date day/minute, has offset,
  description, site name, language, top image, body token F1, each with the number of pages (or names) it is
  scored on; readability also gets the table of its real pages only (source.html >= 8 KB, the scorer's subset).
* dragnet (body only): the shared `score_body.py`'s shingle precision, recall, F1 and exact accuracy (its
  `load_data`, `read_html`, `evaluate`, with its bootstrap +- over the half's pages), failures, empty outputs.
* every table: errors, and speed: median and p95 wall-clock ms per page and median and p95 CPU ms, in this
  process, one page at a time on one core, after one untimed warm-up call.

The anchors (`--no-anchors` leaves them out):

* `trafilatura`: the installed trafilatura alone, `bare_extraction(html, url=url, output_format="txt",
  include_comments=False, with_metadata=True, fast=...)` (fast on dragnet, as the corpus README's reference
  F1 0.909; its default elsewhere, the better setting there): body, title, authors, date (a day), description,
  site name, image. Its results, timings included, are cached on disk (`--cache`, keyed by trafilatura's
  version, the settings, the page id and the SHA-1 of the page), so only the first run pays for it; a cached
  anchor's ms are those of the run that filled the cache.
* `structured`: the page's structured data alone (`bench/structured.py`: the JSON-LD article's value, else
  OpenGraph / <meta> / microdata, no heuristics) for the metadata fields; it has no body, so not on dragnet.

An anchor's cells are blank on rows of a field it does not give. The anchors do not follow `--rev`.

The split is by publisher, so that no publisher has pages on both sides, and stable: a publisher goes to
`tune` when the SHA-1 of its name (UTF-8) is even, to `check` when it is odd. Publisher = fundus
manifest.json's `publisher`; dragnet: the registered domain of the ground-truth URL (`tld.get_fld`, the
pinned third-party library, not the project's code, so the split cannot move between revisions; the host
without `www.` when that fails); readability: each case folder is its own publisher. Each page is extracted
once per extractor; the halves and `all` are scored from the same predictions with the scorers' own
functions given the half's pages, which is what those scorers print for a folder holding only that half.

`--rev REV` scores the project as it was at git revision REV: a temporary `git worktree add --detach`, first
on PYTHONPATH (its `scraper` and its `bench/eval_adapter.py`; the harness, the split, the anchors and the
scorers are this checkout's and the shared ones, so before and after are measured alike), removed at the end.
Without `--rev` this checkout's working tree is scored, uncommitted changes included. Each corpus runs in
its own subprocess, one after the other. Progress goes to stderr when it is a terminal. `--memory N` runs N
extractions over a metadata corpus's pages and prints the resident set size at the start, middle and end.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any, TypedDict
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PROG = "bench/extraction.py"
CORPORA = ("fundus", "readability", "dragnet")
HALVES = ("tune", "check")
COLUMNS = (*HALVES, "all")
DEFAULT_CORPUS_ROOT = ROOT.parent / "shared" / "corpus"

Extractor = Callable[[str, str], dict[str, Any]]

#: Rows of the metadata tables: (label, aggregate key, the predicted field it scores), in the scorer's order.
FIELD_ROWS = [
    ("title exact", "title_exact", "title"),
    ("title fuzzy", "title_fuzzy", "title"),
    ("authors P", "authors_p", "authors"),
    ("authors R", "authors_r", "authors"),
    ("authors F1", "authors_f1", "authors"),
    ("byline tokF1", "authors_tokf1", "authors"),
    ("date day", "date_day", "published"),
    ("date minute", "date_minute", "published"),
    ("has offset", "date_pred_tz", "published"),
    ("description fuzzy", "description_fuzzy", "description"),
    ("site name", "site_name", "site_name"),
    ("language", "language", "language"),
    ("top image", "image", "image"),
    ("body tokF1", "body_f1", "body"),
]


# --------------------------------------------------------------------------------------------- the split
def half_of(publisher: str) -> str:
    """`tune` when the SHA-1 of the publisher's name is even, `check` when it is odd."""
    return HALVES[int(hashlib.sha1(publisher.encode("utf-8")).hexdigest(), 16) % 2]


def dragnet_publisher(url: str) -> str:
    """The registered domain of a page's URL (`tld.get_fld`), else its host without `www.`."""
    from tld import get_fld

    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    domain = get_fld(host, fix_protocol=True, fail_silently=True) if host else None
    return str(domain or host.removeprefix("www.") or url)


def fundus_publishers(corpus: Path) -> dict[str, str]:
    """Page id -> manifest.json's `publisher`."""
    return {item["id"]: item["publisher"] for item in json.loads((corpus / "manifest.json").read_text("utf-8"))}


def columns_of(ids: Iterable[str], publisher: dict[str, str]) -> dict[str, list[str]]:
    """Page ids of each half, and all of them."""
    out: dict[str, list[str]] = {c: [] for c in COLUMNS}
    for page_id in ids:
        out[half_of(publisher[page_id])].append(page_id)
        out["all"].append(page_id)
    return out


# ----------------------------------------------------------------------------------------- the corpora
def fail(message: str) -> SystemExit:
    """The one-line error this script exits with."""
    return SystemExit(f"{PROG}: error: {message}")


def load_file(name: str, path: Path) -> ModuleType:
    """Import a Python file under a module name of our choosing."""
    if not path.exists():
        raise fail(f"no {path}")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_scorer(eval_dir: Path) -> ModuleType:
    """Import `score_metadata.py` from the eval folder."""
    return load_file("score_metadata", eval_dir / "score_metadata.py")


def kind_of(corpus: Path) -> str:
    """ "fundus" (manifest.json), "dragnet" (ground-truth.json) or "readability" (case folders)."""
    if (corpus / "manifest.json").exists():
        return "fundus"
    if (corpus / "ground-truth.json").exists():
        return "dragnet"
    if corpus.is_dir() and any((case / "expected-metadata.json").exists() for case in corpus.iterdir()):
        return "readability"
    raise fail(f"{corpus} has no manifest.json, ground-truth.json or case folders")


def load_pages(scorer: ModuleType, corpus: Path) -> tuple[str, list[dict[str, Any]]]:
    """A metadata corpus's kind ("fundus" or "readability") and its pages, loaded by the scorer."""
    kind = kind_of(corpus)
    if kind == "dragnet":
        raise fail(f"{corpus} is a body-only corpus (dragnet): it has no metadata pages")
    return kind, list(scorer.load_fundus(corpus) if kind == "fundus" else scorer.load_readability(corpus))


# ------------------------------------------------------------------------------------------ extracting
class Outcome(TypedDict):
    """One extraction of one page: the prediction, wall-clock and CPU ms, the error (None when it ran)."""

    pred: dict[str, Any]
    ms: float
    cpu_ms: float
    error: str | None


class PageTimeout(Exception):
    """An extraction ran out of its time (scored as an error, as the scorers do)."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise PageTimeout()


def progress(text: str, *, end: str = "\n") -> None:
    """A progress line on stderr, only when stderr is a terminal."""
    if sys.stderr.isatty():
        print(f"\r\033[K{text}", end=end, file=sys.stderr, flush=True)


def predict(fn: Extractor, pages: Sequence[tuple[str, str, str]], label: str, timeout: float) -> dict[str, Outcome]:
    """Run `fn` on every (id, html, url), one at a time, after one untimed warm-up call; a crash or a page over
    `timeout` seconds is an error with an empty prediction, as the scorers count it."""
    if not pages:
        return {}
    with contextlib.suppress(Exception):  # imports, compiled patterns and caches are not page time
        fn(pages[0][1], pages[0][2])
    if signal.getsignal(signal.SIGALRM) is not _alarm:
        signal.signal(signal.SIGALRM, _alarm)
    out: dict[str, Outcome] = {}
    for done, (page_id, html, url) in enumerate(pages, 1):
        error, pred = None, {}
        start, cpu = time.perf_counter(), time.process_time()
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            pred = fn(html, url) or {}
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        ms, cpu_ms = (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000
        out[page_id] = Outcome(pred=pred, ms=ms, cpu_ms=cpu_ms, error=error)
        if done % 20 == 0 or done == len(pages):
            progress(f"{label}: {done}/{len(pages)}", end="")
    progress(f"{label}: {len(pages)} pages extracted")
    return out


def run(
    pages: list[dict[str, Any]], scorer: ModuleType, fn: Extractor, timeout: float = 60, label: str = "extracting"
) -> list[dict[str, Any]]:
    """Extract and score every scorer page; each result has `id`, `ms`, `cpu_ms`, `error`, `scores`, `pred`."""
    outcomes = predict(fn, [(p["id"], p["html"], p["url"]) for p in pages], label, timeout)
    return [scored(page, outcomes[page["id"]], scorer) for page in pages]


def scored(page: dict[str, Any], outcome: Outcome, scorer: ModuleType) -> dict[str, Any]:
    """The scorer's per-page result for one outcome."""
    return {"id": page["id"], **outcome, "scores": scorer.score_page(outcome["pred"], page["gold"])}


# ------------------------------------------------------------------------------------------ the anchors
#: trafilatura's `fast` per corpus: the setting of the reference figures on dragnet (`fast=True`, F1 0.909 as
#: the corpus README gives it; its default scores 0.903 there), else its default, the better one on fundus
#: (body tokF1 95.1 vs 93.0) and readability (93.5, the figure issue 11 gives, vs 92.3).
TRAFILATURA_FAST = {"fundus": False, "readability": False, "dragnet": True}
#: Bump when the anchor's call or its record changes, so that older cache files are not read.
CACHE_FORMAT = 1


def trafilatura_anchor(kind: str) -> Extractor:
    """trafilatura alone, as the scorer's dict: one `bare_extraction` with its metadata; the body is its text as
    `trafilatura.extract` returns it with the same settings (same tokens on all 259 fundus and readability
    pages). Comments off: with them dragnet F1 drops to 0.847 (P 0.793). Its date is a day, without a time."""
    import trafilatura
    from trafilatura.utils import normalize_unicode
    from trafilatura.xml import xmltotxt

    fast = TRAFILATURA_FAST[kind]

    def extract(html: str, url: str) -> dict[str, Any]:
        doc = trafilatura.bare_extraction(
            html, url=url or None, output_format="txt", fast=fast, include_comments=False, with_metadata=True
        )
        if doc is None or isinstance(doc, dict):
            return {"body": ""}
        return {
            "title": doc.title,
            "authors": [a.strip() for a in (doc.author or "").split(";") if a.strip()],
            "published": doc.date,
            "description": doc.description,
            "site_name": doc.sitename,
            "image": doc.image,
            "body": normalize_unicode(xmltotxt(doc.body, False)).strip() if doc.body is not None else "",
        }

    return extract


def structured_anchor(kind: str) -> Extractor:
    """`bench/structured.py`'s `structured_metadata`, loaded from this checkout (not from a --rev tree)."""
    fn: Extractor = load_file(
        "_bench_structured", Path(__file__).resolve().with_name("structured.py")
    ).structured_metadata
    return fn


def trafilatura_cache_key(kind: str) -> str:
    """The cache file's name: trafilatura's version, the call's settings, the corpus."""
    import trafilatura

    return f"trafilatura-{trafilatura.__version__}-fast{int(TRAFILATURA_FAST[kind])}-v{CACHE_FORMAT}-{kind}"


@dataclass(frozen=True)
class Anchor:
    """An independent extractor printed beside ours: its column name, the fields it gives, how to make it for a
    corpus, and its cache file's name (None: not cached)."""

    name: str
    fields: frozenset[str]
    make: Callable[[str], Extractor]
    cache_key: Callable[[str], str] | None


METADATA = frozenset({"title", "authors", "published", "description", "site_name", "language", "image"})
ANCHORS = (
    Anchor("trafilatura", (METADATA - {"language"}) | {"body"}, trafilatura_anchor, trafilatura_cache_key),
    Anchor("structured", METADATA, structured_anchor, None),
)


def digest(html: str) -> str:
    """SHA-1 of a page's text, so that a changed page is not read from the cache."""
    return hashlib.sha1(html.encode("utf-8", "surrogatepass")).hexdigest()


def anchor_outcomes(
    anchor: Anchor, kind: str, pages: Sequence[tuple[str, str, str]], timeout: float, cache_dir: Path | None
) -> tuple[dict[str, Outcome], int]:
    """The anchor's outcome on every page, from the cache where it holds the page; and how many came from it."""
    label = f"{kind} {anchor.name}"
    if anchor.cache_key is None or cache_dir is None:
        return predict(anchor.make(kind), pages, label, timeout), 0
    path = cache_dir / f"{anchor.cache_key(kind)}.json"
    cache: dict[str, dict[str, Any]] = {}
    with contextlib.suppress(OSError, ValueError):
        cache = json.loads(path.read_text("utf-8"))
    sums = {page_id: digest(html) for page_id, html, _ in pages}
    hits = {
        i: Outcome(pred=c["pred"], ms=c["ms"], cpu_ms=c["cpu_ms"], error=c["error"])
        for i, c in cache.items()
        if sums.get(i) == c.get("sha1")
    }
    missing = [page for page in pages if page[0] not in hits]
    fresh = predict(anchor.make(kind), missing, label, timeout) if missing else {}
    if fresh:
        cache.update({i: {**o, "sha1": sums[i]} for i, o in fresh.items()})
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=cache_dir, delete=False, suffix=".tmp") as tmp:
            json.dump(cache, tmp, ensure_ascii=False)
        os.replace(tmp.name, path)  # whole or not at all, even with two runs at once
    return {**hits, **fresh}, len(hits)


# ------------------------------------------------------------------------------------------------ tables
Rows = list[tuple[str, dict[str, str]]]


@dataclass
class Table:
    """One printed table: its title, its columns (ours and the anchors'), its rows (label -> cells by column)."""

    title: str
    columns: list[str]
    rows: Rows

    def markdown(self) -> str:
        """The table in markdown; a missing cell of ours prints `-`, a missing anchor cell is blank."""
        width = max(len(label) for label, _ in self.rows)
        wide = max(13, *(len(c) for c in self.columns))
        lines = [
            f"### {self.title}",
            "",
            f"| {'metric':<{width}} | " + " | ".join(f"{c:>{wide}}" for c in self.columns) + " |",
            f"|{'-' * (width + 2)}|" + "|".join("-" * (wide + 1) + ":" for _ in self.columns) + "|",
        ]
        for label, cells in self.rows:
            shown = (cells.get(c, "-" if c in COLUMNS else "") for c in self.columns)
            lines.append(f"| {label:<{width}} | " + " | ".join(f"{v:>{wide}}" for v in shown) + " |")
        return "\n".join(lines) + "\n"


def column(half: str, anchor: str | None) -> str:
    """A column's name: the half for ours, `<half> <anchor>` for an anchor."""
    return half if anchor is None else f"{half} {anchor}"


def column_names(anchors: Sequence[str]) -> list[str]:
    """Ours then each anchor, for tune, check and all in turn."""
    return [column(c, a) for c in COLUMNS for a in (None, *anchors)]


def split_rows(cols: dict[str, list[str]], publisher: dict[str, str]) -> Rows:
    """The `pages` and `publishers` rows (under our columns: the anchors run on the same pages)."""
    return [
        ("pages", {c: str(len(ids)) for c, ids in cols.items() if ids}),
        ("publishers", {c: str(len({publisher[i] for i in ids})) for c, ids in cols.items() if ids}),
    ]


def p95(values: Sequence[float]) -> float:
    """Nearest-rank 95th percentile, as `score_body.py` computes it."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def speed_rows(by_column: Mapping[str, Sequence[Mapping[str, Any]]]) -> Rows:
    """Errors, then median and p95 of wall-clock and CPU ms per page, and the slowest page's, for each column."""
    rows: Rows = [("errors", {c: str(sum(bool(o["error"]) for o in outs)) for c, outs in by_column.items()})]
    for label, key, stat in (
        ("median ms", "ms", statistics.median),
        ("p95 ms", "ms", p95),
        ("median CPU ms", "cpu_ms", statistics.median),
        ("p95 CPU ms", "cpu_ms", p95),
        ("max ms", "ms", max),
    ):
        rows.append((label, {c: f"{stat([o[key] for o in outs]):.1f}" for c, outs in by_column.items() if outs}))
    return rows


@dataclass
class Scored:
    """What a corpus's worker hands back: its tables, the notes printed under them, the pages it read."""

    tables: list[Table]
    notes: list[str]
    items: list[tuple[str, str, str]]


def slowest_note(outcomes: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The line naming our slowest page, to look at when the max moves."""
    page_id = max(outcomes, key=lambda i: outcomes[i]["ms"])
    return [f"our slowest page: {page_id} ({outcomes[page_id]['ms']:.1f} ms)"]


def cached_note(anchor: Anchor, hits: int, total: int) -> list[str]:
    """The line saying how many of an anchor's pages came from the cache (none when no page did)."""
    if not hits:
        return []
    return [f"{anchor.name}: {hits} of {total} pages from the cache (their ms are those of the run that filled it)"]


def metadata_tables(
    kind: str,
    folder: Path,
    eval_dir: Path,
    ours: Extractor,
    anchors: Sequence[Anchor],
    timeout: float,
    cache_dir: Path | None,
) -> Scored:
    """fundus / readability: the scorer's per-field figures for each half, ours and the anchors'."""
    scorer = load_scorer(eval_dir)
    loaded, pages = load_pages(scorer, folder)
    if loaded != kind:
        raise fail(f"{folder} is a {loaded} corpus, not {kind}")
    publisher = fundus_publishers(folder) if kind == "fundus" else {p["id"]: p["id"] for p in pages}
    items = [(p["id"], p["html"], p["url"]) for p in pages]
    results: dict[str | None, dict[str, dict[str, Any]]] = {
        None: {r["id"]: r for r in run(pages, scorer, ours, timeout, kind)}
    }
    fields: dict[str | None, frozenset[str]] = {None: METADATA | {"body"}}
    notes = slowest_note(results[None]) if results[None] else []
    for anchor in anchors:
        outcomes, hits = anchor_outcomes(anchor, kind, items, timeout, cache_dir)
        results[anchor.name] = {p["id"]: scored(p, outcomes[p["id"]], scorer) for p in pages}
        fields[anchor.name] = anchor.fields
        notes += cached_note(anchor, hits, len(pages))

    def table(title: str, ids: list[str]) -> Table:
        cols = columns_of(ids, publisher)
        picked = {
            column(c, name): [by_id[i] for i in cols[c]] for name, by_id in results.items() for c in COLUMNS if cols[c]
        }
        summaries = {col: scorer.aggregate(rs) for col, rs in picked.items()}
        rows = split_rows(cols, publisher)
        for label, key, field in FIELD_ROWS:
            cells = {
                column(c, name): f"{100 * s[key]['mean']:.1f} ({s[key]['n']})"
                for name in results
                if field in fields[name]
                for c in COLUMNS
                if isinstance((s := summaries.get(column(c, name), {})).get(key), dict)
            }
            if cells:
                rows.append((label, cells))
        return Table(title, column_names([a.name for a in anchors]), rows + speed_rows(picked))

    out = [table(f"{kind}: score (pages scored), %", [p["id"] for p in pages])]
    if kind == "readability" and hasattr(scorer, "_real_readability_ids"):
        real = scorer._real_readability_ids(folder)
        title = "readability, real pages only (source.html >= 8 KB): score (pages scored), %"
        out.append(table(title, [p["id"] for p in pages if p["id"] in real]))
    return Scored(out, notes, items)


def dragnet_table(
    folder: Path,
    eval_dir: Path,
    ours: Extractor,
    anchors: Sequence[Anchor],
    timeout: float,
    bootstrap: int,
    cache_dir: Path | None,
) -> Scored:
    """dragnet: score_body.py's body precision / recall / F1 / accuracy for each half; anchors with a body."""
    body: Any = load_file("score_body", eval_dir / "score_body.py")  # the shared scorer: untyped
    body.page_counts = functools.cache(body.page_counts)  # `all` scores the halves again: count pages once
    gt, paths = body.load_data(folder)
    ids = sorted(gt)
    publisher = {i: dragnet_publisher(gt[i].get("url") or i) for i in ids}
    items = [(i, body.read_html(paths[i]), gt[i].get("url", "")) for i in ids]
    runs: dict[str | None, dict[str, Outcome]] = {None: predict(ours, items, "dragnet", timeout)}
    notes = slowest_note(runs[None]) if runs[None] else []
    with_body = [a for a in anchors if "body" in a.fields]
    for anchor in with_body:
        runs[anchor.name], hits = anchor_outcomes(anchor, "dragnet", items, timeout, cache_dir)
        notes += cached_note(anchor, hits, len(ids))
    progress("dragnet: scoring")
    cols = columns_of(ids, publisher)
    truth = {i: gt[i].get("articleBody") or "" for i in ids}
    metrics: dict[str, dict[str, Any]] = {}
    picked: dict[str, list[Outcome]] = {}
    texts: dict[str, list[str]] = {}
    for name, outcomes in runs.items():
        preds = {i: str(outcomes[i]["pred"].get("body") or "") for i in ids}
        for c in COLUMNS:
            if cols[c]:
                metrics[column(c, name)] = body.evaluate({i: truth[i] for i in cols[c]}, preds, bootstrap)
                picked[column(c, name)] = [outcomes[i] for i in cols[c]]
                texts[column(c, name)] = [preds[i] for i in cols[c]]

    def cell(m: dict[str, Any], key: str) -> str:
        if m[key] != m[key]:  # precision is NaN when nothing was output
            return "n/a"
        return f"{m[key]:.3f} ± {m[key + '_std']:.3f}" if bootstrap else f"{m[key]:.3f}"

    rows = split_rows(cols, publisher)
    for label in ("precision", "recall", "F1", "accuracy"):
        rows.append((label, {c: cell(m, label.lower()) for c, m in metrics.items()}))
    rows.append(("empty", {c: str(sum(not body.TOKEN.search(t) for t in ts)) for c, ts in texts.items()}))
    pm = " (± = bootstrap std over the half's pages)" if bootstrap else ""
    title = f"dragnet: body shingle P / R / F1, exact accuracy{pm}"
    return Scored([Table(title, column_names([a.name for a in with_body]), rows + speed_rows(picked))], notes, items)


# ------------------------------------------------------------------------------------------------ memory
def rss_mb() -> float:
    """Resident set size of this process now, in MiB (from /proc; peak RSS where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory(fn: Extractor, pages: Sequence[tuple[str, str, str]], count: int) -> str:
    """Run `count` extractions over `pages` in a loop; RSS at the start, the middle and the end."""
    gc.collect()
    marks = [f"start {rss_mb():.1f} MiB"]
    start = time.perf_counter()
    for i in range(count):
        _, html, url = pages[i % len(pages)]
        fn(html, url)
        if i + 1 == count // 2:
            marks.append(f"middle ({i + 1}) {rss_mb():.1f} MiB")
        if (i + 1) % 100 == 0:
            progress(f"memory: {i + 1}/{count}", end="")
    gc.collect()
    marks.append(f"end ({count}) {rss_mb():.1f} MiB")
    progress(f"memory: {count} extractions")
    return f"memory over {count} extractions ({time.perf_counter() - start:.0f} s): " + ", ".join(marks)


# ----------------------------------------------------------------------------------------------- summary
#: Issue 11's targets, each on the check half and the whole: (corpus, metric row, target; None: no target). The
#: speed target (median <= 6 ms, p95 <= 30 ms per page) is wall-clock; on a loaded machine the CPU ms say more.
TARGETS: list[tuple[str, str, float | None]] = [
    ("fundus", "title fuzzy", 93.0),
    ("fundus", "authors F1", 93.0),
    ("fundus", "date day", 99.0),
    ("fundus", "body tokF1", 96.5),
    ("readability", "title fuzzy", 90.0),
    ("readability", "body tokF1", 96.0),
    ("dragnet", "F1", 0.92),
    *(
        (corpus, f"{stat} {clock}", limit)
        for corpus in CORPORA
        for clock in ("ms", "CPU ms")
        for stat, limit in (("median", 6.0), ("p95", 30.0))
    ),
]


def number(cell: str | None) -> float | None:
    """The figure a cell starts with ("90.9 (66)", "0.913 ± 0.008", "5.2"); None for a blank or n/a cell."""
    try:
        return float((cell or "").split()[0])
    except (IndexError, ValueError):
        return None


def best_anchor(cells: dict[str, str], half: str, speed: bool) -> str:
    """The best anchor's figure on a half and its name ("95.1 trafilatura"); blank when no anchor has one. On a
    speed row (lower is better), only anchors that extract a body count: the others do a fraction of the job."""
    bodies = {a.name for a in ANCHORS if "body" in a.fields}
    found = [
        (value, name)
        for c, cell in cells.items()
        if c.startswith(f"{half} ")
        and (name := c.removeprefix(f"{half} ")) in (bodies if speed else {a.name for a in ANCHORS})
        and (value := number(cell)) is not None
    ]
    if not found:
        return ""
    value, name = (min if speed else max)(found)
    return f"{cells[column(half, name)].split()[0]} {name}"


def summary(first_tables: dict[str, Table]) -> Table:
    """Issue 11's targets: ours on tune / check / all, the best anchor on check and all, the target."""
    rows: Rows = []
    for corpus, metric, target in TARGETS:
        table = first_tables.get(corpus)
        cells = dict(table.rows).get(metric) if table else None
        if not cells:
            continue
        speed = metric.endswith("ms")
        row = {c: cells[c].split()[0] for c in COLUMNS if c in cells}
        row.update({f"best anchor {h}": best_anchor(cells, h, speed) for h in ("check", "all")})
        if target is not None:
            row["target"] = f"{'<=' if speed else '>='} {target:g}"
        rows.append((f"{corpus}: {metric}", row))
    columns = [*COLUMNS, "best anchor check", "best anchor all", "target"]
    return Table("summary: issue 11's targets (best anchor: on the same pages)", columns, rows)


# ------------------------------------------------------------------------------------------------ worker
def tree_adapter(tree: Path) -> Extractor:
    """The `extract` of `bench/eval_adapter.py` in the tree under test, checked to run that tree's `scraper`."""
    sys.path.insert(0, str(tree))
    adapter = importlib.import_module("bench.eval_adapter")
    for module in (adapter, sys.modules.get("scraper.extract")):
        where = Path(getattr(module, "__file__", None) or "?").resolve()
        if not where.is_relative_to(tree):
            name = getattr(module, "__name__", "scraper.extract")
            raise fail(f"{name} came from {where}, not from the tree under test {tree}")
    fn: Extractor = adapter.extract
    return fn


def worker(args: argparse.Namespace) -> int:
    """Score the one corpus `--corpus` with the tree `--tree` (already first on PYTHONPATH); print its tables."""
    ours = tree_adapter(args.tree.resolve())
    folder = args.corpus.resolve()
    kind = kind_of(folder)
    anchors = ANCHORS if args.anchors else ()
    cache = None if args.no_cache else args.cache
    if kind == "dragnet":
        scored = dragnet_table(folder, args.eval, ours, anchors, args.timeout, args.bootstrap, cache)
    else:
        scored = metadata_tables(kind, folder, args.eval, ours, anchors, args.timeout, cache)
    print("\n".join(t.markdown() for t in scored.tables), flush=True)
    if scored.notes:
        print("\n".join(scored.notes) + "\n", flush=True)
    if args.memory:
        print(memory(ours, scored.items, args.memory) + "\n", flush=True)
    if args.summary_file:
        first = scored.tables[0]
        data = {"kind": kind, "pages": len(scored.items), "title": first.title, "columns": first.columns}
        args.summary_file.write_text(json.dumps({**data, "rows": first.rows}), "utf-8")
    return 0


# ------------------------------------------------------------------------------------------------ parent
def git(*argv: str) -> str:
    """Run git in this checkout; its stdout, stripped."""
    done = subprocess.run(["git", "-C", str(ROOT), *argv], capture_output=True, text=True)
    if done.returncode:
        raise fail(f"git {' '.join(argv)}: {done.stderr.strip()}")
    return done.stdout.strip()


@contextlib.contextmanager
def tree_at(rev: str | None) -> Iterator[tuple[Path, str]]:
    """The tree to score and a line saying what it is: this checkout, or a temporary worktree at `rev`."""
    if rev is None:
        dirty = git("status", "--porcelain", "--", "scraper", "bench/eval_adapter.py")
        head = git("rev-parse", "--short", "HEAD")
        yield ROOT, f"working tree {ROOT} (HEAD {head}{', with uncommitted changes to scraper/' if dirty else ''})"
        return
    commit = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    with tempfile.TemporaryDirectory(prefix="bench-extraction-") as tmp:
        tree = Path(tmp) / "tree"
        progress(f"git worktree add --detach {tree} {commit[:12]}")
        git("worktree", "add", "--detach", str(tree), commit)
        try:
            yield tree, f"revision {rev} ({commit[:12]}: {git('log', '-1', '--format=%s', commit)[:80]})"
        finally:
            git("worktree", "remove", "--force", str(tree))


def default_cache() -> Path:
    """$XDG_CACHE_HOME/news-archiver/bench, else ~/.cache/news-archiver/bench."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "news-archiver" / "bench"


def parse(argv: list[str] | None) -> argparse.Namespace:
    """Command-line arguments; a bad one exits 2 with one line."""
    parser = argparse.ArgumentParser(prog=PROG, description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--corpus-root",
        type=Path,
        default=DEFAULT_CORPUS_ROOT,
        help="folder holding fundus/, readability/ and dragnet/ (default: ../shared/corpus beside the repo)",
    )
    parser.add_argument(
        "--corpora",
        help=f"comma-separated, from {','.join(CORPORA)} (default: every one of them under --corpus-root)",
    )
    parser.add_argument("--corpus", type=Path, help="one corpus folder instead (its kind is read from its files)")
    parser.add_argument("--rev", help="score the project at this git revision instead of the working tree")
    parser.add_argument(
        "--eval", type=Path, help="folder with score_metadata.py and score_body.py (default: <corpus-root>/../eval)"
    )
    parser.add_argument("--timeout", type=float, default=60, help="seconds per page (default 60, as the scorers)")
    parser.add_argument(
        "--bootstrap", type=int, default=1000, help="dragnet resamples for +- (default 1000, as score_body.py; 0: off)"
    )
    parser.add_argument(
        "--anchors",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also score trafilatura alone and structured data alone beside ours (default: on)",
    )
    parser.add_argument("--cache", type=Path, default=default_cache(), help="where trafilatura's results are cached")
    parser.add_argument("--no-cache", action="store_true", help="run trafilatura on every page, cache nothing")
    parser.add_argument("--memory", type=int, metavar="N", help="also run N extractions per corpus and print RSS")
    parser.add_argument("--tree", type=Path, help=argparse.SUPPRESS)  # internal: worker mode
    parser.add_argument("--summary-file", type=Path, help=argparse.SUPPRESS)  # internal: the worker's first table
    args = parser.parse_args(argv)
    if args.timeout <= 0 or args.bootstrap < 0 or (args.memory is not None and args.memory <= 0):
        parser.error("--timeout and --memory must be positive, --bootstrap at least 0")
    known = ["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", f"{args.rev}^{{commit}}"]
    if args.rev is not None and subprocess.run(known, capture_output=True).returncode:
        parser.error(f"unknown git revision {args.rev}")
    if args.corpus is not None:
        if args.corpora:
            parser.error("give --corpus or --corpora, not both")
        if not args.corpus.is_dir():
            parser.error(f"no folder {args.corpus}")
        args.corpus_root = args.corpus.resolve().parent
        args.folders = [args.corpus.resolve()]
    else:
        args.corpus_root = args.corpus_root.resolve()
        names = [c.strip() for c in args.corpora.split(",") if c.strip()] if args.corpora else list(CORPORA)
        if unknown := [c for c in names if c not in CORPORA]:
            parser.error(f"unknown corpus {', '.join(unknown)} (choose from {', '.join(CORPORA)})")
        missing = [c for c in names if not (args.corpus_root / c).is_dir()]
        if args.corpora and missing:
            parser.error(f"no {', '.join(m + '/' for m in missing)} in {args.corpus_root}")
        args.folders = [args.corpus_root / c for c in names if c not in missing]
        if not args.folders:
            parser.error(f"no corpus folder ({', '.join(CORPORA)}) in {args.corpus_root} (give --corpus-root)")
    args.eval = (args.eval or args.corpus_root.parent / "eval").resolve()
    for name in ("score_metadata.py", "score_body.py"):
        if not (args.eval / name).exists():
            parser.error(f"no {name} in {args.eval} (give --eval)")
    return args


def anchors_line(args: argparse.Namespace) -> str:
    """What the anchor columns are, with trafilatura's version, and where its cache is."""
    if not args.anchors:
        return "No anchors (--no-anchors)."
    cache = "not cached (--no-cache)" if args.no_cache else f"cached in {args.cache}"
    version = importlib.metadata.version("trafilatura")
    return f"Anchors: trafilatura {version} alone ({cache}); structured = JSON-LD/OpenGraph/meta alone."


def worker_command(args: argparse.Namespace, tree: Path, folder: Path, summary_file: Path) -> list[str]:
    """The command line of the subprocess that scores one corpus."""
    command = [sys.executable, str(Path(__file__).resolve()), "--tree", str(tree), "--corpus", str(folder)]
    command += ["--eval", str(args.eval), "--timeout", str(args.timeout), "--bootstrap", str(args.bootstrap)]
    command += ["--anchors" if args.anchors else "--no-anchors", "--cache", str(args.cache)]
    command += ["--summary-file", str(summary_file)] + (["--no-cache"] if args.no_cache else [])
    return command + (["--memory", str(args.memory)] if args.memory else [])


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; a reader that stops early (`| head`) ends it quietly, the worktree removed."""
    try:
        return report(parse(argv))
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 1


def report(args: argparse.Namespace) -> int:
    """One subprocess per corpus, one after the other, on the chosen tree; then the summary."""
    if args.tree is not None:
        return worker(args)
    status, start, firsts, pages = 0, time.monotonic(), {}, 0
    with tree_at(args.rev) as (tree, what), tempfile.TemporaryDirectory(prefix="bench-extraction-") as tmp:
        print(f"# Extraction by publisher half: {what}\n", flush=True)
        print(f"Scorers: {args.eval}. {anchors_line(args)}\n", flush=True)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(tree), os.environ.get("PYTHONPATH")])))
        for folder in args.folders:
            summary_file = Path(tmp) / f"{folder.name}.json"
            corpus_start = time.monotonic()
            code = subprocess.run(worker_command(args, tree, folder, summary_file), env=env).returncode
            progress(f"{folder.name}: {time.monotonic() - corpus_start:.0f} s")
            if code:
                print(f"### {folder.name}: failed (exit {code})\n", flush=True)
                status = 1
                continue
            data = json.loads(summary_file.read_text("utf-8"))
            firsts[data["kind"]] = Table(
                data["title"], data["columns"], [(label, cells) for label, cells in data["rows"]]
            )
            pages += data["pages"]
    if firsts:
        print(summary(firsts).markdown())
    print(f"{pages} pages in {len(firsts)} of {len(args.folders)} corpora scored in {time.monotonic() - start:.0f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
