"""Author names from bylines and structured data: person names only."""

from __future__ import annotations

import re
from collections.abc import Iterable

_PREFIX = re.compile(
    r"^(?:(?:written|posted|reported|edited|text|story|words|photos?|interview)\s+)?"
    r"(?:by|von|par|por|di|da|de\s+la|door|af|av|przez|от|של)\s*[:\-]?\s+",
    re.IGNORECASE,
)
_LEADING_LABEL = re.compile(r"^(?:authors?|autor(?:in|en)?|auteur|byline|posted by|written by)\s*[:\-]\s*", re.I)
_SPLIT = re.compile(r"\s*(?:,|;|\||&|·|•|\n|\s+(?:and|und|et|y|e|en|og|och|i)\s+)\s*", re.IGNORECASE)
_PAREN = re.compile(r"\s*[(\[].*?[)\]]\s*")
_NOT_A_NAME = re.compile(
    r"@|https?:|www\.|\.com\b|/|\d|"
    r"\b(?:e-?mail|follow|view\s+all|all\s+posts|posts\s+by|more\s+(?:from|by)|contact|twitter|facebook|"
    r"instagram|linkedin|subscribe|newsletter|read\s+more|profile|bio|staff|editors?|editorial|admin|"
    r"administrator|newsroom|news\s*desk|desk|team|redaktion|rédaction|redacción|redazione|"
    r"agency|agencies|press|wire|correspondent|contributor|guest|anonymous|unknown|updated|published|"
    r"minutes?|min\s+read|hours?\s+ago|comments?)\b",
    re.IGNORECASE,
)
_MAX_WORDS = 5
_MAX_CHARS = 60


def _titlecase_shouted(name: str) -> str:
    return name.title() if name.isupper() and len(name) > 3 else name


def _is_person_name(name: str, outlets: set[str]) -> bool:
    words = name.split()
    if not words or len(words) > _MAX_WORDS or len(name) > _MAX_CHARS or _NOT_A_NAME.search(name):
        return False
    if name.casefold() in outlets or re.fullmatch(r"[a-z]+(?:[-_][a-z]+)+", name):  # outlet, url slug
        return False
    return any(ch.isalpha() for ch in name)


def clean_authors(raw: Iterable[str], outlets: Iterable[str] = ()) -> list[str]:
    """Split bylines into person names; drop "By", roles, e-mails, URLs, slugs and outlet names."""
    outlet_keys = {o.casefold().strip() for o in outlets if o}
    names: list[str] = []
    seen: set[str] = set()
    for byline in raw:
        text = _PAREN.sub(" ", " ".join(str(byline).split()))
        text = _LEADING_LABEL.sub("", _PREFIX.sub("", text.strip(" -–—:|·•")))
        for part in _SPLIT.split(text):
            name = _titlecase_shouted(_PREFIX.sub("", part.strip(" -–—:|·•.\"'")).strip(" -–—:|·•.\"'"))
            key = name.casefold()
            if key and key not in seen and _is_person_name(name, outlet_keys):
                seen.add(key)
                names.append(name)
    return names
