"""The article's title: structured headline, OpenGraph, `<h1>` and `<title>` compared, site names stripped."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from scraper.extract.authors import is_byline
from scraper.extract.text import clean_line

# " | Site", " - Site", " — Site", " · Site", " :: Site", " » Site", " * Site", "Site：" (full-width colon)...
SEPARATOR = re.compile(r"\s+(?:\||-|–|—|::|·|•|●|◆|♦|▪|■|►|▸|▶|★|»|/|\\|\*|>)\s+|\s*[：｜]\s*|\s+\[(?=[^\]]+\]$)|\]$")
# "Kicker: Headline" (a short label before the headline proper)
_KICKER = re.compile(r"^(?P<kicker>[^:：]{2,60}?)\s*[:：]\s*(?P<rest>.{10,})$")
# " : " ends a title with the site's name ("Headline : The Two-Way : NPR"), but also joins a French kicker to its
# headline ("Guerre en Ukraine : la Russie..."): it is cut only where a site name ends the title.
_COLON = re.compile(r"\s+:\s+")
_WORD = re.compile(r"\w+")
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _clean(text: str | None) -> str | None:
    """A title source as one clean line: entities decoded (some pages escape them twice), soft hyphens and
    zero-width spaces dropped (they sit inside words)."""
    if not text:
        return None
    return clean_line(html.unescape(text).replace("\xad", "").replace("\u200b", "")) or None


def _keys(name: str) -> set[str]:
    """Comparable forms of a site name: letters and digits only, with and without German transliteration."""
    base = name.casefold()
    forms = {
        base,
        base.translate(_GERMAN),
        "".join(c for c in unicodedata.normalize("NFKD", base) if not unicodedata.combining(c)),
    }
    return {k for f in forms if (k := re.sub(r"\W", "", f))}


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def similar(a: str | None, b: str | None) -> float:
    """Token F1 of two strings, case-folded (1.0 for the same words)."""
    if not a or not b:
        return 0.0
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 0.0
    common = sum(min(wa.count(w), wb.count(w)) for w in set(wa))
    if not common:
        return 0.0
    p, r = common / len(wa), common / len(wb)
    return 2 * p * r / (p + r)


def _same(a: str, b: str) -> bool:
    return _words(a) == _words(b)


@dataclass
class _Split:
    parts: list[str]
    text: str

    def join(self, start: int, end: int) -> str:
        """The original text from part `start` to part `end - 1`, separators kept."""
        first, last = self.parts[start], self.parts[end - 1]
        lo = self.text.find(first)
        hi = self.text.rfind(last) + len(last)
        return self.text[lo:hi].strip() if 0 <= lo < hi else " ".join(self.parts[start:end])


def _split(text: str) -> _Split:
    return _Split([p.strip() for p in SEPARATOR.split(text) if p and p.strip()], text)


def _contains(a: str, b: str) -> bool:
    """One name holds the other, and the rest is no longer than the shorter one ("Daily Mail Online" and
    "Mail Online"; not a headline that merely names the blog it appears on)."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return short in long and len(long) - len(short) <= max(4, len(short))


def _site_matcher(site_names: Iterable[str]) -> Callable[[str], bool]:
    keys: set[str] = set()
    for name in site_names:
        if name:
            keys |= _keys(name)

    def is_site(part: str) -> bool:
        if is_byline(part):
            return True
        forms = _keys(part)
        short = len(part.split()) <= 4
        return any(f == k or (short and len(k) > 3 and len(f) > 3 and _contains(f, k)) for f in forms for k in keys)

    return is_site


def strip_site(title: str, site_names: Iterable[str]) -> str:
    """Drop leading/trailing parts that name the site ("News | Site", "Site - News") or a byline part."""
    is_site = _site_matcher(site_names)

    split = _split(title)
    if len(split.parts) < 2:
        return title
    start, end = 0, len(split.parts)
    while end - start > 1 and is_site(split.parts[end - 1]):
        end -= 1
    while end - start > 1 and is_site(split.parts[start]):
        start += 1
    return title if (start, end) == (0, len(split.parts)) else split.join(start, end)


def _colon_suffix(title: str, is_site: Callable[[str], bool], h1s: Sequence[str], tag: str | None) -> str:
    """Without its " : Site" end ("Headline : Section : Site"), then cut to the leading parts that an `<h1>` states
    on its own. An end that names no known site is cut too when the `<h1>` states the rest and the `<title>`
    ends the same way (a suffix the page puts on every title: "見出し : 読売新聞オンライン"); a French headline's
    own " : " ("Guerre en Ukraine : la Russie...") stays: its `<h1>` states it whole, and a longer end than
    the part before it is no suffix."""
    parts = _COLON.split(title)
    end = len(parts)
    while end > 1 and is_site(parts[end - 1]):
        end -= 1
    for k in range(1, end if end < len(parts) else len(parts)):
        head, tail = " : ".join(parts[:k]), " : ".join(parts[k:])
        if any(_same(head, h) for h in h1s) and (end < len(parts) or _suffix_of(tail, head, tag)):
            return head
    return " : ".join(parts[:end])


