"""Our own main-text finder: text blocks of the page, the subtree that holds the article, its clean blocks.

One walk over the parsed tree turns it into text blocks (a paragraph, a heading, a list item, a run of loose
text in a `<div>`), each knowing how much of it is link text. Every element then gets the prose it holds
minus a penalty for the link text and the short furniture it holds; the element with the best balance is
the article's container. Its blocks are kept unless they sit in page furniture (share bars, related
stories, newsletters...), are mostly links or date stamps, are short fragments before the first or after
the last paragraph of prose (kickers, bylines, tags), or are a run of teasers for other stories at either
end. The same walk notes bylines, date elements and captions for the metadata. Fast: one pass over the
tree, no copies of it; class names are judged once and cached.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from lxml.html import HtmlElement

from scraper.extract.text import clean_line
from scraper.record import CJK_CHARS

log = logging.getLogger(__name__)

# Elements whose content is never article text.
SKIP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "math",
        "iframe",
        "object",
        "embed",
        "canvas",
        "video",
        "audio",
        "button",
        "input",
        "select",
        "textarea",
        "option",
        "label",
        "nav",
        "aside",
        "figure",
        "figcaption",
        "picture",
        "img",
        "head",
        "title",
        "meta",
        "link",
        "map",
        "dialog",
        "source",
        "track",
        "menu",
        "footer",
    }
)
# Elements that flow inside a line of text; every other element starts a new block.
INLINE_TAGS = frozenset(
    {
        "a",
        "span",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "small",
        "sup",
        "sub",
        "mark",
        "abbr",
        "cite",
        "code",
        "q",
        "time",
        "font",
        "s",
        "strike",
        "del",
        "ins",
        "br",
        "wbr",
        "bdi",
        "bdo",
        "dfn",
        "kbd",
        "samp",
        "var",
        "big",
        "tt",
        "data",
        "ruby",
        "rt",
        "rp",
        "nobr",
        "acronym",
    }
)
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

# Containers that are page furniture whatever theme draws them, matched on class/id tokens. Strong furniture
# (consent notices, comment sections, newsletter boxes, pop-ups) never holds the article; weak furniture
# names (share, related, caption, ad...) are trusted only while they hold a minor part of the page's prose.
_TOKEN = r"(?:^|[\s_-])(?:{})(?:$|[\s_-])"
STRONG_FURNITURE = re.compile(
    _TOKEN.format(
        r"cookies?|consent|gdpr|cmp|newsletter|subscribe|subscription|comments?|respond|comment-respond|"
        r"comment-form|disqus|modal|popup|onetrust|didomi|usercentrics|sourcepoint"
    ),
    re.IGNORECASE,
)
WEAK_FURNITURE = re.compile(
    _TOKEN.format(
        r"share|sharing|sharebar|sharedaddy|social|socials|related|relatedposts|jp-relatedposts|yarpp|crp_related|"
        r"scroll-?to-?top|back-?to-?top|scrollup|breadcrumbs?|advert|advertisement|ads|ad|adslot|ad-slot|"
        r"adsbygoogle|adunit|dfp|promo|outbrain|taboola|sponsored|author-box|authorbox|about-author|author-bio|bio|"
        r"author-info|author-description|author-details|"
        r"post-navigation|nav-links|pagination|more-stories|read-?more|recommended|recommendations|popular|"
        r"most-read|trending|byline|bylines|caption|credits?|tags|tag-list|taglist|keywords|toolbar|rating|"
        r"survey|poll|donate|donation|visually-hidden|sr-only|screen-reader-text|"
        r"image|images|img|photo|photos|picture|gallery|lightbox|slideshow|carousel|video|player|audio|media|"
        r"tweet|twitter-tweet|instagram-media|tiktok-embed|embed|embedded|oembed"
    ),
    re.IGNORECASE,
)
# Page regions around the article: a container inside one of these (a sidebar's "About" blurb, a footer's
# copyright or disclaimer, a header's tagline, a widget) is likely the wrong block when the post is short.
PAGE_REGION = re.compile(
    _TOKEN.format(r"foot|footer|sidebar|sidebars|widget|widgets|header|masthead|colophon|siteinfo|site-info|copyright"),
    re.IGNORECASE,
)
_CJK = re.compile(CJK_CHARS)
_SENTENCE_END = re.compile(r"[.!?。！？…؟।][\"'”’»«“)\]]*$")

_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_BR = "\x00"  # a line break inside a block (the parser's input has its NULs removed: never page text)

MAX_BLOCKS = 10_000  # a page with more text blocks than this is read up to here (a long article has ~500)


class _Enough(Exception):
    """The page has more text blocks than MAX_BLOCKS."""


LINK_PENALTY = 1.0  # how much a character of link text costs against a character of prose
SHORT_PENALTY = 0.25  # and a character of short, unpunctuated text (labels, kickers, dates)
ISOLATED_WEIGHT = 0.25  # a paragraph of prose with no other prose next to it counts a quarter
TEASER_CHARS = 300  # a paragraph standing alone and shorter than this may be a teaser for another story


@dataclass(slots=True, eq=False)
class Block:
    """A paragraph-like piece of text and where it came from."""

    text: str
    tag: str
    node: HtmlElement
    chars: int
    link_chars: int
    furniture: tuple[tuple[HtmlElement, bool], ...] = ()
    good: float = 0.0
    bad: float = 0.0
    # Worked out once: the finder asks them of every block many times over.
    heading: bool = field(init=False)  # an `<h1>`...`<h6>`
    link_density: float = field(init=False)  # the share of the text that is link text
    prose: bool = field(init=False)  # `is_prose`

    def __post_init__(self) -> None:
        self.heading = self.tag in HEADINGS
        self.link_density = self.link_chars / self.chars if self.chars else 0.0
        self.prose = (
            not self.heading
            and self.link_density <= 0.5
            and (self.chars >= 100 or (self.chars >= 30 and _SENTENCE_END.search(self.text) is not None))
        )


@dataclass
class Scan:
    """What one walk over the page found: its text blocks, and elements that metadata looks at."""

    blocks: list[Block] = field(default_factory=list)
    bylines: list[HtmlElement] = field(default_factory=list)  # class/id "author"/"byline", rel/itemprop author
    dates: list[HtmlElement] = field(default_factory=list)  # <time>, class/id "date", "time", "publish"...
    captions: list[str] = field(default_factory=list)  # <figcaption> and class "caption" texts


_BYLINE_MARK = re.compile(r"author|byline|auteur|autor")
_DATE_MARK = re.compile(r"date|time|publish|datum|meta|fecha|tarih")


@lru_cache(maxsize=32_768)
def _marks(low: str) -> tuple[bool, bool, bool]:
    """Whether class/id tokens name a byline, a date, a caption (cached: class names repeat)."""
    return bool(_BYLINE_MARK.search(low)), bool(_DATE_MARK.search(low)), "caption" in low


def _notable(keys: list[str]) -> bool:
    """Whether attribute names include one that `_note` reads (class, id, itemprop, rel)."""
    return "class" in keys or "id" in keys or "itemprop" in keys or "rel" in keys


def _note(
    el: HtmlElement, tag: str, scan: Scan, aside: bool, low: str | None = None, keys: list[str] | None = None
) -> None:
    """Remember the element if it looks like a byline, a date or a caption. `aside`: it sits in comments,
    a pop-up or a newsletter box, where bylines are not the article's. `low`: its class and id, lower-case;
    `keys`: its attribute names, when at hand."""
    if keys is None:
        keys = el.keys()
    if low is None and not _notable(keys):  # none of the attributes looked at below: only a <time> counts
        if tag == "time":
            scan.dates.append(el)
        return
    prop = el.get("itemprop") if "itemprop" in keys else None
    if prop == "author" or ("rel" in keys and el.get("rel") == "author"):
        if not aside:
            scan.bylines.append(el)
        return
    if low is None:
        cls, ident = el.get("class"), el.get("id")
        low = f"{cls} {ident}".lower() if cls or ident else ""
    if low:
        byline, dated, caption = _marks(low)
        if byline:
            if not aside:
                scan.bylines.append(el)
            return
        if tag == "time" or prop or dated:
            scan.dates.append(el)
        if caption and len(scan.captions) < 20:
            scan.captions.append(el.text_content())
    elif tag == "time" or prop in {"datePublished", "dateModified"}:
        scan.dates.append(el)


def _weight(text: str) -> int:
    """Characters of text, a CJK character counting as three (it carries about a word)."""
    n = len(text)
    if not text.isascii():
        n += 2 * len(_CJK.findall(text))
    return n


def _furniture_kind(node: HtmlElement, tokens: str, keys: list[str] | None = None) -> int:
    """2 for strong page furniture (by role or class/id tokens), 1 for weak, 0 for none. `tokens`: the
    element's class and id, lower-case; `keys`: its attribute names, when at hand (an attribute it lacks is
    not read)."""
    role = node.get("role") if keys is None or "role" in keys else None
    if role:
        if role in {"dialog", "alertdialog"}:
            return 2
        if role in {"navigation", "complementary", "contentinfo"}:
            return 1
    if (keys is None or "aria-modal" in keys) and node.get("aria-modal") == "true":
        return 2
    if node.tag == "form" or ((keys is None or "aria-hidden" in keys) and node.get("aria-hidden") == "true"):
        return 1
    return _class_kind(tokens) if tokens else 0


# The same patterns matched case-sensitively: on lower-case ASCII tokens (nearly all) they find what the
# case-insensitive ones find, in a third of the time.
_STRONG_LOWER = re.compile(STRONG_FURNITURE.pattern)
_WEAK_LOWER = re.compile(WEAK_FURNITURE.pattern)
assert STRONG_FURNITURE.pattern.islower() and WEAK_FURNITURE.pattern.islower()


@lru_cache(maxsize=32_768)
def _class_kind(tokens: str) -> int:
    """Furniture kind of class/id tokens (cached: class names repeat within and across pages)."""
    strong, weak = (
        (_STRONG_LOWER, _WEAK_LOWER) if tokens.isascii() and tokens.islower() else (STRONG_FURNITURE, WEAK_FURNITURE)
    )
    if strong.search(tokens):
        return 2
    return 1 if weak.search(tokens) else 0


def _has_block(el: HtmlElement) -> bool:
    """Whether an element holds a block-level element (then it is a container, not a piece of a line)."""
    for node in el.iterdescendants():
        tag = node.tag
        if isinstance(tag, str) and tag not in INLINE_TAGS and tag not in SKIP_TAGS:
            return True
    return False


# A block's text is gathered as a list of pieces (`parts`) and the characters of link text among them. Blank
# text before a block's first words changes nothing (each piece is stripped): it is not kept, so that a run of
# blanks between two containers is never a block.


def _inline(el: HtmlElement, parts: list[str], in_link: bool, scan: Scan, aside: bool) -> int:
    """Add an inline element's text (not its tail) to `parts`; the characters of link text it added."""
    tag = el.tag
    if not isinstance(tag, str) or tag in SKIP_TAGS:
        return 0
    if tag == "br":
        parts.append(_BR)
        return 0
    if _notable(keys := el.keys()):
        _note(el, tag, scan, aside, keys=keys)
    elif tag == "time":  # what `_note` does with an element without class, id, itemprop or rel
        scan.dates.append(el)
    in_link = in_link or tag == "a"
    links = 0
    text = el.text
    if text and (parts or not text.isspace()):
        parts.append(text)
        if in_link:
            links += len(text.strip())
    for child in el:
        links += _inline(child, parts, in_link, scan, aside)
        tail = child.tail
        if tail and (parts or not tail.isspace()):
            parts.append(tail)
            if in_link:
                links += len(tail.strip())
    return links


