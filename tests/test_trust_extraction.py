"""Trust in extraction, through real `scrapy crawl` runs: no page comes back empty because of how its
markup starts (XML declaration, leading whitespace), and no prose is cut as boilerplate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.siteserver import Site, serve
from tests.support.crawl import Crawl, run_crawl
from tests.support.paths import SITES


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    """tests/sites/trust_extraction served on 127.0.0.1."""
    with serve(SITES / "trust_extraction") as running:
        yield running


def _crawl(site: Site, paths: list[str], tmp_path: Path) -> Crawl:
    urls = tmp_path / "urls.txt"
    urls.write_text("".join(f"{site.url}{p}\n" for p in paths), "utf-8")
    result = run_crawl("article", ["-a", f"urls_file={urls}"], tmp_path / "data")
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def test_xhtml_with_xml_declaration_and_whitespace_padded_pages_are_archived_in_full(
    site: Site, tmp_path: Path
) -> None:
    result = _crawl(site, ["2026/05/04/cafe-du-port/", "2026/05/04/padded-page/"], tmp_path)
    records = {r["url"].removeprefix(site.url): r for r in result.records()}
    assert set(records) == {"2026/05/04/cafe-du-port/", "2026/05/04/padded-page/"}, result.stderr[-3000:]
    xhtml = records["2026/05/04/cafe-du-port/"]  # <?xml encoding="iso-8859-1"?>, served as application/xhtml+xml
    assert xhtml["title"] == "Le café du port rouvre ses portes"
    assert xhtml["authors"] == ["Élodie Marchand"]
    assert xhtml["text"].startswith("Fermé depuis l’incendie de janvier, le café du port a rouvert samedi matin.")
    assert "Les travaux ont coûté 180 000 €" in xhtml["text"]
    assert xhtml["word_count"] == 119
    padded = records["2026/05/04/padded-page/"]  # 4 KB of whitespace, then a windows-1252 page
    assert padded["title"] == "Harbour ferry timetable changes from June"
    assert padded["text"].split("\n\n") == [
        "The harbour ferry will run every twenty minutes instead of every half hour from the first of June, the "
        "port authority said on Monday.",
        "Two new boats, built in Gdynia and delivered last week, will join the fleet after their sea trials. "
        "“They are quieter and use half the fuel,” the authority’s engineer said.",
        "Fares stay at £2.40 for a single crossing; the café on the pier will open an hour earlier to match the "
        "first sailing.",
    ]


ROYALTIES_TEXT = [
    "The family of the late songwriter Maggie Rowe won the first round of their fight over unpaid royalties at "
    "the county court on Tuesday.",
    "Copyright lawyers for the songwriter's family said the label had kept back more than £300,000 over twelve years.",
    "Photographs by the band's former drummer, taken on the night the song was first played, were shown to the court.",
    "Video by a fan who attended the 1994 concert was also played, and the judge watched it twice.",
    "Photo: Harbour Gazette archive",  # a credit with no image to go to stays in the text
    '"We use cookies to give every listener a better experience," the label\'s own terms said, a line the '
    "family's barrister read aloud.",
    "Latest",
    "The judge adjourned the case until June.",
    "Both sides must file new accounts by then.",
    "The label declined to comment.",
    "Topics: royalties, streaming income and the 1994 live album will all go back to the High Court.",
]


def test_prose_that_looks_like_boilerplate_is_archived_whole(site: Site, tmp_path: Path) -> None:
    result = _crawl(site, ["2026/05/05/royalties-ruling/"], tmp_path)
    [record] = result.records()
    assert record["text"].split("\n\n") == ROYALTIES_TEXT
    assert record["image"] is None
    for furniture in (
        "Leave a Comment",
        "Required fields",
        "Save my name",
        "Share this",
        "WhatsApp",
        "Read more",
        "Tags:",
        "cookie policy",
        "All rights reserved",
        "Scroll to Top",
        "Post Comment",
    ):
        assert furniture not in record["text"]


def test_operator_patterns_remove_what_they_match_even_prose(site: Site, tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{site.url}2026/05/05/royalties-ruling/\n", "utf-8")
    result = run_crawl(
        "article",
        ["-a", f"urls_file={urls}", "-s", 'BOILERPLATE_EXTRA_PATTERNS=["the label declined to comment\\\\."]'],
        tmp_path / "data",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    [record] = result.records()
    assert record["text"].split("\n\n") == [p for p in ROYALTIES_TEXT if p != "The label declined to comment."]
    assert result.stat("boilerplate/lines_removed") == 1
