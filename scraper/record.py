"""The article record (schema version 1): its fields, their empty values, and derived fields."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

SCHEMA_VERSION = 1

#: One article record: field name to JSON value (archive/record.schema.json).
Record = dict[str, Any]

#: Fields that extraction fills, in the order they are written.
EXTRACTED_FIELDS: tuple[str, ...] = (
    "schema_version",
    "url",
    "canonical_url",
    "site",
    "site_name",
    "title",
    "description",
    "authors",
    "organizations",
    "published_at",
    "modified_at",
    "language",
    "section",
    "tags",
    "image",
    "text",
    "word_count",
    "content_hash",
)
#: Fields that the crawl adds when it archives the record.
CRAWL_FIELDS: tuple[str, ...] = ("crawled_at", "spider", "run_id", "http_status")

_LIST_FIELDS = {"authors", "organizations", "tags"}
#: A regular-expression class of the characters of scripts written without spaces between words (kana,
#: CJK ideographs, Hangul syllables): each counts as a word.
CJK_CHARS = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]"
_WORD = re.compile(rf"{CJK_CHARS}|[^\W_]+")


def empty_record(url: str) -> dict[str, Any]:
    """A record with every extracted field present and unknown: `None`, `[]`, or zero."""
    record: dict[str, Any] = {name: ([] if name in _LIST_FIELDS else None) for name in EXTRACTED_FIELDS}
    record.update(schema_version=SCHEMA_VERSION, url=url, text="", word_count=0, content_hash=content_hash(""))
    return record


def normalise_for_hash(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed: the form `content_hash` is taken of."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def content_hash(text: str) -> str:
    """SHA-256 hex of the normalised text: the same words give the same hash."""
    return hashlib.sha256(normalise_for_hash(text).encode("utf-8")).hexdigest()


def word_count(text: str) -> int:
    """Words in `text`; each CJK character counts as one word, as in languages written without spaces."""
    return sum(1 for _ in _WORD.finditer(text))
