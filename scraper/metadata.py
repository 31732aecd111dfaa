"""Article metadata: structured data first (JSON-LD, OpenGraph, meta), the visible page second."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from scraper.authors import clean_authors
from scraper.dates import parse_date
from scraper.structured import JsonObject, is_article, json_ld_objects, meta_tags, resolve, types_of

_TITLE_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|·|•|»|/)\s+")
_BYLINE_XPATH = (
    "//*[@rel='author' or @itemprop='author' or contains(concat(' ', normalize-space(@class), ' '), ' byline ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' author ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' author-name ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' byline__name ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' fn ')]"
)
_NOT_ARTICLE_TYPES = frozenset({"collectionpage", "profilepage", "searchresultspage", "aboutpage", "contactpage",
                                "itemlist", "faqpage", "imagegallery", "mediagallery", "videogallery"})
_LANG = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}|\d{3}|[A-Za-z]{4}))?")


@dataclass
class Metadata:
    """What the page says about itself, before the body is read."""

    title: str | None = None
    description: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: str | None = None
    modified_at: str | None = None
    language: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    image_url: str | None = None
    image_caption: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    article_body: str | None = None
    article_markup: bool = False
    non_article_markup: str | None = None


def _text(value: Any) -> str | None:
    """A clean one-line string from a JSON-LD or meta value, else None."""
    if isinstance(value, list):
        value = next((v for v in value if _text(v)), None)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("text")
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = " ".join(str(value).split())
    return text or None


def _first(*values: Any) -> str | None:
    return next((t for v in values if (t := _text(v))), None)


def _strings(value: Any) -> list[str]:
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    text = _text(value)
    return [text] if text else []


def _node_text(node: HtmlElement) -> str:
    return " ".join(node.text_content().split())


def _pick_article(objects: list[JsonObject], url: str) -> JsonObject | None:
    articles = [o for o in objects if is_article(o)]
    if not articles:
        return None
    path = urlsplit(url).path.rstrip("/")

    def score(obj: JsonObject) -> tuple[int, int, int]:
        own = _text(obj.get("url")) or _text(obj.get("mainEntityOfPage")) or ""
        same_page = int(bool(path) and urlsplit(own).path.rstrip("/") == path)
        return same_page, int(bool(obj.get("headline"))), int(bool(obj.get("datePublished")))

    return max(articles, key=score)


def _ld_authors(article: JsonObject, by_id: dict[str, JsonObject]) -> list[str]:
    raw = article.get("author") or article.get("creator") or []
    names: list[str] = []
    for person in raw if isinstance(raw, list) else [raw]:
        person = resolve(person, by_id)
        if isinstance(person, dict):
            if types_of(person) & {"organization", "newsmediaorganization", "corporation"}:
                continue
            name = _text(person.get("name")) or " ".join(
                filter(None, [_text(person.get("givenName")), _text(person.get("familyName"))]))
            if name:
                names.append(name)
        elif isinstance(person, str):
            names.append(person)
    return names


def _ld_image(value: Any, by_id: dict[str, JsonObject]) -> tuple[str | None, str | None]:
    value = resolve(value, by_id)
    if isinstance(value, list):
        value = resolve(value[0], by_id) if value else None
    if isinstance(value, dict):
        return _first(value.get("url"), value.get("contentUrl")), _text(value.get("caption"))
    return _text(value), None


def _byline_names(tree: HtmlElement) -> list[str]:
    for node in tree.xpath(_BYLINE_XPATH)[:6]:
        if node.tag in {"meta", "link", "body", "html", "article", "main"}:
            continue
        text = _node_text(node)
        if 2 < len(text) < 120:
            return [text]
    return []


def _time_elements(tree: HtmlElement) -> tuple[str | None, str | None]:
    published = modified = None
    for node in tree.xpath("//time[@datetime] | //*[@itemprop='datePublished' or @itemprop='dateModified']"):
        value = node.get("datetime") or node.get("content") or _node_text(node)
        marker = " ".join([node.get("itemprop") or "", node.get("class") or ""]).lower()
        if "modified" in marker or "updated" in marker:
            modified = modified or parse_date(value)
        else:
            published = published or parse_date(value)
    return published, modified


def best_date(candidates: list[str | None]) -> str | None:
    """The first date, made precise by a later candidate of the same day that has a time or an offset."""
    dates = [c for c in candidates if c]
    if not dates:
        return None
    best = dates[0]
    for other in dates[1:]:
        if other[:10] == best[:10] and len(other) > len(best):
            best = other
    return best


def clean_title(title: str | None, site_name: str | None, host: str) -> str | None:
    """Drop a " | Site name" suffix or "Site name - " prefix that names the publisher."""
    if not title:
        return None
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    names = {n for n in (site_name, host.removeprefix("www.").split(".")[0]) if n}
    keys = {re.sub(r"\W", "", n.casefold()) for n in names}

    def is_site(part: str) -> bool:
        key = re.sub(r"\W", "", part.casefold())
        return bool(key) and any(key == k or (len(k) > 3 and (k in key or key in k)) for k in keys)

    while len(parts) > 1 and is_site(parts[-1]):
        parts.pop()
    while len(parts) > 1 and is_site(parts[0]):
        parts.pop(0)
    return title if len(parts) == len(_TITLE_SEPARATORS.split(title)) else _rejoin(title, parts)


def _rejoin(title: str, parts: list[str]) -> str:
    start = title.find(parts[0])
    end = title.rfind(parts[-1]) + len(parts[-1])
    return title[start:end].strip()


def normalise_language(value: str | None) -> str | None:
    """`en_us` -> `en-US`; None for values that are not language tags."""
    m = _LANG.match((value or "").strip())
    if not m:
        return None
    lang, region = m.group(1).lower(), m.group(2)
    if region:
        region = region.upper() if len(region) == 2 else region.title() if region.isalpha() else region
        return f"{lang}-{region}"
    return lang


def _tags(*sources: list[str]) -> list[str]:
    tags: list[str] = []
    seen: set[str] = set()
    for source in sources:
        for raw in source:
            for tag in raw.split(",") if "," in raw else [raw]:
                tag = " ".join(tag.split())
                if tag and tag.casefold() not in seen and len(tag) <= 80:
                    seen.add(tag.casefold())
                    tags.append(tag)
        if tags:
            break
    return tags[:50]


def extract_metadata(tree: HtmlElement, url: str, hints: dict[str, Any] | None = None) -> Metadata:
    """Read the page's metadata from `tree` (not modified). `hints` are discovery fallbacks."""
    hints = hints or {}
    objects = json_ld_objects(tree)
    by_id = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
    ld = _pick_article(objects, url) or {}
    meta = meta_tags(tree)

    def m(*names: str) -> str | None:
        return next((vals[0] for n in names if (vals := meta.get(n))), None)

    publisher = resolve(ld.get("publisher"), by_id)
    website = next((o for o in objects if "website" in types_of(o)), {})
    site_name = _first(m("og:site_name"), website.get("name"), publisher, m("application-name"))
    host = urlsplit(url).hostname or ""
    h1 = next((t for node in tree.iter("h1") if (t := _node_text(node))), None)
    title_tag = next((_node_text(t) for t in tree.iter("title")), None)
    title = _first(ld.get("headline"), m("og:title"), m("twitter:title"), h1, title_tag, hints.get("title"))

    time_published, time_modified = _time_elements(tree)
    published = best_date([
        parse_date(_text(ld.get("datePublished"))), parse_date(m("article:published_time")),
        parse_date(m("datepublished")), parse_date(m("og:published_time")),
        *(parse_date(m(n)) for n in ("publishdate", "pubdate", "publish-date", "publication_date",
                                     "parsely-pub-date", "sailthru.date", "dc.date.issued", "dcterms.issued",
                                     "dc.date", "dcterms.created", "date", "citation_publication_date",
                                     "article.published", "cxenseparse:recs:publishtime")),
        parse_date(_text(ld.get("dateCreated"))), time_published, parse_date(hints.get("published_at")),
    ])
    modified = best_date([
        parse_date(_text(ld.get("dateModified"))), parse_date(m("article:modified_time")),
        parse_date(m("og:updated_time")), parse_date(m("datemodified")), parse_date(m("last-modified")),
        parse_date(m("dcterms.modified")), time_modified,
    ])
    image_url, image_caption = _ld_image(ld.get("image"), by_id)
    image_url = image_url or m("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src")

    canonical = next((link.get("href") for link in tree.iter("link")
                      if "canonical" in (link.get("rel") or "").lower().split() and link.get("href")), None)
    canonical = canonical or m("og:url") or _text(ld.get("url"))
    html_lang = tree.getroottree().getroot().get("lang") or tree.getroottree().getroot().get("xml:lang")
    raw_authors = (_ld_authors(ld, by_id) or _byline_names(tree)
                   or [a for a in meta.get("author", []) + meta.get("article:author", [])
                       + meta.get("parsely-author", []) + meta.get("sailthru.author", [])
                       + meta.get("dc.creator", [])])
    non_article = next((t for o in objects for t in types_of(o) if t in _NOT_ARTICLE_TYPES), None)
    og_type = (m("og:type") or "").lower()
    if not non_article and og_type and og_type not in {"article", "news", "blog", "website"}:
        non_article = f"og:type {og_type}" if og_type in {"profile", "video.other", "music.song", "product",
                                                           "book", "place"} else None
    return Metadata(
        title=clean_title(title, site_name, host),
        description=_first(ld.get("description"), m("og:description"), m("description"),
                           m("twitter:description"), hints.get("description")),
        authors=clean_authors(raw_authors, [site_name or "", _text(publisher) or "", host]),
        published_at=published,
        modified_at=modified,
        language=normalise_language(_first(ld.get("inLanguage"), html_lang, m("content-language"),
                                           m("og:locale"), m("dc.language"), hints.get("language"))),
        section=_first(ld.get("articleSection"), m("article:section"), m("section"), m("parsely-section")),
        tags=_tags(_strings(ld.get("keywords")) + meta.get("article:tag", []),
                   meta.get("news_keywords", []), meta.get("keywords", []), _strings(hints.get("keywords"))),
        image_url=urljoin(url, image_url) if image_url else None,
        image_caption=image_caption,
        canonical_url=urljoin(url, canonical) if canonical else None,
        site_name=site_name,
        article_body=ld["articleBody"].strip() or None if isinstance(ld.get("articleBody"), str) else None,
        article_markup=bool(ld) or (og_type == "article" and bool(m("article:published_time"))),
        non_article_markup=None if ld else non_article,
    )
