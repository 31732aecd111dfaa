"""The article body: our own main-text finder, trafilatura as the fallback, our rules on top."""

from __future__ import annotations

import json
import logging
import re

import trafilatura
from lxml.html import HtmlElement

from scraper.extract.encoding import parse_html
from scraper.extract.maintext import is_prose, main_text, scan_page
from scraper.extract.metadata import Metadata
from scraper.extract.page import ParsedPage
from scraper.extract.text import clean_line

__all__ = ["extract_body"]

log = logging.getLogger(__name__)

#: trafilatura's cost grows fast with the tree: above this size it is not run at all.
MAX_TRAFILATURA_ELEMENTS = 30_000
#: Below this many characters of prose, our finder is unsure and trafilatura gets a say.
_UNSURE_CHARS = 400
_UNSURE_COVERAGE = 0.7
_MUCH_MORE = 1.5


def _block_text(node: HtmlElement) -> str:
    lines: list[str] = [node.text or ""]
    for child in node.iterdescendants():
        if child.tag == "lb":
            lines.append("\n")
        elif child.text:
            lines.append(child.text)
        if child.tail:
            lines.append(child.tail)
    return "\n".join(clean_line(line) for line in "".join(lines).split("\n") if clean_line(line))


def _trafilatura_paragraphs(tree: HtmlElement, url: str) -> list[str]:
    """trafilatura's paragraphs (its own extractor, without the readability/jusText comparison)."""
    elements = sum(1 for _ in tree.iter())
    if elements > MAX_TRAFILATURA_ELEMENTS:
        log.warning("%s: %d elements, more than %d: not passed to trafilatura", url, elements, MAX_TRAFILATURA_ELEMENTS)
        return []
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        fast=True,  # without its readability/jusText comparison: those pick sidebar blurbs on short posts
        include_comments=False,
        include_tables=True,
        include_images=False,
        with_metadata=False,
        deduplicate=False,
    )
    body = getattr(doc, "body", None)
    if body is None:
        return []
    out: list[str] = []
    for node in body:
        if node.tag == "list":
            out.extend(t for item in node.iter("item") if (t := _block_text(item)))
        elif node.tag == "table":
            rows = (" | ".join(_block_text(c) for c in row.iter("cell")) for row in node.iter("row"))
            out.extend(r for r in rows if r.strip(" |"))
        elif node.tag == "quote" and len(node):
            out.extend(t for child in node if (t := _block_text(child)))
        elif text := _block_text(node):
            out.append(text)
    return out


_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.){400,})"', re.DOTALL)
_ESCAPED_PARAGRAPH = re.compile(r"\\u003cp[\s>\\]|<p[\s>]", re.IGNORECASE)


def _script_paragraphs(tree: HtmlElement) -> list[str]:
    """The article's paragraphs from HTML that a script carries as a JSON string (a page rendered in the
    browser, such as a Next.js page whose article arrives in `self.__next_f.push([1, "..."])`)."""
    best: list[str] = []
    for script in tree.iter("script"):
        if script.get("src") or "ld+json" in (script.get("type") or ""):
            continue
        code = script.text or ""
        if len(code) < 400 or not _ESCAPED_PARAGRAPH.search(code):
            continue
        for m in _JSON_STRING.finditer(code):
            if not _ESCAPED_PARAGRAPH.search(m.group(1)):
                continue
            try:
                root = parse_html(json.loads(f'"{m.group(1)}"'), fragment=True)
            except ValueError:
                continue
            if root is None:
                continue
            paragraphs = [b.text for b in main_text(scan_page(root)).blocks]
            if sum(map(len, paragraphs)) > sum(map(len, best)):
                best = paragraphs
    return best


def _covers(other: list[str], ours: list[str]) -> bool:
    """Whether `other` holds most of the words of `ours` (it adds to our text rather than replacing it with
    something else, such as a consent notice that outweighs a short article)."""
    mine = set(" ".join(ours).casefold().split())
    if not mine:
        return True
    theirs = set(" ".join(other).casefold().split())
    return len(mine & theirs) >= 0.6 * len(mine)


def _drop_repeats(paragraphs: list[str], title: str | None) -> list[str]:
    """The text never starts with the title again, nor repeats it as a line. (A standfirst or lead that the
    description repeats stays: it is the article's text, and a short post may be nothing else.)"""
    if not title:
        return paragraphs
    key = clean_line(title).casefold()
    while paragraphs and paragraphs[0].casefold().rstrip(".") == key.rstrip("."):
        paragraphs = paragraphs[1:]
    return [p for p in paragraphs if p.casefold() != key]


