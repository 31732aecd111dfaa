"""The article body: page furniture pruned, trafilatura for the main text, our rules on top."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import trafilatura
from lxml.html import HtmlElement

# Containers that are page furniture whatever theme draws them: matched on class/id tokens.
_FURNITURE = re.compile(
    r"(?:^|[\s_-])(?:cookie|cookies|consent|gdpr|cmp|share|sharing|sharedaddy|social|socials|newsletter|"
    r"subscribe|subscription|related|jp-relatedposts|yarpp|crp_related|comments?|respond|comment-respond|"
    r"comment-form|disqus|scroll-?to-?top|back-?to-?top|scrollup|to-top|breadcrumbs?|sidebar|widget|"
    r"advert|advertisement|ads|ad-slot|adsbygoogle|promo|outbrain|taboola|sponsored|paywall|author-box|"
    r"about-author|post-navigation|nav-links|more-stories|read-more|recommended|popular)(?:$|[\s_-])",
    re.IGNORECASE,
)
_NEVER_PRUNE = {"html", "body", "main", "article"}
_CAPTION_XPATH = "//figcaption | //*[contains(@class, 'wp-caption-text') or contains(@class, 'caption')]"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\u0085\ufeff\u200b]")


@dataclass
class Body:
    """The clean text and what was set aside on the way."""

    text: str
    captions: list[str] = field(default_factory=list)


def clean_line(text: str) -> str:
    """NFC, no control characters or zero-width junk, whitespace collapsed."""
    return " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", text)).split())


def _is_furniture(node: HtmlElement) -> bool:
    if node.tag in {"nav", "form"} or node.get("role") in {"dialog", "navigation"} or node.get("aria-modal"):
        return True
    return bool(_FURNITURE.search(f"{node.get('class', '')} {node.get('id', '')}"))


def _prune_furniture(tree: HtmlElement) -> None:
    """Remove share bars, cookie notices, comment sections... unless the node holds the article."""
    body = tree.find("body")
    total = len(body.text_content()) if body is not None else 0
    for node in tree.xpath("//*[@class or @id or @role or @aria-modal] | //nav | //form"):
        if node.tag in _NEVER_PRUNE or node.getparent() is None or not _is_furniture(node):
            continue
        if node.find(".//h1") is not None or node.find(".//article") is not None:
            continue
        if total and len(node.text_content()) > 0.4 * total:
            continue
        node.drop_tree()


def _take_captions(tree: HtmlElement) -> list[str]:
    captions: list[str] = []
    for node in tree.xpath(_CAPTION_XPATH):
        if node.getparent() is None:
            continue
        text = clean_line(node.text_content())
        if text and len(text) < 400 and text not in captions:
            captions.append(text)
        node.drop_tree()
    return captions


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


def _paragraphs(body: HtmlElement) -> list[str]:
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


def _drop_repeats(paragraphs: list[str], title: str | None, description: str | None) -> list[str]:
    """The text never starts with the title or the standfirst again."""
    heads = {clean_line(t).casefold().rstrip(".") for t in (title, description) if t}
    while paragraphs and paragraphs[0].casefold().rstrip(".") in heads:
        paragraphs = paragraphs[1:]
    return paragraphs


def extract_body(tree: HtmlElement, url: str, title: str | None = None, description: str | None = None,
                 ld_body: str | None = None) -> Body:
    """Clean body text of the page. `tree` is modified (furniture and captions are removed)."""
    captions = _take_captions(tree)
    _prune_furniture(tree)
    doc = trafilatura.bare_extraction(tree, url=url, fast=True, include_comments=False, include_tables=True,
                                      include_images=False, with_metadata=False, deduplicate=False)
    body = getattr(doc, "body", None)
    paragraphs = _paragraphs(body) if body is not None else []
    if not paragraphs and ld_body:
        paragraphs = [p for chunk in ld_body.split("\n") if (p := clean_line(chunk))]
    return Body(text="\n\n".join(_drop_repeats(paragraphs, title, description)), captions=captions)
