"""Archive records for tests: valid schema-v1 records, a writer clock fixed on a given day, a run written."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from archive import ArchiveWriter

WORDS = [
    "harbour",
    "council",
    "budget",
    "river",
    "election",
    "school",
    "storm",
    "market",
    "vaccine",
    "railway",
    "bridge",
    "court",
    "festival",
    "museum",
    "energy",
    "drought",
    "housing",
    "minister",
    "library",
    "ferry",
]


def content_hash(text: str) -> str:
    """SHA-256 of the normalised text, as the schema describes it."""
    norm = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return hashlib.sha256(norm.encode()).hexdigest()


def make_record(
    i: int,
    *,
    site: str = "example",
    text: str | None = None,
    url: str | None = None,
    title: str | None = None,
    crawled_at: str = "2026-02-01T10:00:00+00:00",
    spider: str = "news",
    run_id: str = "run1",
    **extra: Any,
) -> dict[str, Any]:
    """A valid schema-v1 record; ``i`` makes url, title and text unique unless given."""
    if text is None:
        words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(40)]
        text = f"Story {i} begins. " + " ".join(words) + f"\n\nSecond paragraph of story {i}."
    rec: dict[str, Any] = {
        "schema_version": 1,
        "url": url or f"https://{site}.example/news/{i}",
        "canonical_url": None,
        "site": site,
        "site_name": site.title(),
        "title": title if title is not None else f"Headline number {i}",
        "description": None,
        "authors": ["Ada Lovelace"],
        "published_at": "2026-02-01T09:00:00+01:00",
        "modified_at": None,
        "language": "en",
        "section": "news",
        "tags": ["local"],
        "image": {"url": f"https://{site}.example/img/{i}.jpg", "caption": None},
        "text": text,
        "word_count": len(text.split()),
        "content_hash": content_hash(text),
        "crawled_at": crawled_at,
        "spider": spider,
        "run_id": run_id,
        "http_status": 200,
    }
    rec.update(extra)
    return rec


def clock(day: str, hour: int = 12) -> Callable[[], datetime]:
    """A writer clock fixed at ``day`` (YYYY-MM-DD) ``hour``:00 UTC."""
    when = datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")
    return lambda: when


def write_records(root: Path, records: list[dict[str, Any]], run_id: str = "r1", day: str = "2026-02-01") -> Path:
    """Write `records` with the real ArchiveWriter, as news run `run_id` on `day`; return the data file."""
    with ArchiveWriter(root, "news", run_id, clock=clock(day)) as writer:
        paths = [writer.write(record) for record in records]
    return paths[0]
