"""Dates keep their offset and are never guessed; authors are person names only."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from scraper.extract import extract_article
from scraper.extract.authors import clean_authors, clean_organizations, only_credits
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
        (["Science Desk by Priya Raman"], ["Priya Raman"]),  # the section's name before "by"
        (["Ann von Trapp", "Lucia Par Soler"], ["Ann von Trapp", "Lucia Par Soler"]),  # only "by" is cut at
    ],
)
def test_clean_authors_cuts_words_glued_to_a_name(raw: list[str], expected: list[str]) -> None:
    assert clean_authors(raw, []) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["By Associated Press"], ["Associated Press"]),
        (["von Konstantin Furrer , Deutsche Presse-Agentur"], ["Deutsche Presse-Agentur"]),
        (["Reuters, Thorsten Kramer"], ["Reuters"]),
        (["dpa  "], ["dpa"]),
        (["Par Le Figaro et AFP"], ["AFP"]),  # the outlet is left out when someone else is credited
        (["Le Figaro"], ["Le Figaro"]),  # the outlet as the only credit
        (["Guardian staff reporter"], ["Guardian staff reporter"]),
        (["MM-Redaktion"], ["MM-Redaktion"]),
        (["von David Straub, MDR THÜRINGEN"], ["MDR THÜRINGEN"]),  # a desk named after the outlet
        (["Jane Doe", "Photo: Reuters", "Pa Smith"], []),  # people, a photo credit, "Pa" not in capitals
    ],
)
def test_clean_organizations(raw: list[str], expected: list[str]) -> None:
    outlets = ["Le Figaro", "mdr.de", "The Guardian"]
    found = clean_organizations(raw, outlets)
    assert only_credits(found, persons=bool(clean_authors(raw, outlets))) == expected


def test_iso_moment_reads_sitemap_and_record_dates_as_aware_times() -> None:
    # sitemap lastmods and archived crawl times: a bare date is its first second, or its last for a cut-off
    assert iso_moment("2026-05-03") == datetime(2026, 5, 3, tzinfo=UTC)
    assert iso_moment("2026-05-03", end_of_day=True) == datetime(2026, 5, 3, 23, 59, 59, tzinfo=UTC)
    assert iso_moment("2026-05-03T10:00:00+02:00") == datetime(2026, 5, 3, 8, tzinfo=UTC)
    assert iso_moment("2026-05-03T10:00:00", end_of_day=True) == datetime(2026, 5, 3, 10, tzinfo=UTC)
    assert iso_moment("yesterday") is None and iso_moment("") is None


# --- time zones: a known abbreviation is its offset, an ambiguous one keeps the wall clock, none warns ----


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2012-10-29T14:00EDT", "2012-10-29T14:00:00-04:00"),
        ("Mon Jul 23 21:11:10 PDT 2012", "2012-07-23T21:11:10-07:00"),
        ("July 24, 2012 11:45 PM EST", "2012-07-24T23:45:00-05:00"),  # "PM" is not a zone
        ("July 31, 2012, 2:38 pm", "2012-07-31T14:38:00"),
        ("Tue, 03 Feb 2026 10:00:00 BST", "2026-02-03T10:00:00+01:00"),  # British Summer Time, as stated
        ("3 June 2026 09:15 CEST", "2026-06-03T09:15:00+02:00"),
        ("3 June 2026 09:15 JST", "2026-06-03T09:15:00+09:00"),
        ("3 June 2026 09:15 AEST", "2026-06-03T09:15:00+10:00"),
        ("3 June 2026 09:15 NZDT", "2026-06-03T09:15:00+13:00"),
        ("2026-02-03 10:00 GMT+3", "2026-02-03T10:00:00+03:00"),  # UTC plus three, not POSIX's minus
        ("2026-02-03 10:00 UTC-05:30", "2026-02-03T10:00:00-05:30"),
        ("Jan 5, 2026 10:00 AM ET", "2026-01-05T10:00:00-05:00"),  # ET follows the US rules on that day
        ("Jul 5, 2026 10:00 AM ET", "2026-07-05T10:00:00-04:00"),
        ("Jul 5, 2026 10:00 AM PT", "2026-07-05T10:00:00-07:00"),
        ("Tue, 03 Feb 2026 10:00:00 CST", "2026-02-03T10:00:00"),  # US Central or China: wall clock
        ("Tue, 03 Feb 2026 10:00:00 AST", "2026-02-03T10:00:00"),  # Atlantic or Arabia
        ("3 June 2026 09:15 IST", "2026-06-03T09:15:00"),  # India, Ireland or Israel
        ("3 June 2026 09:15 WGST", "2026-06-03T09:15:00"),  # not in the table: no offset
    ],
)
def test_parse_date_zone_abbreviations(raw: str, expected: str) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Published July 24, 2012 11:45 PM EDT", "2012-07-24T23:45:00-04:00"),
        ("Monday 29 October 2012 14.00 GMT", "2012-10-29T14:00:00+00:00"),
        ("13.05.2026, 15:44 Uhr MESZ", "2026-05-13T15:44:00+02:00"),
        ("13 May 2026 15:44 (CET)", "2026-05-13T15:44:00+01:00"),
        ("May 13, 2026 3:44 PM GMT+2", "2026-05-13T15:44:00+02:00"),
        ("13 May 2026 15:44 +0530", "2026-05-13T15:44:00+05:30"),
        ("March 11, 2015 3:46 PM (IST)", "2015-03-11T15:46:00"),
        ("May 13, 2026 3:44 PM CST", "2026-05-13T15:44:00"),
        ("May 13, 2026 3:44 PM By Jane Doe", "2026-05-13T15:44:00"),
    ],
)
def test_parse_visible_date_zones(raw: str, expected: str) -> None:
    assert parse_visible_date(raw) == expected


@pytest.mark.parametrize(
    ("name", "published", "modified"),
    [
        ("date-zone-named.html", "2026-07-14T21:40:00-04:00", None),  # <time datetime="...T21:40EDT">
        ("date-zone-visible.html", "2026-07-20T14:05:00+01:00", None),  # "Monday 20 July 2026 14.05 BST"
        ("date-zone-ambiguous.html", "2026-03-10T14:05:00", "2026-03-10T16:20:00"),  # IST; unknown WGST
    ],
)
def test_zone_abbreviations_on_pages(
    page: Callable[[str], bytes], name: str, published: str, modified: str | None
) -> None:
    record = extract_article(page(name), "https://news.example/2026/story")
    assert (record["published_at"], record["modified_at"]) == (published, modified)


def test_no_parser_warning_reaches_the_terminal(page: Callable[[str], bytes]) -> None:
    # dateutil warns (UnknownTimezoneWarning) about every zone name it does not know, unless told them all
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name in ("date-zone-named.html", "date-zone-visible.html", "date-zone-ambiguous.html"):
            extract_article(page(name), "https://news.example/story")
        for raw in ("3 June 2026 09:15 WGST", "3 June 2026 09:15 IST", "Mon Jul 23 21:11:10 PDT 2012", "10:00 XYZ"):
            parse_date(raw)
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize(
    ("name", "url", "published", "modified"),
    [
        # a stated time in a <meta> the common list does not name (CBS style "published", "modified")
        (
            "date-meta-named.html",
            "https://news.example/local/cooling-centre",
            "2012-07-23T21:11:10-07:00",
            "2012-07-24T08:02:45-07:00",
        ),
        # no date markup at all: the short line under the headline states it
        ("date-lead-line.html", "https://blog.example/2012/11/five-changes.html", "2012-11-07T14:00:00", None),
        # a reader comment's <time> comes first in the markup: the post's own line is the date
        ("date-comment-first.html", "https://blog.example/?p=34524", "2012-03-03", None),
    ],
)
def test_date_classes_on_pages(
    page: Callable[[str], bytes], name: str, url: str, published: str, modified: str | None
) -> None:
    record = extract_article(page(name), url)
    assert (record["published_at"], record["modified_at"]) == (published, modified)


def test_compact_day_is_a_day_not_its_midnight() -> None:
    assert parse_date("20190806") == "2019-08-06"
    assert parse_date("20190806103251") == "2019-08-06T10:32:51"
