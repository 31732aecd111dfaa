"""Property-based tests (hypothesis) of what reads hostile input: extraction, boilerplate cleaning, sitemaps,
feeds, the archive's line encoding. They never raise on arbitrary bytes or markup (beyond their documented
error), their output is always JSON-serialisable, and cleaned text never holds a line they were told to strip.
Example counts are modest: the whole file runs in well under a minute."""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import asdict
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from archive.jsonline import encode_line
from archive.schema import load_schema
from scraper.discovery.feeds import FeedError, parse_feed
from scraper.discovery.sitemaps import SitemapError, parse_sitemap
from scraper.discovery.xml import ENTITY_MARKER, IgnoredEntities
from scraper.extract import analyse_page
from scraper.extract.boilerplate import DEFAULT_PATTERNS, BoilerplateStripper
from scraper.middlewares.retry import retry_after_seconds
from scraper.urls import is_tracking, strip_tracking

SOME = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
URL = "http://127.0.0.1:8000/2026/05/01/some-story-here/"

# any code point, surrogates and controls included (hypothesis leaves surrogates out unless told)
ANY_CHAR = st.characters(codec=None, exclude_categories=())
ANY_TEXT = st.text(ANY_CHAR, max_size=60)
MARKUP = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<div>",
        "</div>",
        "<article>",
        "</article>",
        "<h1>",
        "</h1>",
        "<title>",
        "</title>",
        "<br>",
        "<script>",
        "</script>",
        "<style>",
        "</style>",
        "<a href='/2026/01/01/a-b-c/'>",
        "</a>",
        "<!--",
        "-->",
        "<![CDATA[",
        "]]>",
        "<meta charset='koi8-r'>",
        "<meta charset='utf-16'>",
        "<meta charset='bogus'>",
        "&amp;",
        "&#0;",
        "&#x9b;",
        "&#xd800;",
        "&#x2028;",
        "&nbsp;",
        "\x00",
        "\u2028",
        "\ufeff",
        "<html",
        "<<>>",
        "<meta property='og:type' content='article'>",
        "<time datetime='2026-02-30T25:61:00+99:00'>",
        "<meta property='article:published_time' content='99999-01-01'>",
        "<img src='http://[::1'>",
        "<link rel='canonical' href='http://x:99999/'>",
        "<meta property='og:image' content='http://x:abc/i.jpg'>",
        "Leave a Comment",
        "Share on Facebook",
        "\n",
        "\n\n",
    ]
)
JSON_LD = st.builds(
    lambda d: f'<script type="application/ld+json">{d}</script>',
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "@type",
                        "@graph",
                        "@id",
                        "headline",
                        "name",
                        "author",
                        "datePublished",
                        "description",
                        "image",
                        "keywords",
                        "articleBody",
                        "url",
                    ]
                ),
                inner,
                max_size=5,
            )
        ),
        max_leaves=12,
    ).map(lambda v: json.dumps({"@type": "NewsArticle", "x": v})),
)
HTML = st.lists(st.one_of(MARKUP, ANY_TEXT, JSON_LD), max_size=40).map("".join)
CONTENT_TYPES = st.sampled_from(
    [
        None,
        "text/html",
        "text/html; charset=utf-8",
        "text/html; charset=bogus",
        "text/html; charset=utf-16",
        "text/html; charset=utf-7",
        "application/octet-stream",
        "application/pdf",
        "text/html; charset=\u2028",
    ]
)


REASON = re.compile(r"empty|no_text|(?:not_html|not_article) \(.+\)")  # why a page is no article


def _complete(record: dict[str, Any]) -> dict[str, Any]:
    """The record as the archive pipeline completes it."""
    return {
        **record,
        "crawled_at": "2026-05-01T10:00:00+00:00",
        "spider": "article",
        "run_id": "prop",
        "http_status": 200,
    }