def _emit(
    walk: Scan,
    parts: list[str],
    link_chars: int,
    node: HtmlElement,
    tag: str,
    furniture: tuple[tuple[HtmlElement, bool], ...],
) -> None:
    raw = "".join(parts)
    if not raw.strip():
        return
    pieces = raw.split(_BR) if _BR in raw else None  # most blocks have no line break
    text = clean_line(raw) if pieces is None else "\n".join(c for part in pieces if (c := clean_line(part)))
    if not text[:1].isalnum() and not any(ch.isalnum() for ch in text):  # only bullets, bars, zero-width joiners
        return
    if text.isascii():
        chars = len(text)
        links = min(chars, link_chars)
    else:
        chars = _weight(text)
        links = min(chars, int(link_chars * chars / max(1, len(text))))
    walk.blocks.append(Block(text, tag, node, chars, links, furniture))
    if len(walk.blocks) >= MAX_BLOCKS:
        raise _Enough


def _hidden(el: HtmlElement) -> bool:
    """Whether an element's inline style hides it."""
    style = el.get("style")
    return style is not None and ("none" in style or "hidden" in style) and _HIDDEN.search(style) is not None


def _walk(
    el: HtmlElement, scan: Scan, furniture: tuple[tuple[HtmlElement, bool], ...], in_link: bool, aside: bool = False
) -> None:
    """Split a container element into blocks, in document order. `aside`: some of `furniture` is strong (the
    element sits in comments, a pop-up or a newsletter box)."""
    tag = el.tag
    if not isinstance(tag, str):  # a comment or a processing instruction holds no text
        return
    in_link = in_link or tag == "a"
    parts: list[str] = []
    links = 0
    text = el.text
    if text and not text.isspace():
        parts.append(text)
        if in_link:
            links += len(text.strip())
    for child in el:
        ctag = child.tag
        if not isinstance(ctag, str):  # a comment
            pass
        elif ctag in SKIP_TAGS:
            if ctag in {"figcaption", "figure"} and len(scan.captions) < 20:
                scan.captions.extend(c.text_content() for c in child.iter("figcaption"))
            elif ctag in {"footer", "aside"}:  # no article text, but an entry's byline and date live there
                for node in child.iter():
                    if not isinstance(ntag := node.tag, str):
                        continue
                    if _notable(nkeys := node.keys()):
                        _note(node, ntag, scan, aside, keys=nkeys)
                    elif ntag == "time":
                        scan.dates.append(node)
        elif (bare := not (keys := child.keys())) or "style" not in keys or not _hidden(child):  # bare: no attributes
            if ctag in INLINE_TAGS and not (len(child) and _has_block(child)):
                links += _inline(child, parts, in_link or ctag == "a", scan, aside)
            else:
                if parts:  # (with no parts there are no links either)
                    _emit(scan, parts, links, el, tag, furniture)
                    parts, links = [], 0
                if bare:  # no class, id or role: furniture only if a <form>, noted only if a <time>
                    kind = 1 if ctag == "form" else 0
                    if ctag == "time":
                        scan.dates.append(child)
                else:
                    cls, ident = child.get("class"), child.get("id")
                    low = f"{cls} {ident}".lower() if cls or ident else ""
                    kind = _furniture_kind(child, low, keys)
                    if kind == 2 and child.find(".//article") is not None:
                        kind = 0  # an overlay that shows the article itself (a reader view), not a pop-up
                    _note(child, ctag, scan, aside or kind == 2, low, keys)
                _walk(child, scan, (*furniture, (child, kind == 2)) if kind else furniture, in_link, aside or kind == 2)
        tail = child.tail
        if tail and (parts or not tail.isspace()):
            parts.append(tail)
            if in_link:
                links += len(tail.strip())
    if parts:
        _emit(scan, parts, links, el, tag, furniture)


