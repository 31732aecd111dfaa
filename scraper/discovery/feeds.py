"""RSS 2.0, RSS 1.0, Atom and JSON Feed entries: the article URLs and the dates they carry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree
from lxml.html import HtmlElement

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

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
)


class FeedError(ValueError):
    """The body is not a feed we can read."""


@dataclass
class FeedEntry:
    """One feed item: its link and what the feed says of it."""

    url: str
    published_at: str | None = None
    title: str | None = None
    updated_at: str | None = None  # Atom <updated>, JSON Feed date_modified: when the entry last changed


def _text(element: etree._Element, *names: str) -> str | None:
    """The text of the first child named like the first name that has one (names in order of preference)."""
    found = {local_name(c.tag): c.text for c in reversed(element) if c.text and c.text.strip()}
    return unmarked(next((" ".join(found[n].split()) for n in names if n in found), None))


def _raw_text(element: etree._Element, name: str) -> str | None:
    """The text of the first child `name` that has some, entity markers and all (for links: see _xml_entries)."""
    return next(((c.text or "").strip() for c in element if local_name(c.tag) == name and (c.text or "").strip()), None)


def _atom_link(entry: etree._Element) -> str | None:
    links = [c for c in entry if local_name(c.tag) == "link" and c.get("href")]
    preferred = [c for c in links if c.get("rel", "alternate") == "alternate"] or links
    return preferred[0].get("href") if preferred else None


def _xml_entries(body: bytes, base_url: str, entities: IgnoredEntities) -> Iterator[FeedEntry]:
    body, entities.declared = without_entities(body)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True, recover=False
    )
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"malformed XML: {exc}") from None
    if root is None:
        raise FeedError("empty document")
    if declares_entities(root):
        raise FeedError("declares XML entities (entity expansion or external entities): refused")
    for item in root.iter():
        kind = local_name(item.tag)
        if kind == "item":  # RSS 2.0 and RSS 1.0
            link = _raw_text(item, "link") or item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
            guid = next((c for c in item if local_name(c.tag) == "guid"), None)
            if not link and guid is not None and guid.get("isPermaLink", "true") != "false":
                link = (guid.text or "").strip() or None
            date = _text(item, "pubdate", "date", "published", "issued")
        elif kind == "entry":  # Atom
            link = _atom_link(item)
            date = _text(item, "published", "issued", "updated")
        else:
            continue
        if link and ENTITY_MARKER in link:
            entities.skipped += 1
        elif link and (url := usable_url(link, base_url)):
            yield FeedEntry(url, parse_date(date), _text(item, "title"), parse_date(_text(item, "updated")))


def _json_entries(body: bytes, base_url: str) -> Iterator[FeedEntry]:
    try:
        feed = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: arrays nested thousands deep
        raise FeedError(f"malformed JSON: {exc}") from None
    if not isinstance(feed, dict) or not isinstance(feed.get("items"), list):
        raise FeedError("not a JSON Feed (no items list)")
    for item in feed["items"]:
        if not isinstance(item, dict):
            continue
        link, date, title = item.get("url") or item.get("external_url"), item.get("date_published"), item.get("title")
        modified = item.get("date_modified")
        if isinstance(link, str) and (url := usable_url(link, base_url)):
            yield FeedEntry(
                url,
                parse_date(date) if isinstance(date, str) else None,
                (" ".join(title.split()) or None) if isinstance(title, str) else None,
                parse_date(modified) if isinstance(modified, str) else None,
            )


def parse_feed(body: bytes, base_url: str, entities: IgnoredEntities | None = None) -> list[FeedEntry]:
    """The entries of an RSS, Atom or JSON feed. Entities are never expanded and nothing is fetched: a feed
    that declares entities is read without them (scraper.discovery.xml), an entry whose link held one is
    skipped and a title or date that held one is left out; `entities`, when given, is told so. FeedError
    when the feed is malformed, or declares entities that could not be set aside (refused whole)."""
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head in {b"{", b"["}:
        return list(_json_entries(body, base_url))
    return list(_xml_entries(body, base_url, entities if entities is not None else IgnoredEntities()))


def feed_links(tree: HtmlElement, base_url: str) -> list[str]:
    """Feeds a page announces with `<link rel="alternate" type="application/rss+xml" href=...>`."""
    links = []
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower()
        if "alternate" in rel and kind in FEED_TYPES[:5] and (url := usable_url(link.get("href") or "", base_url)):
            links.append(url)
    return links
