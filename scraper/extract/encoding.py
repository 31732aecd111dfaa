"""Decoding page bytes to text (BOM, then HTTP charset, then `<meta charset>`, then detection), and parsing it."""

from __future__ import annotations

import codecs
import re

import charset_normalizer
import lxml.etree
import lxml.html
from w3lib.encoding import (
    html_body_declared_encoding,
    html_to_unicode,
    http_content_type_encoding,
    resolve_encoding,
)

_DETECT_BYTES = 64 * 1024
_SINGLE_BYTE_DEFAULTS = {"cp1252", "latin-1", "iso8859-1", "iso8859-15"}
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_WIDE = ("utf-16", "utf-32")  # an 8-bit page that declares these means UTF-8 (HTML's encoding sniffing rule)
#: An XML declaration (`<?xml version="1.0" encoding="..."?>`) at the start of decoded markup, after a BOM or spaces.
_XML_DECLARATION = re.compile(r"\A[\ufeff\s]*<\?xml\b[^>]*>", re.IGNORECASE)


def _html_parser() -> lxml.html.HTMLParser:
    """lxml.html's parser with the same element classes (HtmlElement; FormElement for `<form>`...), looked up in
    C instead of by lxml.html's Python `lookup`, which runs each time an element of the tree is first touched
    (a third of a page's parsing cost again, on real pages). No table of `id` attributes is built: nothing looks
    elements up by ID (`getelementbyid`), and building it is ~8% of the parse."""
    parser = lxml.html.HTMLParser(huge_tree=False, remove_comments=True, collect_ids=False)
    lookup = lxml.etree.ElementNamespaceClassLookup(
        lxml.etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement,
            comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )
    lookup.get_namespace(None).update(vars(lxml.html.HtmlElementClassLookup)["_default_element_classes"])
    parser.set_element_class_lookup(lookup)
    return parser


_HTML_PARSER = _html_parser()


def _detect(data: bytes) -> str | None:
    """Guess the encoding of undeclared bytes: valid UTF-8 is UTF-8, else ask charset-normalizer."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(data) - 4:  # a multi-byte character cut at the end is still UTF-8
            best = charset_normalizer.from_bytes(data[:_DETECT_BYTES]).best()
            return best.encoding if best else "cp1252"
    return "utf-8"


def _clean_decode(data: bytes, encoding: str | None) -> str | None:
    """`data` decoded strictly with `encoding`, or None when it does not fit."""
    name = resolve_encoding(encoding) if encoding else None
    if not name:
        return None
    try:
        return codecs.decode(data, name)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(data: bytes | str, content_type: str | None = None) -> tuple[str, str]:
    """Return (text, encoding) for a page body.

    Order: byte-order mark, the HTTP `Content-Type` charset, `<meta charset>` / http-equiv / XML declaration,
    detection. Whitespace before the first tag is dropped. A charset that evidently does not fit the bytes
    is overruled: UTF-16 declared in 8-bit bytes (read as UTF-8, as browsers do), a single-byte charset on
    valid non-ASCII UTF-8 (no real Latin-1 text is), UTF-8 on bytes without one UTF-8 character, and an
    HTTP charset that cannot decode the bytes while the page's own declaration can.
    """
    if isinstance(data, str):
        return data, "utf-8"
    data = _without_leading_space(data)
    if data.startswith(_BOMS):
        encoding, text = html_to_unicode(content_type, data)
        return text, encoding
    declared = html_body_declared_encoding(data)
    if declared and (resolve_encoding(declared) or "").startswith(_WIDE) and not _looks_wide(data):
        http = http_content_type_encoding(content_type)
        name = http if http and not http.startswith(_WIDE) else _detect(data) or "utf-8"
        return codecs.decode(data, name, "replace"), name
    encoding, text = html_to_unicode(content_type, data, auto_detect_fun=_detect)
    if encoding in _SINGLE_BYTE_DEFAULTS and not data.isascii() and (utf8 := _clean_decode(data, "utf-8")):
        return utf8, "utf-8"
    if "\ufffd" not in text or _clean_decode(data, encoding) is not None:
        return text, encoding
    if content_type and declared and (better := _clean_decode(data, declared)) is not None:
        return better, resolve_encoding(declared) or encoding  # a server-wide default charset, the page's own fits
    if resolve_encoding(encoding) == "utf-8" and not _has_utf8_sequence(data):
        best = charset_normalizer.from_bytes(data[:_DETECT_BYTES]).best()
        if best and best.encoding != "utf_8":
            return codecs.decode(data, best.encoding, "replace"), best.encoding
    return text, encoding


def _without_leading_space(data: bytes) -> bytes:
    """Page bytes without the whitespace before the first tag (it can hide a `<meta charset>` from the sniffer)."""
    stripped = data.lstrip(b" \t\r\n\f")
    return stripped if stripped[:1] == b"<" and stripped[1:2] != b"\x00" else data  # never split a UTF-16 pair


def _looks_wide(data: bytes) -> bool:
    """Whether bytes are UTF-16 or UTF-32 text: a BOM, or NUL bytes beside the ASCII of the first tag."""
    return data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4]


_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def _has_utf8_sequence(data: bytes) -> bool:
    """Whether the bytes hold at least one well-formed multi-byte UTF-8 character."""
    return any(_clean_decode(m.group(), "utf-8") for m in _UTF8_SEQUENCE.finditer(data[:_DETECT_BYTES]))


def parse_html(text: str, *, fragment: bool = False) -> lxml.html.HtmlElement | None:
    """Decoded markup as an lxml tree (a `<div>` around it when `fragment`), or None when there is none.

    The one place the extraction core hands a str to lxml: NUL characters and a leading XML declaration
    (which lxml refuses in a str: the text is already decoded, so its `encoding=` means nothing) are dropped.
    """
    text = _XML_DECLARATION.sub("", text.replace("\x00", ""), 1)
    if not text.strip():
        return None
    try:
        if fragment:
            return lxml.html.fragment_fromstring(text, create_parent="div", parser=_HTML_PARSER)
        return lxml.html.document_fromstring(text, parser=_HTML_PARSER)
    except (lxml.etree.ParserError, ValueError):
        return None
