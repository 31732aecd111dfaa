"""Extraction quality on a *tune* half and a *check* half of each evaluation corpus, split by publisher.

    python bench/halves.py --corpus-root ../shared/corpus
    python bench/halves.py --corpus-root ../shared/corpus --rev 236c19a --corpora fundus,readability
    python bench/halves.py --corpus-root ../shared/corpus --corpora dragnet --bootstrap 0
    python bench/halves.py --corpus-root ../shared/corpus --no-anchors

Tune an extraction change on the tune half only; the check half says whether it generalises to
publishers it was not tuned on. Prints, for each corpus, one markdown table: rows are metrics, columns are
`tune`, `check` and `all`, with the number of pages and publishers in each half first:

* fundus and readability: the per-field figures of `bench/extraction.py` (title exact/fuzzy, authors P/R/F1,
  byline token F1, date day/minute, ..., body token F1), each with the number of pages it is scored on,
  computed by the shared `score_metadata.py` (`load_fundus`/`load_readability`, `score_page`, `aggregate`)
  through `bench/extraction.py`'s own `load_pages` and `run`; readability also gets the table of its real
  pages only (source.html >= 8 KB, the scorer's subset), as `bench/extraction.py` prints it;
* dragnet: the article-body precision, recall, F1 and exact accuracy of the shared `score_body.py`
  (its `load_data`, `read_html` and `evaluate`, with its bootstrap +- over pages of the half).

With `--anchors` (the default; `--no-anchors` leaves them out), each table has three more columns,
`trafilatura tune`, `trafilatura check`, `trafilatura all`: the installed trafilatura alone on the same pages,
scored by the same scorer functions (`anchor_for`: plain text, comments off, `fast=True` on dragnet, as the
corpus README's reference F1 0.909, its default elsewhere, the better setting there). The anchor has only a
body, so it fills the body rows (fundus, readability: body tokF1, errors, median ms; dragnet: every metric
row) and leaves the others blank. It does not follow `--rev`: it is the trafilatura of this environment.
There is no structured-data-alone anchor (JSON-LD / OpenGraph only): no function for it exists in the
project or in the shared scorers.

Each page is extracted once (per extractor); the halves and `all` are scored from the same predictions, with the
scorers' own functions given the half's pages, which is what those scorers print for a folder holding only
that half (bootstrap included: same seed, same page ids).

The split is by publisher, so that no publisher has pages on both sides, and stable: a publisher goes to
`tune` when the SHA-1 of its name (UTF-8) is even, to `check` when it is odd. Publisher = fundus
manifest.json's `publisher`; dragnet: the registered domain of the ground-truth URL (`tld.get_fld`, the
pinned third-party library, not the project's code, so the split cannot move between revisions; the host
without `www.` when that fails); readability: each case folder is its own publisher.

`--rev REV` scores the project as it was at git revision REV: the script makes `git worktree add --detach`
in a temporary folder, runs with that tree first on PYTHONPATH (its `scraper` and its
`bench/eval_adapter.py`; the harness, the split and the scorers are this file's and the shared ones, so
before and after are measured alike) and removes the worktree at the end. Without `--rev` the working tree
of this checkout is scored, uncommitted changes included. Each corpus runs in its own subprocess, one after
the other. Progress goes to stderr when it is a terminal. The corpora are never copied: pass their folder.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import importlib.util
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PROG = "bench/halves.py"
CORPORA = ("fundus", "readability", "dragnet")
HALVES = ("tune", "check")
COLUMNS = (*HALVES, "all")
ANCHOR = "trafilatura"
ANCHOR_COLUMNS = tuple(f"{ANCHOR} {c}" for c in COLUMNS)

Extractor = Callable[[str, str], dict[str, Any]]


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


# ------------------------------------------------------------------------------------------------ output
def progress(text: str, *, end: str = "\n") -> None:
    """A progress line on stderr, only when stderr is a terminal."""
    if sys.stderr.isatty():
        print(f"\r\033[K{text}", end=end, file=sys.stderr, flush=True)


def markdown(title: str, rows: list[tuple[str, dict[str, str]]], anchors: bool = False) -> str:
    """A table with one row per metric and one column per half (and all), then the anchor's, if `anchors`.

    A cell of ours that is missing prints `-`; a missing anchor cell (a row the anchor has not) is blank.
    """
    columns = COLUMNS + (ANCHOR_COLUMNS if anchors else ())
    width = max(len(label) for label, _ in rows)
    lines = [
        f"### {title}",
        "",
        f"| {'metric':<{width}} | " + " | ".join(f"{c:>17}" for c in columns) + " |",
        f"|{'-' * (width + 2)}|" + "|".join("-" * 18 + ":" for _ in columns) + "|",
    ]
    for label, cells in rows:
        shown = (cells.get(c, "" if c in ANCHOR_COLUMNS else "-") for c in columns)
        lines.append(f"| {label:<{width}} | " + " | ".join(f"{v:>17}" for v in shown) + " |")
    return "\n".join(lines) + "\n"


#: trafilatura's `fast` per corpus: the setting of the reference figures (dragnet: `fast=True`, F1 0.909 as the
#: corpus README gives it; its default scores 0.903 there), else trafilatura's default, the better one on
#: fundus (body tokF1 95.1 vs 93.0 on these pages) and readability (93.5, the figure issue 11 gives, vs 92.3).
ANCHOR_FAST = {"fundus": False, "readability": False, "dragnet": True}


def anchor_for(corpus: str) -> Extractor:
    """The body anchor: the installed trafilatura alone, `trafilatura.extract(html, url=url,
    output_format="txt", include_comments=False, fast=ANCHOR_FAST[corpus])`; the record holds `body` only, so
    only the body rows are scored. Comments off: with them dragnet F1 drops to 0.847 (P 0.793)."""
    import trafilatura

    fast = ANCHOR_FAST[corpus]

    def extract(html: str, url: str) -> dict[str, Any]:
        text = trafilatura.extract(html, url=url or None, output_format="txt", fast=fast, include_comments=False)
        return {"body": text or ""}

    return extract


def split_rows(ids_by_column: dict[str, list[str]], publisher: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    """The `pages` and `publishers` rows."""
    return [
        ("pages", {c: str(len(ids)) for c, ids in ids_by_column.items()}),
        ("publishers", {c: str(len({publisher[i] for i in ids})) for c, ids in ids_by_column.items()}),
    ]


def columns_of(ids: Sequence[str], publisher: dict[str, str]) -> dict[str, list[str]]:
    """Page ids of each half, and all of them."""
    out: dict[str, list[str]] = {c: [] for c in COLUMNS}
    for page_id in ids:
        out[half_of(publisher[page_id])].append(page_id)
        out["all"].append(page_id)
    return out


# ------------------------------------------------------------------------------------------------ worker
class PageTimeout(Exception):
    """An extraction ran out of its time (scored as an error, as the scorers do)."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise PageTimeout()


