"""Extraction: page bytes and URL in, article record out. Pure: no Scrapy, no network, no globals.

The command line is `python -m scraper.extract` (scraper/extract/cli.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scraper.extract.body import extract_body
from scraper.extract.boilerplate import DEFAULT_STRIPPER, BoilerplateStripper
from scraper.extract.encoding import decode_html
from scraper.extract.metadata import extract_metadata
from scraper.extract.page import ParsedPage
from scraper.extract.text import clean_fields
from scraper.record import content_hash, empty_record, word_count
from scraper.urls import site_of

log = logging.getLogger(__name__)


#: Pages longer than this (decoded) are cut before parsing: news pages are rarely over 3 MB, most of it scripts.
MAX_HTML_CHARS = 8_000_000


@dataclass
class Extraction:
    """An extracted record and, when the page is not an article, why not."""

    record: dict[str, Any]
    not_article: str | None = None
    removed_lines: int = 0


_MAGIC = (
    (b"%PDF", "application/pdf"),
    (b"\x89PNG", "image/png"),
    (b"GIF8", "image/gif"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
    (b"\x00\x00\x00", "video/mp4"),
)
_MARKUP_TYPES = ("html", "xml", "text/plain")


def not_html(data: bytes | str, content_type: str | None) -> str | None:
    """Why a response body is not an HTML page (`empty`, `not_html (application/pdf)`), else None."""
    if isinstance(data, str):
        data = data.lstrip()[:512].encode("utf-8", "replace")
    head = data.lstrip()[:512]  # whitespace before the first tag says nothing about the page
    if not head:
        return "empty"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return f"not_html ({kind})"
    if head[8:12] == b"WEBP":
        return "not_html (image/webp)"
    declared = (content_type or "").split(";")[0].strip().lower()
    looks_like_markup = head.lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n").startswith(b"<") or b"<\x00" in head[:8]
    if declared and not any(t in declared for t in _MARKUP_TYPES) and not looks_like_markup:
        return f"not_html ({declared})"
    return None


def _decoded(html: str | bytes, url: str, content_type: str | None) -> str:
    """The page's markup as text, cut to MAX_HTML_CHARS."""
    text, _encoding = decode_html(html, content_type)
    if len(text) > MAX_HTML_CHARS:
        log.warning("%s: page of %d characters cut to %d before parsing", url, len(text), MAX_HTML_CHARS)
        text = text[:MAX_HTML_CHARS]
    return text


def _verdict(record: dict[str, Any], article_markup: bool, non_article: str | None) -> str | None:
    if not record["text"]:
        return "no_text"
    if non_article:
        return f"not_article ({non_article})"
    if not article_markup and record["published_at"] is None:
        return "not_article (no article markup and no publication date)"
    return None


def analyse_page(
    html: str | bytes,
    url: str,
    *,
    content_type: str | None = None,
    hints: Mapping[str, object] | None = None,
    stripper: BoilerplateStripper | None = DEFAULT_STRIPPER,
) -> Extraction:
    """Extract the record of the page at `url` and judge whether it is an article.

    `html` is the body as fetched (bytes are decoded by BOM, `content_type`'s charset, `<meta charset>`,
    then detection). `hints` are what discovery learned (`published_at`, `title`, `language`...): used
    only where the page itself is silent. `stripper` removes boilerplate lines (None leaves them, for
    a pipeline that strips with its own patterns). Never raises on bad input: a page that cannot be
    read comes back as an empty record with its reason.
    """
    record = empty_record(url)
    record["site"] = site_of(url) or "unknown"
    if reason := not_html(html, content_type):
        return Extraction(record, reason)
    page = ParsedPage.parse(_decoded(html, url, content_type), url, hints)
    if page is None:
        return Extraction(record, "empty")
    meta = extract_metadata(page)
    record.update(meta.record_fields())
    clean_fields(record)
    set_text(record, extract_body(page, meta))
    removed = strip_boilerplate(record, stripper) if stripper is not None else 0
    return Extraction(record, _verdict(record, meta.article_markup, meta.non_article_markup), removed)


def set_text(record: dict[str, Any], text: str) -> None:
    """Set the record's text and the fields derived from it."""
    record.update(text=text, word_count=word_count(text), content_hash=content_hash(text))


def strip_boilerplate(record: dict[str, Any], stripper: BoilerplateStripper) -> int:
    """Remove boilerplate lines from the record's text; credit lines join the image caption, if any. Lines removed."""
    image = record.get("image")
    cleaned = stripper.clean(record["text"], credits_to_caption=bool(image))
    if cleaned.removed:
        set_text(record, cleaned.text)
    if cleaned.credits and image:
        caption = image.get("caption") or ""
        extra = [c for c in cleaned.credits if c not in caption]
        image["caption"] = " ".join([caption, *extra]).strip() or None
    return cleaned.removed


def extract_article(
    html: str | bytes, url: str, *, content_type: str | None = None, hints: Mapping[str, object] | None = None
) -> dict[str, Any]:
    """The article record of a page: every field of schema version 1 but the crawl fields."""
    return analyse_page(html, url, content_type=content_type, hints=hints).record
