"""Article metadata, one function per record field: structured data first (JSON-LD, OpenGraph, `<meta>`),
the visible page second.

A field's sources are data, tuples tried in order: `ld("headline")` is a key of the article's JSON-LD
object, `meta("og:title")` the first `<meta>` of that name, `hint("title")` what discovery learned about the
page (used where the page is silent).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from itertools import islice

from lxml.html import HtmlElement

from scraper.extract.authors import (
    byline_sources,
    clean_authors,
    clean_organizations,
    first_names,
    only_credits,
    structured_authors,
    structured_organizations,
)
from scraper.extract.dates import date_from_url, month_from_url, parse_date, parse_visible_date, zoned
from scraper.extract.page import ParsedPage
from scraper.extract.structured import text_of, types_of
from scraper.extract.text import clean_line, node_text
from scraper.extract.title import choose_title
from scraper.record import EXTRACTED_FIELDS
from scraper.urls import host_and_path, usable_url

#: A source of a field's value: reads one thing of the page.
Source = Callable[[ParsedPage], object]


def ld(key: str) -> Source:
    """The `key` of the article's JSON-LD object."""
    return lambda page: page.article.get(key)


def meta(name: str) -> Source:
    """The first `<meta>` named `name` (by property, name, itemprop or http-equiv)."""
    return lambda page: page.meta_value(name)


def hint(key: str) -> Source:
    """What discovery learned about the page (a sitemap's title...)."""
    return lambda page: page.hints.get(key)


def _html_lang(page: ParsedPage) -> object:
    return page.tree.get("lang") or page.tree.get("xml:lang")


def _website_name(page: ParsedPage) -> object:
    return page.website.get("name")


def _publisher(page: ParsedPage) -> object:
    return page.publisher


SITE_NAME: tuple[Source, ...] = (meta("og:site_name"), _website_name, _publisher, meta("application-name"))
DESCRIPTION: tuple[Source, ...] = (
    ld("description"),
    meta("og:description"),
    meta("description"),
    meta("twitter:description"),
    hint("description"),
)
LANGUAGE: tuple[Source, ...] = (
    ld("inLanguage"),
    _html_lang,
    meta("content-language"),
    meta("og:locale"),
    meta("dc.language"),
    hint("language"),
)
SECTION: tuple[Source, ...] = (ld("articleSection"), meta("article:section"), meta("section"), meta("parsely-section"))
#: Dates: the first that a source states, made precise by a later source of the same day (see `best_date`).
PUBLISHED_AT: tuple[Source, ...] = (
    ld("datePublished"),
    *map(
        meta,
        (
            "article:published_time",
            "datepublished",
            "og:published_time",
            "publishdate",
            "pubdate",
            "publish-date",
            "publication_date",
            "parsely-pub-date",
            "sailthru.date",
            "dc.date.issued",
            "dcterms.issued",
            "dc.date",
            "dcterms.created",
            "date",
            "citation_publication_date",
            "article.published",
            "cxenseparse:recs:publishtime",
            "article:published:time",
        ),
    ),
    ld("dateCreated"),
)
#: Dates other publishers state in `<meta>` (names as htmldate knows them): read after the `<time>` element and
#: the visible date, which they make precise (or stand in for when the page shows none).
PUBLISHED_AT_MORE: tuple[Source, ...] = tuple(
    map(
        meta,
        (
            "published",
            "article:published",
            "og:article:published_time",
            "og:article:published",
            "og:pubdate",
            "og:publish_date",
            "og:datepublished",
            "article:published_date",
            "article:publicationdate",
            "article:post_date",
            "article.created",
            "article_date_original",
            "publish_date",
            "published_date",
            "published-date",
            "publisheddate",
            "publish_time",
            "published_time",
            "date_published",
            "dateposted",
            "datecreated",
            "date_created",
            "displaydate",
            "originalpublicationdate",
            "dc.date.created",
            "dc.date.publication",
            "dc.created",
            "dc:created",
            "dc:date",
            "dcterms.date",
            "rnews:datepublished",
            "http://ogp.me/ns/article#published_time",
            "bt:pubdate",
            "rbpubdate",
            "ptime",
            "pdate",
            "shareaholic:article_published_time",
            "analyticsattributes.articledate",
            "dcsext.articlefirstpublished",
            "mediator_published_time",
            "vr:published_time",
            "twt-published-at",
            "content_create_date",
            "citation_date",
        ),
    )
)
MODIFIED_AT: tuple[Source, ...] = (
    ld("dateModified"),
    *map(
        meta,
        (
            "article:modified_time",
            "og:updated_time",
            "datemodified",
            "last-modified",
            "dcterms.modified",
            "article:modified",
            "article:modified_date",
            "article:post_modified",
            "og:modified_time",
            "og:article:modified_time",
            "http://ogp.me/ns/article#modified_time",
            "modified_time",
            "updated_time",
            "dc.modified",
            "bt:moddate",
            "modificationdate",
            "revision_date",
            "lastmod",
            "lastmodified",
            "modified",
            "dateupdate",
        ),
    ),
)
#: `<meta>` names of the lead image, when the JSON-LD has none.
IMAGE_META = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src")

