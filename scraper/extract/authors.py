"""Who a page credits as its authors, from structured data and the page's bylines: person names
(`clean_authors`) and organisations (`clean_organizations`: agencies, desks, the outlet)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from lxml.html import HtmlElement

from scraper.extract.dates import parse_visible_date
from scraper.extract.maintext import Block
from scraper.extract.page import ParsedPage
from scraper.extract.structured import text_of, types_of
from scraper.extract.text import clean_line, node_text

#: Words that open a byline ("By Jane Doe", "Von: Max Muster", "Par ...", "przez ..."), in every language we meet.
BYLINE_WORDS = ("by", "von", "par", "por", "di", "da", "de la", "door", "af", "av", "przez", "от", "של")
_WORDS = "|".join(w.replace(" ", r"\s+") for w in BYLINE_WORDS)
# A line that opens a byline: "By Jane Doe", "Von: Max Muster".
_OPENS_BYLINE = re.compile(rf"^(?:{_WORDS})\s*[:\-]?\s+\S", re.IGNORECASE)
# What a byline says before the names: "By ", "Written by ", "Von: ".
_BYLINE_PREFIX = re.compile(
    r"^(?:(?:written|posted|reported|edited|text|story|words|photos?|interview|beitrag|ein\s+beitrag)\s+)?"
    rf"(?:{_WORDS})\s*[:\-]?\s+",
    re.IGNORECASE,
)
# "By" glued to the name ("ByTravis Haney") or said twice ("By by JOSH HASKELL", "Byby ...").
_GLUED_BY = re.compile(r"^(?:By|Von|Par|Por)(?=[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ])")
_DOUBLED_BY = re.compile(r"^by\s*(?=by\s)", re.IGNORECASE)
# Two words glued where a lowercase run of 3+ letters meets a capital ("TrapaniCEO", "AuthorPaul"), not the
# capitals inside a name ("McDonald", "MacKenzie", "DeShawn", "FitzGerald", "VanderMeer").
_GLUE = re.compile(r"(?<!Fitz)(?<!Vander)(?<!Vanden)(?<=[a-zà-öø-ÿ]{3})(?=[A-ZÀ-ÖØ-Þ])")
# "by", in lower case, after other words: what follows it is the byline ("von", "par" begin surnames).
_BYLINE_INSIDE = re.compile(r"\S\s+by\s+(\S.*)$")
_LEADING_LABEL = re.compile(
    r"^(?:authors?|autor(?:in|en)?|auteur|byline|posted by|written by|redaktion)\s*[:\-]\s*", re.IGNORECASE
)
_SPLIT = re.compile(r"\s*(?:,|;|\||&|·|•|\n|\s[-–—]\s|\s+(?:and|und|et|y|e|en|og|och|i)\s+)\s*", re.IGNORECASE)
_PAREN = re.compile(r"\s*[(\[].*?[)\]]\s*")
# A date or time after the name in the same byline: "By Jane Doe March 25, 2015", "Jane Doe 14:00, 28 Apr".
_DATE_TAIL = re.compile(
    r"\s+(?:(?:on|am|le|el|il|updated|published|posted|aktualisiert|veröffentlicht|stand):?\s+)?"
    r"(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?\d.*$",
    re.IGNORECASE,
)
# Job titles written after a name, without a comma: "신현주 기자", "Jane Doe Staff Writer".
_ROLE_SUFFIX = re.compile(
    r"\s*(?:기자|특파원|記者|特派員|编辑|記者|通讯员|"
    r"(?:(?:senior|chief|deputy|political|staff|contributing|special|foreign|news|health|science|tech|"
    r"business|sports?|travel|lifestyle|games|social media|digital|associate|managing|executive)\s+)*"
    r"(?:writer|reporter|editor|correspondent|columnist|journalist|contributor))$",
    re.IGNORECASE,
)
_NOT_A_NAME = re.compile(
    r"@|https?:|www\.|\.com\b|\w\.[a-z]{2,6}\b|/|\d|"
    r"\b(?:e-?mail|follow|view\s+all|all\s+posts|posts\s+by|more\s+(?:from|by)|contact|twitter|facebook|"
    r"instagram|linkedin|subscribe|newsletter|read\s+more|profile|bio|about|staff|editors?|editorial|admin|"
    r"administrator|newsroom|news\s*desk|desk|team|redaktion|rédaction|redacción|redazione|"
    r"agency|agencies|press|wire|correspondent|contributor|guest|anonymous|unknown|updated|published|"
    r"minutes?|min\s+read|hours?\s+ago|comments?|image|images|photo|foto|getty|reuters|afp|dpa|agentur|agence|"
    r"agencia|sign\s+(?:in|up|out)|log\s*(?:in|out)|register|menu|search|home|share|print)\b",
    re.IGNORECASE,
)
_MAX_WORDS = 5
_MAX_CHARS = 60


def is_byline(text: str) -> bool:
    """Whether `text` begins with a byline word and goes on ("By Jane Doe", "Von: Max Muster")."""
    return _OPENS_BYLINE.match(text) is not None


def _titlecase_shouted(name: str) -> str:
    return name.title() if name.isupper() and len(name) > 3 else name


def _latin(name: str) -> bool:
    return all(ord(ch) < 0x0250 or not ch.isalpha() for ch in name)


def _is_person_name(name: str, outlets: set[str]) -> bool:
    words = name.split()
    if not words or len(words) > _MAX_WORDS or len(name) > _MAX_CHARS or _NOT_A_NAME.search(name):
        return False
    if re.fullmatch(r"[a-z]+(?:[-_][a-z]+)+", name):  # a URL slug
        return False
    key = name.casefold()
    if (
        key in outlets
        or re.sub(r"\W", "", key) in outlets
        or any(w.casefold().strip(".") in outlets for w in words if len(w) > 2)
    ):
        return False  # the outlet's name, or a desk named after it ("MDR Thüringen")
    if not any(ch.isalpha() for ch in name):
        return False
    if _latin(name):  # a person's name in Latin script: two or more words, capitalised
        capitalised = sum(1 for w in words if w[:1].isupper())
        if len(words) < 2 or capitalised < 2 or not words[0][:1].isupper() or max(map(len, words)) < 3:
            return False
    return True


def _unglue(name: str, outlets: set[str]) -> str:
    """The name in two words glued together, when a lowercase run meets a capital inside a word: the part
    before the glue ("Gina TrapaniCEO", "Meg WagnerNEW YORK DAILY NEWS"), else the part after it ("About The
    AuthorPaul Smith"), whichever is a person's name; else `name` as it is."""
    for _ in range(3):
        glue = _GLUE.search(name)
        if glue is None:
            return name
        before = _titlecase_shouted(name[: glue.start()].strip())
        after = _titlecase_shouted(_ROLE_SUFFIX.sub("", name[glue.start() :]).strip())
        if _is_person_name(before, outlets):
            return before
        if not _is_person_name(after, outlets) and _GLUE.search(after) is None:
            return name
        name = after
    return name


def _without_outlet(name: str, outlets: set[str]) -> str:
    """The name without the outlet's name written after it ("Jane Doe Harbour City Gazette")."""
    key = name.casefold()
    if len(key) != len(name):
        return name
    for outlet in outlets:
        if " " in outlet and key.endswith(" " + outlet):
            return name[: -len(outlet)].strip(" ,-|")
    return name


def _outlet_keys(outlets: Iterable[str]) -> set[str]:
    keys: set[str] = set()
    for outlet in outlets:
        if not outlet:
            continue
        key = outlet.casefold().strip()
        keys |= {key, re.sub(r"\W", "", key)}
        host = key.removeprefix("www.")
        if "." in host and " " not in host:
            label = host.split(".")[0]  # "mdr.de" -> "mdr"
            keys |= {label, re.sub(r"\W", "", label)}
    return {k for k in keys if k}


def _parts(raw: Iterable[str]) -> Iterator[str]:
    """The credits of bylines, one by one: split at "and", commas..., without "By", dates and brackets."""
    for line in (line for byline in raw for line in str(byline).split("\n")):
        line = _DOUBLED_BY.sub("", _GLUED_BY.sub(r"\g<0> ", " ".join(line.split())))
        text = _DATE_TAIL.sub("", _PAREN.sub(" ", line))
        text = _LEADING_LABEL.sub("", _BYLINE_PREFIX.sub("", text.strip(" -–—:|·•")))
        for part in _SPLIT.split(text):
            yield _BYLINE_PREFIX.sub("", part.strip(" -–—:|·•.\"'")).strip(" -–—:|·•.\"'")


def clean_authors(raw: Iterable[str], outlets: Iterable[str]) -> list[str]:
    """Split bylines into person names; drop "By", roles, e-mails, URLs, slugs and outlet names."""
    outlet_keys = _outlet_keys(outlets)
    names: list[str] = []
    seen: set[str] = set()
    for part in _parts(raw):
        if part:
            name = _unglue(_titlecase_shouted(_ROLE_SUFFIX.sub("", part).strip(" ,")), outlet_keys)
            if (inside := _BYLINE_INSIDE.search(name)) and _is_person_name(inside.group(1), outlet_keys):
                name = inside.group(1)  # "Tech Industry by Steven Musil": a section's name before the byline
            name = _without_outlet(name, outlet_keys)
            key = name.casefold()
            if key and key not in seen and _is_person_name(name, outlet_keys):
                seen.add(key)
                names.append(name)
    return names


#: News agencies as bylines credit them, case-folded ("dpa", "Associated Press", "Anadolu Ajansı").
AGENCIES = frozenset(
    {
        "associated press",
        "the associated press",
        "reuters",
        "thomson reuters",
        "agence france-presse",
        "agence france presse",
        "afp",
        "dpa",
        "deutsche presse-agentur",
        "dpa-afx",
        "afx",
        "pa media",
        "press association",
        "ansa",
        "efe",
        "agencia efe",
        "europa press",
        "kyodo",
        "kyodo news",
        "jiji press",
        "xinhua",
        "sda",
        "keystone-sda",
        "apa",
        "kna",
        "epd",
        "sid",
        "anp",
        "belga",
        "ntb",
        "ritzau",
        "ctk",
        "čtk",
        "pap",
        "tass",
        "ria novosti",
        "interfax",
        "ukrinform",
        "yonhap",
        "pti",
        "ians",
        "aap",
        "the canadian press",
        "canadian press",
        "upi",
        "bloomberg",
        "anadolu",
        "anadolu ajansı",
        "anadolu agency",
        "lusa",
        "agência brasil",
        "notimex",
        "telam",
        "télam",
        "ap",
        "pa",
        "aa",
        "tt",
    }
)
#: Agencies whose short name is also a word: credited only as written, in capitals ("AP", "PA").
_SHORT_AGENCIES = frozenset(a for a in AGENCIES if len(a) <= 2)
# A newsroom or desk credited as author: "Staff", "MM-Redaktion", "Newsroom", "Wire services".
_DESK = re.compile(
    r"\b(?:staff|redaktion|rédaction|redacción|redação|redazione|redactie|redakcja|newsroom|news\s*desk|"
    r"desk|agencies|agencias|agenturen|wire\s+services?|nachrichtenagenturen)\b",
    re.IGNORECASE,
)
_NOT_AN_ORGANIZATION = re.compile(
    r"@|https?:|www\.|/|\d|\b(?:photos?|foto|image|images|getty|bild|video|comments?|follow|share|e-?mail|"
    r"sign\s+(?:in|up|out)|log\s*(?:in|out)|menu|search|home|print|subscribe|newsletter)\b",
    re.IGNORECASE,
)


def _agency(name: str) -> bool:
    key = name.casefold()
    words = name.split()
    if key in AGENCIES and (key not in _SHORT_AGENCIES or name.isupper()):
        return True
    first = words[0].casefold()
    return (first in AGENCIES and (first not in _SHORT_AGENCIES or words[0].isupper())) or any(
        key.startswith(a + " ") for a in AGENCIES if " " in a
    )


def organization_kind(name: str, outlets: set[str]) -> str | None:
    """ "agency" (AP, Reuters, dpa...), "desk" (a newsroom, staff, or a desk named after the outlet: "MDR
    SACHSEN-ANHALT"), "outlet" (the outlet's own name), or None when `name` credits no organisation."""
    words = name.split()
    if not words or len(words) > 6 or len(name) > _MAX_CHARS or _NOT_AN_ORGANIZATION.search(name):
        return None
    if _agency(name):
        return "agency"
    key = name.casefold()
    if key in outlets or re.sub(r"\W", "", key) in outlets:
        return "outlet"
    if _DESK.search(name) or any(w.casefold().strip(".") in outlets for w in re.split(r"[\s-]+", name) if len(w) > 2):
        return "desk"
    return None


def clean_organizations(raw: Iterable[str], outlets: Iterable[str], *, typed: bool = False) -> list[tuple[str, str]]:
    """The organisations that bylines credit, in byline order, each with its `organization_kind`; with
    `typed` (a JSON-LD author typed Organization) a name of no known kind still counts, as "organization"."""
    outlet_keys = _outlet_keys(outlets)
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for part in _parts(raw):
        kind = organization_kind(part, outlet_keys) or ("organization" if typed and part else None)
        if kind and part.casefold() not in seen:
            seen.add(part.casefold())
            found.append((part, kind))
    return found


def only_credits(found: list[tuple[str, str]], persons: bool) -> list[str]:
    """The organisations' names, the outlet's own name only when nothing else (no person) is credited."""
    others = persons or any(kind != "outlet" for _, kind in found)
    names: list[str] = []
    for name, kind in found:
        name = clean_line(name)
        if name and not (others and kind == "outlet") and name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
    return names


def first_names(sources: Iterable[Iterable[str]], outlets: Iterable[str]) -> list[str]:
    """The person names of the first source (structured data, meta tags, visible bylines) that has any."""
    outlets = list(outlets)
    for source in sources:
        names = clean_authors(source, outlets)
        if names:
            return names
    return []


def structured_organizations(page: ParsedPage) -> list[tuple[str, bool]]:
    """Every author the article's JSON-LD names, in order, with whether it is typed as an organisation."""
    raw = page.article.get("author") or page.article.get("creator") or []
    out: list[tuple[str, bool]] = []
    for entry in raw if isinstance(raw, list) else [raw]:
        for item in entry if isinstance(entry, list) else [entry]:  # [Person, [Person]] happens
            item = page.resolve(item)
            if isinstance(item, dict):
                org = bool(types_of(item) & _ORGANIZATION_TYPES)
                if name := text_of(item.get("name")):
                    out.append((name, org))
            elif isinstance(item, str) and item.strip():
                out.append((item, False))
    return out


_ORGANIZATION_TYPES = frozenset({"organization", "newsmediaorganization", "corporation", "newsorganization"})


def structured_authors(page: ParsedPage) -> tuple[list[str], bool]:
    """The author names the article's JSON-LD gives, and whether every one of them is typed Person."""
    raw = page.article.get("author") or page.article.get("creator") or []
    names: list[str] = []
    persons = True
    for person in raw if isinstance(raw, list) else [raw]:
        person = page.resolve(person)
        if isinstance(person, dict):
            kinds = types_of(person)
            if kinds & {"organization", "newsmediaorganization", "corporation", "newsorganization"}:
                continue
            persons = persons and "person" in kinds
            name = text_of(person.get("name")) or " ".join(
                filter(None, [text_of(person.get("givenName")), text_of(person.get("familyName"))])
            )
            if name:
                names.append(name)
        elif isinstance(person, str):
            persons = False
            names.append(person)
    return names, persons and bool(names)


#: `<meta>` names that carry the author, in the order they are trusted.
META_AUTHORS = (
    "author",
    "article:author",
    "byl",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "dcterms.creator",
    "cxenseparse:author",
    "citation_author",
    "og:article:author",
)


def byline_sources(page: ParsedPage) -> Iterator[list[str]]:
    """Where the page names its authors, most trusted first: `<meta>` authors, each byline element's text,
    each line that begins "By ...", names beside a date, a signature after the text. Made as they are asked
    for (`first_names` stops at the first that has a person's name)."""
    scan, found = page.scan, page.found
    yield [a for name in META_AUTHORS for a in page.meta.get(name, [])]
    yield from ([t] for t in _byline_texts(scan.bylines, found.container))
    yield from ([t] for t in _labelled_bylines(scan.blocks, found.container))
    yield _names_beside_dates(scan.dates)
    yield [s for s in [_signature(scan.blocks, found.blocks)] if s]


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
            parts.append(" ")  # an element's edge is a word's edge: "<span>By</span><a>Jane Doe</a>"
            parts.append(el.text or "")
            for child in el:
                walk(child)
                parts.append(" ")
                parts.append(child.tail or "")

    walk(node)
    return "\n".join(line for raw in "".join(parts).split("\x00") if (line := " ".join(raw.split())))


_STARTS_WITH_WORD = re.compile(rf"^(?:{_WORDS})", re.IGNORECASE)
_NAME_BESIDE_DATE = re.compile(r"^\s*([^|\d]{4,60}?)\s*\|")


def _labelled_bylines(blocks: list[Block], container: HtmlElement | None) -> list[str]:
    """Short lines that begin with a byline word ("By Jane Doe", "Von: Max Muster, Erika Muster"), those
    nearest the article's text first: bylines drawn without an author or byline class."""
    found = [
        (b, text)
        for b in blocks[:400]
        if b.chars <= 120 and not b.heading and _STARTS_WITH_WORD.match(b.text) and is_byline(text := _spaced(b))
    ]
    return [text for b, text in sorted(found, key=lambda bt: -_closeness(bt[0].node, container))[:5]]


def _spaced(block: Block) -> str:
    """The block's text read with its elements' edges as word edges ("<b>By</b>Jane Doe" is "By Jane Doe"),
    when its element holds that text and no more; a "By" glued to a capitalised name is set apart."""
    text = _lines_text(block.node)
    if "".join(text.split()) != "".join(block.text.split()):
        text = block.text
    return _GLUED_BY.sub(r"\g<0> ", text)


def _names_beside_dates(dates: list[HtmlElement]) -> list[str]:
    """The name that leads the line of a date element ("Jane Doe | 05.04.2025 - Updated: ..."), up to "|"."""
    out: list[str] = []
    for node in dates[:6]:
        parent = node.getparent()
        if parent is None:
            continue
        line = node_text(parent)
        if len(line) <= 160 and (m := _NAME_BESIDE_DATE.match(line)) and parse_visible_date(line[m.end() :]):
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
    bold = [el for el in node.iter("strong", "b") if node_text(el) == last.text]
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