def load_file(name: str, path: Path) -> ModuleType:
    """Import a Python file under a module name of our choosing."""
    if not path.exists():
        raise SystemExit(f"{PROG}: error: no {path}")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def tree_adapter(tree: Path) -> Extractor:
    """The `extract` of `bench/eval_adapter.py` in the tree under test, checked to run that tree's `scraper`."""
    sys.path.insert(0, str(tree))
    adapter = importlib.import_module("bench.eval_adapter")
    for module in (adapter, sys.modules.get("scraper.extract")):
        where = Path(getattr(module, "__file__", None) or "?").resolve()
        if not where.is_relative_to(tree):
            raise SystemExit(
                f"{PROG}: error: {getattr(module, '__name__', 'scraper.extract')} came from {where}, "
                f"not from the tree under test {tree}"
            )
    fn: Extractor = adapter.extract
    return fn


def timed(fn: Extractor, seconds: float, label: str, total: int) -> Extractor:
    """`fn` with a per-page deadline (raises PageTimeout) and a progress counter on a terminal."""
    done = 0

    def call(html: str, url: str) -> dict[str, Any]:
        nonlocal done
        done += 1
        if done % 10 == 0 or done == total:
            progress(f"{label}: {done}/{total}", end="")
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return fn(html, url)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    return call


