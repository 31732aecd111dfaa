"""Is a URL an article, a navigation page worth following, or neither? From its shape alone (`classify_url`);
and, once a navigation page is fetched, does the page say it is an article after all (`article_signal`)."""

from __future__ import annotations

import re
from enum import Enum
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml.html import HtmlElement

from scraper.extract.structured import is_article, json_ld_objects, meta_tags
from scraper.urls import host_and_path


class UrlKind(Enum):
    """What a link on a news site most likely points at."""

    ARTICLE = "article"
    NAVIGATION = "navigation"
    SKIP = "skip"


_SKIP_EXT = re.compile(
    r"\.(?:jpe?g|png|gif|webp|svg|ico|bmp|tiff?|avif|mp[34]|m4[av]|mov|avi|webm|ogg|wav|flac|pdf|docx?|xlsx?|"
    r"pptx?|zip|gz|tgz|rar|7z|exe|dmg|apk|css|js|json|xml|rss|atom|txt|csv|ics|woff2?|ttf|eot)$",
    re.IGNORECASE,
)
_SKIP_SEGMENT = re.compile(
    r"^(?:login|log-in|signin|sign-in|signup|sign-up|register|logout|account|my-account|profile|subscribe|"
    r"subscription|newsletter|newsletters|cart|checkout|basket|shop|search|suche|recherche|buscar|wp-admin|"
    r"wp-login\.php|wp-json|xmlrpc\.php|cdn-cgi|feed|feeds|rss|amp-stories|print|share|email|comments?|"
    r"privacy|privacy-policy|terms|terms-of-use|cookies|cookie-policy|imprint|impressum|contact|kontakt|"
    r"advertise|careers|jobs|help|faq)$",
    re.IGNORECASE,
)
_SKIP_QUERY = re.compile(r"(?:^|&)(?:s|q|query|search|replytocom|share|print|output|format)=", re.IGNORECASE)
_NAV_SEGMENT = re.compile(
    r"^(?:tags?|category|categories|topics?|themen?|sections?|rubriques?|ressorts?|authors?|autor(?:en)?|"
    r"people|person|staff|writers?|columnists?|page|seite|pagina|archives?|archiv|latest|news|home|index|"
    r"series|dossiers?|collections?|hub|live|video|videos|gallery|galleries|photos|podcasts?)$",
    re.IGNORECASE,
)
_DATED = re.compile(r"/(?:19|20)\d{2}[/-](?:0?[1-9]|1[0-2])(?:[/-](?:0?[1-9]|[12]\d|3[01]))?(?:/|-|$)")
_NUMERIC_ID = re.compile(r"(?:^|[/_.-])(?:a|article|art|id|n|story|news)?\d{5,}(?:[/_.-]|\.html?|$)", re.I)
_PAGINATION = re.compile(r"(?:^|/)(?:page|seite|pagina)/\d+/?$|[?&](?:page|p|pg|paged|offset)=\d+", re.I)


def _slug_words(segment: str) -> int:
    stem = re.sub(r"\.(?:s?html?|php|aspx?|jsp|cms)$", "", segment, flags=re.IGNORECASE)
    return len([w for w in re.split(r"[-_+]+", stem) if w])


def classify_url(url: str) -> UrlKind:
    """ARTICLE for dated paths, long slugs and numeric ids; NAVIGATION for home, section, tag, author and
    pagination pages; SKIP for media files, feeds, search, login, legal and the like."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        return UrlKind.SKIP
    path = unquote(parts.path)
    segments = [s for s in path.split("/") if s]
    if _SKIP_EXT.search(path) or any(_SKIP_SEGMENT.match(s) for s in segments) or _SKIP_QUERY.search(parts.query):
        return UrlKind.SKIP
    if _PAGINATION.search(path + ("?" + parts.query if parts.query else "")):
        return UrlKind.NAVIGATION
    if not segments:
        return UrlKind.NAVIGATION
    last = segments[-1]
    if any(_NAV_SEGMENT.match(s) for s in segments[:-1]) and _slug_words(last) < 4 and not _NUMERIC_ID.search(last):
        return UrlKind.NAVIGATION  # /tag/flooding/, /author/jane-doe/
    if _DATED.search(path + "/") and (_slug_words(last) >= 2 or _NUMERIC_ID.search(last)):
        return UrlKind.ARTICLE
    if _NUMERIC_ID.search(last) or _slug_words(last) >= 4:
        return UrlKind.ARTICLE
    if _NAV_SEGMENT.match(last) or (len(segments) <= 2 and _slug_words(last) <= 3):
        return UrlKind.NAVIGATION  # /sport/, /news/local/
    return UrlKind.SKIP


def _own_url(obj: dict[str, Any]) -> str | None:
    """The page a JSON-LD object says it describes (`url`, `mainEntityOfPage`), if it names one."""
    own = obj.get("url") or obj.get("mainEntityOfPage")
    if isinstance(own, dict):
        own = own.get("@id") or own.get("url")
    return own if isinstance(own, str) and own.strip() else None


def article_signal(tree: HtmlElement, url: str) -> str | None:
    """The article markup a fetched page carries, by the extraction core's own signals, else None: a JSON-LD
    article about this page (not a teaser in an ItemList), `article:published_time`, `og:type=article` on a
    page with at most one `<article>`, or one `<article>` holding a `<time>` (a dated byline). A quick check
    for the spider: the extract and validate pipelines still judge the page. A home page is never an article."""
    path = host_and_path(url)[1].rstrip("/")
    if not path:
        return None
    articles = [(o, _own_url(o)) for o in json_ld_objects(tree) if is_article(o)]
    if any(own is not None and host_and_path(own)[1].rstrip("/") == path for _, own in articles) or (
        len(articles) == 1 and articles[0][1] is None
    ):
        return "json-ld"
    meta = meta_tags(tree)
    if meta.get("article:published_time"):
        return "article:published_time"
    blocks = tree.xpath("//article[not(ancestor::article)]")
    if "article" in (t.lower() for t in meta.get("og:type", [])) and len(blocks) <= 1:
        return "og:type"
    if len(blocks) == 1 and blocks[0].xpath(".//time"):
        return "dated <article>"
    return None