_NOT_ARTICLE_TYPES = frozenset(
    {
        "collectionpage",
        "profilepage",
        "searchresultspage",
        "aboutpage",
        "contactpage",
        "itemlist",
        "faqpage",
        "imagegallery",
        "mediagallery",
        "videogallery",
    }
)
_NOT_ARTICLE_OG_TYPES = frozenset({"profile", "video.other", "music.song", "product", "book", "place"})
_LANG = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}|\d{3}|[A-Za-z]{4}))?")


@dataclass
class Metadata:
    """The record fields the page states about itself, and what its markup says about its kind."""

    title: str | None = None
    description: str | None = None
    authors: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    published_at: str | None = None
    modified_at: str | None = None
    language: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    image: dict[str, str | None] | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    article_markup: bool = False
    non_article_markup: str | None = None

    def record_fields(self) -> dict[str, object]:
        """The fields that go into the record as they are, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in EXTRACTED_FIELDS}


def extract_metadata(page: ParsedPage) -> Metadata:
    """Every metadata field of the page (its tree is not modified)."""
    return Metadata(
        title=title(page),
        description=description(page),
        authors=(names := authors(page, bylines := _Replay(byline_sources(page)))),
        organizations=organizations(page, names, bylines),
        published_at=published_at(page),
        modified_at=modified_at(page),
        language=language(page),
        section=section(page),
        tags=tags(page),
        image=image(page),
        canonical_url=canonical_url(page),
        site_name=site_name(page),
        article_markup=article_markup(page),
        non_article_markup=non_article_markup(page),
    )


def _first_text(values: Iterable[object]) -> str | None:
    """The first value that is (or names) a non-empty string, on one line."""
    return next((t for v in values if (t := text_of(v))), None)


def _first(page: ParsedPage, sources: tuple[Source, ...]) -> str | None:
    return _first_text(source(page) for source in sources)


def _dates(page: ParsedPage, sources: tuple[Source, ...]) -> list[str | None]:
    return [parse_date(text_of(source(page))) for source in sources]


def site_name(page: ParsedPage) -> str | None:
    """The outlet's name: OpenGraph's, the JSON-LD WebSite's or publisher's, the web app's."""
    return _first(page, SITE_NAME)


def _outlets(page: ParsedPage) -> list[str]:
    """Names the outlet goes by (never a title's headline, never a person)."""
    return [site_name(page) or "", text_of(page.publisher) or "", text_of(page.website.get("name")) or ""]