def metadata_tables(kind: str, corpus: Path, eval_dir: Path, fn: Extractor, timeout: float, anchors: bool) -> str:
    """fundus / readability: bench/extraction.py's per-field figures for each half."""
    saved = list(sys.path)  # bench/extraction.py puts this checkout first on sys.path: not the tree under test
    harness = load_file("_halves_extraction", Path(__file__).resolve().with_name("extraction.py"))
    sys.path[:] = saved
    scorer = harness.load_scorer(eval_dir)
    loaded, pages = harness.load_pages(scorer, corpus)
    if loaded != kind:
        raise SystemExit(f"{PROG}: error: {corpus} is a {loaded} corpus, not {kind}")
    publisher = fundus_publishers(corpus) if kind == "fundus" else {p["id"]: p["id"] for p in pages}
    fn(pages[0]["html"], pages[0]["url"])  # warm-up, as bench/extraction.py does
    results = harness.run(pages, scorer, timed(fn, timeout, kind, len(pages)))
    progress(f"{kind}: {len(results)} pages scored")
    by_id = {r["id"]: r for r in results}
    anchor_by_id: dict[str, dict[str, Any]] = {}
    if anchors:
        anchor = anchor_for(kind)
        anchor(pages[0]["html"], pages[0]["url"])  # warm-up
        anchor_results = harness.run(pages, scorer, timed(anchor, timeout, f"{kind} {ANCHOR}", len(pages)))
        progress(f"{kind} {ANCHOR}: {len(anchor_results)} pages scored")
        anchor_by_id = {r["id"]: r for r in anchor_results}
    anchor_rows = ("body tokF1", "errors", "median ms")

    def table(title: str, ids: list[str]) -> str:
        cols = columns_of(ids, publisher)
        summaries = {c: scorer.aggregate([by_id[i] for i in cols[c]]) for c in COLUMNS if cols[c]}
        if anchor_by_id:
            for c in COLUMNS:
                if cols[c]:
                    summaries[f"{ANCHOR} {c}"] = scorer.aggregate([anchor_by_id[i] for i in cols[c]])
        rows = split_rows(cols, publisher)

        def ours_or_anchor(label: str) -> dict[str, dict[str, Any]]:
            return {c: s for c, s in summaries.items() if c in COLUMNS or label in anchor_rows}

        for label, key in harness.FIELDS:
            cells = {
                c: f"{100 * s[key]['mean']:.1f} ({s[key]['n']})"
                for c, s in ours_or_anchor(label).items()
                if isinstance(s.get(key), dict)
            }
            if cells:
                rows.append((label, cells))
        rows.append(("errors", {c: str(s["errors"]) for c, s in ours_or_anchor("errors").items()}))
        rows.append(("median ms", {c: f"{s['median_ms']:.1f}" for c, s in ours_or_anchor("median ms").items()}))
        return markdown(title, rows, anchors)

    out = [table(f"{kind}: score (pages scored), %", [r["id"] for r in results])]
    if kind == "readability" and hasattr(scorer, "_real_readability_ids"):
        real = scorer._real_readability_ids(corpus)
        out.append(
            table(
                "readability, real pages only (source.html >= 8 KB): score (pages scored), %",
                [r["id"] for r in results if r["id"] in real],
            )
        )
    return "\n".join(out)


