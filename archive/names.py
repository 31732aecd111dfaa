"""Names and dates in the archive layout: ``root/YYYY-MM-DD/<spider>-<run_id>.jsonl``."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
DAY_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_NAME = 128
SUFFIX = ".jsonl"
GZ_SUFFIX = ".jsonl.gz"
WARC_SUFFIX = ".warc.gz"  # a run's raw captures beside its JSONL: gzip per record, never compressed again
INDEX_DIR = ".index"
QUARANTINE_DIR = ".quarantine"
REEXTRACT_SPIDER = "reextract"  # the spider name of news-archive reextract's runs
IMPORT_SPIDER = "warc-import"  # the spider name of news-archive import-warc's runs


def check_name(kind: str, value: object) -> str:
    """Return ``value`` if it is a safe spider or run id, else raise ValueError saying why."""
    if not isinstance(value, str) or not NAME_RE.fullmatch(value) or ".." in value or len(value) > MAX_NAME:
        raise ValueError(
            f"invalid {kind} {value!r}: use letters, digits, '_', '.' and '-', start with a letter or digit, "
            f"no '..', at most {MAX_NAME} characters"
        )
    return value


def new_run_id() -> str:
    """A run id that sorts by start time and is unique across overlapping runs (crawls, reextract, import-warc)."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def file_name(spider: str, run_id: str) -> str:
    """The data file name for one run of one spider."""
    return f"{check_name('spider', spider)}-{check_name('run_id', run_id)}{SUFFIX}"


def warc_name(spider: str, run_id: str) -> str:
    """The WARC file name for one run of one spider (beside its JSONL of the same day)."""
    return f"{check_name('spider', spider)}-{check_name('run_id', run_id)}{WARC_SUFFIX}"


def is_day(name: str) -> bool:
    """True when ``name`` is a real calendar day written YYYY-MM-DD."""
    if not DAY_RE.fullmatch(name):
        return False
    try:
        date.fromisoformat(name)
    except ValueError:
        return False
    return True


def parse_day(value: str | date | None, what: str = "date") -> str | None:
    """Normalise a YYYY-MM-DD string or a date to 'YYYY-MM-DD'; None stays None; else ValueError."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and is_day(value):
        return value
    raise ValueError(f"invalid {what} {value!r}: expected a date written YYYY-MM-DD")
