"""Dates keep their offset and are never guessed; authors are person names only."""

from __future__ import annotations

import pytest

from scraper.authors import clean_authors
from scraper.dates import date_from_url, parse_date


@pytest.mark.parametrize(("raw", "expected"), [
    ("2026-02-03T10:00:00+01:00", "2026-02-03T10:00:00+01:00"),
    ("2026-02-03T10:00:00Z", "2026-02-03T10:00:00+00:00"),
    ("2026-02-03T10:00:00.123-05:00", "2026-02-03T10:00:00-05:00"),
    ("2026-02-03 10:00", "2026-02-03T10:00:00"),  # no offset stated: none invented
    ("2026-02-03", "2026-02-03"),
    ("Tue, 03 Feb 2026 10:00:00 +0100", "2026-02-03T10:00:00+01:00"),
    ("3 February 2026", "2026-02-03"),
    ("February 3, 2026 10:00 am", "2026-02-03T10:00:00"),
    ("03/02/2026", None),  # 3 February or March 2? Not guessed.
    ("Feb 2026", None),
    ("Monday", None),
    ("", None),
    ("1870-01-01T00:00:00Z", None),
])
def test_parse_date(raw: str, expected: str | None) -> None:
    assert parse_date(raw) == expected


def test_date_from_url() -> None:
    assert date_from_url("https://x.example/2026/02/03/slug/") == "2026-02-03"
    assert date_from_url("https://x.example/news/2026-2-30-slug") is None


@pytest.mark.parametrize(("raw", "expected"), [
    (["By Jane Doe and John Smith"], ["Jane Doe", "John Smith"]),
    (["Von Max Mustermann"], ["Max Mustermann"]),
    (["Alice Walker, Bob Stone; Carl Ray"], ["Alice Walker", "Bob Stone", "Carl Ray"]),
    (["Maria García (Reuters)"], ["Maria García"]),
    (["JOHN DOE"], ["John Doe"]),
    (["The Daily Planet"], []),
    (["jane-doe", "https://x.example/author/jane", "jane@x.example", "Email The Author", "Staff"], []),
    (["Priya Natarajan, Transport Correspondent"], ["Priya Natarajan"]),
    (["Sam Hartley · 26 November 2026"], ["Sam Hartley"]),
])
def test_clean_authors(raw: list[str], expected: list[str]) -> None:
    assert clean_authors(raw, ["The Daily Planet"]) == expected