def scan_page(root: HtmlElement) -> Scan:
    """One walk over `root`: its text blocks in document order (scripts, navigation, figures and form fields
    skipped) and the elements that look like bylines, dates and captions."""
    scan = Scan()
    try:
        _walk(root, scan, (), False)
    except _Enough:
        log.warning("page has more than %d text blocks: the rest is not read", MAX_BLOCKS)
    return scan


def is_prose(block: Block) -> bool:
    """A paragraph of running text rather than a label, a kicker or a headline link."""
    return block.prose


def _kin(node: HtmlElement) -> object:
    """What furniture is counted by: its class, so that an article cut into several wrappers of one class
    ("lightbox", "ad-free") counts as one; the element itself when it has no class."""
    return node.get("class") or node


def _score(blocks: list[Block], lead: frozenset[int] | set[int] = frozenset()) -> dict[HtmlElement, float]:
    """Prose minus penalties, summed into every ancestor of each block.

    Prose inside page furniture (comments, related stories, cookie notices) counts for nothing, unless that
    "furniture" (all elements of its class together) holds most of the page's prose: then it is the
    article, whatever its class says. `lead`: blocks (by `id`) that count as prose standing with others
    whatever their length (a short post's lines after its headline).
    """
    prose_in: dict[object, int] = {}
    page_prose = 0
    for block in blocks:
        block.good = block.bad = 0.0
        if block.prose:
            block.good = block.chars - block.link_chars
            page_prose += int(block.good)
            for f, _strong in block.furniture:
                kin = _kin(f)
                prose_in[kin] = prose_in.get(kin, 0) + int(block.good)
        elif id(block) in lead:  # counts, but not towards the page's prose that furniture is measured by
            block.good = block.chars - block.link_chars
        elif not block.heading:
            block.bad = LINK_PENALTY * block.link_chars + SHORT_PENALTY * (block.chars - block.link_chars)
    totals: dict[HtmlElement, float] = {}
    for block in blocks:
        if (
            block.good
            and block.furniture
            and any(strong or prose_in.get(_kin(f), 0) < 0.5 * page_prose for f, strong in block.furniture)
        ):
            block.bad += SHORT_PENALTY * block.good
            block.good = 0.0
    # A lone paragraph between headlines and labels is a teaser (or a lead): it counts for less. Blocks in
    # furniture (ads, share bars) between two paragraphs do not part them.
    seq = [b for b in blocks if b.good or not b.furniture]
    for i, block in enumerate(seq):
        if id(block) in lead:
            continue
        if block.good and not ((i and seq[i - 1].good) or (i + 1 < len(seq) and seq[i + 1].good)):
            block.good *= ISOLATED_WEIGHT
    for block in blocks:
        value = block.good - block.bad
        if not value:
            continue
        node: HtmlElement | None = block.node
        while node is not None:
            totals[node] = totals.get(node, 0.0) + value
            node = node.getparent()
    return totals


