"""Run summaries: what each crawl fetched, archived, dropped and failed, kept beside its data files.

At the end of a crawl the scraper writes ``root/<UTC day the run started>/<spider>-<run_id>.summary.json``: one
small JSON object (schema version 1) with the run's totals and per-site counts, the same figures as the crawl's
end-of-run log lines. It is written atomically (a hidden temporary file, fsync, rename) and never changed
after; a run killed before its end (SIGKILL, the watchdog's exit 4, a power cut) writes none. Readers skip a
file they cannot read with one warning: a summary is informative, never needed to read the archive.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import files
from .names import check_name

log = logging.getLogger(__name__)

SUMMARY_SUFFIX = ".summary.json"
SUMMARY_VERSION = 1
MAX_SUMMARY_BYTES = 8 << 20  # a summary of 10,000 sites is about 3 MB; anything bigger is not ours


@dataclass(frozen=True)
class Counts:
    """What a run (or one site of it) did: responses, articles archived, pages dropped and requests failed by
    reason. ``already_archived``: article URLs skipped because the archive held them already."""

    responses: int = 0
    archived: int = 0
    already_archived: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SiteCounts(Counts):
    """One site's counts and its verdict: why the run found it unhealthy (``problem``), or None."""

    problem: str | None = None


@dataclass(frozen=True)
class Summary:
    """One run's summary as written at its end. Times are ISO 8601 UTC; ``exit_status`` is the status the crawl
    command exits with (None when unknown)."""

    spider: str
    run_id: str
    started: str
    finished: str
    finish_reason: str
    exit_status: int | None
    host: str
    pid: int
    totals: Counts
    sites: dict[str, SiteCounts]

    @property
    def name(self) -> str:
        """``<spider>-<run_id>``, the name the run's data files share."""
        return f"{self.spider}-{self.run_id}"

    def to_json(self) -> dict[str, Any]:
        """The JSON object stored on disk."""
        return {"schema_version": SUMMARY_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, obj: object) -> Summary:
        """A Summary from a stored object; ValueError saying what is wrong when it is not one. Unknown fields (a
        newer writer's) are ignored; counts that are not whole numbers >= 0 are left out."""
        if not isinstance(obj, dict):
            raise ValueError("not a JSON object")
        version = obj.get("schema_version")
        if type(version) is not int or version < 1:
            raise ValueError(f"no schema_version 1 or later (found {version!r})")
        text = {k: obj.get(k) for k in ("spider", "run_id", "started", "finished", "finish_reason", "host")}
        for key, value in text.items():
            if not isinstance(value, str):
                raise ValueError(f"{key} is not a string")
        check_name("spider", text["spider"])
        check_name("run_id", text["run_id"])
        exit_status, pid = obj.get("exit_status"), obj.get("pid")
        sites = obj.get("sites")
        return cls(
            **text,  # type: ignore[arg-type]  # each checked to be a str above
            exit_status=exit_status if type(exit_status) is int else None,
            pid=pid if type(pid) is int else 0,
            totals=Counts(**_counts(obj.get("totals"))),
            sites={
                site: SiteCounts(**_counts(c), problem=_problem(c))
                for site, c in (sites.items() if isinstance(sites, dict) else ())
                if isinstance(site, str)
            },
        )


@dataclass(frozen=True)
class StoredSummary:
    """A summary read from disk: where it is (root number among those read, day, path) and what it says."""

    root: int
    day: str
    path: Path
    summary: Summary


def summary_name(spider: str, run_id: str) -> str:
    """The summary file name of one run of one spider."""
    return f"{check_name('spider', spider)}-{check_name('run_id', run_id)}{SUMMARY_SUFFIX}"