def dragnet_table(corpus: Path, eval_dir: Path, fn: Extractor, timeout: float, bootstrap: int, anchors: bool) -> str:
    """dragnet: score_body.py's body precision / recall / F1 / accuracy for each half."""
    body = load_file("_halves_score_body", eval_dir / "score_body.py")
    gt, paths = body.load_data(corpus)
    ids = sorted(gt)
    publisher = {i: dragnet_publisher(gt[i].get("url") or i) for i in ids}
    htmls = {i: body.read_html(paths[i]) for i in ids}

    def predict(fn: Extractor, label: str) -> tuple[dict[str, str], dict[str, float], set[str]]:
        call = timed(fn, timeout, label, len(ids))
        preds: dict[str, str] = {}
        ms: dict[str, float] = {}
        errors: set[str] = set()
        with contextlib.suppress(Exception):  # untimed warm-up, as score_body.py does
            fn(htmls[ids[0]], gt[ids[0]].get("url", ""))
        for i in ids:
            start = time.perf_counter()
            try:
                preds[i] = call(htmls[i], gt[i].get("url", ""))["body"] or ""
            except Exception:  # a crash or a timeout is an empty prediction, as score_body.py counts it
                preds[i] = ""
                errors.add(i)
            ms[i] = (time.perf_counter() - start) * 1000
        progress(f"{label}: {len(ids)} pages extracted")
        return preds, ms, errors

    runs = {"": predict(fn, "dragnet")}
    if anchors:
        runs[f"{ANCHOR} "] = predict(anchor_for("dragnet"), f"dragnet {ANCHOR}")
    progress("dragnet: scoring")
    cols = columns_of(ids, publisher)
    rows = split_rows(cols, publisher)
    metrics: dict[str, dict[str, Any]] = {}
    preds_of: dict[str, dict[str, str]] = {}
    ms_of: dict[str, dict[str, float]] = {}
    errors_of: dict[str, set[str]] = {}
    ids_of: dict[str, list[str]] = {}
    for prefix, (preds, ms, errors) in runs.items():
        for c in COLUMNS:
            if cols[c]:
                column = prefix + c
                truth = {i: gt[i].get("articleBody") or "" for i in cols[c]}
                metrics[column] = body.evaluate(truth, preds, bootstrap)
                preds_of[column], ms_of[column], errors_of[column], ids_of[column] = preds, ms, errors, cols[c]

    def cell(m: dict[str, Any], key: str) -> str:
        if m[key] != m[key]:  # precision is NaN when nothing was output
            return "n/a"
        return f"{m[key]:.3f} ± {m[key + '_std']:.3f}" if bootstrap else f"{m[key]:.3f}"

    for label in ("precision", "recall", "f1", "accuracy"):
        rows.append((label if label != "f1" else "F1", {c: cell(m, label) for c, m in metrics.items()}))
    rows.append(("failures", {c: str(sum(i in errors_of[c] for i in ids_of[c])) for c in metrics}))
    rows.append(("empty", {c: str(sum(not body.TOKEN.search(preds_of[c][i]) for i in ids_of[c])) for c in metrics}))
    rows.append(("median ms", {c: f"{statistics.median(ms_of[c][i] for i in ids_of[c]):.1f}" for c in metrics}))
    pm = " (± = bootstrap std over the half's pages)" if bootstrap else ""
    return markdown(f"dragnet: body shingle P / R / F1, exact accuracy{pm}", rows, anchors)


def worker(args: argparse.Namespace) -> int:
    """Score one corpus with the tree given by --tree (already first on PYTHONPATH); print its tables."""
    tree = args.tree.resolve()
    fn = tree_adapter(tree)
    signal.signal(signal.SIGALRM, _alarm)
    (corpus,) = args.corpora
    folder = (args.corpus_root / corpus).resolve()
    if corpus == "dragnet":
        text = dragnet_table(folder, args.eval, fn, args.timeout, args.bootstrap, args.anchors)
    else:
        text = metadata_tables(corpus, folder, args.eval, fn, args.timeout, args.anchors)
    print(text, flush=True)
    return 0