@dataclass
class MainText:
    """The blocks judged to be the article, and the container they came from."""

    blocks: list[Block]
    container: HtmlElement | None
    prose_chars: int
    page_prose_chars: int = 0  # the article's prose and the prose outside its container (not in pop-ups...)

    @property
    def in_list_or_table(self) -> bool:
        """The best container is a piece of a table or a list: the article may be the whole table or list."""
        return self.container is not None and self.container.tag in {
            "table",
            "tbody",
            "thead",
            "tr",
            "td",
            "th",
            "ul",
            "ol",
            "li",
            "dl",
            "dd",
        }

    def in_page_region(self, headlines: list[HtmlElement]) -> bool:
        """The container sits in a page's footer, sidebar, header or widget (by tag or class/id tokens), one
        that does not hold the post's headline (`headlines`: its heading elements; a "has-sidebar" layout
        wrapper around the post is no region)."""
        if self.container is None:
            return False
        for node in (self.container, *self.container.iterancestors()):
            tokens = f"{node.get('class') or ''} {node.get('id') or ''}".strip()
            if node.tag in {"header", "footer", "aside"} or (tokens and _in_region(tokens)):
                return not any(_inside(h, node) for h in headlines)
        return False

    @property
    def coverage(self) -> float:
        """The share of the page's prose that the article holds (low: the finder may have picked a part)."""
        return self.prose_chars / self.page_prose_chars if self.page_prose_chars else 1.0


