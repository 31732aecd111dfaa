"""Records whose relevance order is neither their storage order nor its reverse: no ranking passes by luck.

The best match of ``QUERY`` is the last line written. ``RANKED`` is the order a relevance ranking must
give (bm25: a word in the title beats it in the text, more occurrences beat fewer, a rarer word beats a
common one). Filler records keep every query word in well under half of the archive, so every word has
a real idf.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.records import make_record, write_records

QUERY = "harbour"
RANKED = ["ranked-title", "ranked-thrice", "ranked-once"]
RARE_QUERY = "harbour ferry"
RARE_RANKED = ["ranked-ferry-twice", "ranked-harbour-twice", "ranked-both-once"]
FILLER = "The weather was mild and the council met on tuesday to discuss the budget of the town."


def ranking_records() -> list[dict[str, Any]]:
    """The records, in storage order (worst match first)."""

    def rec(i: int, name: str, title: str, text: str) -> dict[str, Any]:
        return make_record(i, url=f"https://ranking.example/{name}", title=title, text=f"{FILLER} {text}")

    records = [rec(i, f"filler-{i}", f"Town notes {i}", f"Item {i} of the notes.") for i in range(30)]
    records += [rec(40 + i, f"harbour-only-{i}", f"Quay notes {i}", "The harbour was calm.") for i in range(3)]
    return [  # neither storage order nor its reverse is the ranked order
        *records,
        rec(50, "ranked-harbour-twice", "Crossing notes", "The harbour and the harbour wall; a ferry came."),
        rec(51, "ranked-ferry-twice", "Crossing news", "A ferry, then another ferry, left the harbour."),
        rec(52, "ranked-both-once", "Crossing diary", "One ferry left the harbour at noon today."),
        rec(60, "ranked-thrice", "Weekly digest", "Harbour dues rose; the harbour master said the harbour is full."),
        rec(61, "ranked-once", "Weekly roundup", "A boat was seen near the harbour at noon."),
        rec(62, "ranked-title", "Harbour reopens", "Boats came back at noon."),
    ]


def write_ranking_archive(root: Path) -> Path:
    """Write the records under ``root`` (one day, one run) and return ``root``."""
    write_records(root, ranking_records(), run_id="rank", day="2026-02-01")
    return root


def names(urls: list[str]) -> list[str]:
    """The record names of result URLs, in order."""
    return [u.rsplit("/", 1)[1] for u in urls]
