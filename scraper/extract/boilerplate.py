"""Boilerplate lines and blocks that survive main-text extraction, and how they are stripped."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_TEASER_LABELS = (
    r"read more|read also|also read|related|related articles?|related stor(?:y|ies)|related posts?|see also|"
    r"more on this(?: story| topic)?|more from [\w .'-]{1,40}|recommended|watch|listen|must read|don'?t miss|"
    r"lesen sie auch|auch interessant|mehr zum thema|lire aussi|à lire aussi|a lire aussi|leia também|"
    r"leer más|lee también|te puede interesar|leggi anche|lees ook"
)

#: Regular expressions matched against one whole line of text, case-insensitive. A line that
#: matches is removed unless it is prose (`is_prose`): generic patterns never cut a sentence.
DEFAULT_PATTERNS: tuple[str, ...] = (
    # comment forms (WordPress and most themes)
    r"leave a (?:comment|reply)(?: to [^.]{1,80})?( cancel reply)?",
    r"(?:your )?email address will not be published\.?(?:\s*required fields are marked\s*\*?\.?)?",
    r"required fields are marked\s*\*?\.?",
    r"(?:post|submit|add) (?:a )?comment|cancel reply|comments? \*?|name \*|e-?mail \*|website",
    r"save my name,? e-?mail,? and website in this browser for the next time i comment\.?",
    r"(?:you must be )?logged in to post a comment\.?|log in to (?:reply|comment)\.?",
    r"(?:\d+|no|one) (?:comments?|responses?|replies)(?: yet)?\.?|comments? \(\d+\)|view comments|show comments",
    r"rss feed for comments on this (?:post|entry)\.?(?:\s*trackback ur[il])?|trackback ur[il]",
    r"this site uses akismet to reduce spam\..{0,120}",
    # navigation and page furniture
    r"(?:scroll|back|go|return|jump) to (?:the )?top|↑|⬆|top",
    r"skip to (?:main )?content|skip to navigation|toggle navigation|menu|search|close",
    r"previous (?:post|article)|next (?:post|article)|(?:previous|next) (?:post|article)\s*[:»›].{0,200}",
    # teasers: "Read more: <headline>"
    rf"(?:{_TEASER_LABELS})\s*(?:[:：»›|–—>-]|\.\.\.|…)\s*.{{0,200}}",
    rf"(?:{_TEASER_LABELS})(?:\s*[:：»›…]|\.\.\.)?",
    r"continue reading.{0,80}|read (?:the )?full (?:story|article).{0,60}|click here to .{1,80}",
    r"(?:the )?(?:article|story|text) continues (?:below|after (?:the|this) (?:ad|advertisement))\.?|"
    r"(?:advertisement\s*[-·|]?\s*)?scroll to continue(?: with content| reading)?\.?",
    # share, follow, newsletter
    r"share(?: (?:this|the) (?:article|story|post|page))?(?: (?:on|via) [\w ,]{1,60})?:?",
    r"(?:share|tweet|email|e-mail|print|copy link|facebook|twitter|x|linkedin|whatsapp|pinterest|reddit|"
    r"telegram|flipboard|messenger|pocket|threads|bluesky)(?:\s*[,|/·•]\s*"
    r"(?:share|tweet|email|e-mail|print|copy link|facebook|twitter|x|linkedin|whatsapp|pinterest|reddit|"
    r"telegram|flipboard|messenger|pocket|threads|bluesky))*",
    r"(?:follow|like|find) us on .{1,80}",
    r"(?:sign up|subscribe|register)(?: now| today| here)?(?: (?:to|for) (?:our|the|my) .{0,80})?"
    r"(?:newsletter|updates|alerts|digest).{0,120}",
    r"(?:sign up|subscribe)(?: now| today| here)?[.!]?",
    r"(?:get|receive) (?:our|the) .{0,60}newsletter.{0,120}",
    # cookie and consent notices
    r".{0,200}\b(?:we|this (?:web)?site|our (?:web)?site|our partners) uses? cookies\b.{0,300}"
    r"\b(?:accept|consent|agree|policy|settings|preferences|experience|continu).{0,300}",
    r"(?:accept|allow|reject|decline)(?: all)?(?: cookies)?|cookie (?:settings|policy|preferences|notice)|"
    r"manage (?:cookies|consent|preferences)|got it!?|i agree",
    # ads and legal lines
    r"advertisement|advertising|anzeige|werbung|publicité|publicidad|pubblicità|publicidade|reklam|reklame|"
    r"advertentie|annonce|mainos|реклама|광고|广告|広告|sponsored(?: content)?",
    r"(?:©|\(c\)|copyright)\s*.{0,160}|all rights reserved\.?",
    r"(?:tags?|filed under|categories|category|posted in|topics?)\s*:\s*.{0,200}",
)

#: Headings after which the following short lines (teaser headlines, form labels) are boilerplate too.
DEFAULT_BLOCK_STARTS: tuple[str, ...] = (
    r"related(?: posts| articles| stories| content| news| coverage)?",
    r"(?:you|we think you) (?:may|might|will) (?:also )?(?:like|enjoy|be interested in)",
    r"more (?:stories|articles|news|from [\w .'-]{1,40}|in [\w .'-]{1,40}|on this topic)",
    r"(?:most )?(?:popular|read|recommended|trending)(?: now| stories| articles| on [\w .'-]{1,40})?",
    r"recommended(?: for you| stories| articles)?|latest(?: news| stories| articles)?|top stories",
    r"leave a (?:comment|reply)|comments|\d+ comments?|join the (?:conversation|discussion)",
    r"(?:about|more about) the authors?",
)

#: Photo credit and caption lines: moved from the text to `image.caption`.
CREDIT_PATTERNS: tuple[str, ...] = (
    r"(?:photo|photograph|image|picture|foto|bild|illustration|video|graphic|credit)s?"
    r"(?: credit)?\s*(?:[:：]|by\b)\s*.{1,160}",
    r"\((?:photo|image|picture|foto|credit)s?\s*[:：].{1,120}\)",
    r"(?:getty images|reuters|ap photo|afp|dpa|epa|shutterstock|istock|picture alliance)(?:\s*/\s*.{1,80})?",
)

_SHORT_LINE = 100  # characters: a block's teaser headlines and form labels are shorter than prose
_MIN_WORDS = 5  # a sentence of fewer words ("Read more.", "Log in to reply.") may be furniture
_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’»)\]]*$")
_SENTENCE_START = re.compile(r"[\w\"'“‘«„(\[¿¡]")
_QUOTED = re.compile(r'"[^"]*"|“[^”]*[”“]|„[^“”]*[“”]|«[^»]*»|»[^«]*«')
#: How a site speaks to its reader or about itself: outside quotation marks, these make a sentence page furniture.
_SITE_VOICE = re.compile(
    r"\b(?=[yYmMwWoOtTaAsSIuU])"  # (a quick first-letter test: this runs on every line of every article)
    r"(?:you|your|yours|me|my|we|our|this (?:web)?site|all rights reserved|(?:article|story) continues"
    r"|(?-i:I|us|Us))\b",
    re.IGNORECASE,
)  # not "US", the country


def _compile(patterns: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)", re.IGNORECASE | re.DOTALL)


def is_prose(line: str) -> bool:
    """Whether a line is a sentence of the article, which no generic pattern may remove.

    Prose: it starts like a sentence (a word, a number or an opening quote, not a bullet or `©`), holds at
    least five words, ends in sentence punctuation, and outside its quotations does not speak the site's
    voice (`you`, `our`, `we`, `this site`, `all rights reserved`...): a quoted "we use cookies" is prose,
    the cookie notice addressed to the reader is not.
    """
    line = line.strip()
    if not _SENTENCE_END.search(line[-8:]) or not _SENTENCE_START.match(line):
        return False
    if len(line.split(maxsplit=_MIN_WORDS)) < _MIN_WORDS:
        return False
    return not _SITE_VOICE.search(_QUOTED.sub(" ", line))


@dataclass
class Cleaned:
    """Text with its boilerplate removed, the credit lines found, and how many lines went."""

    text: str
    credits: list[str]
    removed: int


class BoilerplateStripper:
    """Removes whole boilerplate lines and blocks from article text. Patterns match whole lines.

    `patterns`, `block_starts` and `credits` are generic: they never remove prose (`is_prose`). `explicit`
    patterns are an operator's own choice for a site (BOILERPLATE_EXTRA_PATTERNS, a site's
    `boilerplate_patterns`): a line they match goes even when it reads as a sentence.
    """

    def __init__(
        self,
        patterns: Iterable[str] = DEFAULT_PATTERNS,
        block_starts: Iterable[str] = DEFAULT_BLOCK_STARTS,
        credits: Iterable[str] = CREDIT_PATTERNS,
        explicit: Iterable[str] = (),
    ) -> None:
        self.line = _compile(patterns)
        self.block = _compile(block_starts)
        self.credit = _compile(credits)
        self.explicit = _compile(explicit)

    def clean(self, text: str, credits_to_caption: bool = True) -> Cleaned:
        """Strip boilerplate from `text` (paragraphs separated by blank lines, lines by newlines).

        Credit lines ("Photo: Jane Doe/Reuters") are set aside for the image caption when
        `credits_to_caption`, else kept in the text: with no image to credit, they are all that says whose it is.
        """
        lines = [
            (n, raw.strip())
            for n, paragraph in enumerate(text.split("\n\n"))
            for raw in paragraph.split("\n")
            if raw.strip()
        ]
        prose = [is_prose(line) for _, line in lines]
        kept: dict[int, list[str]] = {}
        credits: list[str] = []
        in_block = False
        for i, (n, line) in enumerate(lines):
            if in_block and not (prose[i] or len(line) >= _SHORT_LINE):
                continue  # a block's teaser headlines and form labels, until article text returns
            in_block = False
            if prose[i]:
                if not self.explicit.fullmatch(_key(line)):
                    kept.setdefault(n, []).append(line)
                continue
            if self.explicit.fullmatch(_key(line)):
                continue
            if self.block.fullmatch(_key(line)):
                in_block = not (i + 1 < len(lines) and prose[i + 1])  # else a subheading ("Latest") over prose,
                if in_block:  # kept unless it is furniture on its own ("Leave a Comment" over a comment)
                    continue
            if self._boilerplate(line, credits, credits_to_caption):
                continue
            kept.setdefault(n, []).append(line)
        paragraphs = ["\n".join(k) for k in kept.values()]
        return Cleaned("\n\n".join(paragraphs), credits, len(lines) - sum(map(len, kept.values())))

    def _boilerplate(self, line: str, credits: list[str], credits_to_caption: bool) -> bool:
        """Whether a line that is not prose goes (a credit line is set aside for the caption)."""
        key = _key(line)
        if self.credit.fullmatch(line) and len(line) < 200:
            if credits_to_caption:
                credits.append(line)
            return credits_to_caption
        return not key or bool(self.line.fullmatch(key))


def _key(line: str) -> str:
    """A line without the bullets, bars and arrows around it, as patterns see it."""
    return line.strip(" \t*•·|:»›>-–—").strip()


DEFAULT_STRIPPER = BoilerplateStripper()