def title(page: ParsedPage) -> str | None:
    """The headline: JSON-LD, OpenGraph, Twitter, Dublin Core, `<h1>` and `<title>` compared, site names out."""
    h1s = [t for node in page.tree.iter("h1") if (t := node_text(node))][:5]
    title_tag = next((node_text(t) for t in page.tree.iter("title")), None)
    host_label = host_and_path(page.url)[0].removeprefix("www.").split(".")[0]
    return choose_title(
        headline=text_of(page.article.get("headline")),
        name=text_of(page.article.get("name")),
        og=page.meta_value("og:title"),
        twitter=page.meta_value("twitter:title"),
        dc=page.meta_value("dc.title"),
        h1s=h1s,
        title_tag=title_tag,
        site_names=[*_outlets(page), page.meta_value("application-name") or "", host_label],
        hint=text_of(page.hints.get("title")),
    )


def description(page: ParsedPage) -> str | None:
    """The standfirst or summary the page states."""
    return _first(page, DESCRIPTION)


class _Replay:
    """An iterator's items, made once as the first reader asks for them and read again by the next readers: the
    page's byline sources, which `authors` and `organizations` both read."""

    def __init__(self, items: Iterator[list[str]]) -> None:
        self._items = items
        self._made: list[list[str]] = []

    def __iter__(self) -> Iterator[list[str]]:
        yield from self._made
        for item in self._items:  # the first reader to go further makes the next ones
            self._made.append(item)
            yield item


def authors(page: ParsedPage, bylines: Iterable[list[str]] | None = None) -> list[str]:
    """The JSON-LD's authors, else the people the first of the page's bylines names (see `byline_sources`;
    `bylines`: those sources, when already at hand)."""
    outlets = [*_outlets(page), host_and_path(page.url)[0]]
    names, persons = structured_authors(page)
    # A JSON-LD Person is a person even when a personal site bears the same name.
    sources = byline_sources(page) if bylines is None else bylines
    return clean_authors(names, [] if persons else outlets) or first_names(sources, outlets)


def organizations(page: ParsedPage, persons: list[str], bylines: Iterable[list[str]] | None = None) -> list[str]:
    """The organisations credited as authors (agencies, desks; the outlet when it is the only credit): the
    JSON-LD's authors when it names any, else the first of the page's bylines that credits anyone (`bylines`:
    the page's `byline_sources`, when already at hand)."""
    outlets = [*_outlets(page), host_and_path(page.url)[0]]
    structured = structured_organizations(page)
    if structured:
        found = [c for name, typed in structured for c in clean_organizations([name], outlets, typed=typed)]
        others = bool(clean_authors([n for n, typed in structured if not typed], outlets))
        if found or others:
            return only_credits(found, bool(persons) or others)
    for source in byline_sources(page) if bylines is None else bylines:
        found = clean_organizations(source, outlets)
        if found or clean_authors(source, outlets):
            return only_credits(found, bool(persons))
    return []


def published_at(page: ParsedPage) -> str | None:
    """Structured dates and `<time>` (a time without an offset gets the offset of the date the page shows
    when that is the same moment: `zoned`), else the date the page shows, else a date in a less common
    `<meta>` (`PUBLISHED_AT_MORE`, which also makes the first found precise), discovery's date, the URL's date."""
    stated = [*_dates(page, PUBLISHED_AT), _time_element(page, updated=False)]
    more = _dates(page, PUBLISHED_AT_MORE)
    if any(stated):
        found = best_date([*stated, *more])
        # a time without an offset: the page's own "8:26 PM ET", when it is the same moment, gives the offset
        return zoned(found, _visible_date(page)) if found and "T" in found and found[-6] not in "+-" else found
    return (
        best_date([_visible_date(page), *more]) or parse_date(page.hints.get("published_at")) or date_from_url(page.url)
    )


def modified_at(page: ParsedPage) -> str | None:
    """The last update the structured data or a `<time>` element states."""
    return best_date([*_dates(page, MODIFIED_AT), _time_element(page, updated=True)])


def language(page: ParsedPage) -> str | None:
    """The language tag (`de`, `en-US`) the page declares."""
    return normalise_language(_first(page, LANGUAGE))


def section(page: ParsedPage) -> str | None:
    """The section of the site the article is filed in."""
    return _first(page, SECTION)