@lru_cache(maxsize=8_192)
def _in_region(tokens: str) -> bool:
    return PAGE_REGION.search(tokens) is not None


def _inside(node: HtmlElement, container: HtmlElement) -> bool:
    return node is container or any(a is container for a in node.iterancestors())


def _within(container: HtmlElement) -> Callable[[HtmlElement], bool]:
    """`_inside(node, container)` for many nodes in turn: the answer for every element met on the way up is
    kept, so that the blocks of one parent climb its ancestors once."""
    known: dict[HtmlElement, bool] = {container: True}

    def within(node: HtmlElement) -> bool:
        path: list[HtmlElement] = []
        el: HtmlElement | None = node
        while el is not None and el not in known:
            path.append(el)
            el = el.getparent()
        answer = known[el] if el is not None else False
        known.update(dict.fromkeys(path, answer))
        return answer

    return within


_LEAD_BLOCKS = 4
_LEAD_CHARS = 20
_SHORT_POST = 400  # the best container scores less than this: the page may be a short post


def headlines(blocks: list[Block], title: str) -> list[int]:
    """Where the post's headline is among `blocks`: the longest heading the page's `<title>` holds (a blog's
    post title is often an `<h2>` or `<h3>` under an `<h1>` that names the blog), else the `<h1>`s."""
    key = clean_line(title).casefold()
    named = [k for k, b in enumerate(blocks) if b.heading and len(b.text) >= 10 and b.text.casefold() in key]
    if named and key:
        return [max(named, key=lambda k: len(blocks[k].text))]
    return [k for k, b in enumerate(blocks) if b.tag == "h1"]


