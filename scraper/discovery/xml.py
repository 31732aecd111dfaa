"""XML entities in sitemaps and feeds: never expanded, never fetched, and not a reason to lose the plain URLs.

No sitemap or feed needs a DTD; entity declarations are how billion-laughs expansions and external entities
(XXE) are built. Before parsing, `without_entities` drops the document's DOCTYPE declaration (internal subset
and external DTD alike) and turns each remaining entity reference into ENTITY_MARKER, so the XML parser sees
no entity at all; a value holding the marker is unusable (a URL cut at an entity is another URL) and is
skipped, the rest of the document is read as usual. A document whose DOCTYPE cannot be found in its bytes
(UTF-16, say) still declares its entities once parsed: `declares_entities` lets the parsers refuse it whole.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from lxml import etree
from scrapy.statscollectors import StatsCollector

ENTITY_MARKER = "\ufdd0"  # a noncharacter: allowed in XML, never in real text or URLs
_MARKER_REF = b"&#xFDD0;"
_PREDEFINED = {b"amp", b"lt", b"gt", b"quot", b"apos"}
_REFERENCE = re.compile(rb"&([^\s&;<>#\"'][^\s&;<>\"']*);")
_CDATA = re.compile(rb"(<!\[CDATA\[.*?\]\]>)", re.DOTALL)
_MAX_DOCTYPE = 1024 * 1024  # a longer DOCTYPE is not set aside: the parsers then refuse the document
_PROLOG = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*)*", re.DOTALL)


@dataclass
class IgnoredEntities:
    """What a sitemap or feed lost to the XML entities it declares (never expanded); filled in by the parser."""

    declared: bool = False  # the document declared or referenced entities: they were ignored
    skipped: int = 0  # entries whose URL held an entity reference: not used

    def report(
        self,
        kind: str,
        url: str,
        site: str,
        stats: StatsCollector | None,
        log: logging.Logger | logging.LoggerAdapter[logging.Logger],
    ) -> None:
        """Count (`site/<id>/discovery/entities_ignored`, `.../entity_urls_skipped`) and log one WARNING."""
        if not self.declared:
            return
        if stats is not None:
            stats.inc_value(f"site/{site}/discovery/entities_ignored")
            if self.skipped:
                stats.inc_value(f"site/{site}/discovery/entity_urls_skipped", self.skipped)
        log.warning(
            "%s %s declares XML entities: ignored, never expanded; its plain URLs are used "
            "(%d URL(s) holding an entity reference skipped)",
            kind.capitalize(),
            url,
            self.skipped,
        )


def _doctype_end(body: bytes, start: int) -> int | None:
    """The index just past the DOCTYPE declaration starting at `start`, quotes, comments and the internal
    subset `[...]` included; None if it does not end within _MAX_DOCTYPE bytes."""
    i, quote, subset = start + len(b"<!DOCTYPE"), b"", False
    while i < min(len(body), start + _MAX_DOCTYPE):
        char = body[i : i + 1]
        if quote:
            quote = b"" if char == quote else quote
        elif char in {b'"', b"'"}:
            quote = char
        elif subset and body.startswith(b"<!--", i):
            close = body.find(b"-->", i + 4)
            if close < 0:
                return None
            i = close + 2
        elif char == b"[" and not subset:
            subset = True
        elif char == b"]" and subset:
            subset = False
        elif char == b">" and not subset:
            return i + 1
        i += 1
    return None


def _mark_references(part: bytes) -> bytes:
    return _REFERENCE.sub(lambda m: m.group(0) if m.group(1) in _PREDEFINED else _MARKER_REF, part)


def without_entities(body: bytes) -> tuple[bytes, bool]:
    """`body` without its DOCTYPE declaration, each entity reference outside CDATA (bar `&amp;` and the other
    predefined ones) replaced by ENTITY_MARKER; and whether the document declared or referenced any entity.
    A body without a DOCTYPE in its prolog comes back as it is."""
    prolog = _PROLOG.match(body)
    start = prolog.end() if prolog else 0
    if not body.startswith(b"<!DOCTYPE", start):
        return body, False
    end = _doctype_end(body, start)
    if end is None:
        return body, False
    rest = b"".join(
        part if part.startswith(b"<![CDATA[") else _mark_references(part) for part in _CDATA.split(body[end:])
    )
    declared = b"<!ENTITY" in body[start:end] or _MARKER_REF in rest
    return body[:start] + rest, declared


def local_name(tag: object) -> str:
    """An element's tag without its namespace, lower-cased; "" for comments and processing instructions."""
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def unmarked(value: str | None) -> str | None:
    """`value`, or None when it held an entity reference (ENTITY_MARKER)."""
    return None if value is None or ENTITY_MARKER in value else value


def declares_entities(element: etree._Element) -> bool:
    """Whether the document of `element` declares entities in its DTD: no sitemap or feed needs any, and
    they are how billion-laughs expansions and external entities (XXE) are built."""
    dtd = element.getroottree().docinfo.internalDTD
    return dtd is not None and any(True for _ in dtd.iterentities())
