"""List-of-regular-expressions settings (BOILERPLATE_PATTERNS, BOILERPLATE_EXTRA_PATTERNS): read and checked."""

from __future__ import annotations

import json
import re

from scrapy.settings import BaseSettings


def pattern_list(settings: BaseSettings, name: str) -> list[str]:
    """A list-of-regexes setting; on the command line, a JSON list (regexes may hold commas)."""
    value = settings.get(name) or []
    if isinstance(value, str):
        value = json.loads(value) if value.lstrip().startswith("[") else [value]
    return [str(v) for v in value]


def check_pattern_list(settings: BaseSettings, name: str) -> None:
    """ValueError naming the setting when it is not a JSON list or holds a bad regular expression."""
    try:
        patterns = pattern_list(settings, name)
    except ValueError as exc:
        raise ValueError(f"{name} is not a JSON list of regular expressions ({exc})") from None
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{name}: bad regular expression {pattern!r} ({exc})") from None
