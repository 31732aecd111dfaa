"""Classes of metadata failure (titles, dates, authors) fixed on pages nobody tuned for, each pinned on a small
page written for the test (tests/pages) or on the strings such pages hold."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scraper.extract import extract_article
from scraper.extract.dates import parse_visible_date, zoned
from scraper.extract.title import choose_title

Page = Callable[[str], bytes]


# --- dates ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "published"),
    [
        # the URL's /2012/08/ says which number is the month: 08-09-2012 is 9 August
        ("https://notes.example/2012/08/why-our-seed-round-took-nine-months/", "2012-08-09T14:22:00"),
        # nothing tells month-first from day-first: no date rather than a guess
        ("https://notes.example/why-our-seed-round-took-nine-months/", None),
    ],
)
def test_numeric_date_is_read_only_when_the_url_tells_month_from_day(page: Page, url: str, published: str) -> None:
    assert extract_article(page("date-numeric-month-first.html"), url)["published_at"] == published


@pytest.mark.parametrize(
    ("raw", "known_month", "expected"),
    [
        ("Posted on 07/28/2012 by Michael Busch", None, "2012-07-28"),  # 28 is no month: month first
        ("Posted on 28/07/2012", None, "2012-07-28"),  # and day first
        ("at 7/18/2012 11:52:00 AM", None, "2012-07-18T11:52:00"),
        ("10/29/2012 5:25:25 PM", None, "2012-10-29T17:25:00"),
        ("Posted on: 08-7-2012", (2012, 8), "2012-08-07"),
        ("Posted on: 08-7-2012", (2012, 7), "2012-07-08"),
        ("Posted on: 08-7-2012", (2013, 1), None),  # the URL agrees with neither order
        ("Submitted on 08/09/2012 14:30", None, None),
        ("Version 1/2/2012-beta", None, None),
        # a stated weekday tells the order too, also of a dotted date (US sites write 11.06.2012 month first)
        ("Tuesday, 11.06.2012 / 4:54 PM / News", None, "2012-11-06T16:54:00"),
        ("Monday, 11/05/2012", None, "2012-11-05"),
        ("Stand: Montag, 22.04.2024, 06:00 Uhr", None, "2024-04-22T06:00:00"),
        ("The Sun, 11.06.2012", None, "2012-06-11"),  # a weekday that fits neither reading is no evidence
    ],
)
def test_slashed_and_dashed_dates(raw: str, known_month: tuple[int, int] | None, expected: str | None) -> None:
    assert parse_visible_date(raw, known_month=known_month) == expected


def test_ordinal_day_before_the_month_is_a_date(page: Page) -> None:
    """ "9th August 2012, 5:28pm": the ordinal suffix hid the whole date (and its time)."""
    record = extract_article(page("date-ordinal-day.html"), "https://music.example/news/lantern-bay-tour")
    assert record["published_at"] == "2012-08-09T17:28:00"
    assert parse_visible_date("By Conner Flynn on Monday 12th November 2012 3:16 pm") == "2012-11-12T15:16:00"


def test_a_time_without_offset_takes_the_zone_the_page_shows_for_the_same_moment(page: Page) -> None:
    """The meta tag says 2012-07-24T00:26:15 (UTC, unsaid), the page "7/23/2012 8:26:15 PM ET": one moment."""
    record = extract_article(page("date-naive-meta-zoned-line.html"), "https://wire.example/news/48294366")
    assert record["published_at"] == "2012-07-23T20:26:15-04:00"


@pytest.mark.parametrize(
    ("stated", "shown", "expected"),
    [
        ("2012-11-05T15:39:30", "2012-11-05T15:39:00-08:00", "2012-11-05T15:39:30-08:00"),  # same wall clock
        ("2012-07-24T00:26:15", "2012-07-23T20:26:00-04:00", "2012-07-23T20:26:15-04:00"),  # stated in UTC
        ("2012-11-05T15:39:30", "2012-11-05T16:39:00-08:00", "2012-11-05T15:39:30"),  # another moment: unchanged
        ("2012-11-05T15:39:30", "2012-11-05", "2012-11-05T15:39:30"),  # no zone shown
        ("2012-11-05", "2012-11-05T15:39:00-08:00", "2012-11-05"),  # a day has no offset
    ],
)
def test_zoned(stated: str, shown: str, expected: str) -> None:
    assert zoned(stated, shown) == expected


# --- titles ---------------------------------------------------------------------------------------------


def test_colon_suffix_of_an_unnamed_site_is_cut_where_the_h1_states_the_rest(page: Page) -> None:
    """ " : みなと日報オンライン" ends the `<title>` and og:title, the page names no site, the `<h1>` is the rest."""
    record = extract_article(page("title-colon-unnamed-site.html"), "https://www.minato.example/news/20260302-ferry")
    assert record["title"] == "港の渡し船、三週間ぶりに運航再開"


def test_a_bullet_glyph_separates_the_site_from_the_headline(page: Page) -> None:
    """ "Headline ● Site - Tagline": a bullet glyph between spaces is a separator like " | " and " · "."""
    record = extract_article(page("title-glyph-separator.html"), "https://slowroads.example/porto-two-days/")
    assert record["title"] == "Two days in Porto on a small budget"


@pytest.mark.parametrize(
    ("h1", "expected"),
    [
        # the <h1> states the whole headline: the French " : " is the headline's own
        ("Guerre en Ukraine : la Russie frappe Kiev", "Guerre en Ukraine : la Russie frappe Kiev"),
        # an <h1> holding only the kicker does not make the longer rest a suffix
        ("Guerre en Ukraine", "Guerre en Ukraine : la Russie frappe Kiev"),
    ],
)
def test_a_headline_joined_by_colon_is_kept(h1: str, expected: str) -> None:
    title = "Guerre en Ukraine : la Russie frappe Kiev"
    assert (
        choose_title(
            headline=None,
            name=None,
            og=title,
            twitter=None,
            dc=None,
            h1s=[h1],
            title_tag=title,
            site_names=["lemonde"],
            hint=None,
        )
        == expected
    )


# --- structured data ------------------------------------------------------------------------------------


def test_dublin_core_written_as_rdfa_is_read(page: Page) -> None:
    """`property="dc:title"`, `dc:creator`, `dcterms:created` (RDFa's spelling) are Dublin Core as much as
    `name="DC.title"`: the title, the author and the date come from them, not from a bare `<title>`."""
    record = extract_article(page("meta-dublin-core-rdfa.html"), "https://gazette.example/story/night-buses")
    assert record["title"] == "Night buses return to the harbour route"
    assert record["authors"] == ["Ines Kowalczyk"]
    assert record["published_at"] == "2026-02-11"
