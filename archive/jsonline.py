"""One record <-> one line of JSON that no line-based tool will ever split."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

# Characters str.splitlines() treats as line breaks. json.dumps already escapes everything below
# U+0020; with ensure_ascii=False it leaves U+0085, U+2028 and U+2029 raw, so those are escaped here.
_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
RAW_BREAKS = (b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def dumps(record: Mapping[str, Any]) -> str:
    """Compact JSON text for ``record``, without any character that splits a line; ValueError if unfit."""
    obj = record if isinstance(record, dict) else dict(record)
    try:
        text = _encode(obj)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValueError(f"record is not JSON-serialisable: {exc}") from None
    if _BREAKS.search(text):
        text = _BREAKS.sub(_escape, text)
    return text


def encode_line(record: Mapping[str, Any]) -> bytes:
    """The UTF-8 bytes of one archive line, newline included; ValueError if the record can't be written."""
    text = dumps(record)
    try:
        return (text + "\n").encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate in some string
        raise ValueError(f"record is not JSON-serialisable: {exc.reason} at position {exc.start}") from None


def needs_reencode(line: bytes) -> bool:
    """True when a stored line holds a raw character that line-based tools would split on."""
    if line.isascii() or (b"\x85" not in line and b"\xa8" not in line and b"\xa9" not in line):
        return False  # memchr-fast checks first: the 3-byte searches cost more than parsing the line
    return any(b in line for b in RAW_BREAKS)


_SURROGATE = re.compile("[\ud800-\udfff]")
_json_loads = json.loads
_surrogate_escape = re.compile(rb"\\u[dD][89a-fA-F]").search  # the regex scans faster than bytes.find here


def may_need_repair(line: bytes) -> bool:
    """Whether ``line`` may hold a lone surrogate: as an escape, or as raw bytes json decodes leniently."""
    return b"\xed" in line or _surrogate_escape(line) is not None


def loads(line: bytes) -> tuple[Any, int]:
    """Parse one stored line: (value, how many lone surrogates were replaced by U+FFFD); ValueError if not JSON.

    ``json.dumps`` writes half an emoji as the escape ``\\ud83d``, which parses into a string that no UTF-8
    encoder (SQLite, a terminal, Parquet) accepts; such a string is repaired here, once, for every reader.
    """
    value = _json_loads(line)
    return _scrub(value) if may_need_repair(line) else (value, 0)


def _scrub(value: Any) -> tuple[Any, int]:
    if isinstance(value, str):
        return _SURROGATE.subn("\ufffd", value)
    if isinstance(value, list):
        items = [_scrub(v) for v in value]
        return [v for v, _ in items], sum(n for _, n in items)
    if isinstance(value, dict):
        pairs = [(_scrub(k), _scrub(v)) for k, v in value.items()]
        return {k: v for (k, _), (v, _) in pairs}, sum(a + b for (_, a), (_, b) in pairs)
    return value, 0


def surrogate_note(count: int) -> str:
    """The warning text for a line whose lone surrogates were replaced."""
    return f"repaired line: {count} lone surrogate escape(s) (half an emoji) replaced by U+FFFD"