def _suffix_of(tail: str, head: str, tag: str | None) -> bool:
    """`tail` is a short end (at most four words, shorter than the `head` before it) that the `<title>` ends with
    as well."""
    words = _words(tail)
    return (
        bool(tag and words) and len(words) <= 4 and len(tail) < len(head) and _words(tag or "")[-len(words) :] == words
    )


def _consistent(candidate: str, others: Sequence[str]) -> str:
    """`candidate` cut to the part that another source states on its own ("Headline | Site" beside "Headline")."""
    split = _split(candidate)
    n = len(split.parts)
    if n < 2:
        return candidate
    for start in range(n):
        for end in range(n, start, -1):
            if (start, end) == (0, n):
                continue
            piece = split.join(start, end)
            if start and len(split.join(0, start)) > len(piece):
                continue  # what precedes is the longer part: the piece is a site or section name after it
            if len(_words(piece)) >= 2 and any(_same(piece, o) for o in others):
                return piece
    return candidate


def _headline(candidate: str, others: Sequence[str]) -> str:
    """Without its kicker ("Kicker: Headline") when another source gives the headline without it."""
    m = _KICKER.match(candidate)
    if not m:
        return candidate
    rest = m["rest"]
    if len(m["kicker"]) > len(rest):  # a kicker is the short part
        return candidate
    return rest if any(_same(rest, tail) for other in others for tail in _tails(other)) else candidate


def _tails(text: str) -> list[str]:
    """`text`, and its ends after a kicker of its own ("Kicker - Headline" gives "Headline" too)."""
    split = _split(text)
    n = len(split.parts)
    return [text, *(tail for i in range(1, n) if len(tail := split.join(i, n)) > len(split.join(0, i)))]


def _from_title_tag(title: str, h1s: Sequence[str]) -> str:
    """The `<title>` cut to its headline: the part an `<h1>` repeats, else all but a trailing site part."""
    split = _split(title)
    for h1 in h1s:
        if _same(h1, title):
            return title
    if len(split.parts) < 2:
        return title
    n = len(split.parts)
    for h1 in h1s:
        for start in range(n):
            for end in range(n, start, -1):
                if (start, end) != (n - 1, n) and _same(split.join(start, end), h1):  # a last part alone: the site
                    return split.join(start, end)
    head = split.join(0, len(split.parts) - 1)
    if len(_words(head)) >= 3:
        return head
    tail = split.join(1, len(split.parts))
    return tail if len(_words(tail)) >= 3 else title


def choose_title(
    *,
    headline: str | None,
    name: str | None,
    og: str | None,
    twitter: str | None,
    dc: str | None,
    h1s: Sequence[str],
    title_tag: str | None,
    site_names: Iterable[str],
    hint: str | None,
) -> str | None:
    """The article's title from every source the page offers (see the module docstring).

    Order: the structured headline (JSON-LD; its `name` instead when that is closer to `<title>`, as on
    pages where `headline` is a description), OpenGraph, Twitter, Dublin Core; each stripped of site names
    (also a " : Section : Site" end, cut to the part an `<h1>` states), of a part no other source repeats
    (unless every structured source and the `<title>` state the same words), and of a kicker that another
    source leaves out. With none of those, the `<title>` cut to the part an `<h1>` repeats, or to its
    headline part.
    """
    names = [n for n in site_names if n]
    title_tag = _clean(title_tag)
    h1_list = [h for h in (_clean(h) for h in h1s) if h]
    headline, name = _clean(headline), _clean(name)
    if (
        headline
        and name
        and title_tag
        and not _same(headline, name)
        and similar(name, title_tag) > similar(headline, title_tag)
    ):
        headline = name
    headline = headline or name
    is_site = _site_matcher(names)
    structured = [
        t
        for t in (headline, _clean(og), _clean(twitter), _clean(dc))
        if t and not all(is_site(p) for p in _split(t).parts)
    ]  # an og:title that is the site's name
    stripped = [_colon_suffix(strip_site(t, names), is_site, h1_list, title_tag) for t in structured]
    tag = [_colon_suffix(strip_site(title_tag, names), is_site, h1_list, title_tag)] if title_tag else []
    pool = [*stripped, *h1_list, *tag]
    # every structured source and the <title> state the same words: a part the <h1> leaves out is the
    # publisher's own (" - Güncel haberler"), not a site name to cut
    agreed = len(stripped) > 1 and all(_same(o, stripped[0]) for o in [*stripped, *tag])
    for i, candidate in enumerate(stripped):
        others = [o for j, o in enumerate(pool) if j != i and not _same(o, candidate)]
        if not agreed:
            candidate = _consistent(candidate, others)
        candidate = _headline(candidate, others)
        if len(_words(candidate)) >= 1:
            return candidate
    if title_tag:
        return _from_title_tag(tag[0], h1_list)
    if h1_list:
        return h1_list[0]
    return _clean(hint)