def _structured_body(page: ParsedPage) -> str | None:
    """The article's text as its JSON-LD `articleBody` states it."""
    text = page.article.get("articleBody")
    return text.strip() or None if isinstance(text, str) else None


def extract_body(page: ParsedPage, meta: Metadata) -> str:
    """Clean body text of the page, paragraphs parted by a blank line (its tree is not modified). A first line
    that repeats the title, and a last line that is only an author's name (a signature),
    are left out."""
    paragraphs = _drop_repeats(_paragraphs(page), meta.title)
    if paragraphs and meta.authors and paragraphs[-1].casefold() in {a.casefold() for a in meta.authors}:
        paragraphs = paragraphs[:-1]
    return "\n\n".join(paragraphs)


def _key(text: str) -> str:
    """A paragraph's text with its white space collapsed, case-folded (to compare two extractors' paragraphs)."""
    return " ".join(text.split()).casefold()


def _headlines(page: ParsedPage) -> list[HtmlElement]:
    """The post's headline elements (`maintext.headlines`)."""
    return [page.scan.blocks[k].node for k in page.headlines]


def _start(page: ParsedPage, paragraphs: list[str]) -> int | None:
    """Where the first of `paragraphs` that is one of the page's blocks sits in the page (its block index)."""
    keys = {_key(p) for p in paragraphs}
    return next((k for k, b in enumerate(page.scan.blocks) if _key(b.text) in keys), None)


def _nearer_headline(page: ParsedPage, other: list[str], ours: list[str]) -> bool:
    """Whether `other` starts after the post's headline and nearer to it than `ours` does."""
    heads = page.headlines
    if not heads:
        return False
    h = heads[0]
    t, o = _start(page, other), _start(page, ours)
    if t is None or t <= h:
        return False
    return o is None or o <= h or t < o


def _better(page: ParsedPage, other: list[str], ours: list[str], *, much_more: bool, unsure: bool) -> bool:
    """Whether trafilatura's text replaces ours: it holds much more and includes ours, or, when ours is unsure,
    it is another text (it does not include ours) that starts nearer after the post's headline (a short post
    against a credit line, a blurb or a comment that our finder picked)."""
    if _covers(other, ours):
        return much_more
    return unsure and _nearer_headline(page, other, ours)


def _paragraphs(page: ParsedPage) -> list[str]:
    """Our finder's paragraphs; trafilatura's, a script's or the JSON-LD `articleBody` where ours are unsure
    or those hold much more."""
    found = page.found
    paragraphs = [b.text for b in found.blocks]
    # Unsure: little prose, a container that holds a minority of the page's prose, or one that is a piece of
    # a table or a list. Then trafilatura gets a say, and wins when it finds much more that still
    # includes our text; unless ours is settled: a container of several paragraphs with enough prose is still
    # the post more often than trafilatura's much longer text (which adds teasers, offers, other posts).
    settled = (
        found.prose_chars >= _UNSURE_CHARS
        and not found.in_list_or_table
        and sum(1 for b in found.blocks if is_prose(b)) > 1
    )
    unsure = not settled and (
        found.prose_chars < _UNSURE_CHARS or found.coverage < _UNSURE_COVERAGE or found.in_list_or_table
    )
    # A container in the page's footer, sidebar, header or a widget that does not hold the headline (an
    # "About" blurb, a disclaimer, a copyright line) is the wrong block when trafilatura's text is mostly
    # elsewhere (ours does not cover it): then trafilatura's text, without ours, replaces it.
    region = found.in_page_region(_headlines(page))
    if region or unsure:  # trafilatura is the costly step: only called when its answer can be used
        other = _trafilatura_paragraphs(page.tree, page.url)
        ours = sum(map(len, paragraphs))
        much_more = sum(map(len, other)) > (ours if found.prose_chars < _UNSURE_CHARS else _MUCH_MORE * ours)
        if region and other and not _covers(paragraphs, other):
            blurb = {_key(p) for p in paragraphs}  # the region's text is not the post's
            paragraphs = [p for p in other if _key(p) not in blurb] or other
        elif other and not settled and _better(page, other, paragraphs, much_more=much_more, unsure=unsure):
            paragraphs = other
    ld_body = _structured_body(page)
    if not ld_body and sum(map(len, paragraphs)) < _UNSURE_CHARS:
        other = _script_paragraphs(page.tree)
        if sum(map(len, other)) > _UNSURE_CHARS:
            paragraphs = other
    if ld_body and len(ld_body) > 2 * sum(map(len, paragraphs)):
        paragraphs = [p for chunk in ld_body.split("\n") if (p := clean_line(chunk))]
    return paragraphs
