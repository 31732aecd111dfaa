"""Article metadata: structured data first (JSON-LD, OpenGraph, meta), the visible page second."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement

from scraper.extract.authors import clean_authors, first_names
from scraper.extract.dates import parse_date, parse_visible_date
from scraper.extract.maintext import Block, Scan
from scraper.extract.page import Page
from scraper.extract.structured import JsonObject, resolve, text_of, types_of
from scraper.extract.title import choose_title
from scraper.urls import host_and_path, usable_url

_META_AUTHORS = ("author", "article:author", "byl", "parsely-author", "sailthru.author", "dc.creator",
                 "dcterms.creator", "cxenseparse:author", "citation_author", "og:article:author")
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
    article_markup: bool = False
    non_article_markup: str | None = None


def _first(*values: Any) -> str | None:
    return next((t for v in values if (t := text_of(v))), None)


def _strings(value: Any) -> list[str]:
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    text = text_of(value)
    return [text] if text else []


def _node_text(node: HtmlElement) -> str:
    return " ".join(node.text_content().split())


def _ld_authors(article: JsonObject, by_id: dict[str, JsonObject]) -> tuple[list[str], bool]:
    """The structured author names, and whether every one of them is typed Person."""
    raw = article.get("author") or article.get("creator") or []
    names: list[str] = []
    persons = True
    for person in raw if isinstance(raw, list) else [raw]:
        person = resolve(person, by_id)
        if isinstance(person, dict):
            kinds = types_of(person)
            if kinds & {"organization", "newsmediaorganization", "corporation", "newsorganization"}:
                continue
            persons = persons and "person" in kinds
            name = text_of(person.get("name")) or " ".join(
                filter(None, [text_of(person.get("givenName")), text_of(person.get("familyName"))]))
            if name:
                names.append(name)
        elif isinstance(person, str):
            persons = False
            names.append(person)
    return names, persons and bool(names)


def _ld_image(value: Any, by_id: dict[str, JsonObject]) -> tuple[str | None, str | None]:
    value = resolve(value, by_id)
    if isinstance(value, list):
        value = resolve(value[0], by_id) if value else None
    if isinstance(value, dict):
        return _first(value.get("url"), value.get("contentUrl")), text_of(value.get("caption"))
    return text_of(value), None


def _closeness(node: HtmlElement, container: HtmlElement | None) -> int:
    """How deep the lowest common ancestor of `node` and the article's container is (deeper: nearer)."""
    if container is None:
        return 0
    mine = set(node.iterancestors())
    for depth, ancestor in enumerate([container, *container.iterancestors()]):
        if ancestor in mine or ancestor is node:
            return -depth
    return -1000


def _lines_text(node: HtmlElement) -> str:
    """The element's text with its `<br>` line breaks kept as newlines ("Name<br>Sendung: ..." is two lines)."""
    parts: list[str] = []

    def walk(el: HtmlElement) -> None:
        if el.tag == "br":
            parts.append("\x00")
        elif isinstance(el.tag, str):
            parts.append(el.text or "")
            for child in el:
                walk(child)
                parts.append(child.tail or "")

    walk(node)
    return "\n".join(line for raw in "".join(parts).split("\x00") if (line := " ".join(raw.split())))


_LABELLED = re.compile(r"^(?:by|von|par|por|door|di|av|af|przez)\b\s*:?\s+\S", re.IGNORECASE)
_NAME_BESIDE_DATE = re.compile(r"^\s*([^|\d]{4,60}?)\s*\|")


def _labelled_bylines(blocks: list[Block], container: HtmlElement | None) -> list[str]:
    """Short lines that begin with a byline word ("By Jane Doe", "Von: Max Muster, Erika Muster"), those
    nearest the article's text first: bylines drawn without an author or byline class."""
    found = [b for b in blocks[:400] if b.chars <= 120 and not b.heading and _LABELLED.match(b.text)]
    return [b.text for b in sorted(found, key=lambda b: -_closeness(b.node, container))[:5]]


