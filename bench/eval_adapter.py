"""Adapter from our record to the dict `../shared/eval/score_metadata.py` scores."""

from __future__ import annotations

from typing import Any

from scraper.extract import extract_article


def extract(html: str | bytes, url: str) -> dict[str, Any]:
    """`extract_article`, with the record's fields under the names the scorer expects."""
    record = extract_article(html, url)
    return {
        "title": record["title"],
        "authors": record["authors"] + record["organizations"],  # fundus's authors mix persons and organisations
        "published": record["published_at"],
        "description": record["description"],
        "site_name": record["site_name"],
        "language": record["language"],
        "image": (record["image"] or {}).get("url"),
        "body": record["text"],
    }
