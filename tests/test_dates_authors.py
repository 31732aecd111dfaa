"""Dates keep their offset and are never guessed; authors are person names only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scraper.extract.authors import clean_authors
from scraper.extract.dates import date_from_url, iso_moment, parse_date, parse_visible_date


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
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
    ],
)
def test_parse_date(raw: str, expected: str | None) -> None:
    assert parse_date(raw) == expected


def test_date_from_url() -> None:
    assert date_from_url("https://x.example/2026/02/03/slug/") == "2026-02-03"
    assert date_from_url("https://x.example/news/2026-2-30-slug") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["By Jane Doe and John Smith"], ["Jane Doe", "John Smith"]),
        (["Von Max Mustermann"], ["Max Mustermann"]),
        (["Alice Walker, Bob Stone; Carl Ray"], ["Alice Walker", "Bob Stone", "Carl Ray"]),
        (["Maria García (Reuters)"], ["Maria García"]),
        (["JOHN DOE"], ["John Doe"]),
        (["The Daily Planet"], []),
        (["jane-doe", "https://x.example/author/jane", "jane@x.example", "Email The Author", "Staff"], []),
        (["Priya Natarajan, Transport Correspondent"], ["Priya Natarajan"]),
        (["Sam Hartley · 26 November 2026"], ["Sam Hartley"]),
    ],
)
def test_clean_authors(raw: list[str], expected: list[str]) -> None:
    assert clean_authors(raw, ["The Daily Planet"]) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Veröffentlicht am 13. Mai 2026 um 15:44", "2026-05-13T15:44:00"),
        ("Published May 13, 2026 3:44 PM", "2026-05-13T15:44:00"),
        ("3 de mayo de 2026", "2026-05-03"),
        ("Stand: 22.04.2024, 06:00 Uhr", "2024-04-22T06:00:00"),  # dotted dates are day first
        ("Do 25.04.24 | 14:07 Uhr", "2024-04-25T14:07:00"),
        ("입력 2026.01.29 18:40", "2026-01-29T18:40:00"),
        ("03/02/2026", None),  # slashed: still not guessed
        ("Version 2.4.10", None),
        ("Updated 12 mins ago", None),
    ],
)
def test_parse_visible_date(raw: str, expected: str | None) -> None:
    assert parse_visible_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["By GILLIAN MOHNEY March 11, 2015 3:46 PM"], ["Gillian Mohney"]),  # date after the name
        (["신현주 기자"], ["신현주"]),  # job title after the name
        (["hessenschau.de, Frankfurt, Germany"], []),  # a domain, and single words that are places
        (["israel news"], []),  # not capitalised: not a person's name
        (["Sign In", "Sign Up"], []),
        (["J J"], []),
        (["von David Straub, MDR THÜRINGEN"], ["David Straub"]),  # the desk named after the outlet
    ],
)
def test_clean_authors_rejects_what_is_not_a_person(raw: list[str], expected: list[str]) -> None:
    assert clean_authors(raw, ["mdr.de", "Hessenschau"]) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["ByTravis Haney"], ["Travis Haney"]),  # "By" glued to the name
        (["Byby JOSH HASKELL"], ["Josh Haskell"]),  # "By" said twice
        (["By by Mia Lund"], ["Mia Lund"]),
        (["Gina TrapaniCEO"], ["Gina Trapani"]),  # a role glued after the name
        (["Meg WagnerNEW YORK DAILY NEWSDec 25, 2015"], ["Meg Wagner"]),  # the outlet and a date glued on
        (["About The AuthorPaul Smith"], ["Paul Smith"]),  # a label glued before the name
        (["Ronald McDonald", "Anna MacKenzie", "LeBron James"], ["Ronald McDonald", "Anna MacKenzie", "LeBron James"]),
        (["Jeff VanderMeer", "Scott FitzGerald"], ["Jeff VanderMeer", "Scott FitzGerald"]),
        (["Byron Smith"], ["Byron Smith"]),
    ],
)
def test_clean_authors_cuts_words_glued_to_a_name(raw: list[str], expected: list[str]) -> None:
    assert clean_authors(raw, []) == expected


def test_iso_moment_reads_sitemap_and_record_dates_as_aware_times() -> None:
    # sitemap lastmods and archived crawl times: a bare date is its first second, or its last for a cut-off
    assert iso_moment("2026-05-03") == datetime(2026, 5, 3, tzinfo=UTC)
    assert iso_moment("2026-05-03", end_of_day=True) == datetime(2026, 5, 3, 23, 59, 59, tzinfo=UTC)
    assert iso_moment("2026-05-03T10:00:00+02:00") == datetime(2026, 5, 3, 8, tzinfo=UTC)
    assert iso_moment("2026-05-03T10:00:00", end_of_day=True) == datetime(2026, 5, 3, 10, tzinfo=UTC)
    assert iso_moment("yesterday") is None and iso_moment("") is None