# ------------------------------------------------------------------------------------------------ parent
def git(*argv: str) -> str:
    """Run git in this checkout; its stdout, stripped."""
    done = subprocess.run(["git", "-C", str(ROOT), *argv], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{PROG}: error: git {' '.join(argv)}: {done.stderr.strip()}")
    return done.stdout.strip()


@contextlib.contextmanager
def tree_at(rev: str | None) -> Iterator[tuple[Path, str]]:
    """The tree to score and a line saying what it is: this checkout, or a temporary worktree at `rev`."""
    if rev is None:
        dirty = git("status", "--porcelain", "--", "scraper", "bench/eval_adapter.py")
        yield (
            ROOT,
            (
                f"working tree {ROOT} (HEAD {git('rev-parse', '--short', 'HEAD')}"
                f"{', with uncommitted changes to scraper/' if dirty else ''})"
            ),
        )
        return
    commit = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    with tempfile.TemporaryDirectory(prefix="halves-") as tmp:
        tree = Path(tmp) / "tree"
        progress(f"git worktree add --detach {tree} {commit[:12]}")
        git("worktree", "add", "--detach", str(tree), commit)
        try:
            yield tree, f"revision {rev} ({commit[:12]}: {git('log', '-1', '--format=%s', commit)[:80]})"
        finally:
            git("worktree", "remove", "--force", str(tree))


def parse(argv: list[str] | None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(prog=PROG, description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--corpus-root",
        type=Path,
        required=True,
        help="folder holding fundus/, readability/ and dragnet/ (e.g. ../shared/corpus)",
    )
    parser.add_argument("--rev", help="score the project at this git revision instead of the working tree")
    parser.add_argument(
        "--corpora",
        default=",".join(CORPORA),
        help=f"comma-separated, from {','.join(CORPORA)} (default: all three, in that order)",
    )
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
        help="also score the anchor (trafilatura fast=True, body rows) beside ours (default: on)",
    )
    parser.add_argument("--tree", type=Path, help=argparse.SUPPRESS)  # internal: worker mode
    args = parser.parse_args(argv)
    args.corpora = [c.strip() for c in args.corpora.split(",") if c.strip()]
    if unknown := [c for c in args.corpora if c not in CORPORA]:
        parser.error(f"unknown corpus {', '.join(unknown)} (choose from {', '.join(CORPORA)})")
    args.corpus_root = args.corpus_root.resolve()
    args.eval = (args.eval or args.corpus_root.parent / "eval").resolve()
    for name in ("score_metadata.py", "score_body.py"):
        if not (args.eval / name).exists():
            parser.error(f"no {name} in {args.eval} (give --eval)")
    for corpus in args.corpora:
        if not (args.corpus_root / corpus).is_dir():
            parser.error(f"no {corpus}/ in {args.corpus_root}")
    return args


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: one subprocess per corpus, one after the other, on the chosen tree."""
    args = parse(argv)
    if args.tree is not None:
        return worker(args)
    status = 0
    with tree_at(args.rev) as (tree, what):
        print(f"# Extraction by publisher half: {what}\n", flush=True)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(tree), os.environ.get("PYTHONPATH")])))
        for corpus in args.corpora:
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--tree",
                str(tree),
                "--corpus-root",
                str(args.corpus_root),
                "--corpora",
                corpus,
                "--eval",
                str(args.eval),
                "--timeout",
                str(args.timeout),
                "--bootstrap",
                str(args.bootstrap),
                "--anchors" if args.anchors else "--no-anchors",
            ]
            start = time.monotonic()
            code = subprocess.run(command, env=env).returncode
            progress(f"{corpus}: {time.monotonic() - start:.0f} s")
            if code:
                print(f"### {corpus}: failed (exit {code})\n", flush=True)
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