def _names_beside_dates(dates: list[HtmlElement]) -> list[str]:
    """The name that leads the line of a date element ("Jane Doe | 05.04.2025 - Updated: ..."), up to "|"."""
    out: list[str] = []
    for node in dates[:6]:
        parent = node.getparent()
        if parent is None:
            continue
        line = " ".join(parent.text_content().split())
        if len(line) <= 160 and (m := _NAME_BESIDE_DATE.match(line)) and parse_visible_date(line[m.end():]):
            out.append(m.group(1))
    return out


def _signature(blocks: list[Block], article: list[Block]) -> str | None:
    """The line right after the article's text, beside its last paragraph, when it is a short name set apart
    in bold or right-aligned (a signature: "Jane Doe")."""
    if not article:
        return None
    end = article[-1]
    after = next((i + 1 for i, b in enumerate(blocks) if b is end), len(blocks))
    if after >= len(blocks) or blocks[after].node.getparent() is not end.node.getparent():
        return None
    last = blocks[after]
    words = last.text.split()
    if not 2 <= len(words) <= 4 or last.heading or last.link_density > 0.5 or "\n" in last.text:
        return None
    node = last.node
    style = (node.get("style") or "").replace(" ", "").lower()
    bold = [el for el in node.iter("strong", "b") if " ".join(el.text_content().split()) == last.text]
    return last.text if bold or "text-align:right" in style else None


def _byline_texts(bylines: list[HtmlElement], container: HtmlElement | None) -> Iterator[str]:
    """Short texts of the page's byline elements (author/byline classes, rel=author, itemprop=author), those
    nearest the article's text first, else in page order (related stories and comments have bylines too)."""
    ranked = sorted(bylines[:30], key=lambda n: -_closeness(n, container))
    for node in ranked:
        if node.tag in {"meta", "link", "body", "html", "article", "main", "section"}:
            continue
        text = _lines_text(node)
        if 2 < len(text) <= 120:
            yield text


def _visible_date(tree: HtmlElement, scan: Scan) -> str | None:
    """The first date the page shows in a date-like element (`<time>`, class "date"...), read in words."""
    for node in scan.dates[:30]:
        text = _node_text(node)
        if 6 <= len(text) <= 120 and (found := parse_visible_date(text)):
            return found
    # else: the line that holds the byline ("Do 25.04.24 | 14:07 Uhr | Von Eva Muster"), or the headline's
    for node in scan.bylines[:4]:
        parent = node.getparent()
        text = _node_text(parent) if parent is not None else ""
        if 6 <= len(text) <= 160 and (found := parse_visible_date(text[:120])):
            return found
    h1 = next(tree.iter("h1"), None)
    for sibling in h1.itersiblings() if h1 is not None else ():
        text = _node_text(sibling)
        if 6 <= len(text) <= 120 and (found := parse_visible_date(text)):
            return found
        if len(text) > 120:
            break
    return None


def _time_elements(dates: list[HtmlElement]) -> tuple[str | None, str | None]:
    published = modified = None
    for node in dates:
        prop = node.get("itemprop") or ""
        if not (node.tag == "time" and node.get("datetime")) and prop not in {"datePublished", "dateModified"}:
            continue
        value = node.get("datetime") or node.get("content") or _node_text(node)
        marker = " ".join([prop, node.get("class") or ""]).lower()
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


