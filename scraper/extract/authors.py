"""Author names from bylines and structured data: person names only."""

from __future__ import annotations

import re
from collections.abc import Iterable

_PREFIX = re.compile(
    r"^(?:(?:written|posted|reported|edited|text|story|words|photos?|interview|beitrag|ein\s+beitrag)\s+)?"
    r"(?:by|von|par|por|di|da|de\s+la|door|af|av|przez|от|של)\s*[:\-]?\s+",
    re.IGNORECASE,
)
_LEADING_LABEL = re.compile(
    r"^(?:authors?|autor(?:in|en)?|auteur|byline|posted by|written by|redaktion)\s*[:\-]\s*", re.IGNORECASE)
_SPLIT = re.compile(r"\s*(?:,|;|\||&|·|•|\n|\s[-–—]\s|\s+(?:and|und|et|y|e|en|og|och|i)\s+)\s*", re.IGNORECASE)
_PAREN = re.compile(r"\s*[(\[].*?[)\]]\s*")
# A date or time after the name in the same byline: "By Jane Doe March 25, 2015", "Jane Doe 14:00, 28 Apr".
_DATE_TAIL = re.compile(
    r"\s+(?:(?:on|am|le|el|il|updated|published|posted|aktualisiert|veröffentlicht)\s+)?"
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
    r"instagram|linkedin|subscribe|newsletter|read\s+more|profile|bio|staff|editors?|editorial|admin|"
    r"administrator|newsroom|news\s*desk|desk|team|redaktion|rédaction|redacción|redazione|"
    r"agency|agencies|press|wire|correspondent|contributor|guest|anonymous|unknown|updated|published|"
    r"minutes?|min\s+read|hours?\s+ago|comments?|image|images|photo|foto|getty|reuters|afp|dpa|agentur|agence|"
    r"agencia|sign\s+(?:in|up|out)|log\s*(?:in|out)|register|menu|search|home|share|print)\b",
    re.IGNORECASE,
)
_MAX_WORDS = 5
_MAX_CHARS = 60


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
    if key in outlets or re.sub(r"\W", "", key) in outlets or any(
            w.casefold().strip(".") in outlets for w in words if len(w) > 2):
        return False  # the outlet's name, or a desk named after it ("MDR Thüringen")
    if not any(ch.isalpha() for ch in name):
        return False
    if _latin(name):  # a person's name in Latin script: two or more words, capitalised
        capitalised = sum(1 for w in words if w[:1].isupper())
        if len(words) < 2 or capitalised < 2 or not words[0][:1].isupper() or max(map(len, words)) < 3:
            return False
    return True


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


def clean_authors(raw: Iterable[str], outlets: Iterable[str] = ()) -> list[str]:
    """Split bylines into person names; drop "By", roles, e-mails, URLs, slugs and outlet names."""
    outlet_keys = _outlet_keys(outlets)
    names: list[str] = []
    seen: set[str] = set()
    for line in (line for byline in raw for line in str(byline).split("\n")):
        text = _DATE_TAIL.sub("", _PAREN.sub(" ", " ".join(line.split())))
        text = _LEADING_LABEL.sub("", _PREFIX.sub("", text.strip(" -–—:|·•")))
        for part in _SPLIT.split(text):
            name = _PREFIX.sub("", part.strip(" -–—:|·•.\"'")).strip(" -–—:|·•.\"'")
            name = _titlecase_shouted(_ROLE_SUFFIX.sub("", name).strip(" ,"))
            key = name.casefold()
            if key and key not in seen and _is_person_name(name, outlet_keys):
                seen.add(key)
                names.append(name)
    return names


def first_names(sources: Iterable[Iterable[str]], outlets: Iterable[str] = ()) -> list[str]:
    """The person names of the first source (structured data, meta tags, visible bylines) that has any."""
    outlets = list(outlets)
    for source in sources:
        names = clean_authors(source, outlets)
        if names:
            return names
    return []