def _check_record(record: dict[str, Any]) -> None:
    line = encode_line(_complete(record))  # JSON-serialisable, strictly UTF-8 (no lone surrogate), one line
    assert line.count(b"\n") == 1 and len(line.decode("utf-8").splitlines()) == 1
    assert json.loads(line) == _complete(record)
    errors = [e.message for e in Draft202012Validator(load_schema()).iter_errors(_complete(record))]
    assert errors == []
    boilerplate = re.compile("|".join(f"(?:{p})" for p in DEFAULT_PATTERNS), re.IGNORECASE | re.DOTALL)
    for line_text in record["text"].split("\n"):
        key = line_text.strip().strip(" \t*•·|:»›>-–—").strip()
        assert not (key and boilerplate.fullmatch(key)), line_text


@SOME
@given(st.binary(max_size=3000), CONTENT_TYPES)
def test_extraction_never_raises_on_arbitrary_bytes(data: bytes, content_type: str | None) -> None:
    result = analyse_page(data, URL, content_type=content_type)
    if result.not_article is None:
        assert result.record["text"]  # what is judged an article has a text
    else:
        assert REASON.fullmatch(result.not_article), result.not_article  # one of the documented reasons
    _check_record(result.record)


@SOME
@given(HTML, CONTENT_TYPES, st.sampled_from(["utf-8", "cp1252", "utf-16", "gb18030", "shift_jis"]))
@example(
    "<html><body><article><h1>Lifeboat crew honoured</h1><p>"
    + "The crew was honoured. " * 30
    + "</p><p>Leave a Comment</p><p>Share on Facebook</p></article></body></html>",
    None,
    "utf-8",
)
def test_extraction_never_raises_on_hostile_html(html: str, content_type: str | None, encoding: str) -> None:
    for body in (html, html.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace")):
        _check_record(analyse_page(body, URL, content_type=content_type).record)


CONTROL_PAGE = (
    "<html><head><title>Crew\x9b honoured</title><meta property='og:type' content='article'>"
    "</head><body><article><p>" + "Control\x85 characters\x9b in the text. " * 20 + "</p></article>"
    "</body></html>"
)
SURROGATE_PAGE = (
    '<html><head><script type="application/ld+json">{"@type": "NewsArticle", '
    '"headline": "Broken \\ud83d headline", "description": "Lone \\udc00 surrogate"}</script></head>'
    "<body><article><p>" + "Some text. " * 30 + "</p></article></body></html>"
)


def _controls(record: dict[str, Any]) -> list[str]:
    found = []
    for key, value in record.items():
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and re.search(
                r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", text if key == "text" else text + "\n"
            ):
                found.append(key)
    return found


@FEW
@given(HTML)
@example(CONTROL_PAGE)
def test_extraction_output_holds_no_control_characters(html: str) -> None:
    record = analyse_page(html.encode("utf-8", "surrogatepass"), URL, content_type="text/html; charset=utf-8").record
    assert _controls(record) == []


@FEW
@given(st.just(SURROGATE_PAGE))
def test_extraction_output_holds_no_lone_surrogates(html: str) -> None:
    record = analyse_page(html.encode(), URL, content_type="text/html; charset=utf-8").record
    encode_line(_complete(record))
    assert "\ufffd" in record["title"]  # replaced, not dropped silently


@FEW
@given(
    st.sampled_from(
        [
            "<link rel='canonical' href='{}'>",
            "<meta property='og:url' content='{}'>",
            "<meta property='og:image' content='{}'>",
            '<script type="application/ld+json">{{"@type": "NewsArticle", "url": "{}"}}</script>',
        ]
    ),
    st.sampled_from(["http://[broken", "http://[::1", "https://[", "http://]/"]),
)
@example("<link rel='canonical' href='{}'>", "http://[broken")
def test_extraction_never_raises_on_unparseable_urls(template: str, url: str) -> None:
    body = f"<article><p>{'Some text. ' * 30}</p></article>"
    html = f"<html><head>{template.format(url)}</head><body>{body}</body></html>"
    _check_record(analyse_page(html.encode(), URL).record)


# --- boilerplate ----------------------------------------------------------------------------------------------
LINES = st.lists(
    st.one_of(
        ANY_TEXT,
        st.sampled_from(
            [
                "Leave a Comment",
                "Share on Facebook",
                "  * Share  ",
                "Related posts",
                "Read more: the harbour story",
                "Support us today",
                "support us: become a member",
                "Photo: Jane Doe/Reuters",
                "Advertisement",
                "©2026 Herald",
                "The council met on Tuesday and agreed the plan, which the mayor said was overdue.",
            ]
        ),
    ),
    max_size=30,
)


def _lines(text: str) -> list[str]:
    """The non-blank lines of a text as the stripper reads it (paragraphs split at blank lines, then lines)."""
    return [raw.strip() for paragraph in text.split("\n\n") for raw in paragraph.split("\n") if raw.strip()]


@SOME
@given(
    LINES,
    st.lists(st.sampled_from(["support us.*", r"become a \w+", "herald .*", "x{0,3}y"]), max_size=3),
    st.sampled_from(["\n", "\n\n", "\r\n", "\u2028"]),
)
def test_boilerplate_cleaning_never_leaves_a_line_it_was_told_to_strip(
    lines: list[str], extra: list[str], separator: str
) -> None:
    patterns = [*DEFAULT_PATTERNS, *extra]
    text = separator.join(lines)
    cleaned = BoilerplateStripper(patterns).clean(text)
    json.dumps(asdict(cleaned))
    assert cleaned.removed == len(_lines(text)) - len(_lines(cleaned.text))  # counts the lines it took out
    assert len(cleaned.credits) <= cleaned.removed and all(c in _lines(text) for c in cleaned.credits)
    strip = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE | re.DOTALL)
    kept_from = {line.strip() for chunk in lines for line in chunk.split("\n")}
    for line in cleaned.text.split("\n"):
        key = line.strip().strip(" \t*•·|:»›>-–—").strip()
        assert not (key and strip.fullmatch(key)), line
        assert not line or line in kept_from or separator != "\n"  # lines are removed, never rewritten