def _lead(blocks: list[Block], title: str) -> set[int]:
    """The lines right after the post's headline, however short (not links, not in comments or pop-ups):
    on a short post they are its text."""
    heads = headlines(blocks, title)
    if len(heads) != 1 or heads[0] + 1 >= len(blocks):
        return set()
    after = blocks[heads[0] + 1 : heads[0] + 1 + 3 * _LEAD_BLOCKS]
    post = blocks[heads[0]].node.getparent()  # the post: the headline's nearest element that holds more text
    while post is not None and not _inside(after[0].node, post):
        post = post.getparent()
    out: set[int] = set()
    for block in after:
        if block.heading or len(out) >= _LEAD_BLOCKS or post is None or not _inside(block.node, post):
            break
        if block.link_density <= 0.5 and block.chars >= _LEAD_CHARS and not any(s for _, s in block.furniture):
            out.add(id(block))
    return out


def main_text(scan: Scan, title: str = "") -> MainText:
    """Find the article's container among the blocks of a page's `scan`, and its clean blocks."""
    blocks = scan.blocks
    totals = _score(blocks)
    # A short post (the best container is weak): the lines right after its headline count as prose.
    if max(totals.values(), default=0.0) < _SHORT_POST and (lead := _lead(blocks, title)):
        totals = _score(blocks, lead)
    if not totals:
        return MainText([], None, 0)
    container = max(totals, key=totals.__getitem__)
    inside: list[Block] = []
    outside = 0  # prose elsewhere on the page (not in comments, pop-ups, newsletter boxes)
    within = _within(container)
    for block in blocks:
        if within(block.node):
            inside.append(block)
        elif block.prose and not any(strong for _, strong in block.furniture):
            outside += block.chars
    kept = _clean(inside, container)
    prose = sum(b.chars for b in kept if b.prose)
    return MainText(kept, container, prose, prose + outside)


def _clean(blocks: list[Block], container: HtmlElement) -> list[Block]:
    """Drop furniture below the container, link lists, titles, and fragments before/after the prose."""
    prose_total = sum(b.chars for b in blocks if b.prose) or 1
    prose_in: dict[object, int] = {}
    for block in blocks:
        if block.prose:
            for f, _strong in block.furniture:
                prose_in[_kin(f)] = prose_in.get(_kin(f), 0) + block.chars
    inside: dict[HtmlElement, bool] = {}

    def in_furniture(block: Block) -> bool:
        for f, strong in block.furniture:
            if f is container:
                continue
            if f not in inside:
                inside[f] = _inside(f, container)
            if inside[f] and (strong or prose_in.get(_kin(f), 0) < 0.3 * prose_total):
                return True
        return False

    # Links stay in the sequence until the end: a headline link between two teasers keeps them apart.
    kept = [b for b in blocks if b.tag != "h1" and not in_furniture(b)]
    kept = _without_regions(kept, container)
    kept = _without_slideshow(kept)
    prose = [i for i, b in enumerate(kept) if b.prose]
    if not prose:
        return [b for b in kept if b.link_density <= 0.5]
    first, last = prose[0], prose[-1]
    last = _teasers_start(kept, first, last, reverse=False)
    first = _teasers_start(kept, first, last, reverse=True)
    host = _text_host(kept[first : last + 1])
    while first and host is not None and _host(kept[first - 1].node) is host and not _is_stamp(kept[first - 1]):
        first -= 1  # the post's own lines before its first paragraph (a list of highlights under a heading)
    if first and kept[first - 1].heading:
        first -= 1
    last = _list_after(kept, last)
    body = kept[first : last + 1]
    listed = _link_lists(body)
    return [b for k, b in enumerate(body) if (b.link_density <= 0.5 or k in listed) and not _is_stamp(b)]


_LIST_TAGS = frozenset({"li", "ul", "ol", "dl", "dt", "dd"})


