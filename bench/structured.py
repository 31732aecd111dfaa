"""The "structured data alone" anchor: a page's metadata as its JSON-LD, OpenGraph and <meta> tags state it.

`structured_metadata(html, url)` returns the dict `../shared/eval/score_metadata.py` scores, with each field
taken straight from the page's declarations and no judgement: the first article-typed JSON-LD object's value,
else the first <meta> tag of a fixed list that has one, else nothing. It shares no code with `scraper.extract`,
so it is an independent reference for what the page's own markup says (`bench/extraction.py` prints it beside
our extractor). It has no body: the rows of this anchor are metadata only.
"""

from __future__ import annotations

import html as htmllib
import json
import re
from collections.abc import Iterator
from typing import Any

import lxml.etree
import lxml.html

UTF8 = lxml.html.HTMLParser(encoding="utf-8")
#: The comment or CDATA wrapper some pages put around a JSON-LD block (`//<![CDATA[ ... //]]>`, `<!-- ... -->`).
WRAPPER = re.compile(r"^\s*(?://\s*)?(?:<!\[CDATA\[|<!--)|(?://\s*)?(?:\]\]>|-->)\s*$")

#: JSON-LD @type values that are an article (schema.org's Article and its subtypes that pages use).
ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "AnalysisNewsArticle",
        "BackgroundNewsArticle",
        "OpinionNewsArticle",
        "ReportageNewsArticle",
        "ReviewNewsArticle",
        "AskPublicNewsArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "SocialMediaPosting",
        "DiscussionForumPosting",
        "Report",
        "ScholarlyArticle",
        "TechArticle",
        "SatiricalArticle",
    }
)

#: Field -> the <meta> keys (`property`, `name`, `itemprop` or `http-equiv`, compared case-insensitively; microdata
#: `itemprop` on any element too) read in this order when the JSON-LD article does not state the field.
META_KEYS: dict[str, tuple[str, ...]] = {
    "title": ("og:title", "twitter:title"),
    "authors": ("author", "article:author", "dc.creator"),
    "published": (
        "article:published_time",
        "og:article:published_time",
        "datepublished",
        "dc.date.issued",
        "dcterms.issued",
        "dc.date",
        "date",
        "pubdate",
    ),
    "description": ("og:description", "description", "twitter:description"),
    "site_name": ("og:site_name", "application-name"),
    "language": ("og:locale", "inlanguage", "content-language", "dc.language"),
    "image": ("og:image", "og:image:url", "twitter:image", "twitter:image:src"),
}


def json_ld_objects(tree: lxml.html.HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's `application/ld+json` scripts, nested ones included, in document order."""

    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, list):
            for item in node:
                yield from walk(item)
        elif isinstance(node, dict):
            yield node
            for value in node.values():
                if isinstance(value, (dict, list)):
                    yield from walk(value)

    for script in tree.xpath('//script[translate(@type, "LDJSON", "ldjson")="application/ld+json"]'):
        try:
            yield from walk(json.loads(WRAPPER.sub("", script.text_content()), strict=False))
        except ValueError:
            continue  # an unreadable block states nothing


def is_article(obj: dict[str, Any]) -> bool:
    """The object's @type (a string or a list) names an article type."""
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and k.rsplit("/", 1)[-1] in ARTICLE_TYPES for k in kinds)


def names(value: Any) -> list[str]:
    """The names a JSON-LD value states: a string, an object's `name`, or a list of those."""
    if isinstance(value, list):
        return [n for item in value for n in names(item)]
    if isinstance(value, dict):
        value = value.get("name")
    return [htmllib.unescape(value).strip()] if isinstance(value, str) and value.strip() else []


def url_of(value: Any) -> str | None:
    """The first URL a JSON-LD image value states (a string, an ImageObject's `url`, or a list of those)."""
    if isinstance(value, list):
        return next((u for u in map(url_of, value) if u), None)
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return value.strip() if isinstance(value, str) and value.strip() else None


def text_of(value: Any) -> str | None:
    """A JSON-LD string value (the first of a list), stripped; None when it is not text."""
    if isinstance(value, list):
        value = value[0] if value else None
    return htmllib.unescape(value).strip() if isinstance(value, str) and value.strip() else None


def from_json_ld(article: dict[str, Any]) -> dict[str, Any]:
    """The scorer's fields as the article object states them (missing: absent)."""
    fields: dict[str, Any] = {
        "title": text_of(article.get("headline")) or text_of(article.get("name")),
        "authors": names(article.get("author")),
        "published": text_of(article.get("datePublished")),
        "description": text_of(article.get("description")),
        "site_name": next(iter(names(article.get("publisher"))), None),
        "language": text_of(article.get("inLanguage")),
        "image": url_of(article.get("image")),
    }
    return {k: v for k, v in fields.items() if v}


def meta_values(tree: lxml.html.HtmlElement) -> dict[str, list[str]]:
    """Lower-cased key -> its non-empty values, in document order: <meta> tags (by property, name, itemprop or
    http-equiv) and microdata (`itemprop` on any element, value in `content` or `datetime`)."""
    out: dict[str, list[str]] = {}
    for meta in tree.xpath("//meta | //*[@itemprop][@content or @datetime]"):
        content = (meta.get("content") or meta.get("datetime") or "").strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = (meta.get(attr) or "").strip().lower()
            if key:
                out.setdefault(key, []).append(content)
    return out


def structured_metadata(html: str | bytes, url: str) -> dict[str, Any]:
    """Title, authors, published, description, site_name, language, image from structured data alone.

    The first JSON-LD object typed as an article wins field by field; a field it lacks comes from the first
    <meta> key of `META_KEYS[field]` present (authors: every content of that key; `article:author` values
    that are URLs are profile links, not names, and are skipped); language last from `<html lang>`. Values are
    as stated (a date too: on the dev corpora every stated date is ISO 8601). Always every field (missing:
    None, authors []). `url` is unused: the anchor reads only the markup.
    """
    try:
        if isinstance(html, str):  # already text: parse it as such, whatever charset the page declares
            tree = lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=UTF8)
        else:
            tree = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        tree = None
    if tree is None:
        return {field: [] if field == "authors" else None for field in META_KEYS}
    article = next((obj for obj in json_ld_objects(tree) if is_article(obj)), {})
    fields = from_json_ld(article) if article else {}
    metas = meta_values(tree)
    for field, keys in META_KEYS.items():
        if field in fields:
            continue
        for key in keys:
            values = [v for v in metas.get(key, []) if not (key == "article:author" and v.startswith("http"))]
            if values:
                fields[field] = values if field == "authors" else values[0]
                break
    if "language" not in fields:
        fields["language"] = (tree.get("lang") or tree.get("xml:lang") or "").strip() or None
    return {field: fields.get(field, [] if field == "authors" else None) for field in META_KEYS}