# --- sitemaps and feeds ----------------------------------------------------------------------------------------
XML_TEXT = st.text(ANY_CHAR.filter(lambda c: c not in "<&"), max_size=40)
SITEMAP = st.builds(
    lambda entries, index, prolog: (
        prolog
        + ("<sitemapindex>" if index else '<urlset xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">')
        + "".join(entries)
        + ("</sitemapindex>" if index else "</urlset>")
    ),
    st.lists(
        st.builds(
            lambda loc, lastmod, title, date: (
                f"<url><loc>{loc}</loc><lastmod>{lastmod}</lastmod><news:news><news:title>{title}</news:title>"
                f"<news:publication_date>{date}</news:publication_date></news:news></url>"
            ),
            st.one_of(
                XML_TEXT,
                st.sampled_from(
                    [
                        "http://[broken/",
                        "http://x:99999/a-b-c-d",
                        "javascript:alert(1)",
                        "https://x.example/&a;/",
                        "https://x.example/&amp;&#233;",
                    ]
                ),
            ),
            XML_TEXT,
            st.one_of(XML_TEXT, st.just("&a; &lt;")),
            st.one_of(XML_TEXT, st.sampled_from(["2026-02-30", "99999-01-01T00:00:00+99:00"])),
        ),
        max_size=6,
    ),
    st.booleans(),
    st.sampled_from(
        [
            "",
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<?xml version="1.0" encoding="bogus"?>',
            '<!DOCTYPE urlset [<!ENTITY a "aaaa">]>',
            '<!DOCTYPE urlset SYSTEM "http://127.0.0.1:1/x.dtd">',
            '<!DOCTYPE urlset [<!-- ]> --><!ENTITY a "x]>&#60;"><!ENTITY % p "&#37;">]>',
        ]
    ),
)


@SOME
@given(
    st.one_of(
        st.binary(max_size=2000),
        SITEMAP.map(lambda s: s.encode("utf-8", "surrogatepass")),
        SITEMAP.map(lambda s: gzip.compress(s.encode("utf-8", "surrogatepass"))),
        st.binary(max_size=200).map(lambda b: b"\x1f\x8b" + b),
    )
)
def test_sitemap_parsing_raises_nothing_but_sitemap_error(body: bytes) -> None:
    try:
        entries = list(parse_sitemap(body, max_size=1024 * 1024))
    except SitemapError:
        return
    for entry in entries:
        assert entry.loc and entry.loc == entry.loc.strip()
        assert ENTITY_MARKER not in json.dumps(asdict(entry), ensure_ascii=False)  # no value cut at an entity