def _host(node: HtmlElement) -> HtmlElement | None:
    """The element that holds a block as a piece of running text: a paragraph's parent, a list item's list's."""
    parent = node.getparent()
    while parent is not None and parent.tag in _LIST_TAGS:
        parent = parent.getparent()
    return parent


_MIN_LINK_LIST = 3


def _link_lists(blocks: list[Block]) -> set[int]:
    """The indexes of link lines that are the post's own list (a list of links the post gives): runs of at
    least three consecutive link lines held by the post's text element itself, not by a box of their own."""
    host = _text_host(blocks)
    out: set[int] = set()
    run: list[int] = []
    for k, b in enumerate([*blocks, None]):
        if b is not None and b.link_density > 0.5 and not b.heading and _host(b.node) is host:
            run.append(k)
            continue
        if len(run) >= _MIN_LINK_LIST:
            out.update(run)
        run = []
    return out


def _text_host(blocks: list[Block]) -> HtmlElement | None:
    """The element that holds most of the prose of `blocks` directly (the post's text element)."""
    chars: dict[HtmlElement, int] = {}
    for b in blocks:
        if b.prose and (host := _host(b.node)) is not None:
            chars[host] = chars.get(host, 0) + b.chars
    return max(chars, key=chars.__getitem__) if chars else None


# Regions inside the container that are never the post: a sidebar, a widget or a footer beside it.
_INNER_REGION = re.compile(
    _TOKEN.format(r"foot|footer|sidebar|sidebars|widget|widgets|colophon|siteinfo|site-info|copyright"),
    re.IGNORECASE,
)


_REGION_SHARE = 0.5  # a region holding less than this share of the container's text is dropped


_REGION_TAGS = frozenset({"div", "section", "ul", "ol", "li", "dl", "table", "td"})  # a box, not a heading


def _region_below(node: HtmlElement, container: HtmlElement) -> HtmlElement | None:
    """The outermost sidebar/widget/footer element between `node` and the container, if any."""
    found = None
    el: HtmlElement | None = node
    while el is not None and el is not container:
        tokens = f"{el.get('class') or ''} {el.get('id') or ''}".strip()
        if el.tag in {"footer", "aside"} or (el.tag in _REGION_TAGS and tokens and _inner_region(tokens)):
            found = el
        el = el.getparent()
    return found


@lru_cache(maxsize=8_192)
def _inner_region(tokens: str) -> bool:
    return _INNER_REGION.search(tokens) is not None


def _without_regions(blocks: list[Block], container: HtmlElement) -> list[Block]:
    """The blocks without those in a sidebar, widget or footer inside the container (a container that holds
    the post and the sidebar beside it), while such a region holds less than half of the container's text."""
    regions = [_region_below(b.node, container) for b in blocks]
    if not any(r is not None for r in regions):
        return blocks
    total = sum(b.chars for b in blocks) or 1
    chars_in: dict[HtmlElement, int] = {}
    for b, r in zip(blocks, regions, strict=True):
        if r is not None:
            chars_in[r] = chars_in.get(r, 0) + b.chars
    outer = [k for k, (b, r) in enumerate(zip(blocks, regions, strict=True)) if r is None and b.prose]
    if not outer:
        return blocks
    # A region between two paragraphs of the post (an embedded box) stays: sidebars sit at its ends.
    return [
        b
        for k, (b, r) in enumerate(zip(blocks, regions, strict=True))
        if r is None or chars_in[r] >= _REGION_SHARE * total or outer[0] < k < outer[-1]
    ]


_MIN_LIST_ITEMS = 3
_LIST_ITEM_CHARS = 200


def _list_after(blocks: list[Block], last: int) -> int:
    """The index of the last block to keep once a list that follows the last paragraph in the same element
    (a recipe's ingredients, steps, tour dates) is taken in: a run of at least three short lines, none
    mostly links, none a date stamp, each sitting under the element that holds the last paragraph."""
    anchor = blocks[last].node.getparent()
    if anchor is None:
        return last
    j = last + 1
    while j < len(blocks):
        block = blocks[j]
        if block.heading or block.chars > _LIST_ITEM_CHARS or block.link_density > 0.5 or _is_stamp(block):
            break
        node: HtmlElement | None = block.node
        depth = 0
        while node is not None and node is not anchor and depth < 3:
            node, depth = node.getparent(), depth + 1
        if node is not anchor:
            break
        j += 1
    return j - 1 if j - 1 - last >= _MIN_LIST_ITEMS else last