def tags(page: ParsedPage) -> list[str]:
    """The article's tags or keywords, from the first source that has any."""
    return _tags(
        _strings(page.article.get("keywords")) + page.meta.get("article:tag", []),
        page.meta.get("news_keywords", []),
        page.meta.get("keywords", []),
        _strings(page.hints.get("keywords")),
    )


def image(page: ParsedPage) -> dict[str, str | None] | None:
    """The lead image (JSON-LD's, else OpenGraph's or Twitter's) and its caption."""
    url, caption = _structured_image(page)
    url = url or page.meta_value(*IMAGE_META)
    url = usable_url(url, page.url) if url else None
    return {"url": url, "caption": _caption(caption, _captions(page.scan.captions))} if url else None


def canonical_url(page: ParsedPage) -> str | None:
    """The page's canonical URL: its `<link rel=canonical>`, `og:url` or the JSON-LD's, made absolute."""
    link = next(
        (
            link.get("href")
            for link in page.tree.iter("link")
            if "canonical" in (link.get("rel") or "").lower().split() and link.get("href")
        ),
        None,
    )
    url = link or page.meta_value("og:url") or text_of(page.article.get("url"))
    return usable_url(url, page.url) if url else None


def article_markup(page: ParsedPage) -> bool:
    """Whether the page marks itself up as an article (JSON-LD, or an OpenGraph article with a date)."""
    return bool(page.article) or (_og_type(page) == "article" and bool(page.meta_value("article:published_time")))


def non_article_markup(page: ParsedPage) -> str | None:
    """What the markup of a page without an article says it is instead (`collectionpage`, `og:type product`)."""
    if page.article:
        return None
    kind = next((t for o in page.json_ld for t in types_of(o) if t in _NOT_ARTICLE_TYPES), None)
    og_type = _og_type(page)
    if not kind and og_type in _NOT_ARTICLE_OG_TYPES:
        return f"og:type {og_type}"
    return kind


def _og_type(page: ParsedPage) -> str:
    return (page.meta_value("og:type") or "").lower()


def _strings(value: object) -> list[str]:
    """The strings of a JSON-LD value that may be a list."""
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    text = text_of(value)
    return [text] if text else []


def _structured_image(page: ParsedPage) -> tuple[str | None, str | None]:
    """The URL and caption of the article's JSON-LD image (the first, when it lists several)."""
    value = page.resolve(page.article.get("image"))
    if isinstance(value, list):
        value = page.resolve(value[0]) if value else None
    if isinstance(value, dict):
        return _first_text([value.get("url"), value.get("contentUrl")]), text_of(value.get("caption"))
    return text_of(value), None


def _captions(texts: list[str]) -> list[str]:
    """The page's captions as clean lines, each once."""
    captions: list[str] = []
    for raw in texts:
        text = clean_line(raw)
        if text and len(text) < 400 and text not in captions:
            captions.append(text)
    return captions


def _caption(stated: str | None, on_page: list[str]) -> str | None:
    """The structured caption, or the page's fuller caption that contains it (with its credit)."""
    if not stated:
        return on_page[0] if on_page else None
    stated = clean_line(stated)
    return next((c for c in on_page if stated in c), stated)


#: A class or id token that begins so names reader comments ("commentlist", "comment-1234", "comments"; not
#: "byline-comments-count", the article's own counter).
_COMMENTS = re.compile(r"(?:^|\s)(?:comment|respond|disqus|repl(?:y|ies)|kommentar|comentario)")


def _comment_check(page: ParsedPage) -> Callable[[HtmlElement], bool]:
    """Whether an element sits in reader comments (it or an ancestor of class/id `comment`, `respond`,
    `disqus`...) below the elements that hold the article's text (its container and their ancestors)."""
    container = page.found.container
    article = () if container is None else (container, *container.iterancestors())
    verdict: dict[HtmlElement, bool] = dict.fromkeys(article, False)

    def in_comments(node: HtmlElement) -> bool:
        path: list[HtmlElement] = []
        found = False
        el: HtmlElement | None = node
        while el is not None:
            if el in verdict:
                found = verdict[el]
                break
            cls, ident = el.get("class"), el.get("id")
            if (cls or ident) and _COMMENTS.search(f"{cls} {ident}".lower()):
                found = True
                break
            path.append(el)
            el = el.getparent()
        verdict.update(dict.fromkeys(path, found))
        return found

    return in_comments


