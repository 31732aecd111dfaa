"""Sitemaps, sitemap indexes and Google News sitemaps, parsed as a stream and without entity expansion."""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from scraper.discovery.xml import (
    ENTITY_MARKER,
    IgnoredEntities,
    declares_entities,
    local_name,
    unmarked,
    without_entities,
)
from scraper.extract.dates import parse_date
from scraper.urls import usable_url

_GZIP_MAGIC = b"\x1f\x8b"


class SitemapError(ValueError):
    """The body is not a sitemap we can read (malformed XML, too large once decompressed...)."""


@dataclass
class SitemapEntry:
    """One `<url>` or `<sitemap>` of a sitemap, with what the `news:` namespace says about it."""

    loc: str
    is_sitemap: bool = False
    lastmod: str | None = None
    news: dict[str, object] = field(default_factory=dict)

    @property
    def date(self) -> str | None:
        """The entry's publication date, else its last modification."""
        published = self.news.get("published_at")
        return published if isinstance(published, str) else self.lastmod


def gunzip_limited(data: bytes, max_size: int) -> bytes:
    """Decompress gzip `data`, refusing to produce more than `max_size` bytes (gzip bombs)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, max_size + 1)
    except zlib.error as exc:
        raise SitemapError(f"not valid gzip: {exc}") from None
    if len(out) > max_size:
        raise SitemapError(f"decompresses to more than {max_size} bytes")
    return out


def _child_text(element: etree._Element, name: str, deep: bool = True) -> str | None:
    """The text of the first child named `name`; None when it is missing or held an entity reference."""
    for child in element.iter() if deep else element:
        if local_name(child.tag) == name and child.text and child.text.strip():
            return unmarked(child.text.strip())
    return None


def _news_of(url: etree._Element) -> dict[str, object]:
    news: dict[str, object] = {}
    for child in url:
        if local_name(child.tag) != "news":
            continue
        if published := parse_date(_child_text(child, "publication_date")):
            news["published_at"] = published
        if title := _child_text(child, "title"):
            news["title"] = " ".join(title.split())
        if language := _child_text(child, "language"):
            news["language"] = language
        if keywords := _child_text(child, "keywords"):
            news["keywords"] = [k.strip() for k in keywords.split(",") if k.strip()]
    return news


def _entry(element: etree._Element, kind: str, report: IgnoredEntities) -> SitemapEntry | None:
    """The entry of a `<url>` or `<sitemap>` element; None without a `<loc>`, or when it held an entity
    reference (counted in `report`)."""
    loc = next((c.text.strip() for c in element if local_name(c.tag) == "loc" and c.text and c.text.strip()), None)
    if loc and ENTITY_MARKER in loc:
        report.skipped += 1
        return None
    if not loc:
        return None
    return SitemapEntry(
        loc=loc,
        is_sitemap=kind == "sitemap",
        lastmod=parse_date(_child_text(element, "lastmod", deep=False)),
        news=_news_of(element) if kind == "url" else {},
    )


def _release(element: etree._Element) -> None:
    """Free an element read and the siblings before it: a streamed sitemap holds one entry at a time."""
    element.clear(keep_tail=False)
    parent = element.getparent()  # a sibling before the element means it has a parent
    while parent is not None and element.getprevious() is not None:
        del parent[0]


def parse_sitemap(
    body: bytes, max_size: int = 50 * 1024 * 1024, entities: IgnoredEntities | None = None
) -> Iterator[SitemapEntry]:
    """Yield the entries of a sitemap or sitemap index (plain or gzipped), element by element.

    Entities are never expanded and no DTD or network resource is loaded (billion laughs, XXE): a document
    that declares entities is read without them (scraper.discovery.xml), an entry whose `<loc>` held one is
    skipped and a hint that held one is left out; `entities`, when given, is told so. Raises SitemapError
    on malformed XML, after yielding the entries before the damage, and on a document whose entities could
    not be set aside (refused whole).
    """
    if body[:2] == _GZIP_MAGIC:
        body = gunzip_limited(body, max_size)
    body, declared = without_entities(body)
    report = entities if entities is not None else IgnoredEntities()
    report.declared = declared
    parser = etree.iterparse(
        io.BytesIO(body),
        events=("end",),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        recover=False,
    )
    first = True
    try:
        for _event, element in parser:
            if first and declares_entities(element):
                raise SitemapError("declares XML entities (entity expansion or external entities): refused")
            first = False
            kind = local_name(element.tag)
            if kind not in {"url", "sitemap"}:
                continue
            if entry := _entry(element, kind, report):
                yield entry
            _release(element)
    except etree.XMLSyntaxError as exc:
        raise SitemapError(f"malformed XML: {exc}") from None


def sitemaps_in_robots(body: bytes) -> list[str]:
    """The `Sitemap:` URLs of a robots.txt."""
    urls = []
    for line in body.decode("utf-8", "replace").splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "sitemap" and (url := usable_url(value)):
            urls.append(url)
    return urls