# A slide counter at the start of a caption: "3/50", "3 of 50", "Bild 3 von 12".
_COUNTER = re.compile(r"^(?:\w+\s+)?(\d{1,3})\s*(?:/|of|von|de|sur|di|van|av|z|из)\s*(\d{1,3})\b", re.IGNORECASE)
_MIN_SLIDES = 3
_MIN_PROSE_BESIDE = 300


def _common_ancestor(nodes: list[HtmlElement]) -> HtmlElement | None:
    path = [nodes[0], *nodes[0].iterancestors()]
    for node in nodes[1:]:
        mine = {id(a) for a in [node, *node.iterancestors()]}
        path = [a for a in path if id(a) in mine]
    return path[0] if path else None


def _without_slideshow(blocks: list[Block]) -> list[Block]:
    """The blocks without a slideshow's captions ("1/50 Headline. Caption...", "2/50 ..."): a gallery of other
    pictures beside the article. Kept when the captions are all the prose there is (a photo story)."""
    slides: dict[str, list[Block]] = {}
    for block in blocks:
        if block.chars < 200 and (m := _COUNTER.match(block.text)) and int(m[1]) <= int(m[2]):
            slides.setdefault(m[2], []).append(block)
    for group in slides.values():
        if len(group) < _MIN_SLIDES or (show := _common_ancestor([b.node for b in group])) is None:
            continue
        rest = [b for b in blocks if not _inside(b.node, show)]
        if sum(b.chars for b in rest if b.prose) >= _MIN_PROSE_BESIDE:
            return rest
    return blocks


_STAMP = re.compile(r"\b(?:[01]?\d|2[0-3])[:.][0-5]\d\b|\b\d{1,2}[./]\d{1,2}[./](?:\d{4}|\d{2})\b|\b\d{4}-\d\d-\d\d\b")


def _is_stamp(block: Block) -> bool:
    """A short line that is a date or time stamp with a label or a name ("20:42 KEY EVENT", "Stand: 22.04.2024")."""
    return (
        not block.heading
        and block.chars < 60
        and not _SENTENCE_END.search(block.text)
        and _STAMP.search(block.text) is not None
    )


def _near_prose(blocks: list[Block], i: int) -> list[Block]:
    """The paragraphs of prose nearest before and after block `i`."""
    before = next((b for b in reversed(blocks[:i]) if b.prose), None)
    after = next((b for b in blocks[i + 1 :] if b.prose), None)
    return [b for b in (before, after) if b is not None]


def _in_card(block: Block, link: Block, neighbours: list[Block]) -> bool:
    """Whether a paragraph and the headline link above it sit in a box of their own (a card for another
    story) rather than in the running text: their nearest common element holds no neighbouring prose."""
    mine = {id(a) for a in block.node.iterancestors()}
    mine.add(id(block.node))
    common = next((a for a in [link.node, *link.node.iterancestors()] if id(a) in mine), None)
    if common is None or common.tag in {"body", "html"}:
        return False
    return not any(_inside(n.node, common) for n in neighbours)


def _teasers_start(blocks: list[Block], first: int, last: int, reverse: bool) -> int:
    """Where the article's prose ends (or, `reverse`, starts) once a run of teasers is cut off.

    A teaser is a short paragraph that stands alone right after a headline link (a card for another
    story). Two or more of them at the end (start) of the prose, up to the first paragraph that is not one
    (a long one, one beside another paragraph, one under a plain subheading), are cut off. Returns the
    index of the last (first) block to keep.
    """
    step = 1 if reverse else -1
    edge = first if reverse else last
    lone = 0
    i = edge
    while first <= i <= last:
        block = blocks[i]
        if block.prose:
            beside = i + step
            link = next((b for b in reversed(blocks[max(0, i - 2) : i]) if b.link_density > 0.5), None)
            if (
                link is None
                or (first <= beside <= last and blocks[beside].prose)
                or (block.chars > TEASER_CHARS and not _in_card(block, link, _near_prose(blocks, i)))
            ):
                break
            lone += 1
        i += step
    return i if lone >= 2 and first <= i <= last else edge