def extract_metadata(page: Page) -> Metadata:
    """What the page says about itself: structured data first, then its visible bylines, dates and headline."""
    tree, url, hints, scan = page.tree, page.url, page.hints, page.scan
    container, article = page.found.container, page.found.blocks
    objects = page.json_ld
    by_id = page.by_id
    ld = page.article
    meta = page.meta

    def m(*names: str) -> str | None:
        return next((vals[0] for n in names if (vals := meta.get(n))), None)

    publisher = resolve(ld.get("publisher"), by_id)
    website = next((o for o in objects if "website" in types_of(o)), {})
    site_name = _first(m("og:site_name"), website.get("name"), publisher, m("application-name"))
    host = host_and_path(url)[0]
    h1s = [t for node in tree.iter("h1") if (t := _node_text(node))][:5]
    title_tag = next((_node_text(t) for t in tree.iter("title")), None)
    host_label = host.removeprefix("www.").split(".")[0]
    title = choose_title(headline=text_of(ld.get("headline")), name=text_of(ld.get("name")), og=m("og:title"),
                         twitter=m("twitter:title"), dc=m("dc.title"), h1s=h1s, title_tag=title_tag,
                         site_names=[site_name or "", text_of(publisher) or "", text_of(website.get("name")) or "",
                                     m("application-name") or "", host_label],
                         hint=text_of(hints.get("title")))

    time_published, time_modified = _time_elements(scan.dates)
    published = best_date([
        parse_date(text_of(ld.get("datePublished"))), parse_date(m("article:published_time")),
        parse_date(m("datepublished")), parse_date(m("og:published_time")),
        *(parse_date(m(n)) for n in ("publishdate", "pubdate", "publish-date", "publication_date",
                                     "parsely-pub-date", "sailthru.date", "dc.date.issued", "dcterms.issued",
                                     "dc.date", "dcterms.created", "date", "citation_publication_date",
                                     "article.published", "cxenseparse:recs:publishtime")),
        parse_date(m("article:published:time")), parse_date(text_of(ld.get("dateCreated"))), time_published,
    ])
    published = published or _visible_date(tree, scan) or parse_date(hints.get("published_at"))
    modified = best_date([
        parse_date(text_of(ld.get("dateModified"))), parse_date(m("article:modified_time")),
        parse_date(m("og:updated_time")), parse_date(m("datemodified")), parse_date(m("last-modified")),
        parse_date(m("dcterms.modified")), time_modified,
    ])
    image_url, image_caption = _ld_image(ld.get("image"), by_id)
    image_url = image_url or m("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src")

    canonical = next((link.get("href") for link in tree.iter("link")
                      if "canonical" in (link.get("rel") or "").lower().split() and link.get("href")), None)
    canonical = canonical or m("og:url") or text_of(ld.get("url"))
    html_lang = tree.getroottree().getroot().get("lang") or tree.getroottree().getroot().get("xml:lang")
    outlets = [site_name or "", text_of(publisher) or "", text_of(website.get("name")) or "", host]
    ld_names, ld_persons = _ld_authors(ld, by_id)
    # A JSON-LD Person is a person even when a personal site bears the same name.
    authors = clean_authors(ld_names, [] if ld_persons else outlets) or first_names(
        [[a for n in _META_AUTHORS for a in meta.get(n, [])],
         *([t] for t in _byline_texts(scan.bylines, container)),
         *([t] for t in _labelled_bylines(scan.blocks, container)),
         _names_beside_dates(scan.dates), [s for s in [_signature(scan.blocks, article)] if s]], outlets)
    non_article = next((t for o in objects for t in types_of(o) if t in _NOT_ARTICLE_TYPES), None)
    og_type = (m("og:type") or "").lower()
    if not non_article and og_type and og_type not in {"article", "news", "blog", "website"}:
        non_article = f"og:type {og_type}" if og_type in {"profile", "video.other", "music.song", "product",
                                                           "book", "place"} else None
    return Metadata(
        title=title,
        description=_first(ld.get("description"), m("og:description"), m("description"),
                           m("twitter:description"), hints.get("description")),
        authors=authors,
        published_at=published,
        modified_at=modified,
        language=normalise_language(_first(ld.get("inLanguage"), html_lang, m("content-language"),
                                           m("og:locale"), m("dc.language"), hints.get("language"))),
        section=_first(ld.get("articleSection"), m("article:section"), m("section"), m("parsely-section")),
        tags=_tags(_strings(ld.get("keywords")) + meta.get("article:tag", []),
                   meta.get("news_keywords", []), meta.get("keywords", []), _strings(hints.get("keywords"))),
        image_url=usable_url(image_url, url) if image_url else None,
        image_caption=image_caption,
        canonical_url=usable_url(canonical, url) if canonical else None,
        site_name=site_name,
        article_markup=bool(ld) or (og_type == "article" and bool(m("article:published_time"))),
        non_article_markup=None if ld else non_article,
    )