def write_summary(root: str | os.PathLike[str], summary: Summary) -> Path:
    """Write ``summary`` to ``root/<day it started, UTC>/<spider>-<run_id>.summary.json`` atomically; return the
    path. ValueError for a bad name or start time; OSError when the disk refuses."""
    started = datetime.fromisoformat(summary.started)
    if started.utcoffset() is None:
        raise ValueError(f"started {summary.started!r} has no UTC offset")
    day = started.astimezone(UTC).date().isoformat()
    path = Path(root) / day / summary_name(summary.spider, summary.run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(summary.to_json(), indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()
    files.write_atomic(path, data)
    return path


def summary_paths(
    roots: Iterable[Path], since: str | None = None, until: str | None = None
) -> list[tuple[int, str, Path]]:
    """(root number, day, path) of every summary file under ``roots`` in [since, until], by day, root, then name."""
    out = []
    for n, root in enumerate(roots):
        for day, ddir in files.day_dirs(root, since, until):
            with os.scandir(ddir) as entries:
                out += [
                    (n, day, Path(e.path))
                    for e in entries
                    if e.name.endswith(SUMMARY_SUFFIX) and not e.name.startswith(".") and e.is_file()
                ]
    return sorted(out, key=lambda t: (t[1], t[0], t[2].name))


def read_summaries(roots: Iterable[Path], since: str | None = None, until: str | None = None) -> list[StoredSummary]:
    """Every readable run summary under ``roots`` in [since, until], by day, root, then name. A file that is not a
    summary (damaged, too big, not JSON) is skipped with a warning."""
    out = []
    for n, day, path in summary_paths(roots, since, until):
        if (summary := read_summary(path)) is not None:
            out.append(StoredSummary(n, day, path, summary))
    return out


def read_summary(path: Path) -> Summary | None:
    """The summary stored at ``path``, or None (with a warning) when it cannot be read as one."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SUMMARY_BYTES + 1)
        if len(data) > MAX_SUMMARY_BYTES:
            raise ValueError(f"larger than {MAX_SUMMARY_BYTES:,} bytes")
        summary = Summary.from_json(json.loads(data))
        if path.name != summary_name(summary.spider, summary.run_id):
            raise ValueError(f"it is the summary of {summary.name}, not of its file name")
    except (OSError, ValueError, RecursionError) as exc:
        log.warning("%s: not a readable run summary, skipped: %s", path, exc)
        return None
    return summary


def summary_lines(stored: StoredSummary, sites: bool = False) -> list[str]:
    """One line per run (``day name: how it ended, counts``), then with ``sites`` one indented line per site."""
    s = stored.summary
    status = "" if s.exit_status is None else f", exit {s.exit_status}"
    lines = [f"{stored.day} {s.name}: {s.finish_reason}{status}, {_counts_text(s.totals)}"]
    if sites:
        for site, c in s.sites.items():
            lines.append(f"  site {site}: {_counts_text(c)}" + (f" -- {c.problem}" if c.problem else ""))
    return lines


def _counts_text(c: Counts) -> str:
    text = f"{c.responses:,} responses, {c.archived:,} archived"
    if c.already_archived:
        text += f" ({c.already_archived:,} already archived)"
    for what, reasons in (("dropped", c.dropped), ("failed", c.failed)):
        if reasons:
            why = ", ".join(f"{r} {n:,}" for r, n in reasons.items())
            text += f", {sum(reasons.values()):,} {what} ({why})"
    return text


def _counts(obj: object) -> dict[str, Any]:
    c = obj if isinstance(obj, dict) else {}
    out: dict[str, Any] = {k: _count(c.get(k)) for k in ("responses", "archived", "already_archived")}
    for k in ("dropped", "failed"):
        reasons = c.get(k)
        out[k] = {
            r: v for r, v in (reasons.items() if isinstance(reasons, dict) else ()) if isinstance(r, str) and _count(v)
        }
    return out


def _count(value: object) -> int:
    return value if type(value) is int and value >= 0 else 0


def _problem(obj: object) -> str | None:
    problem = obj.get("problem") if isinstance(obj, dict) else None
    return problem if isinstance(problem, str) else None
