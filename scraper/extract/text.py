"""Small text helpers shared by the extraction modules."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from lxml.html import HtmlElement

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\u200b]")
_SURROGATE = re.compile("[\ud800-\udfff]")  # lone surrogates (a JSON-LD "\ud83d" escape) cannot be UTF-8
_URL_JUNK = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029\ufeff\u200b]")


def clean_line(text: str) -> str:
    """NFC, no control characters, lone surrogates or zero-width junk, whitespace collapsed."""
    if text.isascii():  # no surrogates, nothing NFC changes: only ASCII control characters to blank
        collapsed = " ".join(text.split())
        # printable: no control character was left between the blanks (\t, \n, \x0b, \x1c... are blanks)
        return collapsed if collapsed.isprintable() else " ".join(_CONTROL.sub(" ", text).split())
    text = _SURROGATE.sub("\ufffd", text)
    return " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", text)).split())


def node_text(node: HtmlElement) -> str:
    """An element's text on one line (whitespace collapsed)."""
    return " ".join(node.text_content().split())


def clean_url(url: str) -> str:
    """A URL without the whitespace and control characters a page may have put in it."""
    return _URL_JUNK.sub("", _SURROGATE.sub("", url))


def clean_fields(record: dict[str, Any]) -> None:
    """Make every metadata field of a record one clean line: no control characters survive extraction."""
    for name in ("site_name", "title", "description", "section", "language", "published_at", "modified_at"):
        if isinstance(record.get(name), str):
            record[name] = clean_line(record[name]) or None
    if isinstance(record.get("canonical_url"), str):
        record["canonical_url"] = clean_url(record["canonical_url"]) or None
    for name in ("authors", "tags"):
        record[name] = [v for v in (clean_line(str(x)) for x in record.get(name) or []) if v]
    if isinstance(record.get("image"), dict):
        image = record["image"]
        url = clean_url(str(image.get("url") or ""))
        caption = clean_line(str(image.get("caption") or "")) or None
        record["image"] = {"url": url, "caption": caption} if url else None