def _article_dates(page: ParsedPage, keep: Callable[[HtmlElement], bool] = lambda node: True) -> Iterator[HtmlElement]:
    """The page's date elements that `keep` accepts, those in reader comments left out (`_comment_check`): a
    comment's time is never the article's date."""
    in_comments = _comment_check(page)
    yield from (node for node in page.scan.dates if keep(node) and not in_comments(node))


def _stating(node: HtmlElement) -> bool:
    """Whether a date element states its date in markup (`<time datetime>`, itemprop date)."""
    return (node.tag == "time" and bool(node.get("datetime"))) or node.get("itemprop") in {
        "datePublished",
        "dateModified",
    }


def _visible_date(page: ParsedPage) -> str | None:
    """The first date the page shows in a date-like element (`<time>`, class "date"...), read in words."""
    scan = page.scan
    known = month_from_url(page.url)
    for node in islice(_article_dates(page), 30):
        text = node_text(node)
        if 6 <= len(text) <= 120 and (found := parse_visible_date(text, known_month=known)):
            return found
    # else: the line that holds the byline ("Do 25.04.24 | 14:07 Uhr | Von Eva Muster"), or the headline's
    for node in scan.bylines[:4]:
        parent = node.getparent()
        text = node_text(parent) if parent is not None else ""
        if 6 <= len(text) <= 160 and (found := parse_visible_date(text[:120], known_month=known)):
            return found
    h1 = next(page.tree.iter("h1"), None)
    for sibling in h1.itersiblings() if h1 is not None else ():
        text = node_text(sibling)
        if 6 <= len(text) <= 120 and (found := parse_visible_date(text, known_month=known)):
            return found
        if len(text) > 120:
            break
    return _lead_date(page, known)


def _lead_date(page: ParsedPage, known: tuple[int, int] | None) -> str | None:
    """A date on a short line just before the article's text or at its top (the headline's, the byline's:
    "Wednesday, November 07, 2012 | 2:00 PM", "Posted by Jane Doe on Tue, Oct 30, 2012"), the nearest first;
    lines that are mostly links (related-article cards, archives) or in reader comments are not read, nor a
    day other than the URL's `/2012/07/19/`; `known` is the URL's (year, month), which tells 08-09-2012's month.
    (Lines after the text were measured: there they are comments.)"""
    found = page.found.blocks
    if not found:
        return None
    blocks = page.scan.blocks
    first = next((i for i, b in enumerate(blocks) if b is found[0]), None)
    if first is None:
        return None
    near = [*reversed(blocks[max(0, first - 8) : first + 3])]
    url_day = date_from_url(page.url)
    in_comments = _comment_check(page)
    for block in near:
        text = block.text
        if not (6 <= len(text) <= 120 and block.link_density <= 0.5) or in_comments(block.node):
            continue
        if (found_date := parse_visible_date(text, known_month=known)) and (not url_day or found_date[:10] == url_day):
            return found_date  # a URL's date outvotes another day
    return None


def _time_element(page: ParsedPage, *, updated: bool) -> str | None:
    """The first date stated by a `<time datetime>` or an itemprop date element: of the last update when
    `updated` (its itemprop or class says "modified" or "updated"), else of publication."""
    for node in _article_dates(page, _stating):
        prop = node.get("itemprop") or ""
        marker = " ".join([prop, node.get("class") or ""]).lower()
        if ("modified" in marker or "updated" in marker) == updated and (
            found := parse_date(node.get("datetime") or node.get("content") or node_text(node))
        ):
            return found
    return None


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
    """The tags of the first source that has any: comma lists split, each tag once, up to 50."""
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