FEED = st.builds(
    lambda kind, items: {
        "rss": lambda: (
            "<rss><channel>"
            + "".join(
                f"<item><title>{t}</title><link>{u}</link><pubDate>{d}</pubDate><guid>{u}</guid></item>"
                for t, u, d in items
            )
            + "</channel></rss>"
        ),
        "atom": lambda: (
            '<feed xmlns="http://www.w3.org/2005/Atom">'
            + "".join(
                f'<entry><title>{t}</title><link href="{u.replace(chr(34), "")}"/><published>{d}</published></entry>'
                for t, u, d in items
            )
            + "</feed>"
        ),
        "json": lambda: json.dumps({"items": [{"title": t, "url": u, "date_published": d} for t, u, d in items]}),
    }[kind](),
    st.sampled_from(["rss", "atom", "json"]),
    st.lists(
        st.tuples(
            XML_TEXT,
            st.one_of(
                XML_TEXT,
                st.sampled_from(
                    [
                        "http://[broken/",
                        "http://x:99999/a-b-c-d",
                        "javascript:alert(1)",
                        "/2026/01/01/relative-story/",
                        "//other.example/2026/01/01/story/",
                    ]
                ),
            ),
            XML_TEXT,
        ),
        max_size=5,
    ),
)


@SOME
@given(
    st.one_of(
        st.binary(max_size=2000),
        FEED.map(lambda s: s.encode("utf-8", "surrogatepass")),
        st.sampled_from(
            [
                b"[" * 5000 + b"]" * 5000,
                b'{"items": [1, "x", null, {"url": 5}]}',
                b'{"items": [{"url": "/a", "title": {"x": 1}, "date_published": [1]}]}',
            ]
        ),
        FEED.map(
            lambda s: ('<!DOCTYPE rss [<!ENTITY a "aaaa">]>' + s.replace("t", "&a;")).encode("utf-8", "surrogatepass")
        ),
    )
)
def test_feed_parsing_raises_nothing_but_feed_error(body: bytes) -> None:
    try:
        entries = parse_feed(body, "http://127.0.0.1:8000/feed.xml")
    except FeedError:
        return
    for entry in entries:
        assert entry.url.startswith(("http://", "https://"))
        assert entry.title is None or (entry.title and entry.title == " ".join(entry.title.split()))  # one line
        assert entry.published_at is None or datetime.fromisoformat(entry.published_at)  # ISO 8601
        dumped = json.dumps(asdict(entry), ensure_ascii=False)
        assert ENTITY_MARKER not in dumped or body.lstrip()[:1] in {b"{", b"["}, dumped  # XML: no value cut


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x.dtd"> %p;]>',
        '<!DOCTYPE r [<!ENTITY a "aaaa">]>',
    ],
)
def test_xml_that_declares_entities_keeps_its_plain_urls_and_expands_nothing(doctype: str) -> None:
    ref = "" if "%" in doctype else f"&{doctype.split()[3]};"  # a parameter entity cannot be used in content
    cut = f"<url><loc>https://x.example/{ref}/b</loc></url>" if ref else ""
    sitemap = f'<?xml version="1.0"?>{doctype}<urlset><url><loc>https://x.example/a-b-c-d</loc></url>{cut}</urlset>'

    found = IgnoredEntities()
    assert [e.loc for e in parse_sitemap(sitemap.encode(), entities=found)] == ["https://x.example/a-b-c-d"]
    assert found.declared and found.skipped == (1 if ref else 0)
    cut = f"<item><link>https://x.example/{ref}/b</link></item>" if ref else ""
    feed = (
        f'<?xml version="1.0"?>{doctype}<rss><channel><item><title>T{ref}</title><link>https://x.example/a</link>'
        f"</item>{cut}</channel></rss>"
    )
    found = IgnoredEntities()
    entries = parse_feed(feed.encode(), "https://x.example/", entities=found)
    assert [(e.url, e.title) for e in entries] == [("https://x.example/a", None if ref else "T")]
    assert found.declared and found.skipped == (1 if ref else 0)


