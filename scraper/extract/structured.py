"""Structured data in a page: JSON-LD objects and `<meta>` tags, read tolerantly."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from lxml.html import HtmlElement

from scraper.urls import host_and_path

JsonObject = dict[str, Any]

ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "askpublicnewsarticle",
        "blogposting",
        "liveblogposting",
        "socialmediaposting",
        "scholarlyarticle",
        "techarticle",
        "report",
        "satiricalarticle",
        "medicalscholarlyarticle",
        "advertisertcontentarticle",
        "posting",
        "discussionforumposting",
    }
)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _loads(raw: str) -> object:
    """Parse one JSON-LD block; repair the usual damage (comments, CDATA, trailing commas, raw newlines)."""
    text = raw.strip()
    for junk in ("//<![CDATA[", "//]]>", "<!--", "-->", "<![CDATA[", "]]>"):
        text = text.replace(junk, "")
    text = text.strip().rstrip(";")
    try:
        return json.loads(text)
    except ValueError:
        pass
    repaired = _TRAILING_COMMA.sub(r"\1", _CONTROL.sub(" ", text)).replace("\n", " ").replace("\r", " ")
    try:
        return json.loads(repaired)
    except ValueError:
        try:  # several objects side by side: take the first whole one
            return json.JSONDecoder().raw_decode(repaired)[0]
        except ValueError:
            return None


def _walk(node: object, depth: int = 0) -> Iterator[JsonObject]:
    if depth > 8:
        return
    if isinstance(node, list):
        for child in node:
            yield from _walk(child, depth + 1)
    elif isinstance(node, dict):
        yield node
        for key in ("@graph", "mainEntity", "itemListElement", "hasPart"):
            if key in node:
                yield from _walk(node[key], depth + 1)


def json_ld_objects(tree: HtmlElement) -> list[JsonObject]:
    """Every JSON-LD object of the page, `@graph` members and main entities flattened; bad blocks skipped."""
    objects: list[JsonObject] = []
    for script in tree.iter("script"):
        kind = (script.get("type") or "").lower()
        if "ld+json" in kind and script.text:
            objects.extend(_walk(_loads(script.text)))
    return objects


def types_of(obj: JsonObject) -> set[str]:
    """The object's `@type`s, lower-case, without a schema.org prefix."""
    raw = obj.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {str(v).rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower() for v in values if v}


def is_article(obj: JsonObject) -> bool:
    """Whether a JSON-LD object describes an article (NewsArticle, BlogPosting, ...)."""
    return bool(types_of(obj) & ARTICLE_TYPES)


def resolve(value: object, by_id: dict[str, JsonObject]) -> object:
    """Follow a `{"@id": ...}` reference to the object it names, when the page has it."""
    if isinstance(value, dict) and set(value) <= {"@id", "@type"} and value.get("@id") in by_id:
        return by_id[value["@id"]]
    return value


def text_of(value: object) -> str | None:
    """A clean one-line string from a JSON-LD or meta value (a list's first, an object's name), else None."""
    if isinstance(value, list):
        value = next((v for v in value if text_of(v)), None)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("text")
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = " ".join(str(value).split())
    return text or None


def pick_article(objects: list[JsonObject], url: str) -> JsonObject | None:
    """The article object that describes the page at `url`: one naming this page, with a headline and a date
    first."""
    articles = [o for o in objects if is_article(o)]
    if not articles:
        return None
    path = host_and_path(url)[1].rstrip("/")

    def score(obj: JsonObject) -> tuple[int, int, int]:
        own = text_of(obj.get("url")) or text_of(obj.get("mainEntityOfPage")) or ""
        same_page = int(bool(path) and host_and_path(own)[1].rstrip("/") == path)
        return same_page, int(bool(obj.get("headline"))), int(bool(obj.get("datePublished")))

    return max(articles, key=score)


# Dublin Core as RDFa writes it (`property="dc:title"`, `dcterms:created`): also read under the HTML names
_DUBLIN_CORE = re.compile(r"^(dc|dcterms):")


def meta_tags(tree: HtmlElement) -> dict[str, list[str]]:
    """`<meta>` contents by lower-case property/name/itemprop/http-equiv, in page order; a space-separated
    attribute names several (`property="og:title twitter:title"`), and `dc:title` is `dc.title` too."""
    found: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        content = meta.get("content")
        if content is None or not content.strip():
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = meta.get(attr)
            if key:
                for name in key.lower().split():
                    found.setdefault(name, []).append(content.strip())
                    if _DUBLIN_CORE.match(name):
                        found.setdefault(_DUBLIN_CORE.sub(r"\1.", name), []).append(content.strip())
    return found
