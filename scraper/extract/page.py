"""The page being extracted, read once and handed to every step: its tree, the walk over its body, its main text
and its structured data (JSON-LD, `<meta>`), each worked out once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from lxml.html import HtmlElement

from scraper.extract.encoding import parse_html
from scraper.extract.maintext import MainText, Scan, headlines, main_text, scan_page
from scraper.extract.structured import JsonObject, json_ld_objects, meta_tags, pick_article, resolve, types_of


@dataclass(eq=False)
class ParsedPage:
    """One page: what was fetched, its parsed tree, and what one walk over its body found.

    `root` is the `<body>` (the whole tree when there is none); `scan` the walk over it (text blocks, bylines,
    dates, captions); `found` the article's main text. The structured data is read on first use.
    """

    url: str
    html: str
    tree: HtmlElement
    hints: Mapping[str, object]
    root: HtmlElement = field(init=False)
    scan: Scan = field(init=False)
    found: MainText = field(init=False)

    def __post_init__(self) -> None:
        body = self.tree.find("body")
        self.root = body if body is not None else self.tree
        self.scan = scan_page(self.root)
        self.found = main_text(self.scan, self.html_title)

    @classmethod
    def parse(cls, html: str, url: str, hints: Mapping[str, object] | None) -> ParsedPage | None:
        """The page of decoded markup `html` at `url`, or None when there is no markup to parse. `hints` are
        what discovery learned about it (`published_at`, `title`, `language`...)."""
        tree = parse_html(html)
        return None if tree is None else cls(url, html, tree, dict(hints or {}))

    @cached_property
    def html_title(self) -> str:
        """The text of the page's `<title>` element ("" when it has none)."""
        return self.tree.findtext(".//title") or ""

    @cached_property
    def headlines(self) -> list[int]:
        """Where the post's headline is among the scan's blocks (`maintext.headlines`)."""
        return headlines(self.scan.blocks, self.html_title)

    @cached_property
    def json_ld(self) -> list[JsonObject]:
        """Every JSON-LD object of the page (`@graph` members flattened)."""
        return json_ld_objects(self.tree)

    @cached_property
    def by_id(self) -> dict[str, JsonObject]:
        """The JSON-LD objects that have an `@id`, by it (what `{"@id": ...}` references point to)."""
        return {o["@id"]: o for o in self.json_ld if isinstance(o.get("@id"), str)}

    @cached_property
    def article(self) -> JsonObject:
        """The JSON-LD object that describes this page's article; empty when there is none."""
        return pick_article(self.json_ld, self.url) or {}

    @cached_property
    def publisher(self) -> object:
        """The article's JSON-LD publisher (an object, a name, or None)."""
        return self.resolve(self.article.get("publisher"))

    @cached_property
    def website(self) -> JsonObject:
        """The page's JSON-LD WebSite object; empty when there is none."""
        return next((o for o in self.json_ld if "website" in types_of(o)), {})

    @cached_property
    def meta(self) -> dict[str, list[str]]:
        """`<meta>` contents by lower-case name."""
        return meta_tags(self.tree)

    def meta_value(self, *names: str) -> str | None:
        """The first `<meta>` content of the first of `names` the page has."""
        return next((values[0] for name in names if (values := self.meta.get(name))), None)

    def resolve(self, value: object) -> object:
        """A JSON-LD value with a `{"@id": ...}` reference replaced by the object it names."""
        return resolve(value, self.by_id)
