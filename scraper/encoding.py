"""Decoding page bytes to text: BOM, then HTTP charset, then `<meta charset>`, then detection."""

from __future__ import annotations

import codecs

import charset_normalizer
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, resolve_encoding

_DETECT_BYTES = 64 * 1024
_SINGLE_BYTE_DEFAULTS = {"cp1252", "latin-1", "iso8859-1", "iso8859-15"}
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


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

    Order: byte-order mark, the HTTP `Content-Type` charset, `<meta charset>` / http-equiv, detection.
    An HTTP charset that cannot decode the bytes while the page's own declaration can is overruled:
    servers that add a default charset to every response are common, pages that lie about their own are not.
    """
    if isinstance(data, str):
        return data, "utf-8"
    encoding, text = html_to_unicode(content_type, data, auto_detect_fun=_detect)
    if not content_type or data.startswith(_BOMS):
        return text, encoding
    declared = html_body_declared_encoding(data)
    if declared:
        if "\ufffd" in text and (better := _clean_decode(data, declared)) is not None:
            return better, resolve_encoding(declared) or encoding
    elif encoding in _SINGLE_BYTE_DEFAULTS and not data.isascii() and (utf8 := _clean_decode(data, "utf-8")):
        return utf8, "utf-8"  # a server-wide "charset=iso-8859-1" on a page that is in fact valid UTF-8
    return text, encoding
