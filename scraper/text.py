"""Small text helpers shared by the extraction modules."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\u0085\ufeff\u200b]")


def clean_line(text: str) -> str:
    """NFC, no control characters or zero-width junk, whitespace collapsed."""
    return " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", text)).split())
