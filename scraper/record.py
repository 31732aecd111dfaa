"""The article record (schema version 1): its fields, their empty values, and derived fields."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import re
import tomllib
import unicodedata
from pathlib import Path
from typing import Any, TypedDict

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
#: Fields that the crawl adds when it archives the record: `source` is where the WARC holds the response the
#: record was extracted from (null without a capture), `extractor` is `extractor_stamp()`.
CRAWL_FIELDS: tuple[str, ...] = ("crawled_at", "spider", "run_id", "http_status", "source", "extractor")

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
    return len(_WORD.findall(text))  # the pattern has no groups: one list item per match


class ExtractorStamp(TypedDict):
    """Which extraction code made a record: the package version and a hash of the extraction sources."""

    version: str
    revision: str


_PACKAGE = "news-archiver"
_EXTRACT_DIR = Path(__file__).resolve().parent / "extract"


@functools.cache
def extractor_stamp() -> ExtractorStamp:
    """The record's `extractor` field, computed once per process: `version` is the installed package's version
    (pyproject.toml's when it is not installed), `revision` the first 12 hex digits of a SHA-256 over the
    sources of scraper/extract/*.py (by file name) and trafilatura's version, so any change to the extraction
    code or to trafilatura gives a new revision."""
    digest = hashlib.sha256()
    for path in sorted(_EXTRACT_DIR.glob("*.py"), key=lambda p: p.name):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(b"trafilatura " + _version("trafilatura").encode())
    return {"version": _version(_PACKAGE), "revision": digest.hexdigest()[:12]}


def _version(distribution: str) -> str:
    """The installed version of `distribution`; for this package, pyproject.toml's when not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        if distribution != _PACKAGE:
            return "unknown"
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"