def test_entities_that_cannot_be_set_aside_refuse_the_document() -> None:
    sitemap = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "aaaa">]>'
        "<urlset><url><loc>&a;</loc></url></urlset>"
    )
    with pytest.raises(SitemapError, match="declares XML entities"):
        list(parse_sitemap(sitemap.encode("utf-16")))
    with pytest.raises(FeedError, match="declares XML entities"):
        parse_feed(sitemap.replace("urlset", "rss").encode("utf-16"), "https://x.example/")


# --- URLs ------------------------------------------------------------------------------------------------------
PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="#&")
QUERY_PIECE = st.one_of(
    st.text(PRINTABLE, max_size=12),  # `/archives/x`, `flag`, `%E9`: kept as they are
    st.sampled_from(
        [
            "utm_source=x",
            "ref=7",
            "src=rss",
            "fbclid=a",
            "id=5",
            "p=2",
            "page=3",
            "story=9",
            "%E9t%E9",
            "q=a+b",
            "=",
            "a=%zz",
            "/archives/2026/05/01/x.html",
        ]
    ),
)
HOST = st.sampled_from(
    [
        "x.example",
        "WWW.X.Example",
        "[2001:db8::1]",
        "[::1]",
        "127.0.0.1",
        "user@h.example",
        "u:p@H.example:8080",
        "h.example:443",
        "h.example:80",
    ]
)


@SOME
@given(
    st.sampled_from(["http", "https", "HTTP"]),
    HOST,
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="?#"), max_size=20).map(
        lambda p: "/" + p.lstrip("/")
    ),
    st.lists(QUERY_PIECE, max_size=6),
)
@example("http", "x.example", "/", [" "])  # `/? #frag`: the whitespace before the fragment went only on a 2nd pass
def test_strip_tracking_drops_only_tracking_pieces(scheme: str, host: str, path: str, pieces: list[str]) -> None:
    url = f"{scheme}://{host}{path}" + ("?" + "&".join(pieces) if pieces else "") + "#frag"
    stripped = strip_tracking(url)
    kept = "&".join(p for p in pieces if not is_tracking(p)).rstrip()  # trailing whitespace is not the URL's
    assert stripped.endswith(path + ("?" + kept if kept.strip("&") else ""))
    assert "@" not in stripped.split("/")[2] and "#" not in stripped
    assert stripped.split("/")[2].startswith("[") == host.split("@")[-1].startswith("[")
    assert strip_tracking(stripped) == stripped


@SOME
@given(st.text(ANY_CHAR, max_size=80))
@example("http://[broken")
@example("http://x:99999/")
def test_strip_tracking_never_raises(url: str) -> None:
    assert "#" not in strip_tracking(url)


@SOME
@given(st.one_of(st.binary(max_size=40), ANY_TEXT))
@example("²")
@example(b"\xb2")
def test_retry_after_is_a_non_negative_number_or_none(value: bytes | str) -> None:
    seconds = retry_after_seconds(value)
    assert seconds is None or seconds >= 0


# --- the archive's line encoding ---------------------------------------------------------------------------------
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=15,
)


@SOME
@given(st.dictionaries(ANY_TEXT, JSON_VALUES, max_size=6))
@example({"text": "line\u2028separator\u2029paragraph\x85next\x1cfile\x0bv\x0cf\r\n"})
def test_one_record_is_one_line_whatever_it_holds(record: dict[str, Any]) -> None:
    try:
        line = encode_line(record)
    except ValueError:  # only a lone surrogate (no UTF-8 file can hold one) or a NaN/Infinity (not JSON)
        dumped = json.dumps(record, ensure_ascii=False)
        assert re.search("[\ud800-\udfff]", dumped) or re.search(r"\b(?:NaN|-?Infinity)\b", dumped), dumped
        return
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    text = line.decode("utf-8")
    assert len(text.splitlines()) == 1  # what Python, jq and most line readers agree on
    assert json.loads(text) == record
